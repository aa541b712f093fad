package ui

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/store"
)

func (u *UI) checkRoutes() []auth.Route {
	return []auth.Route{
		page("GET /checks/{uuid}", auth.Viewer, u.checkPage),
		page("POST /checks/{uuid}/pause", auth.Responder, u.pauseCheck(true, "paused")),
		page("POST /checks/{uuid}/resume", auth.Responder, u.pauseCheck(false, "resumed")),
	}
}

// Bounds of the check page.
const (
	checkPings      = 50  // latest pings in the log
	checkHistory    = 20  // latest incidents in the state history
	checkExpected   = 5   // next expected times
	pingBodyExcerpt = 300 // characters of a ping's body shown
)

// checkView is the check page's data.
type checkView struct {
	Check     *tocsin.Check
	State     tocsin.CheckState
	Probe     *kinds.Spec // nil for a heartbeat check
	Explained string
	Zone      *time.Location // the check's own: its cron zone, else the viewer's
	Expected  []time.Time
	Pings     []pingRow
	History   []*tocsin.Incident
	Chart     template.HTML // probes: latency over the last day
	Rollups   []store.Rollup
	PingURL   string
	Curl      string
	Wrapper   string
}

// pingRow is one ping of the log.
type pingRow struct {
	tocsin.Ping
	Excerpt string
	More    bool // the excerpt is cut
}

// checkPage shows one check or probe: its schedule in words with the
// next times it expects a ping, its ping log, its state history, for a
// probe its latency over the last day, the buttons to pause and resume
// it, and the commands that ping it.
func (u *UI) checkPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := u.srv.DB.CheckByUUID(ctx, r.PathValue("uuid"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(ctx)
	now := u.srv.Clock.Now()
	v := checkView{Check: c, State: c.StateAt(now), Zone: u.zoneOf(p)}
	if v.History, err = u.srv.DB.Incidents(ctx, store.IncidentFilter{CheckID: c.ID, Limit: checkHistory}); err != nil {
		u.fail(w, r, err)
		return
	}
	if c.IsProbe() {
		spec, _ := kinds.Parse(c.Probe)
		v.Probe = &spec
		v.Explained = "probe " + spec.Type + " " + spec.Target() + " every " + tocsin.FormatDuration(c.Interval) +
			"; down after " + plural(c.FailuresBeforeDown, "failed run") + ", up again after " + plural(c.SuccessesBeforeUp, "good run")
		since := now.Truncate(time.Hour).Add(-(sparkHours - 1) * time.Hour)
		rollups, err := u.srv.DB.ProbeRollupsOf(ctx, []int64{c.ID}, "hour", since)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		v.Rollups = rollups[c.ID]
		v.Chart = latencyChart(v.Rollups, since)
	} else {
		v.Explained = c.Schedule.String()
		if c.Grace > 0 {
			v.Explained += ", grace " + tocsin.FormatDuration(c.Grace)
		}
		if c.Spec.TZ != "" {
			if loc, err := time.LoadLocation(c.Spec.TZ); err == nil {
				v.Zone = loc
			}
		}
		v.Expected = expectedTimes(c, now, checkExpected)
		pings, err := u.srv.DB.Pings(ctx, c.ID, checkPings)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		for _, p := range pings {
			row := pingRow{Ping: p}
			row.Excerpt, row.More = excerpt(p.Body, pingBodyExcerpt)
			row.More = row.More || p.Truncated
			v.Pings = append(v.Pings, row)
		}
		v.PingURL = u.publicBase(r) + "/ping/" + c.UUID
		v.Curl, v.Wrapper = pingCommands(v.PingURL, c.Methods == "POST")
	}
	u.render(w, r, "check", c.Name, "dashboard", v)
}

// pauseCheck is the check page's Pause or Resume button: it acts through
// the server's SetCheckPaused, the API's own call, and shows the check
// again.
func (u *UI) pauseCheck(pause bool, notice string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		uuid := r.PathValue("uuid")
		c, err := u.srv.SetCheckPaused(r, uuid, pause)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		done(w, r, "/checks/"+c.UUID, notice)
	}
}

// expectedTimes are the next n times a heartbeat check expects a ping:
// from the one it waits for now, or from now when it waits for none, on
// along its schedule.
func expectedTimes(c *tocsin.Check, now time.Time, n int) []time.Time {
	if c.Schedule == nil {
		return nil
	}
	t := c.ExpectedAt()
	if t.IsZero() || !t.After(now) && c.Spec.Cron != "" {
		next, ok := c.Schedule.Next(now)
		if !ok {
			return nil
		}
		t = next
	}
	out := []time.Time{t}
	for len(out) < n {
		next, ok := c.Schedule.Next(out[len(out)-1])
		if !ok {
			break
		}
		out = append(out, next)
	}
	return out
}

// publicBase is the address pings reach Tocsin at: the config's
// public_url, else the host this page was asked from.
func (u *UI) publicBase(r *http.Request) string {
	if cfg := u.srv.Snapshots.Load().Config; cfg != nil && cfg.PublicURL != "" {
		return strings.TrimSuffix(cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// pingCommands are the example commands of a check's page: one curl
// ping, and a wrapper that signals the start, runs the job and reports its
// exit status.
func pingCommands(url string, post bool) (curl, wrapper string) {
	c := "curl -fsS -m 10 --retry 5 -o /dev/null"
	if post {
		c += " -X POST"
	}
	curl = c + " " + url
	wrapper = "#!/bin/sh\n" +
		"# Runs the job given as arguments and reports it to Tocsin.\n" +
		"url=" + url + "\n" +
		c + " \"$url/start\"\n" +
		"\"$@\"\n" +
		"status=$?\n" +
		c + " \"$url/$status\"\n" +
		"exit $status\n"
	return curl, wrapper
}

// excerpt is the start of a ping's body as text, at most n characters;
// more says it was cut.
func excerpt(body []byte, n int) (text string, more bool) {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s, false
	}
	return string([]rune(s)[:n]), true
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

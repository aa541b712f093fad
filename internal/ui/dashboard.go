package ui

import (
	"bytes"
	"context"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/store"
)

// dashboardRoutes are the dashboard and the pages of checks it links to.
func (u *UI) dashboardRoutes() []auth.Route {
	return append([]auth.Route{
		page("GET /{$}", auth.Viewer, u.dashboard),
	}, u.checkRoutes()...)
}

// Bounds of the dashboard.
const (
	dashboardIncidents = 100            // open incidents shown, newest first
	sparkHours         = 24             // hours in a sparkline
	sparkWidth         = 2 * sparkHours // SVG units: two per hour
	sparkHeight        = 12
)

// checkStates are the states the dashboard filters by, in the order of
// its menu.
var checkStates = []tocsin.CheckState{tocsin.StateDown, tocsin.StateGrace, tocsin.StateStarted, tocsin.StateUp,
	tocsin.StateNew, tocsin.StatePaused}

// dashboardFilter is what the dashboard's form asks for; empty fields
// select everything.
type dashboardFilter struct {
	State   string // a check state
	Kind    string // "heartbeat" or "probe"
	Service string // the service of incidents
	Name    string // part of a check's name, any case
	Tag     string // a tag the checks have
}

// dashboardView is the dashboard's data.
type dashboardView struct {
	Filter        dashboardFilter
	States        []tocsin.CheckState
	Services      []string // the config's services, for the filter
	Tags          []string // the tags of the checks, for the filter
	Incidents     []*tocsin.Incident
	MoreIncidents bool // more are open than shown
	OnCall        []onCallNow
	Checks        []checkRow
	AllChecks     int       // checks before filtering
	Now           time.Time // when it was built
}

// onCallNow is who is on call now on one schedule.
type onCallNow struct {
	Schedule string
	Users    []string
}

// checkRow is one check or probe on the dashboard.
type checkRow struct {
	UUID, Name string
	Probe      string // the probe's kind; "" for a heartbeat check
	State      tocsin.CheckState
	Tags       []string
	Last, Next time.Time
	Spark      template.HTML
}

// dashboard shows what needs a responder first: the open incidents, who
// is on call now, then every check and probe with its state and the last
// day at a glance. It reads with a fixed number of queries, however many
// checks there are.
func (u *UI) dashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := dashboardFilter{State: q.Get("state"), Kind: q.Get("kind"), Service: q.Get("service"),
		Name: strings.TrimSpace(q.Get("name")), Tag: strings.TrimSpace(q.Get("tag"))}
	content, err := u.dashboardContent(r.Context(), f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// The content, most of it the table of checks, is spliced in as the
	// page is written rather than copied through the layout's template.
	u.render(spliceWriter{ResponseWriter: w, with: content}, r, "dashboard", "Dashboard", "dashboard", contentMark)
}

// contentMark stands for the dashboard's content in the rendered page.
const contentMark template.HTML = "<!--dashboard-->"

// spliceWriter writes a page with its contentMark replaced by with.
type spliceWriter struct {
	http.ResponseWriter
	with []byte
}

func (s spliceWriter) Write(b []byte) (int, error) {
	before, after, found := bytes.Cut(b, []byte(contentMark))
	if !found {
		return s.ResponseWriter.Write(b)
	}
	for _, part := range [][]byte{before, s.with, after} {
		if _, err := s.ResponseWriter.Write(part); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// dashboardAge is how long the dashboard shows content it built before:
// building it reads every check and a day of pings and probe runs, and
// renders a row for each, which a dashboard open on many screens (or
// reloaded in a hurry) need not repeat on every request; a second or two
// changes no sparkline of a day. The content is the same for every
// viewer (no forms, no times in a viewer's zone). Measured in real time,
// as it is about the server's work, not the world's clock.
const dashboardAge = 2 * time.Second

var realClock clock.Real

// dashboardCache holds the content built lately, by filter.
type dashboardCache struct {
	mu       sync.Mutex
	built    map[dashboardFilter]builtContent
	building map[dashboardFilter]bool
}

type builtContent struct {
	html []byte
	at   time.Time
}

// dashboardContent is the dashboard's content for f: as built less than
// dashboardAge ago, else built anew; while one request builds it, the
// others show the one before rather than wait.
func (u *UI) dashboardContent(ctx context.Context, f dashboardFilter) ([]byte, error) {
	cache := &u.dashCache
	cache.mu.Lock()
	b, ok := cache.built[f]
	if ok && (realClock.Now().Sub(b.at) < dashboardAge || cache.building[f]) {
		cache.mu.Unlock()
		return b.html, nil
	}
	if cache.building == nil {
		cache.building = map[dashboardFilter]bool{}
	}
	cache.building[f] = true
	cache.mu.Unlock()
	html, err := u.buildDashboard(ctx, f)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	delete(cache.building, f)
	if err != nil {
		return nil, err
	}
	if len(cache.built) >= 32 || cache.built == nil {
		cache.built = map[dashboardFilter]builtContent{}
	}
	cache.built[f] = builtContent{html: html, at: realClock.Now()}
	return html, nil
}

// buildDashboard reads what the dashboard shows, in four queries (the
// open incidents, every check, their pings by hour and their probe runs
// by hour over the last day), and renders it.
func (u *UI) buildDashboard(ctx context.Context, f dashboardFilter) ([]byte, error) {
	now := u.srv.Clock.Now()
	snap := u.srv.Snapshots.Load()
	v := &dashboardView{Filter: f, States: checkStates, Now: now}
	if snap.Config != nil {
		for _, s := range snap.Config.Services {
			v.Services = append(v.Services, s.Name)
		}
	}
	// Who is on call now counts the overrides made at run time, as paging does.
	schedules, err := u.srv.OnCallSchedules(ctx, now, now.Add(time.Millisecond))
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(schedules)) {
		v.OnCall = append(v.OnCall, onCallNow{Schedule: name, Users: schedules[name].OnCall(now)})
	}
	incidents, err := u.srv.DB.Incidents(ctx, store.IncidentFilter{Open: true, Limit: dashboardIncidents + 1})
	if err != nil {
		return nil, err
	}
	if len(incidents) > dashboardIncidents {
		incidents, v.MoreIncidents = incidents[:dashboardIncidents], true
	}
	for _, in := range incidents {
		if f.Service == "" || in.Service == f.Service {
			v.Incidents = append(v.Incidents, in)
		}
	}
	checks, err := u.srv.DB.Checks(ctx)
	if err != nil {
		return nil, err
	}
	v.AllChecks = len(checks)
	since := now.Truncate(time.Hour).Add(-(sparkHours - 1) * time.Hour)
	pings, err := u.srv.DB.PingHours(ctx, since)
	if err != nil {
		return nil, err
	}
	var probeIDs []int64
	for _, c := range checks {
		if c.IsProbe() {
			probeIDs = append(probeIDs, c.ID)
		}
	}
	rollups, err := u.srv.DB.ProbeRollupsOf(ctx, probeIDs, "hour", since)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(f.Name)
	v.Tags = tagsInUse(checks, f.Tag)
	for _, c := range checks {
		row := checkRow{UUID: c.UUID, Name: c.Name, State: c.StateAt(now), Tags: c.Tags, Last: c.LastPingAt}
		if c.IsProbe() {
			spec, _ := kinds.Parse(c.Probe)
			row.Probe = spec.Type
		} else {
			row.Next = nextExpected(c, now)
		}
		switch {
		case f.State != "" && string(row.State) != f.State,
			f.Kind == "probe" && row.Probe == "", f.Kind == "heartbeat" && row.Probe != "",
			name != "" && !strings.Contains(strings.ToLower(c.Name), name),
			f.Tag != "" && !c.HasTags(f.Tag):
			continue
		}
		if c.IsProbe() {
			row.Spark = latencySpark(rollups[c.ID], since)
		} else {
			row.Spark = pingSpark(pings[c.ID], since)
		}
		v.Checks = append(v.Checks, row)
	}
	slices.SortStableFunc(v.Checks, func(a, b checkRow) int { return stateRank(a.State) - stateRank(b.State) })
	var buf bytes.Buffer
	if err := u.pages["dashboard"].ExecuteTemplate(&buf, "dashboard-content", v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tagsInUse are the tags of checks, sorted, with the one filtered by even
// if no check has it (any more), so that the form shows what it asked.
func tagsInUse(checks []*tocsin.Check, filtered string) []string {
	seen := map[string]bool{}
	if filtered != "" {
		seen[filtered] = true
	}
	for _, c := range checks {
		for _, t := range c.Tags {
			seen[t] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// stateRank orders checks as a responder reads them: down first.
func stateRank(s tocsin.CheckState) int {
	if i := slices.Index(checkStates, s); i >= 0 {
		return i
	}
	return len(checkStates)
}

// nextExpected is when a heartbeat check's next ping is due; a new check
// with a cron schedule shows the schedule's next time.
func nextExpected(c *tocsin.Check, now time.Time) time.Time {
	if t := c.ExpectedAt(); !t.IsZero() {
		return t
	}
	if c.Status == tocsin.StateNew && c.Spec.Cron != "" && c.Schedule != nil {
		if t, ok := c.Schedule.Next(now); ok {
			return t
		}
	}
	return time.Time{}
}

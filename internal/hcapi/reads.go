package hcapi

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// pingLogLimit is how many pings Healthchecks shows by default, and how
// many of its latest pings Tocsin keeps.
const pingLogLimit = 100

// channelID is the stable UUID a channel of the config shows as its id:
// Tocsin names its channels, and Healthchecks' clients expect a UUID.
func channelID(name string) string {
	b := sha256.Sum256([]byte("tocsin channel " + name))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// channelNames resolves Healthchecks' channels value: "*" every channel,
// "" none, else a comma-separated list of ids or names.
func (a *API) channelNames(value string) ([]string, error) {
	channels := a.Running().Channels
	all := make([]string, 0, len(channels))
	for name := range channels {
		all = append(all, name)
	}
	sort.Strings(all)
	switch value {
	case "*":
		return all, nil
	case "":
		return []string{}, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(value, ",") {
		if s == "" {
			return nil, fmt.Errorf("empty channel identifier")
		}
		found := ""
		for _, name := range all {
			if name == s || channelID(name) == s {
				found = name
			}
		}
		if found == "" {
			return nil, fmt.Errorf("invalid channel identifier: %s", s)
		}
		if !seen[found] {
			seen[found] = true
			out = append(out, found)
		}
	}
	return out, nil
}

func (a *API) listChannels(w http.ResponseWriter, r *request) {
	channels := a.Running().Channels
	out := []map[string]string{}
	for name, ch := range channels {
		out = append(out, map[string]string{"id": channelID(name), "name": name, "kind": ch.Type})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["name"] < out[j]["name"] })
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
}

// pingType is a Tocsin ping kind as Healthchecks names it.
func pingType(k tocsin.PingKind) string {
	if k == tocsin.PingSuccess || k == "" {
		return "success"
	}
	return string(k)
}

func (a *API) listPings(w http.ResponseWriter, r *request) {
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	pings, err := a.DB.Pings(r.Context(), c.ID, pingLogLimit)
	if err != nil {
		fail(w, err)
		return
	}
	base := a.Running().Env.PublicURL
	out := []map[string]any{}
	for _, p := range pings {
		d := map[string]any{"type": pingType(p.Kind), "date": *isoTime(p.At, false), "n": p.N, "scheme": p.Scheme,
			"remote_addr": p.RemoteAddr, "method": p.Method, "ua": p.UserAgent, "rid": nil, "body_url": nil}
		if p.RID != "" {
			d["rid"] = p.RID
		}
		if len(p.Body) > 0 {
			d["body_url"] = fmt.Sprintf("%s/api/v3/checks/%s/pings/%d/body", base, c.UUID, p.N)
		}
		if p.Duration > 0 {
			d["duration"] = p.Duration.Seconds()
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pings": out})
}

// pingBody answers a ping's body as it came: 404 for a ping older than the
// log keeps, or one without a body.
func (a *API) pingBody(w http.ResponseWriter, r *request) {
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n <= c.Pings-pingLogLimit {
		fail(w, tocsin.Errorf(tocsin.ENotFound, "not found"))
		return
	}
	pings, err := a.DB.Pings(r.Context(), c.ID, pingLogLimit)
	if err != nil {
		fail(w, err)
		return
	}
	for _, p := range pings {
		if p.N == n && len(p.Body) > 0 {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(p.Body)
			return
		}
	}
	fail(w, tocsin.Errorf(tocsin.ENotFound, "not found"))
}

// flipsQuery reads Healthchecks' start and end (Unix seconds, 0 to
// 10000000000) and seconds (0 to 31536000); ok false for a bad one.
func flipsQuery(r *request) (start, end time.Time, seconds int64, ok bool) {
	q := r.URL.Query()
	read := func(key string, max int64) (int64, bool) {
		v := q.Get(key)
		if v == "" {
			return -1, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil && n >= 0 && n <= max
	}
	s, ok1 := read("start", 10000000000)
	e, ok2 := read("end", 10000000000)
	seconds, ok3 := read("seconds", 31536000)
	if s >= 0 {
		start = time.Unix(s, 0)
	}
	if e >= 0 {
		end = time.Unix(e, 0)
	}
	return start, end, seconds, ok1 && ok2 && ok3
}

// listFlips lists a check's changes between up and down, newest first.
// Tocsin keeps them as its incidents: each opened when the check went
// down (up 0) and, if so, resolved when it came back up (up 1).
func (a *API) listFlips(w http.ResponseWriter, r *request) {
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	start, end, seconds, ok := flipsQuery(r)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if seconds > 0 {
		if t := a.Clock.Now().Add(-time.Duration(seconds) * time.Second); t.After(start) {
			start = t
		}
	}
	spans, err := a.DB.IncidentSpans(r.Context(), []int64{c.ID}, nil, time.Time{})
	if err != nil {
		fail(w, err)
		return
	}
	type flip struct {
		at time.Time
		up int
	}
	var flips []flip
	for _, s := range spans {
		flips = append(flips, flip{s.OpenedAt, 0})
		if !s.ResolvedAt.IsZero() {
			flips = append(flips, flip{s.ResolvedAt, 1})
		}
	}
	sort.SliceStable(flips, func(i, j int) bool { return flips[i].at.After(flips[j].at) })
	out := []map[string]any{}
	for _, f := range flips {
		if !start.IsZero() && f.at.Before(start) || !end.IsZero() && !f.at.Before(end) {
			continue
		}
		out = append(out, map[string]any{"timestamp": *isoTime(f.at, true), "up": f.up})
	}
	writeJSON(w, http.StatusOK, map[string]any{"flips": out})
}

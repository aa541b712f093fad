package ui

import (
	"bytes"
	"context"
	"html/template"
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
}

// dashboardView is the dashboard's data.
type dashboardView struct {
	Filter        dashboardFilter
	States        []tocsin.CheckState
	Services      []string // the config's services, for the filter
	Incidents     []*tocsin.Incident
	MoreIncidents bool // more are open than shown
	OnCall        []onCallNow
	Checks        *checkTable
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
		Name: strings.TrimSpace(q.Get("name"))}
	v, err := u.dashboardData(r.Context(), f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// The table of checks, most of the page, is spliced in as the page
	// is written rather than copied through the template.
	// (v.Checks is shared with other requests: it is copied, not changed.)
	t := *v.Checks
	table := t.HTML
	t.HTML, v.Checks = tableMark, &t
	u.render(spliceWriter{ResponseWriter: w, with: []byte(table)}, r, "dashboard", "Dashboard", "dashboard", v)
}

// tableMark stands for the table of checks in the rendered page.
const tableMark template.HTML = "<!--checks-->"

// spliceWriter writes a page with its tableMark replaced by with.
type spliceWriter struct {
	http.ResponseWriter
	with []byte
}

func (s spliceWriter) Write(b []byte) (int, error) {
	before, after, found := bytes.Cut(b, []byte(tableMark))
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

func (u *UI) dashboardData(ctx context.Context, f dashboardFilter) (*dashboardView, error) {
	now := u.srv.Clock.Now()
	snap := u.srv.Snapshots.Load()
	v := &dashboardView{Filter: f, States: checkStates}
	if snap.Config != nil {
		for _, s := range snap.Config.Services {
			v.Services = append(v.Services, s.Name)
		}
	}
	if oc := snap.OnCall; oc != nil {
		names := make([]string, 0, len(oc.Schedules))
		for name := range oc.Schedules {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v.OnCall = append(v.OnCall, onCallNow{Schedule: name, Users: oc.Schedules[name].OnCall(now)})
		}
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
	if v.Checks, err = u.checkTable(ctx, f, now); err != nil {
		return nil, err
	}
	return v, nil
}

// checkTableAge is how long the dashboard shows a table of checks it
// built before: building one reads every check and a day of pings and
// probe runs, and renders a row for each, which a dashboard open on many
// screens (or reloaded in a hurry) need not repeat every time; a second
// or two changes no sparkline of a day. Measured in real time, as it is
// about the server's work, not the world's clock.
const checkTableAge = 2 * time.Second

var realClock clock.Real

// checkTable is the dashboard's table of checks for one filter, rendered.
type checkTable struct {
	HTML    template.HTML
	Shown   int
	All     int // checks before filtering
	builtAt time.Time
}

// checkTables are the tables built lately, by filter, of each UI (by its
// address): a few, as each filter has its own.
var checkTables sync.Map // *UI -> *checkTableCache

type checkTableCache struct {
	mu       sync.Mutex
	tables   map[[3]string]*checkTable
	building map[[3]string]bool
}

// checkTable is the table of checks for f: one built less than
// checkTableAge ago, else a new one; while one request builds it, the
// others show the one before rather than wait.
func (u *UI) checkTable(ctx context.Context, f dashboardFilter, now time.Time) (*checkTable, error) {
	c, _ := checkTables.LoadOrStore(u, &checkTableCache{tables: map[[3]string]*checkTable{}, building: map[[3]string]bool{}})
	cache := c.(*checkTableCache)
	key := [3]string{f.State, f.Kind, strings.ToLower(f.Name)}
	cache.mu.Lock()
	t := cache.tables[key]
	if t != nil && (realClock.Now().Sub(t.builtAt) < checkTableAge || cache.building[key]) {
		cache.mu.Unlock()
		return t, nil
	}
	cache.building[key] = true
	cache.mu.Unlock()
	t, err := u.buildCheckTable(ctx, f, now)
	cache.mu.Lock()
	defer cache.mu.Unlock()
	delete(cache.building, key)
	if err != nil {
		return nil, err
	}
	if len(cache.tables) >= 32 {
		clear(cache.tables)
	}
	cache.tables[key] = t
	return t, nil
}

// buildCheckTable reads every check, their pings by hour and their probe
// runs by hour over the last day, in three queries, and renders the rows
// that pass f, most urgent first.
func (u *UI) buildCheckTable(ctx context.Context, f dashboardFilter, now time.Time) (*checkTable, error) {
	checks, err := u.srv.DB.Checks(ctx)
	if err != nil {
		return nil, err
	}
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
	var rows []checkRow
	for _, c := range checks {
		row := checkRow{UUID: c.UUID, Name: c.Name, State: c.StateAt(now), Last: c.LastPingAt}
		if c.IsProbe() {
			spec, _ := kinds.Parse(c.Probe)
			row.Probe = spec.Type
		} else {
			row.Next = nextExpected(c, now)
		}
		switch {
		case f.State != "" && string(row.State) != f.State,
			f.Kind == "probe" && row.Probe == "", f.Kind == "heartbeat" && row.Probe != "",
			name != "" && !strings.Contains(strings.ToLower(c.Name), name):
			continue
		}
		if c.IsProbe() {
			row.Spark = latencySpark(rollups[c.ID], since)
		} else {
			row.Spark = pingSpark(pings[c.ID], since)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b checkRow) int { return stateRank(a.State) - stateRank(b.State) })
	var buf bytes.Buffer
	if err := u.pages["dashboard"].ExecuteTemplate(&buf, "checkrows", struct {
		Rows []checkRow
		Now  time.Time
	}{rows, now}); err != nil {
		return nil, err
	}
	return &checkTable{HTML: template.HTML(buf.String()), Shown: len(rows), All: len(checks),
		builtAt: realClock.Now()}, nil
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

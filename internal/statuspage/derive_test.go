package statuspage

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestComponentIDRule(t *testing.T) {
	// printf 'public\x00API' | sha256sum
	c := &config.StatusComponent{Name: "API"}
	if got := componentID("public", c); got != "e3bc8f35f64e" {
		t.Fatalf("id %q, want e3bc8f35f64e", got)
	}
	if componentID("public", c) == componentID("other", c) {
		t.Fatal("the slug does not enter the id")
	}
	if got := componentID("public", &config.StatusComponent{ID: "api", Name: "API"}); got != "api" {
		t.Fatalf("explicit id: %q", got)
	}
	if componentID("public", &config.StatusComponent{Group: "API"}) != componentID("public", c) {
		t.Fatal("a group's id is not derived from its group name")
	}
}

// Every rule of a component's status, one line each.
func TestDerive(t *testing.T) {
	now := t0
	every := tocsin.Every(time.Minute)
	up := &tocsin.Check{Name: "up", Status: tocsin.StateUp, LastPingAt: now.Add(-30 * time.Second), Schedule: every, Grace: time.Minute}
	grace := &tocsin.Check{Name: "grace", Status: tocsin.StateUp, LastPingAt: now.Add(-90 * time.Second), Schedule: every, Grace: time.Minute}
	late := &tocsin.Check{Name: "late", Status: tocsin.StateUp, LastPingAt: now.Add(-3 * time.Minute), Schedule: every, Grace: time.Minute}
	down := &tocsin.Check{Name: "down", Status: tocsin.StateDown}
	paused := &tocsin.Check{Name: "paused", Status: tocsin.StatePaused}
	fresh := &tocsin.Check{Name: "new", Status: tocsin.StateNew}
	started := &tocsin.Check{Name: "started", Status: tocsin.StateUp, LastPingAt: now.Add(-30 * time.Second), Schedule: every,
		Grace: time.Minute, LastStartAt: now.Add(-10 * time.Second)}
	probe := &tocsin.Check{Name: "probe", Status: tocsin.StateUp, Probe: `{"http":{}}`}
	slow := &tocsin.Check{Name: "slow", Status: tocsin.StateUp, Probe: `{"http":{}}`}
	probeDown := &tocsin.Check{Name: "probe-down", Status: tocsin.StateDown, Probe: `{"http":{}}`}
	in := func() *inputs {
		return &inputs{
			checks: map[string]*tocsin.Check{"up": up, "grace": grace, "late": late, "down": down, "paused": paused, "new": fresh,
				"started": started, "probe": probe, "slow": slow, "probe-down": probeDown},
			latency:      map[string]time.Duration{"probe": 100 * time.Millisecond, "slow": 3 * time.Second, "probe-down": 5 * time.Second},
			openServices: map[string]bool{"broken": true},
			maintenance:  map[string]bool{},
			overrides:    map[string]store.StatusOverride{},
		}
	}
	for _, tc := range []struct {
		name     string
		checks   []string
		services []string
		slowOver time.Duration
		maint    bool
		override string
		until    time.Duration
		want     ComponentStatus
	}{
		{name: "no bindings", want: Operational},
		{name: "up", checks: []string{"up"}, want: Operational},
		{name: "paused", checks: []string{"paused"}, want: Operational},
		{name: "new", checks: []string{"new"}, want: Operational},
		{name: "started", checks: []string{"started"}, want: Operational},
		{name: "unknown check", checks: []string{"nope"}, want: Operational},
		{name: "grace", checks: []string{"grace"}, want: DegradedPerformance},
		{name: "late past grace is down", checks: []string{"late"}, want: MajorOutage},
		{name: "down", checks: []string{"down"}, want: MajorOutage},
		{name: "all down", checks: []string{"down", "late"}, services: []string{"broken"}, want: MajorOutage},
		{name: "one of two down", checks: []string{"up", "down"}, want: PartialOutage},
		{name: "down and degraded", checks: []string{"grace", "down"}, want: PartialOutage},
		{name: "service open incident", services: []string{"broken"}, want: MajorOutage},
		{name: "service quiet", services: []string{"fine"}, want: Operational},
		{name: "check up, service down", checks: []string{"up"}, services: []string{"broken"}, want: PartialOutage},
		{name: "probe fast", checks: []string{"probe"}, slowOver: time.Second, want: Operational},
		{name: "probe slow", checks: []string{"slow"}, slowOver: time.Second, want: DegradedPerformance},
		{name: "probe slow without a limit", checks: []string{"slow"}, want: Operational},
		{name: "slow down probe is down", checks: []string{"probe-down"}, slowOver: time.Second, want: MajorOutage},
		{name: "slow and up", checks: []string{"slow", "up"}, slowOver: time.Second, want: DegradedPerformance},
		{name: "maintenance beats outage", checks: []string{"down"}, maint: true, want: UnderMaintenance},
		{name: "maintenance on a fine component", checks: []string{"up"}, maint: true, want: UnderMaintenance},
		{name: "override beats outage", checks: []string{"down"}, override: "operational", until: time.Hour, want: Operational},
		{name: "override beats maintenance", checks: []string{"up"}, maint: true, override: "partial_outage", until: time.Hour,
			want: PartialOutage},
		{name: "expired override", checks: []string{"down"}, override: "operational", until: -time.Second, want: MajorOutage},
		{name: "override ending now has ended", checks: []string{"up"}, override: "major_outage", until: 0, want: Operational},
		{name: "invalid override ignored", checks: []string{"up"}, override: "broken", until: time.Hour, want: Operational},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := &config.StatusPage{Slug: "p", Components: []config.StatusComponent{{Name: "C", Checks: tc.checks,
				Services: tc.services, SlowOver: config.Duration(tc.slowOver)}}}
			id := componentID("p", &page.Components[0])
			x := in()
			x.maintenance[id] = tc.maint
			if tc.override != "" {
				x.overrides[id] = store.StatusOverride{Component: id, Status: tc.override, Until: now.Add(tc.until)}
			}
			if got := derive(page, x, now)[id]; got != tc.want {
				t.Fatalf("status %s, want %s", got, tc.want)
			}
		})
	}
}

// A group shows the worst of its members, and its own override.
func TestDeriveGroups(t *testing.T) {
	now := t0
	down := &tocsin.Check{Name: "down", Status: tocsin.StateDown}
	up := &tocsin.Check{Name: "up", Status: tocsin.StateUp}
	page := &config.StatusPage{Slug: "p", Components: []config.StatusComponent{
		{Name: "API", Checks: []string{"up"}},
		{Group: "Regions", Components: []config.StatusComponent{
			{Name: "EU", Checks: []string{"down"}}, {Name: "US", Checks: []string{"up"}}, {Name: "Asia", Checks: []string{"up"}}}},
	}}
	ls := lines(page)
	if len(ls) != 5 || !ls[1].group || ls[2].groupID != ls[1].id || len(ls[1].members) != 3 || ls[1].name != "Regions" {
		t.Fatalf("lines: %+v", ls)
	}
	regions, eu, asia := ls[1].id, ls[2].id, ls[4].id
	for _, tc := range []struct {
		name  string
		setup func(in *inputs)
		want  map[string]ComponentStatus
	}{
		{"worst member", func(in *inputs) {}, map[string]ComponentStatus{regions: MajorOutage, eu: MajorOutage, ls[0].id: Operational}},
		{"member under maintenance", func(in *inputs) { in.maintenance[eu] = true },
			map[string]ComponentStatus{regions: UnderMaintenance, eu: UnderMaintenance}},
		{"maintenance is better than degraded", func(in *inputs) {
			in.maintenance[eu] = true
			in.overrides[asia] = store.StatusOverride{Status: "degraded_performance", Until: now.Add(time.Minute)}
		}, map[string]ComponentStatus{regions: DegradedPerformance, asia: DegradedPerformance}},
		{"group override", func(in *inputs) {
			in.overrides[regions] = store.StatusOverride{Status: "operational", Until: now.Add(time.Minute)}
		}, map[string]ComponentStatus{regions: Operational, eu: MajorOutage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &inputs{checks: map[string]*tocsin.Check{"down": down, "up": up}, maintenance: map[string]bool{},
				overrides: map[string]store.StatusOverride{}}
			tc.setup(in)
			got := derive(page, in, now)
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("%s: %s, want %s", id, got[id], want)
				}
			}
		})
	}
}

func TestWording(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{incidentName(DegradedPerformance, []string{"API"}), "Degraded performance of API"},
		{incidentName(MajorOutage, []string{"API", "EU"}), "Outage of API and EU"},
		{incidentName(PartialOutage, []string{"API", "EU", "US"}), "Partial outage of API, EU and US"},
		{openingBody(MajorOutage, []string{"API"}), "We are investigating an outage of API."},
		{joinedBody([]string{"EU"}), "EU is now affected too."},
		{joinedBody([]string{"EU", "US"}), "EU and US are now affected too."},
		{string(impactOf(MajorOutage)) + string(impactOf(PartialOutage)) + string(impactOf(DegradedPerformance)), "criticalmajorminor"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}

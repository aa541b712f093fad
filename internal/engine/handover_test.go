package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/httpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// guardFixture is a probe runner over n probe checks whose results the
// test feeds straight to record: no probe runs, time is the fake clock's.
type guardFixture struct {
	db    *store.DB
	clock *clock.Fake
	r     *ProbeRunner
	ids   map[string]int64
}

func setupGuard(t *testing.T, n int) *guardFixture {
	t.Helper()
	ctx := context.Background()
	g := &guardFixture{clock: clock.NewFake(t0), ids: map[string]int64{}}
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: g.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g.db = db
	spec, _ := kinds.Spec{Type: "http", Timeout: 5 * time.Second, Settings: &httpprobe.Config{URL: "http://127.0.0.1:1/health"}}.Marshal()
	var defs []store.CheckDef
	for i := range n {
		defs = append(defs, store.CheckDef{Name: fmt.Sprintf("web-%d", i), Slug: fmt.Sprintf("web-%d", i), Probe: string(spec),
			Interval: 30 * time.Second, FailuresBeforeDown: 1, SuccessesBeforeUp: 1, Notify: []string{"owners"}, AutoResolve: true,
			FlapChanges: 4, FlapWindow: 10 * time.Minute, FlapStable: 10 * time.Minute, ReopenAfter: time.Hour})
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.SyncChecks(ctx, defs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checks, _ := db.Checks(ctx)
	for _, c := range checks {
		g.ids[c.Name] = c.ID
	}
	guard := func() GuardConfig {
		return GuardConfig{Share: 0.5, MinProbes: 4, Window: 2 * time.Minute, Settle: 10 * time.Second, Confirm: 5 * time.Minute,
			Notify: []string{"operator"}}
	}
	g.r = NewProbeRunner(db, g.clock, env, guard, testkit.Logger())
	if err := g.r.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return g
}

// results records one run of each named probe, failed or not, now.
func (g *guardFixture) results(ok bool, names ...string) {
	var batch []probeRun
	for _, n := range names {
		res := probe.Result{OK: true}
		if !ok {
			res = probe.Fail(probe.ClassConnect, "connection refused", 0)
		}
		batch = append(batch, probeRun{checkID: g.ids[n], at: g.clock.Now(), res: res})
	}
	g.r.record(context.Background(), batch)
}

func (g *guardFixture) degraded(t *testing.T) *tocsin.Incident {
	t.Helper()
	ctx := context.Background()
	list, err := g.db.Incidents(ctx, store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		if in.Title == "Monitoring degraded" {
			full, err := g.db.Incident(ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			return full
		}
	}
	t.Fatal("no monitoring degraded incident")
	return nil
}

// The guard holds a mass failure; when the held probes are confirmed down
// it hands over explicitly, on its timeline and in the resolution sent to
// the operator, naming the incidents that paged the probes' owners and
// the probes that recovered while held. It never says "no probe is held
// any more" when probes are really down.
func TestGuardHandsOverConfirmedProbes(t *testing.T) {
	g := setupGuard(t, 6)
	all := []string{"web-0", "web-1", "web-2", "web-3", "web-4", "web-5"}
	g.results(true, all...)
	g.clock.Advance(30 * time.Second)
	g.results(false, all...)
	deg := g.degraded(t)
	if deg.Status != tocsin.IncidentTriggered || len(messages(deg, tocsin.TimelineMonitoringIssue)) != 6 {
		t.Fatalf("degraded %s, held %q", deg.Status, messages(deg, tocsin.TimelineMonitoringIssue))
	}
	// web-5 recovers while held; the rest stay down past confirm.
	g.clock.Advance(time.Minute)
	g.results(true, "web-5")
	g.clock.Advance(4 * time.Minute)
	g.results(false, all[:5]...)

	deg = g.degraded(t)
	if deg.Status != tocsin.IncidentResolved {
		t.Fatalf("degraded incident %s after confirm", deg.Status)
	}
	ctx := context.Background()
	open, _ := g.db.Incidents(ctx, store.IncidentFilter{Open: true})
	var paged []string
	for _, in := range open {
		paged = append(paged, fmt.Sprintf("%s (incident #%d)", strings.TrimSuffix(in.Title, " is down"), in.ID))
	}
	if len(open) != 5 {
		t.Fatalf("%d open incidents; want one per confirmed probe", len(open))
	}
	handed := messages(deg, tocsin.TimelineHandedOver)
	if len(handed) != 1 || !strings.HasPrefix(handed[0], "Handed over: confirmed: 5 probe(s) really down after 5m, paged their owners: web-0 (incident #") ||
		!strings.HasSuffix(handed[0], "; 1 recovered while held: web-5") {
		t.Fatalf("hand-over entry %q", handed)
	}
	for _, p := range paged {
		if !strings.Contains(handed[0], p) {
			t.Errorf("hand-over %q does not name %s", handed[0], p)
		}
	}
	resolved := messages(deg, tocsin.TimelineResolved)
	if len(resolved) != 1 || !strings.Contains(resolved[0], "confirmed: 5 probe(s) really down") || strings.Contains(resolved[0], "no probe is held") {
		t.Fatalf("resolution %q", resolved)
	}
	// The operator hears the hand-over itself, not an all-clear.
	ns, _ := g.db.Notifications(ctx, deg.ID)
	var sent map[string]any
	for _, n := range ns {
		if n.Event == tocsin.EventResolved && n.Channel == "operator" {
			json.Unmarshal(n.Payload, &sent)
		}
	}
	if reason, _ := sent["reason"].(string); !strings.HasPrefix(reason, "confirmed: 5 probe(s) really down after 5m, paged their owners: web-0") {
		t.Fatalf("resolution sent to the operator: %v", sent)
	}
}

// Every held probe recovered: the degraded incident says so.
func TestGuardAllRecovered(t *testing.T) {
	g := setupGuard(t, 4)
	all := []string{"web-0", "web-1", "web-2", "web-3"}
	g.results(true, all...)
	g.clock.Advance(30 * time.Second)
	g.results(false, all...)
	g.clock.Advance(30 * time.Second)
	g.results(true, all...)
	deg := g.degraded(t)
	if resolved := messages(deg, tocsin.TimelineResolved); deg.Status != tocsin.IncidentResolved || len(resolved) != 1 ||
		!strings.Contains(resolved[0], "all held probes recovered: web-0, web-1, web-2, web-3") {
		t.Fatalf("degraded %s, resolution %q", deg.Status, resolved)
	}
}

// A probe flapping: one incident, quiet while it flaps; the engine ends
// the flapping once the probe has been up for the stable period.
func TestFlappingProbeHoldsOneIncident(t *testing.T) {
	g := setupGuard(t, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := New(g.db, g.clock, env, testkit.Logger())
	g.r.Deadline = eng.Schedule
	go run(ctx, eng, nil)
	g.results(true, "web-0")
	for range 5 {
		g.clock.Advance(30 * time.Second)
		g.results(false, "web-0")
		g.clock.Advance(11 * time.Second) // the guard's settle: then its incident
		g.results(false, "web-0")
		g.clock.Advance(30 * time.Second)
		g.results(true, "web-0")
	}
	list, _ := g.db.Incidents(ctx, store.IncidentFilter{CheckID: g.ids["web-0"]})
	if len(list) != 1 || list[0].Status != tocsin.IncidentTriggered {
		t.Fatalf("%d incidents (first %+v); want one, open", len(list), list)
	}
	ns, _ := g.db.Notifications(ctx, list[0].ID)
	if len(ns) != 3 { // triggered, resolved at the first recovery, triggered again when re-opened
		t.Fatalf("%d notifications; want 3 before flapping began", len(ns))
	}
	c, _ := g.db.CheckByID(ctx, g.ids["web-0"])
	if !c.Flapping() || c.FlapCount != 10 {
		t.Fatalf("flapping %v, %d changes", c.Flapping(), c.FlapCount)
	}
	g.clock.Set(c.FlapStableAt())
	testkit.EventuallyAdvancing(t, g.clock, 100*time.Millisecond, "flapping probe's incident resolved", func() bool {
		in, _ := g.db.Incident(ctx, list[0].ID)
		return in.Status == tocsin.IncidentResolved
	})
	in, _ := g.db.Incident(ctx, list[0].ID)
	if ended := messages(in, tocsin.TimelineFlapping); !strings.Contains(ended[len(ended)-1], "web-0 has been up for 10m: no longer flapping") {
		t.Fatalf("flapping entries %q", ended)
	}
}

// TestProbeRunnerTellsOfIncidents: the bus hears job.Paging after the
// commits that open or resolve a probe's incident (the escalation stage
// and the outbox are woken by it), and not after those that change none.
func TestProbeRunnerTellsOfIncidents(t *testing.T) {
	g := setupGuard(t, 1)
	var told pokes // record runs on the test's goroutine here
	g.r.Bus = &job.Bus{}
	g.r.Bus.Subscribe(job.Paging, &told)
	g.results(true, "web-0")
	g.clock.Advance(30 * time.Second)
	g.results(false, "web-0") // down, waiting for the guard's verdict
	if told != 0 {
		t.Fatalf("told %d times before any incident", told)
	}
	g.clock.Advance(10 * time.Second)
	g.r.record(context.Background(), nil) // the verdict: an incident opens
	if told != 1 {
		t.Fatalf("told %d times after the incident opened, want 1", told)
	}
	g.clock.Advance(30 * time.Second)
	g.results(true, "web-0") // up: the incident resolves
	if told != 2 {
		t.Fatalf("told %d times after the incident resolved, want 2", told)
	}
}

// pokes counts the wakes it is given.
type pokes int

func (p *pokes) Poke() { *p++ }

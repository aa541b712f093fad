package alerting

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	clock  *clock.Fake
	p      *Processor
	stage  *escalation.Stage
	policy *Policy
}

func newFixture(t *testing.T, policy *Policy) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, ctx: context.Background(), db: db, clock: clk, policy: policy}
	env := func() incident.Env {
		return incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
	}
	f.p = New(db, clk, env, func() *Policy { return f.policy }, testkit.Logger(), nil)
	f.stage = escalation.NewStage(db, func() (incident.Env, *escalation.Directory) { return env(), f.policy.Directory }, nil)
	return f
}

// deliver applies one delivery the way Run does, synchronously.
func (f *fixture) deliver(integration, service string, alerts ...tocsin.Alert) Outcome {
	f.t.Helper()
	c := groupcommit.NewCall(f.ctx, newPending(Delivery{Integration: integration, Service: service, Alerts: alerts}))
	f.p.commit(f.ctx, []*call{c})
	if c.Err != nil {
		f.t.Fatal(c.Err)
	}
	return c.Req.out
}

// advance moves the clock and does the timed work due then: the
// processor's first pages and silences, then the escalation stage's steps.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	f.clock.Advance(d)
	f.p.tick(f.ctx)
	if _, err := f.stage.Run(f.ctx, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) incidents() []*tocsin.Incident {
	f.t.Helper()
	list, err := f.db.Incidents(f.ctx, store.IncidentFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *fixture) incident(id int64) *tocsin.Incident {
	f.t.Helper()
	in, err := f.db.Incident(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return in
}

// sent lists the events queued for an incident, as "event/channel".
func (f *fixture) sent(id int64) []string {
	f.t.Helper()
	ns, err := f.db.Notifications(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Event+"/"+n.Channel)
	}
	return out
}

func (f *fixture) alert(integration, key string) *tocsin.AlertRecord {
	f.t.Helper()
	var a *tocsin.AlertRecord
	if err := f.db.Write(f.ctx, func(tx *store.Tx) (err error) {
		a, err = tx.AlertByKey(f.ctx, integration, key)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return a
}

func firing(key, summary string, lbls ...string) tocsin.Alert {
	m := map[string]string{}
	for i := 0; i+1 < len(lbls); i += 2 {
		m[lbls[i]] = lbls[i+1]
	}
	sev := m["severity"]
	if sev == "" {
		sev = "warning"
	}
	return tocsin.Alert{Key: key, Status: tocsin.AlertFiring, Summary: summary, Severity: sev, Labels: m, StartsAt: t0}
}

func resolved(a tocsin.Alert) tocsin.Alert {
	a.Status = tocsin.AlertResolved
	return a
}

func payments(wait time.Duration) *Policy {
	return &Policy{Services: map[string]Service{
		"payments": {Name: "payments", Notify: []string{"ops", "chat"}, GroupBy: []string{"alertname", "cluster"}, GroupWait: wait},
	}}
}

func mustSet(t *testing.T, ss ...string) labels.Set {
	t.Helper()
	set, err := labels.ParseSet(ss)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func timelineKinds(in *tocsin.Incident) []string {
	var kinds []string
	for _, e := range in.Timeline {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func TestGroupingWaitsThenPagesOnce(t *testing.T) {
	f := newFixture(t, payments(30*time.Second))
	a1 := firing("g/aa01", "p99 latency 2.1s on api-1", "alertname", "HighLatency", "cluster", "eu-1", "instance", "api-1")
	a2 := firing("g/aa02", "p99 latency 1.9s on api-2", "alertname", "HighLatency", "cluster", "eu-1", "instance", "api-2")
	other := firing("g/bb01", "p99 latency 3s on api-9", "alertname", "HighLatency", "cluster", "us-1", "instance", "api-9")
	if out := f.deliver("prometheus", "payments", a1, a2, other); out.New != 3 {
		t.Fatalf("outcome %+v", out)
	}
	list := f.incidents()
	if len(list) != 2 {
		t.Fatalf("want 2 incidents (eu-1, us-1), got %d", len(list))
	}
	eu := list[1]
	if eu.GroupKey != `{alertname="HighLatency",cluster="eu-1"}` || eu.Service != "payments" || eu.Priority != tocsin.P3 {
		t.Fatalf("incident %+v", eu)
	}
	if got := f.sent(eu.ID); len(got) != 0 {
		t.Fatalf("paged before group_wait: %v", got)
	}
	// A repeated delivery updates, never duplicates.
	f.clock.Advance(10 * time.Second)
	f.deliver("prometheus", "payments", a1)
	if a := f.alert("prometheus", "g/aa01"); a.Deliveries != 2 || a.IncidentID != eu.ID {
		t.Fatalf("repeat: %+v", a)
	}
	f.advance(19 * time.Second)
	if got := f.sent(eu.ID); len(got) != 0 {
		t.Fatalf("paged 1s before group_wait ended: %v", got)
	}
	f.advance(time.Second)
	equal(t, "first page", f.sent(eu.ID), []string{"incident.triggered/ops", "incident.triggered/chat"})

	// A critical alert joining later is appended and raises the priority:
	// those paged are paged again with the new priority, once.
	a3 := firing("g/aa03", "p99 latency 9s on api-3", "alertname", "HighLatency", "cluster", "eu-1", "severity", "critical")
	f.deliver("prometheus", "payments", a3)
	a4 := firing("g/aa04", "p99 latency 8s on api-4", "alertname", "HighLatency", "cluster", "eu-1", "severity", "critical")
	f.deliver("prometheus", "payments", a4)
	equal(t, "after join", f.sent(eu.ID), []string{"incident.triggered/ops", "incident.triggered/chat",
		"incident.priority_raised/ops", "incident.priority_raised/chat"})
	in := f.incident(eu.ID)
	if in.Priority != tocsin.P1 {
		t.Fatalf("priority %s", in.Priority)
	}
	// The page carries the alerts as evidence.
	ns, _ := f.db.Notifications(f.ctx, eu.ID)
	var ev struct {
		Service  string            `json:"service"`
		Priority string            `json:"priority"`
		Evidence incident.Evidence `json:"evidence"`
	}
	if err := json.Unmarshal(ns[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Service != "payments" || ev.Evidence.AlertsTotal != 2 || ev.Evidence.Alerts[0].Summary != a1.Summary {
		t.Fatalf("page payload %s", ns[0].Payload)
	}

	// Resolving some alerts keeps it open; the last one resolves it and says so.
	f.deliver("prometheus", "payments", resolved(a1), resolved(a2))
	if in := f.incident(eu.ID); in.Status != tocsin.IncidentTriggered {
		t.Fatalf("resolved while a3 fires: %s", in.Status)
	}
	f.deliver("prometheus", "payments", resolved(a3), resolved(a4))
	in = f.incident(eu.ID)
	if in.Status != tocsin.IncidentResolved {
		t.Fatalf("status %s", in.Status)
	}
	equal(t, "after resolution", f.sent(eu.ID), []string{"incident.triggered/ops", "incident.triggered/chat",
		"incident.priority_raised/ops", "incident.priority_raised/chat", "incident.resolved/ops", "incident.resolved/chat"})
	// Firing again after resolution opens a new incident.
	f.deliver("prometheus", "payments", a1)
	if n := len(f.incidents()); n != 3 {
		t.Fatalf("re-fired alert: %d incidents", n)
	}
}

func TestResolvedWithinGroupWaitPagesNobody(t *testing.T) {
	f := newFixture(t, payments(time.Minute))
	a := firing("g/01", "queue backlog", "alertname", "Backlog", "cluster", "eu-1")
	f.deliver("am", "payments", a)
	f.clock.Advance(20 * time.Second)
	f.deliver("am", "payments", resolved(a))
	list := f.incidents()
	if len(list) != 1 || list[0].Status != tocsin.IncidentResolved || list[0].Paged {
		t.Fatalf("incident %+v", list[0])
	}
	f.advance(time.Minute)
	if got := f.sent(list[0].ID); len(got) != 0 {
		t.Fatalf("paged for a flap: %v", got)
	}
}

func TestNoGroupByIsOneIncidentPerAlertAndZeroWaitPagesAtOnce(t *testing.T) {
	f := newFixture(t, &Policy{Services: map[string]Service{"web": {Name: "web", Notify: []string{"ops"}}}})
	f.deliver("pd", "web", firing("k1", "disk full", "host", "a"), firing("k2", "disk full", "host", "b"))
	list := f.incidents()
	if len(list) != 2 {
		t.Fatalf("two alerts with the same summary must stay two: %d incidents", len(list))
	}
	for _, in := range list {
		equal(t, "paged at once", f.sent(in.ID), []string{"incident.triggered/ops"})
	}
}

func TestRouting(t *testing.T) {
	p := &Policy{Routes: []Route{
		{Matchers: mustSet(t, `team="db"`), Service: "database", Routes: []Route{
			{Matchers: mustSet(t, `severity="critical"`), Service: "database-critical"},
		}},
		{Matchers: mustSet(t, `cluster=~"eu-.*"`), Routes: []Route{
			{Matchers: mustSet(t, `alertname!~"Watchdog|InfoInhibitor"`), Service: "eu"},
		}},
	}}
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"team": "db"}, "database"},
		{map[string]string{"team": "db", "severity": "critical"}, "database-critical"},
		{map[string]string{"cluster": "eu-2", "alertname": "X"}, "eu"},
		{map[string]string{"cluster": "eu-2", "alertname": "Watchdog"}, "fallback"},
		{map[string]string{"cluster": "us-1"}, "fallback"},
		{nil, "fallback"},
	} {
		if got := p.Route("fallback", tc.labels); got != tc.want {
			t.Errorf("Route(%v) = %s, want %s", tc.labels, got, tc.want)
		}
	}
}

func TestRoutedAlertsOpenIncidentsOfTheirService(t *testing.T) {
	pol := payments(0)
	pol.Services["database"] = Service{Name: "database", Notify: []string{"dba"}}
	pol.Routes = []Route{{Matchers: mustSet(t, `team="db"`), Service: "database"}}
	f := newFixture(t, pol)
	f.deliver("prometheus", "payments", firing("k1", "replication lag", "team", "db"))
	list := f.incidents()
	if len(list) != 1 || list[0].Service != "database" {
		t.Fatalf("incidents %+v", list)
	}
	equal(t, "routed page", f.sent(list[0].ID), []string{"incident.triggered/dba"})
}

func TestInhibitionAttachesSymptomsToTheCause(t *testing.T) {
	pol := payments(0)
	pol.Services["payments"] = Service{Name: "payments", Notify: []string{"ops"}, GroupBy: []string{"alertname", "cluster"}}
	pol.Inhibit = []InhibitRule{{Source: mustSet(t, `alertname="DatabaseDown"`), Target: mustSet(t, `alertname=~"HighErrorRate|HighLatency"`),
		Equal: []string{"cluster"}}}
	f := newFixture(t, pol)
	cause := firing("k/db", "database eu-1 down", "alertname", "DatabaseDown", "cluster", "eu-1", "severity", "critical")
	f.deliver("prometheus", "payments", cause)
	out := f.deliver("prometheus", "payments",
		firing("k/e1", "5xx rate 30%", "alertname", "HighErrorRate", "cluster", "eu-1"),
		firing("k/l1", "p99 4s", "alertname", "HighLatency", "cluster", "eu-1"),
		firing("k/e2", "5xx rate 12% in us-1", "alertname", "HighErrorRate", "cluster", "us-1"))
	if out.Inhibited != 2 || out.New != 3 {
		t.Fatalf("outcome %+v", out)
	}
	list := f.incidents()
	if len(list) != 2 {
		t.Fatalf("want the cause's incident and us-1's, got %d", len(list))
	}
	causeIn := f.incident(list[1].ID)
	if !strings.HasPrefix(causeIn.Title, "[payments] database eu-1 down") {
		t.Fatalf("cause incident %q", causeIn.Title)
	}
	equal(t, "cause paged once", f.sent(causeIn.ID), []string{"incident.triggered/ops"})
	symptom := f.alert("prometheus", "k/e1")
	if symptom.Suppressed != tocsin.SuppressedInhibit || symptom.IncidentID != causeIn.ID {
		t.Fatalf("symptom %+v", symptom)
	}
	attached := 0
	for _, e := range causeIn.Timeline {
		if e.Kind == tocsin.TimelineAlertSuppressed {
			attached++
		}
	}
	if attached != 2 {
		t.Fatalf("timeline %v", timelineKinds(causeIn))
	}
	// The cause resolves while the symptoms still fire: they page now, on their own.
	f.deliver("prometheus", "payments", resolved(cause))
	list = f.incidents()
	if len(list) != 4 {
		t.Fatalf("after the cause resolved: %d incidents", len(list))
	}
	if f.incident(causeIn.ID).Status != tocsin.IncidentResolved {
		t.Fatal("cause incident still open")
	}
	if a := f.alert("prometheus", "k/e1"); a.Suppressed != "" || a.IncidentID == causeIn.ID {
		t.Fatalf("released symptom %+v", a)
	}
}

func TestCauseArrivingDuringGroupWaitTakesTheSymptoms(t *testing.T) {
	pol := payments(30 * time.Second)
	pol.Inhibit = []InhibitRule{{Source: mustSet(t, `alertname="DatabaseDown"`), Target: mustSet(t, `alertname!="DatabaseDown"`),
		Equal: []string{"cluster"}}}
	f := newFixture(t, pol)
	f.deliver("prometheus", "payments", firing("k/e1", "5xx rate 30%", "alertname", "HighErrorRate", "cluster", "eu-1"))
	f.clock.Advance(5 * time.Second)
	f.deliver("prometheus", "payments", firing("k/db", "database down", "alertname", "DatabaseDown", "cluster", "eu-1"))
	f.advance(30 * time.Second)
	list := f.incidents()
	symptomIn, causeIn := f.incident(list[1].ID), f.incident(list[0].ID)
	if symptomIn.Status != tocsin.IncidentResolved || len(f.sent(symptomIn.ID)) != 0 {
		t.Fatalf("symptom incident %s, sent %v", symptomIn.Status, f.sent(symptomIn.ID))
	}
	equal(t, "cause page", f.sent(causeIn.ID), []string{"incident.triggered/ops", "incident.triggered/chat"})
	if a := f.alert("prometheus", "k/e1"); a.IncidentID != causeIn.ID || a.Suppressed != tocsin.SuppressedInhibit {
		t.Fatalf("symptom alert %+v", a)
	}
}

func createSilence(t *testing.T, f *fixture, s *tocsin.Silence) {
	t.Helper()
	if _, err := CompileSilence(s); err != nil {
		t.Fatal(err)
	}
	s.ManagedBy = "api"
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error { return tx.CreateSilence(f.ctx, s) }); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Load(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSilenceRecordsThenReleasesWhenItEnds(t *testing.T) {
	f := newFixture(t, payments(0))
	createSilence(t, f, &tocsin.Silence{Matchers: []string{`cluster="eu-1"`}, StartsAt: t0, EndsAt: t0.Add(time.Hour)})
	out := f.deliver("prometheus", "payments", firing("k1", "disk 95%", "alertname", "DiskFull", "cluster", "eu-1"),
		firing("k2", "disk 95%", "alertname", "DiskFull", "cluster", "us-1"))
	if out.Silenced != 1 {
		t.Fatalf("outcome %+v", out)
	}
	if n := len(f.incidents()); n != 1 {
		t.Fatalf("silenced alert opened an incident: %d incidents", n)
	}
	if a := f.alert("prometheus", "k1"); a.Suppressed != tocsin.SuppressedSilence || a.IncidentID != 0 {
		t.Fatalf("silenced alert %+v", a)
	}
	if next, err := f.p.tick(f.ctx); err != nil || !next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("next wake %v (%v), want the silence's end", next, err)
	}
	f.advance(59 * time.Minute)
	if n := len(f.incidents()); n != 1 {
		t.Fatal("released before the silence ended")
	}
	f.advance(time.Minute)
	list := f.incidents()
	if len(list) != 2 || list[0].Status != tocsin.IncidentTriggered {
		t.Fatalf("after the silence: %+v", list)
	}
	equal(t, "page after silence", f.sent(list[0].ID), []string{"incident.triggered/ops", "incident.triggered/chat"})
}

func TestExpiredSilenceReleasesAtOnce(t *testing.T) {
	f := newFixture(t, payments(0))
	s := &tocsin.Silence{Matchers: []string{`alertname="DiskFull"`}, EndsAt: t0.Add(24 * time.Hour)}
	createSilence(t, f, s)
	f.deliver("prometheus", "payments", firing("k1", "disk 95%", "alertname", "DiskFull"))
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error { _, err := tx.ExpireSilence(f.ctx, s.ID, t0); return err }); err != nil {
		t.Fatal(err)
	}
	f.p.tick(f.ctx)
	if n := len(f.incidents()); n != 1 {
		t.Fatalf("expired silence: %d incidents", n)
	}
}

func TestRecurringSilenceAcrossDST(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s, err := CompileSilence(&tocsin.Silence{ID: 1, Matchers: []string{`a="b"`}, Cron: "30 1 * * SUN", Duration: 2 * time.Hour,
		TZ: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, berlin) }
	// 29 March 2026: clocks go from 02:00 CET to 03:00 CEST. The window
	// opens at 01:30 CET and lasts two real hours: until 04:30 CEST.
	for _, tc := range []struct {
		t      time.Time
		active bool
	}{
		{at(2026, 3, 29, 1, 29), false},
		{at(2026, 3, 29, 1, 30), true},
		{at(2026, 3, 29, 3, 59), true},
		{at(2026, 3, 29, 4, 29), true},
		{at(2026, 3, 29, 4, 30), false},
		{at(2026, 3, 30, 2, 0), false}, // Monday
		// 25 October 2026: 03:00 CEST becomes 02:00 CET; 01:30 CEST + 2h = 02:30 CET.
		{at(2026, 10, 25, 1, 30), true},
		{time.Date(2026, 10, 25, 1, 29, 0, 0, time.UTC), true}, // 02:29 CET, second pass
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), false},
	} {
		if got := s.ActiveAt(tc.t); got != tc.active {
			t.Errorf("active at %v = %v, want %v", tc.t, got, tc.active)
		}
	}
	if end, ok := s.window(at(2026, 3, 29, 2, 0).Add(time.Hour)); !ok || !end.Equal(at(2026, 3, 29, 4, 30)) {
		t.Errorf("window end %v %v", end, ok)
	}
}

func TestCompileSilenceErrors(t *testing.T) {
	for _, tc := range []struct {
		s    tocsin.Silence
		want string
	}{
		{tocsin.Silence{EndsAt: t0}, "matchers: at least one"},
		{tocsin.Silence{Matchers: []string{`a`}, EndsAt: t0}, "matchers[0]"},
		{tocsin.Silence{Matchers: []string{`a="b"`}}, "ends_at: required"},
		{tocsin.Silence{Matchers: []string{`a="b"`}, StartsAt: t0, EndsAt: t0}, "ends_at: must be after"},
		{tocsin.Silence{Matchers: []string{`a="b"`}, Cron: "0 2 * * *"}, "duration"},
		{tocsin.Silence{Matchers: []string{`a="b"`}, Cron: "0 2 * * *", Duration: time.Hour, TZ: "Mars/Olympus"}, "cron: unknown time zone"},
		{tocsin.Silence{Matchers: []string{`a="b"`}, Cron: "61 2 * * *", Duration: time.Hour}, "cron:"},
		{tocsin.Silence{Matchers: []string{`a="b"`}, EndsAt: t0, Duration: time.Hour}, "only for a recurring"},
		{tocsin.Silence{Matchers: []string{`team=~".*"`}, EndsAt: t0}, "would match every alert"},
		{tocsin.Silence{Matchers: []string{`team!="x"`}, EndsAt: t0}, "would match every alert"},
	} {
		_, err := CompileSilence(&tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) || tocsin.ErrorCode(err) != tocsin.EInvalid {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestPagerDutyAcknowledge(t *testing.T) {
	f := newFixture(t, payments(0))
	a := firing("dedup-1", "checkout failing", "alertname", "Checkout")
	f.deliver("pd-compat", "payments", a)
	ack := a
	ack.Status = tocsin.AlertAcknowledged
	f.deliver("pd-compat", "payments", ack)
	in := f.incidents()[0]
	if in.Status != tocsin.IncidentAcknowledged || in.AckedBy != "integration pd-compat" {
		t.Fatalf("incident %+v", in)
	}
	// Acknowledging an unknown key is accepted and changes nothing.
	ack.Key = "unknown"
	f.deliver("pd-compat", "payments", ack)
	if n := len(f.incidents()); n != 1 {
		t.Fatalf("%d incidents", n)
	}
}

// TestRunPagesWhenGroupWaitEnds: the timed job, told through the bus of
// the new group, pages it once group_wait is over.
func TestRunPagesWhenGroupWaitEnds(t *testing.T) {
	f := newFixture(t, payments(30*time.Second))
	f.p.Bus = &job.Bus{}
	f.p.Bus.Subscribe(job.Paging, f.p.Wake())
	ctx, cancel := context.WithCancel(context.Background())
	done, timed := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); f.p.Run(ctx) }()
	runner := &job.Runner{Clock: f.clock, Log: testkit.Logger()}
	go func() { defer close(timed); runner.Run(ctx, f.p.TimedJob()) }()
	defer func() { cancel(); <-done; <-timed }()
	if _, err := f.p.Ingest(ctx, Delivery{Integration: "am", Service: "payments",
		Alerts: []tocsin.Alert{firing("k1", "x", "alertname", "X")}}); err != nil {
		t.Fatal(err)
	}
	id := f.incidents()[0].ID
	// The job waits on a timer for the page; advance once it does.
	testkit.Eventually(t, "Run waiting for the page", func() bool { return f.clock.Waiters() > 0 })
	f.clock.Advance(30 * time.Second)
	testkit.Eventually(t, "a page after group_wait", func() bool { return len(f.sent(id)) > 0 })
	equal(t, "page", f.sent(id), []string{"incident.triggered/ops", "incident.triggered/chat"})
}

// TestCriticalInhibitsWarningInOneGroup is Alertmanager's classic rule: a
// critical alert holds the warning of the same alertname. When the
// critical one resolves while the warning fires, the incident stays open
// (the warning rejoins it); nobody gets a resolve and a new page.
func TestCriticalInhibitsWarningInOneGroup(t *testing.T) {
	pol := payments(0)
	pol.Inhibit = []InhibitRule{{Source: mustSet(t, `severity="critical"`), Target: mustSet(t, `severity="warning"`),
		Equal: []string{"alertname", "cluster"}}}
	f := newFixture(t, pol)
	crit := firing("k/crit", "disk 99%", "alertname", "DiskFull", "cluster", "eu-1", "severity", "critical")
	warn := firing("k/warn", "disk 90%", "alertname", "DiskFull", "cluster", "eu-1", "severity", "warning")
	f.deliver("am", "payments", crit, warn)
	list := f.incidents()
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	id := list[0].ID
	f.deliver("am", "payments", resolved(crit))
	if in := f.incident(id); in.Status != tocsin.IncidentTriggered {
		t.Fatalf("incident %s after the critical alert resolved while the warning fires", in.Status)
	}
	if n := len(f.incidents()); n != 1 {
		t.Fatalf("%d incidents: the warning opened a new one", n)
	}
	equal(t, "no resolve, no second page", f.sent(id), []string{"incident.triggered/ops", "incident.triggered/chat"})
	f.deliver("am", "payments", resolved(warn))
	equal(t, "resolved once", f.sent(id), []string{"incident.triggered/ops", "incident.triggered/chat",
		"incident.resolved/ops", "incident.resolved/chat"})
}

// TestRepeatAfterManualResolvePagesAgain: a person resolved the incident
// but the alert still fires; its next delivery opens a new incident.
func TestRepeatAfterManualResolvePagesAgain(t *testing.T) {
	f := newFixture(t, payments(0))
	a := firing("k1", "queue stuck", "alertname", "QueueStuck", "cluster", "eu-1")
	f.deliver("am", "payments", a)
	first := f.incidents()[0].ID
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error {
		_, err := incident.Resolve(f.ctx, tx, incident.Env{}, first, "api:ana", f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.deliver("am", "payments", a)
	list := f.incidents()
	if len(list) != 2 || list[0].Status != tocsin.IncidentTriggered {
		t.Fatalf("incidents after the repeat: %+v", list)
	}
	equal(t, "paged again", f.sent(list[0].ID), []string{"incident.triggered/ops", "incident.triggered/chat"})
	if got := f.alert("am", "k1"); got.IncidentID != list[0].ID {
		t.Fatalf("alert still on the resolved incident: %+v", got)
	}
}

// TestSeverityRiseOnRepeat: the same dedup key sent again as critical
// raises its incident's priority.
func TestSeverityRiseOnRepeat(t *testing.T) {
	f := newFixture(t, payments(0))
	a := firing("dedup", "checkout slow", "alertname", "Checkout")
	f.deliver("pd", "payments", a)
	a.Severity = "critical"
	f.deliver("pd", "payments", a)
	if in := f.incidents()[0]; in.Priority != tocsin.P1 {
		t.Fatalf("priority %s", in.Priority)
	}
}

// TestInhibitionChainDoesNotDependOnOrder: A inhibits B, B inhibits C. When
// B turns out to be inhibited itself, C is released: an inhibited alert
// inhibits nothing, whatever order they came in.
func TestInhibitionChainDoesNotDependOnOrder(t *testing.T) {
	pol := payments(30 * time.Second)
	pol.Inhibit = []InhibitRule{
		{Source: mustSet(t, `alertname="A"`), Target: mustSet(t, `alertname="B"`)},
		{Source: mustSet(t, `alertname="B"`), Target: mustSet(t, `alertname="C"`)},
	}
	f := newFixture(t, pol)
	f.deliver("am", "payments", firing("c", "C", "alertname", "C"))
	f.deliver("am", "payments", firing("b", "B", "alertname", "B"))
	f.deliver("am", "payments", firing("a", "A", "alertname", "A"))
	f.advance(30 * time.Second)
	if c := f.alert("am", "c"); c.Suppressed != "" {
		t.Fatalf("C still held: %+v", c)
	}
	if b := f.alert("am", "b"); b.Suppressed != tocsin.SuppressedInhibit {
		t.Fatalf("B not inhibited: %+v", b)
	}
	f.advance(30 * time.Second) // C, released, waits out its group's group_wait
	paged := map[string]bool{}
	for _, in := range f.incidents() {
		if len(f.sent(in.ID)) > 0 {
			paged[in.Title] = true
		}
	}
	if !paged["[payments] A"] || !paged["[payments] C"] || paged["[payments] B"] || len(paged) != 2 {
		t.Fatalf("paged %v, want A and C", paged)
	}
}

// TestPolicyChangeReleasesInhibited: removing a rule releases its targets.
func TestPolicyChangeReleasesInhibited(t *testing.T) {
	pol := payments(0)
	pol.Inhibit = []InhibitRule{{Source: mustSet(t, `alertname="DatabaseDown"`), Target: mustSet(t, `alertname="HighErrorRate"`)}}
	f := newFixture(t, pol)
	f.deliver("am", "payments", firing("db", "db down", "alertname", "DatabaseDown"),
		firing("err", "errors", "alertname", "HighErrorRate"))
	if n := len(f.incidents()); n != 1 {
		t.Fatalf("%d incidents", n)
	}
	next := payments(0)
	f.policy = next
	f.p.PolicyChanged()
	f.p.tick(f.ctx)
	if n := len(f.incidents()); n != 2 {
		t.Fatalf("%d incidents after the rule was removed", n)
	}
	if a := f.alert("am", "err"); a.Suppressed != "" {
		t.Fatalf("still inhibited: %+v", a)
	}
}

// BenchmarkDeliveryWithInhibitRules measures a delivery of 100 new alerts
// that an inhibition rule's target matches, with 2,000 alerts firing: the
// firing alerts are read once per transaction, not once per alert.
func BenchmarkDeliveryWithInhibitRules(b *testing.B) {
	pol := payments(30 * time.Second)
	pol.Inhibit = []InhibitRule{{Source: labels.Set{must(labels.Parse(`alertname="DatabaseDown"`))},
		Target: labels.Set{must(labels.Parse(`alertname=~"App.*"`))}, Equal: []string{"cluster"}}}
	f := newFixture(&testing.T{}, pol)
	b.Cleanup(func() { f.db.Close() })
	batch := func(prefix string, n int) []tocsin.Alert {
		out := make([]tocsin.Alert, n)
		for i := range out {
			out[i] = firing(prefix+itoa(int64(i)), "app error", "alertname", "App"+itoa(int64(i%50)), "cluster", "c"+itoa(int64(i%40)))
		}
		return out
	}
	for i := range 20 {
		f.deliver("am", "payments", batch("seed"+itoa(int64(i))+"-", 100)...)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f.deliver("am", "payments", batch("run"+itoa(int64(i))+"-", 100)...)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "alerts/s")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOneDeliveryNeverLowersPriority: within one delivery, a repeat that
// raises the incident to P1 followed by a new error alert must leave P1.
func TestOneDeliveryNeverLowersPriority(t *testing.T) {
	f := newFixture(t, payments(time.Minute))
	a1 := firing("k1", "api-1 slow", "alertname", "Slow", "cluster", "eu-1")
	f.deliver("am", "payments", a1)
	crit := a1
	crit.Severity = "critical"
	f.deliver("am", "payments",
		firing("k2", "api-2 slow", "alertname", "Slow", "cluster", "eu-1"),
		crit,
		firing("k3", "api-3 slow", "alertname", "Slow", "cluster", "eu-1", "severity", "error"))
	in := f.incidents()[0]
	if in.Priority != tocsin.P1 {
		t.Fatalf("priority %s, want P1", in.Priority)
	}
	if in.PageAt.IsZero() || in.Paged {
		t.Fatalf("paging fields changed: %+v", in)
	}
}

// TestEscalationNobodyReachableAndExhaustion: a level whose schedule has
// a hole and whose user is a bot reaches nobody, so the team's fallback is
// paged at once with a loud timeline entry; after the last round the
// escalation stops and says so.
func TestEscalationNobodyReachableAndExhaustion(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	nights := &oncall.Schedule{Name: "nights", Loc: berlin, Layers: []oncall.Rotation{{Participants: []string{"ana"},
		Start: oncall.Date{Year: 2026, Month: 1, Day: 1}, Length: 1, Unit: oncall.Days,
		Restrictions: []oncall.Restriction{{From: oncall.HM(22, 0), To: oncall.HM(6, 0), Loc: berlin}}}}}
	pol := payments(0)
	pol.Services["payments"] = Service{Name: "payments", EscalationPolicy: "default", Team: "core"}
	pol.Directory = &escalation.Directory{
		Users: map[string]escalation.User{
			"ana":     {Name: "ana", Contacts: []escalation.Contact{{Type: "webhook", To: "ana-hook"}}},
			"ci-bot":  {Name: "ci-bot", Bot: true, Contacts: []escalation.Contact{{Type: "webhook", To: "bot-hook"}}},
			"retired": {Name: "retired", Disabled: true},
		},
		Schedules: map[string]*oncall.Schedule{"nights": nights},
		Policies: map[string]escalation.Policy{"default": {Name: "default", Repeat: 1, Levels: []escalation.Level{
			{Targets: []string{"schedule:nights", "user:ci-bot"}, Timeout: 5 * time.Minute},
			{Targets: []string{"user:retired"}, Timeout: 5 * time.Minute},
		}}},
		Teams:    map[string]escalation.Team{"core": {Name: "core", Fallback: []string{"core-pager"}}},
		Fallback: []string{"operator"},
	}
	f := newFixture(t, pol) // t0 is 10:00 UTC, 11:00 in Berlin: the nights schedule has nobody
	f.deliver("am", "payments", firing("k1", "checkout down", "alertname", "CheckoutDown", "severity", "critical"))
	in := f.incident(f.incidents()[0].ID)
	equal(t, "fallback paged at once", f.sent(in.ID), []string{"incident.triggered/core-pager"})
	loud := ""
	for _, e := range in.Timeline {
		if e.Kind == tocsin.TimelineNobodyReachable {
			loud = e.Message
		}
	}
	for _, want := range []string{"NOBODY REACHABLE", "schedule nights: nobody on call now", "ci-bot: a bot account", "team core"} {
		if !strings.Contains(loud, want) {
			t.Fatalf("timeline entry %q lacks %q", loud, want)
		}
	}
	// Level 2 (a disabled user), round 2 level 1, round 2 level 2, then the
	// policy is exhausted: the fallback is paged, and again every 15m.
	for range 4 {
		f.advance(5 * time.Minute)
	}
	in = f.incident(in.ID)
	if in.EscalationStep != 5 || !in.EscalateAt.Equal(f.clock.Now().Add(escalation.DefaultFallbackEvery)) {
		t.Fatalf("exhausted escalation: step %d, next %v", in.EscalationStep, in.EscalateAt)
	}
	// Every step that reached nobody paged the fallback again, and so did
	// the exhaustion.
	pages := []string{"incident.triggered/core-pager", "incident.triggered/core-pager", "incident.triggered/core-pager",
		"incident.triggered/core-pager", "incident.triggered/core-pager"}
	equal(t, "a fallback page per step", f.sent(in.ID), pages)
	exhausted := ""
	for _, e := range in.Timeline {
		if e.Kind == tocsin.TimelineExhausted {
			exhausted = e.Message
		}
	}
	for _, want := range []string{"ESCALATION EXHAUSTED", "ran 2 time(s) through its 2 level(s)", "fallback of team core: core-pager",
		"again every 15m"} {
		if !strings.Contains(exhausted, want) {
			t.Fatalf("exhausted entry %q lacks %q", exhausted, want)
		}
	}
	f.advance(escalation.DefaultFallbackEvery)
	pages = append(pages, "incident.triggered/core-pager")
	equal(t, "the fallback paged again", f.sent(in.ID), pages)
	// Acknowledged: the fallback that was paged hears it, once, and the
	// pages stop.
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error {
		_, err := incident.Acknowledge(f.ctx, tx, incident.Env{HasChannel: func(string) bool { return true }}, in.ID, "api:ana", f.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Hour)
	equal(t, "acknowledged", f.sent(in.ID), append(pages, "incident.acknowledged/core-pager"))
}

// TestEscalateByHandDuringGroupWait: paging by hand ends the wait; the end
// of group_wait then pages nobody a second time.
func TestEscalateByHandDuringGroupWait(t *testing.T) {
	pol := payments(time.Minute)
	pol.Services["payments"] = Service{Name: "payments", EscalationPolicy: "default", GroupWait: time.Minute}
	pol.Directory = &escalation.Directory{
		Users: map[string]escalation.User{"ana": {Name: "ana", Contacts: []escalation.Contact{{Type: "webhook", To: "h"}}},
			"bo": {Name: "bo", Contacts: []escalation.Contact{{Type: "webhook", To: "h"}}}},
		Policies: map[string]escalation.Policy{"default": {Name: "default", Levels: []escalation.Level{
			{Targets: []string{"user:ana"}, Timeout: 5 * time.Minute}, {Targets: []string{"user:bo"}, Timeout: 5 * time.Minute}}}},
	}
	f := newFixture(t, pol)
	f.deliver("am", "payments", firing("k1", "x", "alertname", "X"))
	id := f.incidents()[0].ID
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(f.ctx, id)
		if err != nil {
			return err
		}
		return escalation.Escalate(f.ctx, tx, incident.Env{}, pol.Directory, in, "api:cy", f.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	in := f.incident(id)
	if !in.Paged || !in.PageAt.IsZero() || in.EscalationStep != 1 {
		t.Fatalf("after group_wait: paged %v, page at %v, step %d", in.Paged, in.PageAt, in.EscalationStep)
	}
}

// The entry that opens an alert's incident names the alert by its id, as
// the later entries do: the reports and the postmortem count it by that.
func TestOpeningEntryNamesTheAlert(t *testing.T) {
	f := newFixture(t, &Policy{Services: map[string]Service{"web": {Name: "web", Notify: []string{"ops"}}}})
	f.deliver("pd", "web", firing("k1", "disk full", "host", "a"))
	a := f.alert("pd", "k1")
	entries := f.incident(a.IncidentID).Timeline
	if len(entries) == 0 || entries[0].Kind != tocsin.TimelineOpened {
		t.Fatalf("first entry: %+v", entries)
	}
	var data struct {
		AlertID int64 `json:"alert_id"`
	}
	if err := json.Unmarshal(entries[0].Data, &data); err != nil || data.AlertID != a.ID || a.ID == 0 {
		t.Errorf("opening entry names alert %d (%v), want %d: %s", data.AlertID, err, a.ID, entries[0].Data)
	}
}

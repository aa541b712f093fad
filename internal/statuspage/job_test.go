package statuspage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

type staticConfig struct{ cfg *config.Config }

func (s staticConfig) Config() *config.Config { return s.cfg }

// fixture is a store with checks, a page bound to them, and the Service.
type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	clk *clock.Fake
	cfg *config.Config
	svc *Service
	// Public component ids.
	api, payments, regions, eu, us string
	silencesChanged                int
}

// backends runs fn on SQLite, then on PostgreSQL when it is available.
func backends(t *testing.T, fn func(t *testing.T, dsn func(t *testing.T) string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func(t *testing.T) string { return t.TempDir() + "/t.db" }) })
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		fn(t, func(t *testing.T) string { return srv.NewDatabase(t) })
	})
}

func newFixture(t *testing.T, dsn string, publish string) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(t0)
	db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	defs := []store.CheckDef{
		{Name: "web", Slug: "web", Spec: tocsin.ScheduleSpec{Every: time.Minute}, Grace: time.Minute, AutoResolve: true,
			Notify: []string{"ops"}},
		{Name: "eu-probe", Slug: "eu-probe", Probe: `{"http":{"url":"http://127.0.0.1:1/"}}`, Interval: time.Minute,
			FailuresBeforeDown: 1, SuccessesBeforeUp: 1, AutoResolve: true},
		{Name: "us-probe", Slug: "us-probe", Probe: `{"http":{"url":"http://127.0.0.1:1/"}}`, Interval: time.Minute,
			FailuresBeforeDown: 1, SuccessesBeforeUp: 1, AutoResolve: true},
	}
	if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.SyncChecks(ctx, defs); return err }); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{PublicURL: "https://tocsin.example.com/", StatusPages: []config.StatusPage{{Slug: "public",
		Title: "Example status", TimeZone: "Europe/Berlin", Publish: publish, Components: []config.StatusComponent{
			{Name: "API", Checks: []string{"web"}},
			{Name: "Payments", Services: []string{"payments"}},
			{Group: "Regions", Components: []config.StatusComponent{
				{Name: "EU", Checks: []string{"eu-probe"}}, {Name: "US", Checks: []string{"us-probe"}}}},
		}}}}
	f := &fixture{t: t, ctx: ctx, db: db, clk: clk, cfg: cfg}
	f.svc = &Service{DB: db, Clock: clk, Configs: staticConfig{cfg}, Log: testkit.Logger(),
		SilencesChanged: func(context.Context) error { f.silencesChanged++; return nil }}
	f.svc.Env = f.env
	ls := lines(&cfg.StatusPages[0])
	f.api, f.payments, f.regions, f.eu, f.us = ls[0].id, ls[1].id, ls[2].id, ls[3].id, ls[4].id
	return f
}

func (f *fixture) env() incident.Env {
	return incident.Env{PublicURL: "https://tocsin.example.com", HasChannel: func(string) bool { return true },
		Muted: f.svc.CheckMuted}
}

func (f *fixture) check(tx *store.Tx, name string) *tocsin.Check {
	cs, err := tx.ChecksByNames(f.ctx, []string{name})
	if err != nil || cs[name] == nil {
		f.t.Fatalf("check %s: %v", name, err)
	}
	return cs[name]
}

// down turns a check down the way the engine does: its state, then its
// incident.
func (f *fixture) down(name string) {
	f.t.Helper()
	f.write(func(tx *store.Tx) error {
		c := f.check(tx, name)
		c.Status = tocsin.StateDown
		if err := tx.SaveCheckState(f.ctx, c); err != nil {
			return err
		}
		_, err := incident.CheckDown(f.ctx, tx, f.env(), c, f.clk.Now(), "no ping", nil)
		return err
	})
}

// up brings a check back; its incident resolves.
func (f *fixture) up(name string) {
	f.t.Helper()
	f.write(func(tx *store.Tx) error {
		c := f.check(tx, name)
		c.Status, c.LastPingAt = tocsin.StateUp, f.clk.Now()
		if err := tx.SaveCheckState(f.ctx, c); err != nil {
			return err
		}
		return incident.RecoverCheck(f.ctx, tx, f.env(), c, f.clk.Now(), "ping", nil)
	})
}

func (f *fixture) write(fn func(tx *store.Tx) error) {
	f.t.Helper()
	if err := f.db.Write(f.ctx, fn); err != nil {
		f.t.Fatal(err)
	}
}

// run runs the job once at the clock's time and returns when it is next due.
func (f *fixture) run() time.Time {
	f.t.Helper()
	next, err := f.svc.Run(f.ctx, f.clk.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return next
}

func (f *fixture) statuses() map[string]ComponentStatus {
	f.t.Helper()
	list, err := f.db.StatusComponents(f.ctx, "public")
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]ComponentStatus{}
	for _, c := range list {
		out[c.Component] = ComponentStatus(c.Status)
	}
	return out
}

func (f *fixture) wantStatuses(want map[string]ComponentStatus) {
	f.t.Helper()
	got := f.statuses()
	for id, st := range want {
		if got[id] != st {
			f.t.Errorf("component %s recorded %s, want %s (all: %v)", id, got[id], st, got)
		}
	}
}

// incidents lists the page's public incidents, newest first.
func (f *fixture) incidents() []store.StatusIncident {
	f.t.Helper()
	list, err := f.db.StatusIncidents(f.ctx, "public", store.StatusKindIncident, time.Time{}, 50)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *fixture) updates(id int64) []store.StatusUpdate {
	f.t.Helper()
	ups, err := f.db.StatusUpdates(f.ctx, []int64{id})
	if err != nil {
		f.t.Fatal(err)
	}
	return ups[id]
}

func (f *fixture) links(id int64) []int64 {
	f.t.Helper()
	var out []int64
	f.write(func(tx *store.Tx) (err error) {
		out, err = tx.StatusIncidentLinks(f.ctx, id)
		return err
	})
	return out
}

// openIncident is the open internal incident of a check.
func (f *fixture) openIncident(name string) *tocsin.Incident {
	f.t.Helper()
	var in *tocsin.Incident
	f.write(func(tx *store.Tx) (err error) {
		in, err = tx.OpenIncidentForCheck(f.ctx, f.check(tx, name).ID)
		return err
	})
	if in == nil {
		f.t.Fatalf("%s has no open incident", name)
	}
	return in
}

// timeline returns the entries of kind on an internal incident.
func (f *fixture) timeline(id int64, kind string) []tocsin.TimelineEntry {
	f.t.Helper()
	in, err := f.db.Incident(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return slices.DeleteFunc(in.Timeline, func(e tocsin.TimelineEntry) bool { return e.Kind != kind })
}

func TestAutoIncidentFollowsComponents(t *testing.T) {
	backends(t, func(t *testing.T, dsn func(t *testing.T) string) {
		f := newFixture(t, dsn(t), config.PublishAuto)
		if next := f.run(); !next.Equal(t0.Add(Every)) {
			t.Fatalf("next run %s, want in %s", next, Every)
		}
		f.wantStatuses(map[string]ComponentStatus{f.api: Operational, f.payments: Operational, f.regions: Operational,
			f.eu: Operational, f.us: Operational})
		if len(f.incidents()) != 0 {
			t.Fatal("an incident while every component is operational")
		}

		// The API's check goes down: a major outage, told at once.
		f.clk.Advance(time.Minute)
		f.down("web")
		f.run()
		f.wantStatuses(map[string]ComponentStatus{f.api: MajorOutage, f.regions: Operational})
		list := f.incidents()
		if len(list) != 1 {
			t.Fatalf("incidents: %+v", list)
		}
		si := list[0]
		if !si.Auto || si.Name != "Outage of API" || si.Status != "investigating" || si.Impact != "critical" ||
			!slices.Equal(si.Components, []string{f.api}) || !si.PublishedAt.Equal(f.clk.Now()) {
			t.Fatalf("auto incident: %+v", si)
		}
		ups := f.updates(si.ID)
		if len(ups) != 1 || ups[0].Body != "We are investigating an outage of API." || ups[0].Author != Author ||
			!slices.Equal(ups[0].AffectedComponents, []string{f.api}) {
			t.Fatalf("first update: %+v", ups)
		}
		web := f.openIncident("web")
		if n, err := f.db.Notifications(f.ctx, web.ID); err != nil || len(n) == 0 {
			t.Fatalf("the web incident paged nobody: %v, %v", n, err)
		}
		if got := f.links(si.ID); !slices.Equal(got, []int64{web.ID}) {
			t.Fatalf("links %v, want the web incident %d", got, web.ID)
		}
		if tl := f.timeline(web.ID, TimelineKind); len(tl) != 1 || !strings.Contains(tl[0].Message, "Outage of API") {
			t.Fatalf("timeline of the internal incident: %+v", tl)
		}
		f.run() // nothing new: nothing written
		if ups := f.updates(si.ID); len(ups) != 1 {
			t.Fatalf("a second run without change posted: %+v", ups)
		}

		// EU goes down and the payments service opens an incident: they
		// join the incident, which links their internal incidents.
		f.clk.Advance(time.Minute)
		f.down("eu-probe")
		var pay *tocsin.Incident
		f.write(func(tx *store.Tx) error {
			pay = &tocsin.Incident{Title: "checkout errors", Status: tocsin.IncidentTriggered, OpenedAt: f.clk.Now(),
				Service: "payments", GroupKey: "g1"}
			return tx.CreateIncident(f.ctx, pay)
		})
		f.run()
		f.wantStatuses(map[string]ComponentStatus{f.api: MajorOutage, f.payments: MajorOutage, f.eu: MajorOutage,
			f.us: Operational, f.regions: MajorOutage})
		si = f.incidents()[0]
		if si.Name != "Outage of API, Payments and EU" || !slices.Equal(si.Components, []string{f.api, f.payments, f.eu}) {
			t.Fatalf("after joining: %+v", si)
		}
		ups = f.updates(si.ID)
		if len(ups) != 2 || ups[1].Body != "Payments and EU are now affected too." || ups[1].Status != "investigating" ||
			!slices.Equal(ups[1].AffectedComponents, []string{f.payments, f.eu}) {
			t.Fatalf("join update: %+v", ups)
		}
		eu := f.openIncident("eu-probe")
		if got := f.links(si.ID); !slices.Equal(got, []int64{web.ID, eu.ID, pay.ID}) {
			t.Fatalf("links %v, want %d, %d, %d", got, web.ID, eu.ID, pay.ID)
		}
		// Linked late, the payments incident hears what the public was
		// told so far (the opening update), then the join.
		if tl := f.timeline(pay.ID, TimelineKind); len(tl) != 2 || !strings.Contains(tl[0].Message, "We are investigating") ||
			!strings.Contains(tl[1].Message, "are now affected too") {
			t.Fatalf("timeline of the payments incident: %+v", tl)
		}

		// Everything recovers: resolved, on every linked timeline.
		f.clk.Advance(time.Minute)
		f.up("web")
		f.up("eu-probe")
		f.write(func(tx *store.Tx) error {
			_, err := incident.Resolve(f.ctx, tx, f.env(), pay.ID, "ann", f.clk.Now())
			return err
		})
		f.run()
		f.wantStatuses(map[string]ComponentStatus{f.api: Operational, f.payments: Operational, f.eu: Operational,
			f.regions: Operational})
		si = f.incidents()[0]
		if si.Status != "resolved" || !si.ResolvedAt.Equal(f.clk.Now()) {
			t.Fatalf("after recovery: %+v", si)
		}
		if ups := f.updates(si.ID); len(ups) != 3 || ups[2].Status != "resolved" || ups[2].Body != bodyResolved {
			t.Fatalf("updates: %+v", ups)
		}
		for _, id := range []int64{web.ID, eu.ID, pay.ID} {
			if tl := f.timeline(id, TimelineKind); len(tl) == 0 || !strings.Contains(tl[len(tl)-1].Message, "is resolved") {
				t.Fatalf("timeline of %d: %+v", id, tl)
			}
		}

		// The View shows it, in Statuspage's order, and has a version
		// that only moves with what it shows.
		v, ver, err := f.svc.View(f.ctx, "public")
		if err != nil {
			t.Fatal(err)
		}
		if v.Page.URL != "https://tocsin.example.com/status/public" || v.Page.Location.String() != "Europe/Berlin" ||
			len(v.Components) != 5 || v.Components[2].Name != "Regions" || !v.Components[2].Group ||
			v.Components[3].GroupID != f.regions || len(v.Incidents) != 1 || v.Incidents[0].Updates[0].Status != Resolved ||
			!v.Page.UpdatedAt.Equal(f.clk.Now()) {
			t.Fatalf("view: %+v", v)
		}
		for _, c := range v.Components {
			if c.Status != Operational || !c.Group && len(c.Uptime) != barDays {
				t.Fatalf("component %+v", c)
			}
		}
		f.clk.Advance(2 * time.Second)
		if _, again, _ := f.svc.View(f.ctx, "public"); again != ver {
			t.Fatalf("version moved without a change: %d, %d", ver, again)
		}
		f.down("web")
		f.run()
		if v2, moved, _ := f.svc.View(f.ctx, "public"); moved == ver || v2.Components[0].Status != MajorOutage {
			t.Fatalf("version %d after a change, was %d; API %s", moved, ver, v2.Components[0].Status)
		}
	})
}

func TestTakenOverIsLeftToTheResponder(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	f.down("web")
	f.run()
	si := f.incidents()[0]
	si.TakenOver, si.Name = true, "Checkout is failing"
	f.write(func(tx *store.Tx) error { return tx.SaveStatusIncident(f.ctx, &si) })
	f.clk.Advance(time.Minute)
	f.down("us-probe")
	f.run()
	si = f.incidents()[0]
	if si.Name != "Checkout is failing" || !slices.Equal(si.Components, []string{f.api, f.us}) {
		t.Fatalf("a taken-over incident: %+v", si)
	}
	f.clk.Advance(time.Minute)
	f.up("web")
	f.up("us-probe")
	f.run()
	f.wantStatuses(map[string]ComponentStatus{f.api: Operational, f.us: Operational})
	if si := f.incidents()[0]; si.Status == "resolved" || !si.ResolvedAt.IsZero() || len(f.incidents()) != 1 {
		t.Fatalf("Tocsin resolved a taken-over incident: %+v", si)
	}
}

// A responder who resolves the automatic incident while its components
// are still down has the last word until one of them changes again.
func TestResolvedByResponderStaysResolved(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	f.down("web")
	f.run()
	si := f.incidents()[0]
	f.clk.Advance(time.Minute)
	si.TakenOver, si.Status, si.ResolvedAt = true, "resolved", f.clk.Now()
	f.write(func(tx *store.Tx) error { return tx.SaveStatusIncident(f.ctx, &si) })
	f.clk.Advance(time.Minute)
	f.run()
	if list := f.incidents(); len(list) != 1 {
		t.Fatalf("reopened behind the responder: %+v", list)
	}
	f.clk.Advance(time.Minute)
	f.up("web")
	f.run()
	f.clk.Advance(time.Minute)
	f.down("web")
	f.run()
	if list := f.incidents(); len(list) != 2 || list[0].Status != "investigating" || list[0].Name != "Outage of API" {
		t.Fatalf("after a new outage: %+v", list)
	}
}

func TestDraftIncidents(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishDraft)
	f.down("web")
	f.run()
	si := f.incidents()[0]
	if si.Published() || !si.Auto {
		t.Fatalf("draft page: %+v", si)
	}
	web := f.openIncident("web")
	if tl := f.timeline(web.ID, TimelineKind); len(tl) != 0 {
		t.Fatalf("a draft told the internal incident: %+v", tl)
	}
	if v, _, err := f.svc.View(f.ctx, "public"); err != nil || len(v.Incidents) != 0 || v.Components[0].Status != MajorOutage {
		t.Fatalf("view of a draft: %+v, %v", v, err)
	}
	f.clk.Advance(time.Minute)
	f.up("web")
	f.run()
	si = f.incidents()[0]
	if si.Status != "resolved" || si.Published() {
		t.Fatalf("draft after recovery: %+v", si)
	}
	if tl := f.timeline(web.ID, TimelineKind); len(tl) != 0 {
		t.Fatalf("a draft resolved out loud: %+v", tl)
	}
}

func TestMaintenanceWindow(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	from, until := t0.Add(time.Hour), t0.Add(2*time.Hour)
	m := &store.StatusIncident{Page: "public", Kind: store.StatusKindMaintenance, Name: "Database upgrade",
		Status: string(Scheduled), Impact: "minor", Components: []string{f.api, f.payments}, PublishedAt: t0, CreatedAt: t0,
		CreatedBy: "ann", UpdatedAt: t0, ScheduledFor: from, ScheduledUntil: until}
	f.write(func(tx *store.Tx) error { return tx.CreateStatusIncident(f.ctx, m) })
	maintenance := func() store.StatusIncident {
		var out store.StatusIncident
		f.write(func(tx *store.Tx) (err error) {
			out, err = tx.StatusIncident(f.ctx, "public", m.ID)
			return err
		})
		return out
	}
	silences := func() []*tocsin.Silence {
		list, err := f.db.LiveSilences(f.ctx, f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	muted := func() string {
		var why string
		f.write(func(tx *store.Tx) (err error) {
			why, err = f.svc.CheckMuted(f.ctx, tx, f.check(tx, "web"), f.clk.Now())
			return err
		})
		return why
	}

	f.run()
	if got := maintenance(); got.Status != string(Scheduled) || len(silences()) != 0 || muted() != "" {
		t.Fatalf("before the window: %+v, silences %v, muted %q", got, silences(), muted())
	}
	f.clk.Set(from.Add(-time.Second))
	if next := f.run(); !next.Equal(from) {
		t.Fatalf("next run %s, want the window's start %s", next, from)
	}

	// The window opens.
	f.clk.Set(from)
	if next := f.run(); !next.Equal(from.Add(Every)) {
		t.Fatalf("next run %s", next)
	}
	if got := maintenance(); got.Status != string(InProgress) {
		t.Fatalf("in the window: %+v", got)
	}
	if ups := f.updates(m.ID); len(ups) != 1 || ups[0].Body != bodyInProgress {
		t.Fatalf("updates: %+v", ups)
	}
	sl := silences()
	if len(sl) != 1 || !slices.Equal(sl[0].Matchers, []string{`tocsin_service="payments"`}) || !sl[0].EndsAt.Equal(until) ||
		sl[0].ManagedBy != SilenceManager || f.silencesChanged != 1 {
		t.Fatalf("silences %+v (told %d times)", sl, f.silencesChanged)
	}
	if why := muted(); !strings.Contains(why, "Database upgrade") {
		t.Fatalf("muted: %q", why)
	}
	f.wantStatuses(map[string]ComponentStatus{f.api: UnderMaintenance, f.payments: UnderMaintenance, f.eu: Operational})

	// The API's check goes down inside: nobody paged, no public incident.
	f.clk.Advance(time.Minute)
	f.down("web")
	f.run()
	web := f.openIncident("web")
	if tl := f.timeline(web.ID, incident.TimelineMuted); len(tl) != 1 {
		t.Fatalf("incident opened in maintenance: %+v", web)
	}
	if n, err := f.db.Notifications(f.ctx, web.ID); err != nil || len(n) != 0 {
		t.Fatalf("notifications of a muted incident: %v, %v", n, err)
	}
	if len(f.incidents()) != 0 {
		t.Fatalf("a public incident during maintenance: %+v", f.incidents())
	}
	f.wantStatuses(map[string]ComponentStatus{f.api: UnderMaintenance})
	if n := len(silences()); n != 1 || f.silencesChanged != 1 {
		t.Fatalf("a second silence: %d (told %d times)", n, f.silencesChanged)
	}

	// The window closes: completed, the silence ended, and the API's
	// outage is news now.
	f.clk.Set(until.Add(-time.Second))
	if next := f.run(); !next.Equal(until) {
		t.Fatalf("next run %s, want the window's end %s", next, until)
	}
	f.clk.Set(until)
	f.run()
	if got := maintenance(); got.Status != string(Completed) || !got.ResolvedAt.Equal(until) {
		t.Fatalf("after the window: %+v", got)
	}
	if ups := f.updates(m.ID); len(ups) != 2 || ups[1].Body != bodyCompleted {
		t.Fatalf("updates: %+v", ups)
	}
	if sl := silences(); len(sl) != 0 || f.silencesChanged != 2 {
		t.Fatalf("silences after the window: %+v (told %d times)", sl, f.silencesChanged)
	}
	if why := muted(); why != "" {
		t.Fatalf("muted after the window: %q", why)
	}
	f.wantStatuses(map[string]ComponentStatus{f.api: MajorOutage, f.payments: Operational})
	// web is still down: the incident it opened in the window pages now,
	// once.
	if tl := f.timeline(web.ID, incident.TimelineUnmuted); len(tl) != 1 || !strings.Contains(tl[0].Message, "still down") {
		t.Fatalf("unmuted: %+v", tl)
	}
	if n, err := f.db.Notifications(f.ctx, web.ID); err != nil || len(n) != 1 || n[0].Event != tocsin.EventTriggered {
		t.Fatalf("notifications after the window: %+v, %v", n, err)
	}
	f.clk.Advance(time.Second)
	f.run()
	if n, _ := f.db.Notifications(f.ctx, web.ID); len(n) != 1 {
		t.Fatalf("paged again: %+v", n)
	}
	if list := f.incidents(); len(list) != 1 || list[0].Name != "Outage of API" {
		t.Fatalf("after the window: %+v", list)
	}
	v, _, err := f.svc.View(f.ctx, "public")
	if err != nil || len(v.Maintenances) != 1 || v.Maintenances[0].Status != Completed || !v.Maintenances[0].Maintenance ||
		len(v.Maintenances[0].Updates) != 2 || v.Maintenances[0].Updates[0].Status != Completed {
		t.Fatalf("view: %+v, %v", v, err)
	}
}

// TestMaintenanceCancelledPagesWhatItMuted: a maintenance cancelled
// inside its window pages, at once and once, for the check that went down
// under it and is still down: nobody would hear of it otherwise.
func TestMaintenanceCancelledPagesWhatItMuted(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	from, until := t0.Add(time.Minute), t0.Add(2*time.Hour)
	f.clk.Set(t0)
	mi, err := f.svc.ScheduleMaintenance(f.ctx, "public", "user:ann", NewMaintenance{Name: "Database upgrade", Body: "Writes pause.",
		Components: []string{f.api}, ScheduledFor: from, ScheduledUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Set(from)
	f.run()
	f.clk.Advance(time.Minute)
	f.down("web")
	f.run()
	web := f.openIncident("web")
	if n, err := f.db.Notifications(f.ctx, web.ID); err != nil || len(n) != 0 || len(f.timeline(web.ID, incident.TimelineMuted)) != 1 {
		t.Fatalf("an incident opened under maintenance was paged: %+v, %v", n, err)
	}

	f.clk.Advance(time.Minute)
	if _, err := f.svc.CancelMaintenance(f.ctx, "public", mi.ID, "user:ann", ""); err != nil {
		t.Fatal(err)
	}
	if tl := f.timeline(web.ID, incident.TimelineUnmuted); len(tl) != 1 {
		t.Fatalf("unmuted when the maintenance was cancelled: %+v", tl)
	}
	if n, err := f.db.Notifications(f.ctx, web.ID); err != nil || len(n) != 1 || n[0].Event != tocsin.EventTriggered {
		t.Fatalf("notifications after the cancel: %+v, %v", n, err)
	}
	f.clk.Advance(time.Second)
	f.run()
	if n, _ := f.db.Notifications(f.ctx, web.ID); len(n) != 1 {
		t.Fatalf("paged again: %+v", n)
	}
}

// A window moved or completed early by a responder moves or ends its
// silences; one a responder expired is not made again.
func TestMaintenanceSilencesFollowTheWindow(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	m := &store.StatusIncident{Page: "public", Kind: store.StatusKindMaintenance, Name: "Upgrade", Status: string(Scheduled),
		Impact: "minor", Components: []string{f.payments}, PublishedAt: t0, CreatedAt: t0, CreatedBy: "ann", UpdatedAt: t0,
		ScheduledFor: t0, ScheduledUntil: t0.Add(time.Hour)}
	f.write(func(tx *store.Tx) error { return tx.CreateStatusIncident(f.ctx, m) })
	live := func() []*tocsin.Silence {
		list, err := f.db.LiveSilences(f.ctx, f.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	f.run()
	if sl := live(); len(sl) != 1 || !sl[0].EndsAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("silences: %+v", sl)
	}
	// Moved to end later: a new silence to the new end, the old one ended.
	f.clk.Advance(time.Minute)
	f.write(func(tx *store.Tx) error {
		got, err := tx.StatusIncident(f.ctx, "public", m.ID)
		if err != nil {
			return err
		}
		*m = got
		m.ScheduledUntil = t0.Add(3 * time.Hour)
		return tx.SaveStatusIncident(f.ctx, m)
	})
	f.run()
	if sl := live(); len(sl) != 1 || !sl[0].EndsAt.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("silences after moving the end: %+v", sl)
	}
	// A responder expires it: it stays expired.
	f.write(func(tx *store.Tx) error { _, err := tx.ExpireSilence(f.ctx, live()[0].ID, f.clk.Now()); return err })
	f.clk.Advance(time.Minute)
	f.run()
	if sl := live(); len(sl) != 0 {
		t.Fatalf("made again after a responder expired it: %+v", sl)
	}
	// Moved again, then completed early by a responder: its silence ends.
	f.write(func(tx *store.Tx) error {
		m.ScheduledUntil = t0.Add(4 * time.Hour)
		return tx.SaveStatusIncident(f.ctx, m)
	})
	f.run()
	if sl := live(); len(sl) != 1 {
		t.Fatalf("silences after moving again: %+v", sl)
	}
	f.clk.Advance(time.Minute)
	f.write(func(tx *store.Tx) error {
		m.Status, m.ResolvedAt = string(Completed), f.clk.Now()
		return tx.SaveStatusIncident(f.ctx, m)
	})
	f.run()
	if sl := live(); len(sl) != 0 {
		t.Fatalf("silences after an early completion: %+v", sl)
	}
	f.wantStatuses(map[string]ComponentStatus{f.payments: Operational})
}

func TestUnknownPage(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	_, _, err := f.svc.View(f.ctx, "nope")
	if !errors.Is(err, ErrNoPage) || tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("unknown page: %v", err)
	}
}

// Before the job recorded anything, the View derives the statuses itself,
// and its version stays put while nothing changes.
func TestViewBeforeTheJob(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	f.down("web")
	v, ver, err := f.svc.View(f.ctx, "public")
	if err != nil {
		t.Fatal(err)
	}
	if v.Components[0].Status != MajorOutage || v.Components[1].Status != Operational || len(v.Incidents) != 0 {
		t.Fatalf("view before the job: %+v", v.Components)
	}
	if !v.Components[1].CreatedAt.Equal(f.clk.Now()) || !v.Components[0].CreatedAt.Equal(t0) {
		t.Fatalf("created: %s, %s", v.Components[0].CreatedAt, v.Components[1].CreatedAt)
	}
	if cached, _, _ := f.svc.View(f.ctx, "public"); cached != v {
		t.Fatal("rebuilt within a second without a change")
	}
	f.svc.changed()
	if fresh, _, _ := f.svc.View(f.ctx, "public"); fresh == v {
		t.Fatal("not rebuilt after a change")
	}
	f.clk.Advance(3 * time.Second)
	if v2, again, err := f.svc.View(f.ctx, "public"); err != nil || again != ver || v2 == v {
		t.Fatalf("rebuilt view: version %d, was %d (same view: %v), %v", again, ver, v2 == v, err)
	}
}

// Many requests finding a stale View cause one build: while it runs they
// are answered with the View they found, and only a request with no View
// at all waits for it.
func TestOneRebuildAtATime(t *testing.T) {
	f := newFixture(t, t.TempDir()+"/t.db", config.PublishAuto)
	const n = 8
	release := make(chan struct{})
	f.svc.views.beforeBuild = func() { <-release }
	type answer struct {
		v   *View
		err error
	}
	views := func() chan answer {
		out := make(chan answer, n)
		for range n {
			go func() {
				v, _, err := f.svc.View(f.ctx, "public")
				out <- answer{v, err}
			}()
		}
		return out
	}
	// No View yet: all wait for the one build.
	first := views()
	testkit.Eventually(t, "a build to start", func() bool { return f.svc.views.builds.Load() == 1 })
	close(release)
	var stale *View
	for range n {
		a := <-first
		if a.err != nil || stale != nil && a.v != stale {
			t.Fatalf("first views: %p, %p, %v", a.v, stale, a.err)
		}
		stale = a.v
	}
	if got := f.svc.views.builds.Load(); got != 1 {
		t.Fatalf("%d builds for %d requests without a View, want 1", got, n)
	}

	// Stale: one request builds (held until the others are answered), the
	// others get the stale View at once.
	f.clk.Advance(2 * time.Second)
	release = make(chan struct{})
	again := views()
	for range n - 1 {
		var a answer
		testkit.Eventually(t, "a request answered while the build runs", func() bool {
			select {
			case a = <-again:
				return true
			default:
				return false
			}
		})
		if a.err != nil || a.v != stale {
			t.Fatalf("answered during the build with %p, want the stale %p: %v", a.v, stale, a.err)
		}
	}
	close(release)
	if a := <-again; a.err != nil || a.v == stale {
		t.Fatalf("the rebuilding request: %p (stale %p), %v", a.v, stale, a.err)
	}
	if got := f.svc.views.builds.Load(); got != 2 {
		t.Fatalf("%d builds, want 2: one per stale View", got)
	}
}

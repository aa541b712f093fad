package statuspage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// fixedConfig is a config that never changes.
type fixedConfig struct{ cfg *config.Config }

func (f fixedConfig) Config() *config.Config { return f.cfg }

// testPage has a component with an explicit id, one with a derived id and
// a group with one member.
var testPage = config.StatusPage{Slug: "public", Title: "Example status", Components: []config.StatusComponent{
	{ID: "api", Name: "API", Checks: []string{"web"}, Services: []string{"payments"}},
	{Name: "Nightly exports", Checks: []string{"nightly-backup"}},
	{Group: "Regions", Components: []config.StatusComponent{{Name: "EU", Checks: []string{"eu-probe"}}}},
}}

// published records what the Published hook was handed.
type published struct{ updates []store.StatusUpdate }

func testService(t *testing.T) (*Service, *clock.Fake, *published) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pub := &published{}
	s := &Service{DB: db, Clock: clk, Configs: fixedConfig{&config.Config{StatusPages: []config.StatusPage{testPage}}},
		Log: testkit.Logger(),
		Published: func(_ context.Context, _ *store.Tx, _ *config.StatusPage, _ *store.StatusIncident, u *store.StatusUpdate) error {
			pub.updates = append(pub.updates, *u)
			return nil
		}}
	return s, clk, pub
}

// internalIncident opens an incident of Tocsin's to link public ones to.
func internalIncident(t *testing.T, s *Service) int64 {
	t.Helper()
	in := &tocsin.Incident{Title: "api down", Status: tocsin.IncidentTriggered, OpenedAt: s.Clock.Now(), Service: "payments", GroupKey: "g"}
	if err := s.DB.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateIncident(context.Background(), in) }); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

// publicUpdates lists the status page entries of an internal incident's timeline.
func publicUpdates(t *testing.T, s *Service, id int64) []tocsin.TimelineEntry {
	t.Helper()
	in, err := s.DB.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []tocsin.TimelineEntry
	for _, e := range in.Timeline {
		if e.Kind == TimelineKind {
			out = append(out, e)
		}
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if tocsin.ErrorCode(err) != code || !strings.Contains(tocsin.ErrorMessage(err), msg) {
		t.Errorf("%s: %v, want a %s error saying %q", what, err, code, msg)
	}
}

// TestIncidentLifecycle: a draft linked to an internal incident tells
// nobody; publishing announces its latest update; each update after that
// lands on the timeline and with the subscribers; a resolved incident
// takes no more updates.
func TestIncidentLifecycle(t *testing.T) {
	s, clk, pub := testService(t)
	ctx := context.Background()
	internal := internalIncident(t, s)
	before := s.Changes()

	mi, err := s.CreateIncident(ctx, "public", "user:ana", NewIncident{Name: "API errors", Components: []string{"api", "api"},
		Body: "We are looking into errors.", Incidents: []int64{internal}})
	if err != nil {
		t.Fatal(err)
	}
	if mi.Published() || mi.Status != string(Investigating) || mi.Impact != string(ImpactMinor) || len(mi.Updates) != 1 ||
		len(mi.Links) != 1 || mi.Links[0] != internal || len(mi.Components) != 1 || mi.CreatedBy != "user:ana" {
		t.Fatalf("created %+v", mi)
	}
	if got := publicUpdates(t, s, internal); len(got) != 0 || len(pub.updates) != 0 {
		t.Errorf("a draft told the timeline %v and subscribers %v", got, pub.updates)
	}
	if s.Changes() == before {
		t.Error("a new draft did not count as a change")
	}

	clk.Advance(time.Minute)
	if _, err := s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Identified, Body: "A bad deploy."}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	mi, err = s.Publish(ctx, "public", mi.ID, "user:bo")
	if err != nil {
		t.Fatal(err)
	}
	if !mi.PublishedAt.Equal(clk.Now()) {
		t.Errorf("published at %s, want now", mi.PublishedAt)
	}
	if got := publicUpdates(t, s, internal); len(got) != 1 || !strings.Contains(got[0].Message, "A bad deploy.") {
		t.Errorf("after publishing, the timeline has %+v, want the latest update", got)
	}
	if len(pub.updates) != 1 || pub.updates[0].Body != "A bad deploy." {
		t.Errorf("subscribers were handed %+v", pub.updates)
	}
	_, err = s.Publish(ctx, "public", mi.ID, "user:bo")
	wantCode(t, "publishing twice", err, tocsin.EConflict, "was published at")

	clk.Advance(time.Minute)
	_, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Monitoring, Body: "Rolled back.",
		Components: []string{"nightly-x"}})
	wantCode(t, "an unknown component", err, tocsin.EInvalid, `has no component "nightly-x"`)
	nightly := componentID("public", &testPage.Components[1])
	mi, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Monitoring, Body: "Rolled back.",
		Components: []string{nightly}, Impact: ImpactMajor, DisplayAt: clk.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	monitoringAt := clk.Now()
	if !mi.MonitoringAt.Equal(monitoringAt) || mi.Impact != string(ImpactMajor) || len(mi.Components) != 2 {
		t.Errorf("monitoring: %+v", mi.StatusIncident)
	}
	if last := mi.Updates[len(mi.Updates)-1]; !last.DisplayAt.Equal(clk.Now().Add(-time.Minute)) ||
		len(last.AffectedComponents) != 1 || last.AffectedComponents[0] != nightly {
		t.Errorf("the backdated update: %+v", last)
	}
	clk.Advance(time.Minute)
	mi, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Resolved, Body: "Fixed."})
	if err != nil {
		t.Fatal(err)
	}
	if !mi.ResolvedAt.Equal(clk.Now()) || !mi.MonitoringAt.Equal(monitoringAt) || mi.TakenOver {
		t.Errorf("resolved: %+v", mi.StatusIncident)
	}
	got := publicUpdates(t, s, internal)
	if len(got) != 3 || got[1].Actor != "user:ana" || !strings.Contains(got[2].Message, "is resolved: Fixed.") {
		t.Errorf("timeline: %+v", got)
	}
	if len(pub.updates) != 3 {
		t.Errorf("subscribers were handed %d updates, want 3", len(pub.updates))
	}
	_, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Monitoring, Body: "Again?"})
	wantCode(t, "an update to a resolved incident", err, tocsin.EConflict, "open a new incident")

	// Every change is in the audit log, by its actor.
	entries, err := s.DB.AuditLog(ctx, store.AuditFilter{Limit: 100, Action: "status_page"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	want := "user:ana status_page.incident.update,user:ana status_page.incident.update,user:bo status_page.incident.publish," +
		"user:ana status_page.incident.update,user:ana status_page.incident.create"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(actions, ","), want)
	}

	// The page's detail lists it; ReadIncident reads it with its links.
	d, err := s.ManagedPage(ctx, "public")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Incidents) != 1 || len(d.Incidents[0].Updates) != 4 || len(d.Maintenances) != 0 || len(d.Components) != 4 {
		t.Errorf("page detail: %+v", d)
	}
}

// TestTakeOver: a person's update to an incident Tocsin opened leaves it
// to Tocsin to resolve, unless it says take_over or resolves it.
func TestTakeOver(t *testing.T) {
	s, clk, _ := testService(t)
	ctx := context.Background()
	now := clk.Now()
	auto := &store.StatusIncident{Page: "public", Kind: store.StatusKindIncident, Name: "API outage", Status: string(Investigating),
		Impact: string(ImpactMajor), Components: []string{"api"}, Auto: true, PublishedAt: now, CreatedAt: now, CreatedBy: Author,
		UpdatedAt: now}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateStatusIncident(ctx, auto) }); err != nil {
		t.Fatal(err)
	}
	mi, err := s.PostUpdate(ctx, "public", auto.ID, Author, NewUpdate{Status: Investigating, Body: "Still down."})
	if err != nil || mi.TakenOver {
		t.Fatalf("Tocsin's own update: taken over %v, %v", mi.TakenOver, err)
	}
	mi, err = s.PostUpdate(ctx, "public", auto.ID, "user:ana", NewUpdate{Status: Identified, Body: "The database."})
	if err != nil || mi.TakenOver {
		t.Fatalf("a person's update: taken over %v, %v", mi.TakenOver, err)
	}
	mi, err = s.PostUpdate(ctx, "public", auto.ID, "user:ana", NewUpdate{Status: Monitoring, Body: "Fixed, we think.", TakeOver: true})
	if err != nil || !mi.TakenOver {
		t.Fatalf("a person's update with take_over: taken over %v, %v", mi.TakenOver, err)
	}
	other := &store.StatusIncident{Page: "public", Kind: store.StatusKindIncident, Name: "API slow", Status: string(Investigating),
		Impact: string(ImpactMinor), Components: []string{"api"}, Auto: true, PublishedAt: now, CreatedAt: now, CreatedBy: Author,
		UpdatedAt: now}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error {
		auto.Status, auto.ResolvedAt = string(Resolved), now
		if err := tx.SaveStatusIncident(ctx, auto); err != nil {
			return err
		}
		return tx.CreateStatusIncident(ctx, other)
	}); err != nil {
		t.Fatal(err)
	}
	mi, err = s.PostUpdate(ctx, "public", other.ID, "user:ana", NewUpdate{Status: Resolved, Body: "Done."})
	if err != nil || !mi.TakenOver {
		t.Fatalf("resolved by a person: taken over %v, %v", mi.TakenOver, err)
	}
	_, err = s.UpdateMaintenance(ctx, "public", auto.ID, "user:ana", MaintenanceChange{Body: "x"})
	wantCode(t, "an incident changed as a maintenance", err, tocsin.EConflict, "is an incident, not a maintenance")
}

// TestBadInput: every refusal is an error naming the field, and changes
// nothing.
func TestBadInput(t *testing.T) {
	s, clk, _ := testService(t)
	ctx := context.Background()
	now := clk.Now()
	ok := NewIncident{Name: "x", Body: "b"}
	with := func(f func(*NewIncident)) NewIncident { in := ok; f(&in); return in }
	for _, tc := range []struct {
		what string
		in   NewIncident
		msg  string
	}{
		{"no name", with(func(in *NewIncident) { in.Name = " " }), "name: required"},
		{"no body", with(func(in *NewIncident) { in.Body = "" }), "body: required"},
		{"a bad status", with(func(in *NewIncident) { in.Status = "down" }), `status: "down" is not one of`},
		{"a bad impact", with(func(in *NewIncident) { in.Impact = "huge" }), `impact: "huge" is not one of`},
		{"an unknown component", with(func(in *NewIncident) { in.Components = []string{"db"} }),
			`components: status page "public" has no component "db"; its components are api (API), `},
		{"a group", with(func(in *NewIncident) { in.Components = []string{componentID("public", &testPage.Components[2])} }),
			`is the group "Regions"`},
		{"an unknown incident", with(func(in *NewIncident) { in.Incidents = []int64{42} }), "incidents: Tocsin has no incident 42"},
	} {
		_, err := s.CreateIncident(ctx, "public", "user:ana", tc.in)
		wantCode(t, tc.what, err, tocsin.EInvalid, tc.msg)
	}
	_, err := s.CreateIncident(ctx, "private", "user:ana", ok)
	wantCode(t, "an unknown page", err, tocsin.ENotFound, `no status page "private"`)
	if d, err := s.ManagedPage(ctx, "public"); err != nil || len(d.Incidents) != 0 {
		t.Fatalf("refusals changed the page: %+v, %v", d.Incidents, err)
	}

	mi, err := s.CreateIncident(ctx, "public", "user:ana", ok)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Identified, Body: "b", DisplayAt: now.Add(time.Minute)})
	wantCode(t, "an update in the future", err, tocsin.EInvalid, "display_at: 2026-03-01T12:01:00Z is in the future")
	_, err = s.PostUpdate(ctx, "public", mi.ID+1, "user:ana", NewUpdate{Status: Identified, Body: "b"})
	wantCode(t, "an unknown incident", err, tocsin.ENotFound, "has no incident")
	_, err = s.UpdateIncident(ctx, "public", mi.ID, "user:ana", IncidentChange{})
	wantCode(t, "an empty change", err, tocsin.EInvalid, "nothing to change")
	name := "Renamed"
	mi, err = s.UpdateIncident(ctx, "public", mi.ID, "user:ana", IncidentChange{Name: &name, Components: &[]string{"api"}})
	if err != nil || mi.Name != name || len(mi.Components) != 1 || len(mi.Updates) != 1 {
		t.Errorf("changed: %+v, %v", mi, err)
	}
}

// TestOverride: an override needs an end within 7 days; once past it, the
// page no longer lists it, though the store keeps it for the job to see.
func TestOverride(t *testing.T) {
	s, clk, _ := testService(t)
	ctx := context.Background()
	now := clk.Now()
	for _, tc := range []struct {
		what      string
		component string
		status    ComponentStatus
		until     time.Time
		msg       string
	}{
		{"no end", "api", MajorOutage, time.Time{}, "until: required"},
		{"an end passed", "api", MajorOutage, now, "until: 2026-03-01T12:00:00Z is not in the future"},
		{"an end too far", "api", MajorOutage, now.Add(MaxOverride + time.Minute), "is more than"},
		{"a bad status", "api", "broken", now.Add(time.Hour), `status: "broken" is not one of`},
		{"an unknown component", "db", MajorOutage, now.Add(time.Hour), `component: status page "public" has no component "db"`},
	} {
		_, err := s.SetOverride(ctx, "public", tc.component, "user:ana", tc.status, tc.until, "")
		wantCode(t, tc.what, err, tocsin.EInvalid, tc.msg)
	}
	if _, err := s.SetOverride(ctx, "public", "api", "user:ana", UnderMaintenance, now.Add(time.Hour), "migrating"); err != nil {
		t.Fatal(err)
	}
	override := func() *store.StatusOverride {
		pages, err := s.ManagedPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return pages[0].Components[0].Override
	}
	if o := override(); o == nil || o.Status != string(UnderMaintenance) || o.Reason != "migrating" || o.SetBy != "user:ana" {
		t.Fatalf("override in force: %+v", o)
	}
	clk.Advance(time.Hour)
	if o := override(); o != nil {
		t.Errorf("an override past its end is listed: %+v", o)
	}
	stored, err := s.DB.StatusOverrides(ctx, "public")
	if err != nil || len(stored) != 1 || !stored[0].Until.Equal(now.Add(time.Hour)) {
		t.Errorf("stored overrides %+v, %v", stored, err)
	}
	if err := s.ClearOverride(ctx, "public", "api", "user:ana"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "clearing twice", s.ClearOverride(ctx, "public", "api", "user:ana"), tocsin.ENotFound, "has no override")
}

// TestMaintenance: a maintenance is public at once; its window moves
// while it is scheduled; starting it early moves its start to now;
// cancelling completes it, and then it takes no more changes.
func TestMaintenance(t *testing.T) {
	s, clk, pub := testService(t)
	ctx := context.Background()
	now := clk.Now()
	from, until := now.Add(24*time.Hour), now.Add(26*time.Hour)
	for _, tc := range []struct {
		what        string
		from, until time.Time
		msg         string
	}{
		{"no start", time.Time{}, until, "scheduled_for: required"},
		{"a start passed", now.Add(-2 * time.Minute), until, "scheduled_for: 2026-03-01T11:58:00Z is in the past"},
		{"an end before the start", from, from, "scheduled_until: 2026-03-02T12:00:00Z is not after scheduled_for"},
	} {
		_, err := s.ScheduleMaintenance(ctx, "public", "user:ana", NewMaintenance{Name: "Upgrade", Body: "b", ScheduledFor: tc.from,
			ScheduledUntil: tc.until})
		wantCode(t, tc.what, err, tocsin.EInvalid, tc.msg)
	}
	mi, err := s.ScheduleMaintenance(ctx, "public", "user:ana", NewMaintenance{Name: "Upgrade", Body: "Writes pause.",
		Components: []string{"api"}, ScheduledFor: from, ScheduledUntil: until})
	if err != nil {
		t.Fatal(err)
	}
	if mi.Kind != store.StatusKindMaintenance || mi.Status != string(Scheduled) || !mi.Published() || len(pub.updates) != 1 {
		t.Fatalf("scheduled: %+v, %d announced", mi.StatusIncident, len(pub.updates))
	}
	later := until.Add(time.Hour)
	mi, err = s.UpdateMaintenance(ctx, "public", mi.ID, "user:ana", MaintenanceChange{ScheduledUntil: &later})
	if err != nil || !mi.ScheduledUntil.Equal(later) || len(mi.Updates) != 1 {
		t.Fatalf("rescheduled: %+v, %v", mi.StatusIncident, err)
	}
	_, err = s.UpdateMaintenance(ctx, "public", mi.ID, "user:ana", MaintenanceChange{Status: Verifying, Body: "x"})
	wantCode(t, "verifying before it starts", err, tocsin.EConflict, "has not started")
	_, err = s.UpdateMaintenance(ctx, "public", mi.ID, "user:ana", MaintenanceChange{Status: InProgress})
	wantCode(t, "a status without a message", err, tocsin.EInvalid, "body: required with status")
	_, err = s.PostUpdate(ctx, "public", mi.ID, "user:ana", NewUpdate{Status: Identified, Body: "x"})
	wantCode(t, "a maintenance updated as an incident", err, tocsin.EConflict, "is a maintenance")

	clk.Advance(time.Hour)
	mi, err = s.UpdateMaintenance(ctx, "public", mi.ID, "user:ana", MaintenanceChange{Status: InProgress, Body: "Starting early."})
	if err != nil || mi.Status != string(InProgress) || !mi.ScheduledFor.Equal(clk.Now()) {
		t.Fatalf("started early: %+v, %v", mi.StatusIncident, err)
	}
	_, err = s.UpdateMaintenance(ctx, "public", mi.ID, "user:ana", MaintenanceChange{ScheduledUntil: &later})
	wantCode(t, "a window moved once started", err, tocsin.EConflict, "only while it is scheduled")

	mi, err = s.CancelMaintenance(ctx, "public", mi.ID, "user:ana", "")
	if err != nil || mi.Status != string(Completed) || !mi.ResolvedAt.Equal(clk.Now()) ||
		mi.Updates[len(mi.Updates)-1].Body != "This maintenance has been cancelled." {
		t.Fatalf("cancelled: %+v, %v", mi, err)
	}
	_, err = s.CancelMaintenance(ctx, "public", mi.ID, "user:ana", "")
	wantCode(t, "cancelling twice", err, tocsin.EConflict, "was completed at")
	d, err := s.ManagedPage(ctx, "public")
	if err != nil || len(d.Maintenances) != 1 || len(d.Maintenances[0].Updates) != 3 {
		t.Errorf("page detail: %+v, %v", d.Maintenances, err)
	}
}

// TestComponentIDs: an explicit id stays; others are derived from the
// page's slug and the name (a group's from its group name): the first 12
// hex digits of SHA-256("public\x00Nightly exports") are 1304b625b783.
func TestComponentIDs(t *testing.T) {
	comps := listComponents(&testPage)
	if len(comps) != 4 || comps[0].ID != "api" || comps[1].ID != "1304b625b783" || !comps[2].Group || comps[3].GroupID != comps[2].ID {
		t.Errorf("components %+v", comps)
	}
	for _, c := range comps[1:] {
		if len(c.ID) != 12 || strings.Trim(c.ID, "0123456789abcdef") != "" {
			t.Errorf("derived id %q: want 12 lowercase hex digits", c.ID)
		}
	}
}

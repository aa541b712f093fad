package escalation

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

var s0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// stageDir pages ana, then bo 5 minutes later.
var stageDir = &Directory{
	Users: map[string]User{
		"ana": {Name: "ana", Contacts: []Contact{{Type: "webhook", To: "ana-hook"}}},
		"bo":  {Name: "bo", Contacts: []Contact{{Type: "webhook", To: "bo-hook"}}},
	},
	Policies: map[string]Policy{"default": {Name: "default", Levels: []Level{
		{Targets: []string{"user:ana"}, Timeout: 5 * time.Minute}, {Targets: []string{"user:bo"}, Timeout: 10 * time.Minute}}}},
}

func stageEnv() incident.Env {
	return incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
}

func openStage(t *testing.T, dsn string) (*store.DB, *clock.Fake, *Stage, *job.Bus) {
	t.Helper()
	clk := clock.NewFake(s0)
	db, err := store.Open(context.Background(), dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := &job.Bus{}
	return db, clk, NewStage(db, func() (incident.Env, *Directory) { return stageEnv(), stageDir }, bus), bus
}

// openCheckIncident opens the incident of a check with the default policy,
// as the engine does when the check goes down: its first level is due now.
func openCheckIncident(t *testing.T, db *store.DB, name string, now time.Time) *tocsin.Incident {
	t.Helper()
	var in *tocsin.Incident
	c := &tocsin.Check{Name: name, EscalationPolicy: "default"}
	if err := db.Write(context.Background(), func(tx *store.Tx) (err error) {
		in, err = incident.OpenForCheck(context.Background(), tx, stageEnv(), c, now, "no ping", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return in
}

// paged lists the channels an incident's notifications went to.
func paged(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	ns, err := db.Notifications(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Channel)
	}
	return out
}

func samePages(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: paged %q, want %q", what, got, want)
	}
}

// TestStageEscalatesCheckIncident: run by the job runner on a fake clock,
// with no poll, the stage pages a check incident's first level as soon as
// the bus says a page may be due, nothing before its level-1 timeout, and
// level 2 at it; each run that queued pages tells the bus.
func TestStageEscalatesCheckIncident(t *testing.T) {
	db, clk, stage, bus := openStage(t, t.TempDir()+"/t.db")
	queued := job.NewWake()
	bus.Subscribe(job.Queued, queued)
	bus.Subscribe(job.Paging, stage.Wake())
	var idle testkit.IdleLog
	runner := &job.Runner{Clock: clk, Log: testkit.Logger(), OnIdle: func(name string, now, next time.Time) {
		if name == JobName {
			idle.Report(now, next)
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runner.Run(ctx, stage.Job()); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	idle.Idle(t, s0, time.Time{}, nil) // nothing to do: not until woken
	in := openCheckIncident(t, db, "nightly-backup", s0)
	bus.Notify(job.Paging)
	level2 := s0.Add(5 * time.Minute)
	idle.Idle(t, s0, level2, nil)
	samePages(t, "at once", paged(t, db, in.ID), "contact:ana:0")
	select {
	case <-queued.C():
	default:
		t.Fatal("the bus did not hear job.Queued")
	}

	clk.Set(level2.Add(-time.Second))
	idle.Idle(t, level2.Add(-time.Second), level2, stage.Wake().Poke)
	samePages(t, "a second before the timeout", paged(t, db, in.ID), "contact:ana:0")

	clk.Set(level2)
	idle.Idle(t, level2, level2.Add(10*time.Minute), nil)
	samePages(t, "at the timeout", paged(t, db, in.ID), "contact:ana:0", "contact:bo:0")
	got, err := db.Incident(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.EscalationStep != 2 {
		t.Fatalf("escalation step %d, want 2", got.EscalationStep)
	}
}

// TestStageEvidence: a step of an alert incident carries its firing,
// unsuppressed alerts as evidence, in the shape the first page has.
func TestStageEvidence(t *testing.T) {
	db, _, stage, _ := openStage(t, t.TempDir()+"/t.db")
	ctx := context.Background()
	in := &tocsin.Incident{Title: "[payments] db down", Service: "payments", GroupKey: "g1", Paged: true,
		EscalationPolicy: "default", EscalationStep: 1, EscalateAt: s0, Priority: tocsin.P2}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if err := incident.OpenForAlerts(ctx, tx, stageEnv(), in, s0.Add(-5*time.Minute), "db down", nil); err != nil {
			return err
		}
		for i, a := range []tocsin.Alert{
			{Key: "a1", Summary: "db down", Severity: "critical", Status: tocsin.AlertFiring, Labels: map[string]string{"db": "main"},
				StartsAt: s0.Add(-6 * time.Minute)},
			{Key: "a2", Summary: "replica lag", Severity: "warning", Status: tocsin.AlertResolved},
		} {
			rec := &tocsin.AlertRecord{Alert: a, Integration: "am", IncidentID: in.ID, GroupKey: "g1", FirstSeenAt: s0,
				LastSeenAt: s0, Deliveries: 1}
			if err := tx.SaveAlert(ctx, rec); err != nil {
				return fmt.Errorf("alert %d: %w", i, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := stage.Run(ctx, s0); err != nil {
		t.Fatal(err)
	}
	ns, err := db.Notifications(ctx, in.ID)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications %d, %v", len(ns), err)
	}
	var page struct {
		Evidence json.RawMessage `json:"evidence"`
	}
	if err := json.Unmarshal(ns[0].Payload, &page); err != nil {
		t.Fatal(err)
	}
	want := `{"alerts":[{"integration":"am","summary":"db down","severity":"critical","labels":{"db":"main"},` +
		`"starts_at":"2026-03-02T09:54:00Z"}],"alerts_total":1}`
	if string(page.Evidence) != want {
		t.Fatalf("evidence\n%s\nwant\n%s", page.Evidence, want)
	}
}

// TestStageBoundsARun: a backlog is taken stepsPerRun at a time; a run
// that left some asks for the next at once.
func TestStageBoundsARun(t *testing.T) {
	db, _, stage, _ := openStage(t, t.TempDir()+"/t.db")
	for i := range stepsPerRun + 1 {
		openCheckIncident(t, db, fmt.Sprintf("check-%d", i), s0)
	}
	ctx := context.Background()
	next, err := stage.Run(ctx, s0)
	if err != nil {
		t.Fatal(err)
	}
	if !next.Equal(s0) {
		t.Fatalf("next %v, want %v: one step is still due", next, s0)
	}
	select {
	case <-stage.Wake().C():
	default:
		t.Fatal("a run that left steps due did not ask for another")
	}
	if next, err = stage.Run(ctx, s0); err != nil || !next.Equal(s0.Add(5*time.Minute)) {
		t.Fatalf("second run: next %v, %v", next, err)
	}
	left, err := db.NextEscalateAt(ctx)
	if err != nil || !left.Equal(s0.Add(5*time.Minute)) {
		t.Fatalf("next step %v, %v: every first level should be paged", left, err)
	}
}

// TestStageLooksEverySecondWhenShared: on PostgreSQL other replicas
// schedule steps this one hears nothing of, so the stage is next due
// within a second even with nothing scheduled.
func TestStageLooksEverySecondWhenShared(t *testing.T) {
	db, _, stage, _ := openStage(t, pgtest.Start(t).NewDatabase(t))
	if !db.Shared() {
		t.Fatal("a PostgreSQL store is not shared")
	}
	next, err := stage.Run(context.Background(), s0)
	if err != nil || !next.Equal(s0.Add(time.Second)) {
		t.Fatalf("next %v, %v: want a look a second later", next, err)
	}
}

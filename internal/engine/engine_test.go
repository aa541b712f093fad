package engine

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

var t0 = time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)

type fixture struct {
	db    *store.DB
	clock *clock.Fake
	eng   *Engine
	rec   *heartbeat.Recorder
	uuid  string
	idle  *testkit.IdleLog // the engine's idle reports
}

func env() incident.Env {
	return incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{clock: clock.NewFake(t0)}
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	err = db.Write(ctx, func(tx *store.Tx) error {
		f.uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "backup", Slug: "backup",
			Spec: tocsin.ScheduleSpec{Every: time.Minute}, Grace: 30 * time.Second, Notify: []string{"ops"}, AutoResolve: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger()
	f.eng = New(db, f.clock, env, log)
	f.idle = &testkit.IdleLog{}
	f.rec = heartbeat.NewRecorder(db, f.clock, env, heartbeat.Hooks{Deadline: f.eng.Schedule}, log, nil)
	go f.rec.Run(ctx)
	return f
}

func (f *fixture) ping(t *testing.T, kind tocsin.PingKind) {
	t.Helper()
	res, err := f.rec.Record(context.Background(), heartbeat.Request{UUID: f.uuid, Ping: tocsin.Ping{Kind: kind}})
	if err != nil || !res.Found {
		t.Fatalf("ping: %+v %v", res, err)
	}
}

func (f *fixture) state(t *testing.T) tocsin.CheckState {
	c, err := f.db.CheckByUUID(context.Background(), f.uuid)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status
}

func TestDeadlineOpensIncident(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run(ctx, f.eng, f.idle)
	f.ping(t, tocsin.PingSuccess)
	if f.eng.Scheduled() != 1 {
		t.Fatalf("scheduled %d", f.eng.Scheduled())
	}
	// Pings before the deadline keep moving it.
	f.clock.Advance(80 * time.Second)
	f.ping(t, tocsin.PingSuccess)
	deadline := f.clock.Now().Add(90 * time.Second)
	f.clock.Advance(80 * time.Second)
	f.idle.Idle(t, f.clock.Now(), deadline, f.eng.poke) // nothing due 10 s before it
	if s := f.state(t); s != tocsin.StateUp {
		t.Fatalf("state %s before the deadline", s)
	}
	f.clock.Advance(10 * time.Second) // 90 s after the last ping
	testkit.Eventually(t, "check down", func() bool { return f.state(t) == tocsin.StateDown })
	list, err := f.db.Incidents(ctx, store.IncidentFilter{Open: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("open incidents: %v %v", list, err)
	}
	in, err := f.db.Incident(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range in.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if len(kinds) != 2 || kinds[0] != tocsin.TimelineOpened || kinds[1] != tocsin.TimelineNotifyQueued {
		t.Fatalf("timeline %v", kinds)
	}
	ns, err := f.db.Notifications(ctx, in.ID)
	if err != nil || len(ns) != 1 || ns[0].Event != tocsin.EventTriggered || ns[0].Channel != "ops" {
		t.Fatalf("outbox %+v %v", ns, err)
	}
	if f.eng.Scheduled() != 0 {
		t.Fatalf("a down check stays scheduled")
	}
	// Recovery resolves it.
	f.ping(t, tocsin.PingSuccess)
	in, _ = f.db.Incident(ctx, in.ID)
	if in.Status != tocsin.IncidentResolved {
		t.Fatalf("incident %s after recovery", in.Status)
	}
}

func TestDeadlinesSurviveRestart(t *testing.T) {
	f := setup(t)
	f.ping(t, tocsin.PingSuccess)
	// A new engine, as after a restart, rebuilds its queue from the store.
	log := testkit.Logger()
	eng := New(f.db, f.clock, env, log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := eng.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if eng.Scheduled() != 1 {
		t.Fatalf("loaded %d deadlines", eng.Scheduled())
	}
	var lates []time.Duration
	done := make(chan struct{})
	eng.OnExpire = func(_ int64, late time.Duration) { lates = append(lates, late); close(done) }
	go run(ctx, eng, nil)
	f.clock.Advance(5 * time.Minute) // down while it was not running
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("engine did not expire the loaded deadline")
	}
	if lates[0] != 5*time.Minute-90*time.Second {
		t.Fatalf("late by %s", lates[0])
	}
}

func TestQueue(t *testing.T) {
	q := newDeadlineQueue()
	for i := int64(1); i <= 100; i++ {
		q.Set(i, t0.Add(time.Duration(101-i)*time.Second))
	}
	q.Set(50, time.Time{}) // removed
	q.Set(1, t0)           // moved to the front
	q.Set(1000, time.Time{})
	if q.Len() != 99 {
		t.Fatalf("len %d", q.Len())
	}
	ids := q.PopDue(t0.Add(3*time.Second), 10)
	want := []int64{1, 100, 99, 98}
	if len(ids) != len(want) {
		t.Fatalf("popped %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("popped %v, want %v", ids, want)
		}
	}
	if at, _ := q.Peek(); !at.Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("peek %v", at)
	}
	prev := time.Time{}
	for q.Len() > 0 {
		at, _ := q.Peek()
		if at.Before(prev) {
			t.Fatal("heap order broken")
		}
		prev = at
		q.PopDue(at, 1)
	}
}

// A cron heartbeat across the spring-forward night in Berlin: the run due
// at 02:30, a time that does not exist that night, is expected at 03:00
// CEST, and the check goes down an hour of grace later.
func TestCronDeadlineAcrossDST(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := clock.NewFake(time.Date(2023, 3, 25, 2, 35, 0, 0, berlin))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var uuid string
	err = db.Write(ctx, func(tx *store.Tx) error {
		uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "nightly", Slug: "nightly",
			Spec: tocsin.ScheduleSpec{Cron: "30 2 * * *", TZ: "Europe/Berlin"}, Grace: time.Hour, AutoResolve: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger()
	eng := New(db, clk, env, log)
	idle := &testkit.IdleLog{}
	rec := heartbeat.NewRecorder(db, clk, env, heartbeat.Hooks{Deadline: eng.Schedule}, log, nil)
	go rec.Run(ctx)
	go run(ctx, eng, idle)
	if _, err := rec.Record(ctx, heartbeat.Request{UUID: uuid, Ping: tocsin.Ping{Kind: tocsin.PingSuccess}}); err != nil {
		t.Fatal(err)
	}
	c, _ := db.CheckByUUID(ctx, uuid)
	wantExpected := time.Date(2023, 3, 26, 3, 0, 0, 0, berlin)
	if !c.ExpectedAt().Equal(wantExpected) || !c.GoesDownAt().Equal(wantExpected.Add(time.Hour)) {
		t.Fatalf("expected %v, goes down %v", c.ExpectedAt().In(berlin), c.GoesDownAt().In(berlin))
	}
	clk.Set(wantExpected.Add(59 * time.Minute))
	idle.Idle(t, clk.Now(), wantExpected.Add(time.Hour), eng.poke) // nothing due a minute before the deadline
	if c, _ := db.CheckByUUID(ctx, uuid); c.Status != tocsin.StateUp || c.StateAt(clk.Now()) != tocsin.StateGrace {
		t.Fatalf("before the deadline: %s / %s", c.Status, c.StateAt(clk.Now()))
	}
	clk.Set(wantExpected.Add(time.Hour))
	testkit.Eventually(t, "down at 04:00 CEST", func() bool {
		c, _ := db.CheckByUUID(ctx, uuid)
		return c.Status == tocsin.StateDown
	})
}

// run runs the engine's job until ctx ends, telling idle (if not nil) of
// each time it goes idle.
func run(ctx context.Context, e *Engine, idle *testkit.IdleLog) {
	r := &job.Runner{Clock: e.clock, Log: e.log, OnIdle: func(_ string, now, next time.Time) {
		if idle != nil {
			idle.Report(now, next)
		}
	}}
	r.Run(ctx, e.Job())
}

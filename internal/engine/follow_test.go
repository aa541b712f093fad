package engine

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Two replicas on one PostgreSQL: B takes the pings, A leads the engine
// and learns of B's deadlines only through Follow. A deadline B sets anew
// or moves earlier reaches A's queue; one B moves later does not need to,
// since A's earlier entry fires, A reads the check and queues the new one.
// Whatever B does, the check goes down at its stored deadline, on A.
func TestFollowOtherReplicasDeadlines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := pgtest.Start(t)
	dsn := srv.NewDatabase(t)
	clk := clock.NewFake(t0)
	open := func() *store.DB {
		db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	var uuid string
	if err := b.Write(ctx, func(tx *store.Tx) (err error) {
		uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "backup", Slug: "backup",
			Spec: tocsin.ScheduleSpec{Every: time.Minute}, Grace: 30 * time.Second, Notify: []string{"ops"}, AutoResolve: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger()
	eng := New(a, clk, env, log)
	if err := eng.Load(ctx); err != nil || eng.Scheduled() != 0 {
		t.Fatalf("load: %d deadlines, %v; want none before the first ping", eng.Scheduled(), err)
	}
	rec := heartbeat.NewRecorder(b, clk, env, heartbeat.Hooks{}, log, nil) // B tells A nothing
	go rec.Run(ctx)
	ping := func(kind tocsin.PingKind) time.Time {
		t.Helper()
		if res, err := rec.Record(ctx, heartbeat.Request{UUID: uuid, Ping: tocsin.Ping{Kind: kind}}); err != nil || !res.Found {
			t.Fatalf("ping: %+v %v", res, err)
		}
		c, err := b.CheckByUUID(ctx, uuid)
		if err != nil {
			t.Fatal(err)
		}
		return c.NextDeadline()
	}
	follow := func() time.Time {
		t.Helper()
		if more, err := eng.Follow(ctx); err != nil || more {
			t.Fatalf("follow: more %v, %v", more, err)
		}
		eng.mu.Lock()
		defer eng.mu.Unlock()
		at, _ := eng.queue.Peek()
		return at
	}

	first := ping(tocsin.PingSuccess) // a deadline where there was none
	if got := follow(); !got.Equal(first) {
		t.Fatalf("after the first ping A waits for %v, want %v", got, first)
	}
	clk.Advance(10 * time.Second)
	later := ping(tocsin.PingSuccess)
	if got := follow(); !later.After(first) || !got.Equal(first) {
		t.Fatalf("a ping moved the deadline from %v to %v, and A waits for %v: want the earlier entry kept", first, later, got)
	}
	// A's entry fires: the check is not down, A queues the new deadline.
	clk.Set(first)
	if _, err := eng.round(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.CheckByUUID(ctx, uuid); c.Status != tocsin.StateUp {
		t.Fatalf("the check is %s at its old deadline; a ping moved it", c.Status)
	}
	if got := follow(); !got.Equal(later) {
		t.Fatalf("A requeued the check at %v, want %v", got, later)
	}
	// Pinged again, and A's entry fires again: A now waits for the next
	// period's deadline.
	next := ping(tocsin.PingSuccess)
	clk.Set(later)
	if _, err := eng.round(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got := follow(); !got.Equal(next) {
		t.Fatalf("A requeued the check at %v, want %v", got, next)
	}
	// A run that starts and hangs: its grace ends before that deadline.
	started := ping(tocsin.PingStart)
	if got := follow(); !started.Before(next) || !got.Equal(started) {
		t.Fatalf("a start moved the deadline from %v to %v, and A waits for %v", next, started, got)
	}
	clk.Set(started)
	if _, err := eng.round(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.CheckByUUID(ctx, uuid); c.Status != tocsin.StateDown {
		t.Fatalf("the check is %s after its run's grace ended; want down", c.Status)
	}
}

package leader

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// replica is one elector with its own store handle, as one process has.
type replica struct {
	name   string
	db     *store.DB
	e      *Elector
	cancel context.CancelFunc
	done   chan struct{}
	frozen atomic.Bool // the loop hangs at its next round, as a stopped process's does
	hung   atomic.Bool // the loop has hung

	mu    sync.Mutex
	terms []context.Context // the fenced context of each term won
}

func (r *replica) leading() bool {
	_, ok := r.e.Leading()
	return ok
}

func newReplica(t *testing.T, dsn, name string, clk clock.Clock) *replica {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &replica{name: name, db: db, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.e = &Elector{DB: db, Clock: clk, Log: testkit.Logger(), Holder: name,
		TTL: 8 * time.Second, Every: 2 * time.Second, Beat: func() {
			if r.frozen.Load() {
				r.hung.Store(true)
				<-ctx.Done()
			}
		}}
	go func() {
		defer close(r.done)
		r.e.Run(ctx, func(ctx context.Context) {
			r.mu.Lock()
			r.terms = append(r.terms, ctx)
			r.mu.Unlock()
			<-ctx.Done()
		})
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// fencedWrite is a write as a leader's engine makes it.
func fencedWrite(ctx context.Context, db *store.DB) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, "test", "engine.write", "a leader's write", nil)
	})
}

func TestElection(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testElection(t, t.TempDir()+"/t.db")
	})
	t.Run("postgres", func(t *testing.T) {
		testElection(t, pgtest.Start(t).NewDatabase(t))
	})
}

// testElection runs two replicas: one leads, the other follows; when the
// leader stops renewing (it is killed) the follower takes over after the
// lease lapses, with a higher token, and the old leader's writes are
// fenced. A clean shutdown hands over at once.
func testElection(t *testing.T, dsn string) {
	clk := clock.NewFake(start)
	a := newReplica(t, dsn, "a", clk)
	testkit.EventuallyAdvancing(t, clk, 0, "a leads", a.leading)
	b := newReplica(t, dsn, "b", clk)
	testkit.EventuallyAdvancing(t, clk, time.Second, "b has tried for the lease", func() bool { return b.e.Lease().Holder == "a" })
	if b.leading() {
		t.Fatal("b leads beside a live leader")
	}
	aCtx, _ := a.e.Leading()
	if err := fencedWrite(aCtx, a.db); err != nil {
		t.Fatalf("the leader's write failed: %v", err)
	}
	tokenA := a.e.Lease().Token

	// Kill a: its loop stops, and with it the renewals; nothing is released.
	a.frozen.Store(true)
	testkit.EventuallyAdvancing(t, clk, 2*time.Second, "a hangs at its next round", a.hung.Load)
	killedAt := clk.Now()
	testkit.EventuallyAdvancing(t, clk, time.Second, "b takes over", b.leading)
	// At most TTL+Every, plus what the test's steps of the clock add when
	// they outrun a round of b's.
	if took := clk.Now().Sub(killedAt); took > 8*time.Second+2*time.Second+2*time.Second {
		t.Fatalf("takeover took %s of clock time, want about TTL+Every (10s)", took)
	}
	if got := b.e.Lease(); got.Holder != "b" || got.Token != tokenA+1 {
		t.Fatalf("b's lease %+v, want token %d", got, tokenA+1)
	}
	// a wakes up still believing it leads: its writes are refused.
	if err := fencedWrite(aCtx, a.db); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a stale leader's write: %v, want ErrFenced", err)
	}
	bCtx, _ := b.e.Leading()
	if err := fencedWrite(bCtx, b.db); err != nil {
		t.Fatalf("the new leader's write failed: %v", err)
	}

	// A clean shutdown releases the lease: c takes it at its first try.
	c := newReplica(t, dsn, "c", clk)
	testkit.EventuallyAdvancing(t, clk, time.Second, "c has tried for the lease", func() bool { return c.e.Lease().Holder == "b" })
	b.cancel()
	<-b.done
	if b.leading() {
		t.Fatal("b still leads after shutting down")
	}
	b.mu.Lock()
	ended := b.terms[0].Err() != nil
	b.mu.Unlock()
	if !ended {
		t.Fatal("b's term did not end with its shutdown")
	}
	before := clk.Now()
	testkit.EventuallyAdvancing(t, clk, time.Second, "c takes over", c.leading)
	// One round of c's, give or take the test's steps of the clock: well
	// before the 8 s a lapse takes.
	if took := clk.Now().Sub(before); took > 4*time.Second {
		t.Fatalf("takeover after a clean shutdown took %s, want about one round (2s)", took)
	}
	if got := c.e.Lease(); got.Token != tokenA+2 {
		t.Fatalf("c's token %d, want %d", got.Token, tokenA+2)
	}
}

// TestStepDownWhenRenewalFails: a leader that cannot reach the store stops
// leading before its lease can lapse, so that it is not running the engine
// when another replica starts to.
func TestStepDownWhenRenewalFails(t *testing.T) {
	clk := clock.NewFake(start)
	a := newReplica(t, t.TempDir()+"/t.db", "a", clk)
	testkit.EventuallyAdvancing(t, clk, 0, "a leads", a.leading)
	lease := a.e.Lease()
	a.db.Close() // every renewal fails from now on
	testkit.EventuallyAdvancing(t, clk, time.Second, "a steps down", func() bool { return !a.leading() })
	if clk.Now().After(lease.ExpiresAt) {
		t.Fatalf("a stepped down at %s, after its lease lapsed at %s", clk.Now(), lease.ExpiresAt)
	}
	a.mu.Lock()
	ended := a.terms[0].Err() != nil
	a.mu.Unlock()
	if !ended {
		t.Fatal("the term's context did not end")
	}
}

// TestSoleReplicaKeepsLeading: a process alone on its database (Force, as
// on SQLite) keeps its term while renewals fail: stepping down would stop
// its deadlines, and nobody else can take over.
func TestSoleReplicaKeepsLeading(t *testing.T) {
	clk := clock.NewFake(start)
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var terms atomic.Int32
	e := &Elector{DB: db, Clock: clk, Log: testkit.Logger(), Holder: "solo",
		TTL: 8 * time.Second, Every: 2 * time.Second, Force: true}
	idle := &testkit.IdleLog{}
	e.OnIdle = idle.Report
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, func(ctx context.Context) {
			terms.Add(1)
			<-ctx.Done()
		})
	}()
	defer func() { cancel(); <-done }()
	leading := func() bool { _, ok := e.Leading(); return ok }
	testkit.EventuallyAdvancing(t, clk, 0, "solo leads", leading)
	lease := e.Lease()
	db.Close() // every renewal fails from now on
	idle.Idle(t, clk.Now(), clk.Now().Add(e.Every), nil)
	for clk.Now().Before(lease.ExpiresAt.Add(time.Minute)) {
		clk.Advance(e.Every)
		idle.Idle(t, clk.Now(), clk.Now().Add(e.Every), nil) // the round at now failed, and it waits for the next
	}
	if !leading() || terms.Load() != 1 {
		t.Fatalf("leading %v after %d terms; want the first term kept while the store fails", leading(), terms.Load())
	}
}

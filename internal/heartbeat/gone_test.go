package heartbeat

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// goneFixture is a recorder on SQLite with one check that is down, its
// incident open, and the pings each commit counted.
type goneFixture struct {
	db      *store.DB
	rec     *Recorder
	uuid    string
	path    string
	mu      sync.Mutex
	counted int // pings the Committed hook was told of
}

func newGoneFixture(t *testing.T) *goneFixture {
	t.Helper()
	f := &goneFixture{path: t.TempDir() + "/t.db"}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), f.path, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *store.Tx) error {
		var err error
		f.uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "backup", Slug: "backup", Spec: tocsin.ScheduleSpec{Every: time.Hour},
			Grace: time.Hour, Notify: []string{"ops"}, AutoResolve: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	env := func() incident.Env { return incident.Env{PublicURL: "http://tocsin.test"} }
	f.rec = NewRecorder(db, clk, env, Hooks{Committed: func(pings []tocsin.Ping, _ []Transition, _ bool) {
		f.mu.Lock()
		f.counted += len(pings)
		f.mu.Unlock()
	}}, testkit.Logger(), nil)
	return f
}

// run runs the recorder until the returned function stops it.
func (f *goneFixture) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.rec.Run(ctx) }()
	return func() { cancel(); <-done }
}

func (f *goneFixture) ping(ctx context.Context, kind tocsin.PingKind) error {
	_, err := f.rec.Record(ctx, Request{UUID: f.uuid, Ping: tocsin.Ping{Kind: kind, Method: "GET"}})
	return err
}

// state is the check's status, its ping count and its open incidents.
func (f *goneFixture) state(t *testing.T) (tocsin.CheckState, int64, int) {
	t.Helper()
	c, err := f.db.CheckByUUID(context.Background(), f.uuid)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := f.db.Incidents(context.Background(), store.IncidentFilter{CheckID: c.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, in := range ins {
		if in.Status != tocsin.IncidentResolved {
			open++
		}
	}
	return c.Status, c.Pings, open
}

func (f *goneFixture) mustBe(t *testing.T, what string, status tocsin.CheckState, pings int64, open, counted int) {
	t.Helper()
	st, n, o := f.state(t)
	f.mu.Lock()
	c := f.counted
	f.mu.Unlock()
	if st != status || n != pings || o != open || c != counted {
		t.Fatalf("%s: %s, %d pings stored, %d open incidents, %d counted; want %s, %d, %d, %d",
			what, st, n, o, c, status, pings, open, counted)
	}
}

// queued waits until n pings wait in the recorder's queue.
func (f *goneFixture) queued(t *testing.T, n int) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d pings queued", n), func() bool { return f.rec.queue.Len() == n })
}

// TestGonePingsAreNotApplied: a success ping that queued while the recorder
// did not run (the process frozen), and whose client gave up meanwhile, is
// not applied when the recorder runs again: the check stays down, its
// incident open, the ping is neither stored nor counted, and its sender
// heard an error. A live ping of the same batch is applied.
func TestGonePingsAreNotApplied(t *testing.T) {
	f := newGoneFixture(t)
	stop := f.run()
	if err := f.ping(context.Background(), tocsin.PingFail); err != nil {
		t.Fatal(err)
	}
	f.mustBe(t, "after a fail ping", tocsin.StateDown, 1, 1, 1)
	stop() // frozen

	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() { gone <- f.ping(ctx, tocsin.PingSuccess) }()
	f.queued(t, 1)
	cancel() // the client gives up
	if err := <-gone; err == nil {
		t.Fatal("a ping whose client gave up was answered OK")
	}
	live := make(chan error, 1)
	go func() { live <- f.ping(context.Background(), tocsin.PingLog) }()
	f.queued(t, 2)

	defer f.run()() // thawed
	if err := <-live; err != nil {
		t.Fatalf("live ping: %v", err)
	}
	f.mustBe(t, "after the thaw", tocsin.StateDown, 2, 1, 2)
}

// TestPingsWaitForTheWriteLock: while another connection holds SQLite's
// write lock, a ping waits for it (within its request's time) and is
// answered OK once committed; one whose request ends first gets an error
// and is not applied once the lock is gone.
func TestPingsWaitForTheWriteLock(t *testing.T) {
	f := newGoneFixture(t)
	defer f.run()()
	if err := f.ping(context.Background(), tocsin.PingFail); err != nil {
		t.Fatal(err)
	}
	lock := holdWriteLock(t, f.path)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := f.ping(ctx, tocsin.PingSuccess); err == nil {
		t.Fatal("a ping answered OK while the database was write-locked")
	}
	waited := make(chan error, 1)
	go func() { waited <- f.ping(context.Background(), tocsin.PingLog) }()
	time.Sleep(200 * time.Millisecond) // the log ping waits behind the lock too
	lock()
	if err := <-waited; err != nil {
		t.Fatalf("a ping waiting for the lock: %v", err)
	}
	f.mustBe(t, "after the lock", tocsin.StateDown, 2, 1, 2)
}

// holdWriteLock takes SQLite's write lock on path from a connection of its
// own, as another program on the same file would; the returned function
// lets go.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

package groupcommit

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"

	_ "modernc.org/sqlite"
)

func openStore(t *testing.T, clk clock.Clock) (*store.DB, string) {
	t.Helper()
	path := t.TempDir() + "/t.db"
	db, err := store.Open(context.Background(), path, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func createCheck(ctx context.Context, tx *store.Tx, name string) error {
	_, err := tx.CreateCheck(ctx, store.CheckDef{Name: name, Slug: name,
		Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour})
	return err
}

// TestWriteWaitsOutALock: while another connection holds SQLite's write
// lock, Write tries again BusyRetry apart (on the writer's clock) as long
// as a sender waits, and commits once the lock is let go.
func TestWriteWaitsOutALock(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, path := openStore(t, clk)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	w := Writer{DB: db, Clock: clk, Log: testkit.Logger()}
	wctx, cancel := Bounded(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- w.Write(wctx, "test write", func() bool { return true }, func(tx *store.Tx) error {
			return createCheck(wctx, tx, "c")
		})
	}()
	testkit.Eventually(t, "the write waiting to try again", func() bool { return clk.Waiters() > 0 })
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(BusyRetry)
	if err := <-done; err != nil {
		t.Fatalf("write after the lock ended: %v", err)
	}
	if cs, err := db.Checks(ctx); err != nil || len(cs) != 1 {
		t.Fatalf("checks after the write: %d, %v; want 1", len(cs), err)
	}
}

// TestBounded: a batch's context outlives the writer's own (a batch taken
// is finished) but has a deadline.
func TestBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, stop := Bounded(ctx)
	defer stop()
	if b.Err() != nil {
		t.Fatal("a batch's context ended with the writer's")
	}
	if _, ok := b.Deadline(); !ok {
		t.Fatal("a batch's context has no deadline")
	}
}

// TestSplittable: a locked database or a timeout is met again by every
// request alone; a refused row is not.
func TestSplittable(t *testing.T) {
	if Splittable(context.DeadlineExceeded) || Splittable(context.Canceled) {
		t.Error("a timeout is splittable")
	}
	if !Splittable(errors.New("refused")) {
		t.Error("a refusal is not splittable")
	}
}

package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// The dashboard's batched queries give the same answers on SQLite and on
// PostgreSQL.
func TestDashboardQueries(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		clk := clock.NewFake(contractStart)
		db, err := Open(context.Background(), t.TempDir()+"/t.db", Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testPingHours(t, db, clk)
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		clk := clock.NewFake(contractStart)
		db, err := Open(context.Background(), srv.NewDatabase(t), Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testPingHours(t, db, clk)
	})
}

// testPingHours: every check's successes and failures by hour since a
// time, in one call; starts, logs and older pings are not counted.
func testPingHours(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	a, b, quiet := createCheck(t, db, "a"), createCheck(t, db, "b"), createCheck(t, db, "quiet")
	now := clk.Now() // on the hour
	at := func(d time.Duration) time.Time { return now.Add(d) }
	var pings []*tocsin.Ping
	add := func(c *tocsin.Check, when time.Time, kind tocsin.PingKind) {
		pings = append(pings, &tocsin.Ping{CheckID: c.ID, N: int64(len(pings) + 1), At: when, Kind: kind})
	}
	add(a, at(-30*time.Hour), tocsin.PingSuccess) // before since
	add(a, at(-2*time.Hour+time.Minute), tocsin.PingSuccess)
	add(a, at(-2*time.Hour+2*time.Minute), tocsin.PingStart)
	add(a, at(-2*time.Hour+3*time.Minute), tocsin.PingFail)
	add(a, at(-2*time.Hour+59*time.Minute), tocsin.PingSuccess)
	add(a, at(10*time.Minute), tocsin.PingLog)
	add(b, at(-time.Minute), tocsin.PingFail)
	add(quiet, at(-time.Minute), tocsin.PingIgnored)
	if err := db.Write(ctx, func(tx *Tx) error { return tx.InsertPings(ctx, pings) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.PingHours(ctx, at(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]PingHour{
		a.ID: {{Hour: at(-2 * time.Hour), OK: 2, Failed: 1}},
		b.ID: {{Hour: at(-time.Hour), OK: 0, Failed: 1}},
	}
	if len(got) != len(want) {
		t.Fatalf("ping hours of %d checks, want %d: %+v", len(got), len(want), got)
	}
	for id, hs := range want {
		if len(got[id]) != len(hs) {
			t.Fatalf("check %d: %+v, want %+v", id, got[id], hs)
		}
		for i, h := range hs {
			g := got[id][i]
			if !g.Hour.Equal(h.Hour) || g.OK != h.OK || g.Failed != h.Failed {
				t.Errorf("check %d hour %d: %+v, want %+v", id, i, g, h)
			}
		}
	}
}

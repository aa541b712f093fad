package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// gather lets successful results wait for others to share their commit,
// but never holds a failure, a full batch or a closing runner: with a
// BatchWait of an hour, each case below returns at once or hangs.
func TestGatherHoldsOnlySuccesses(t *testing.T) {
	ok := probeRun{checkID: 1, res: probe.Result{OK: true}}
	fail := probeRun{checkID: 2, res: probe.Fail(probe.ClassConnect, "refused", 0)}
	r := &ProbeRunner{BatchWait: time.Hour}
	ids := func(b []probeRun) []int64 {
		var out []int64
		for _, x := range b {
			out = append(out, x.checkID)
		}
		return out
	}
	same := func(got []probeRun, want ...int64) {
		t.Helper()
		g := ids(got)
		if len(g) != len(want) {
			t.Fatalf("batch %v, want %v", g, want)
		}
		for i := range g {
			if g[i] != want[i] {
				t.Fatalf("batch %v, want %v", g, want)
			}
		}
	}

	// A failure arriving ends the wait; what is already there joins it.
	r.results = make(chan probeRun, 10)
	r.results <- ok
	r.results <- fail
	r.results <- ok
	same(r.gather(append(make([]probeRun, 0, 8), ok)), 1, 1, 2, 1)

	// A failed first result does not wait at all.
	same(r.gather(append(make([]probeRun, 0, 8), fail)), 2)

	// A full batch is written without waiting.
	for range 3 {
		r.results <- ok
	}
	same(r.gather(append(make([]probeRun, 0, 3), ok)), 1, 1, 1)
	<-r.results

	// On shutdown (the channel closed) the batch is written as it is.
	r.results <- ok
	close(r.results)
	same(r.gather(append(make([]probeRun, 0, 8), ok)), 1, 1)
}

// Each run reports how late it started behind its schedule: on the fake
// clock, moved past every first run, by how far the clock passed it. Due
// times fall on steps of dueGrid.
func TestProbeRunReportsLateStart(t *testing.T) {
	g := setupGuard(t, 3)
	var mu sync.Mutex
	var lates []time.Duration
	g.r.OnStart = func(late time.Duration) {
		mu.Lock()
		lates = append(lates, late)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	end := g.r.begin(ctx)
	// The first runs are spread over the 30 s interval after Load (due on
	// the next step of dueGrid).
	g.clock.Advance(36 * time.Second)
	if _, err := g.r.round(ctx, g.clock.Now()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "three runs started", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lates) == 3
	})
	cancel()
	end()
	mu.Lock()
	defer mu.Unlock()
	for _, l := range lates {
		if l < 6*time.Second-dueGrid || l > 36*time.Second {
			t.Errorf("late by %s, want within [%s, 36s]", l, 6*time.Second-dueGrid)
		}
	}
}

// The results writer keeps the checks it committed; when another writer
// changes a check (here it is paused, as the API does), the kept copy is
// stale, and the next result is applied to the stored check, once: the
// check stays paused, every run is counted once in its rollups.
func TestStaleCachedCheckIsReadAgain(t *testing.T) {
	g := setupGuard(t, 1)
	ctx := context.Background()
	id := g.ids["web-0"]
	g.results(true, "web-0") // the writer now holds the check as committed
	err := g.db.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.CheckByID(ctx, id)
		if err != nil {
			return err
		}
		c.Status = tocsin.StatePaused
		return tx.SaveCheckState(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	g.clock.Advance(30 * time.Second)
	g.results(false, "web-0")
	c, err := g.db.CheckByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != tocsin.StatePaused || c.Pings != 2 {
		t.Fatalf("status %s after %d runs; want paused after 2", c.Status, c.Pings)
	}
	rs, err := g.db.Rollups(ctx, id, "day", t0.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Runs != 2 || rs[0].OKRuns != 1 {
		t.Fatalf("rollups %+v; want one day of 2 runs, 1 ok", rs)
	}
	list, _ := g.db.Incidents(ctx, store.IncidentFilter{CheckID: id})
	if len(list) != 0 {
		t.Fatalf("%d incidents for a paused check", len(list))
	}
}

func TestOnGrid(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want time.Duration }{
		{0, 0}, {1, dueGrid}, {dueGrid - 1, dueGrid}, {dueGrid, dueGrid}, {dueGrid + time.Millisecond, 2 * dueGrid},
	} {
		if got := onGrid(base.Add(c.in)); !got.Equal(base.Add(c.want)) {
			t.Errorf("onGrid(+%s) = +%s, want +%s", c.in, got.Sub(base), c.want)
		}
	}
}

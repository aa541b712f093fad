package heartbeat

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestTwoRecordersShareChecks runs two recorders, as two replicas do, on
// one database, pinging the same checks at once: every ping is stored
// once, numbered without a gap or a repeat, and the check's count and
// state agree, whichever recorder took it. On SQLite the second handle
// makes the first one's cached copies stale; on PostgreSQL the batch is
// read and saved in one statement each.
func TestTwoRecordersShareChecks(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testTwoRecorders(t, t.TempDir()+"/t.db") })
	t.Run("postgres", func(t *testing.T) { testTwoRecorders(t, pgtest.Start(t).NewDatabase(t)) })
}

func testTwoRecorders(t *testing.T, dsn string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	env := func() incident.Env { return incident.Env{PublicURL: "http://tocsin.test"} }
	log := testkit.Logger()
	var recs []*Recorder
	var dbs []*store.DB
	for range 2 {
		db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		rec := NewRecorder(db, clk, env, Hooks{}, log, nil)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); rec.Run(ctx) }()
		t.Cleanup(func() { cancel(); wg.Wait() })
		recs, dbs = append(recs, rec), append(dbs, db)
	}
	const checks, callers, perCaller = 10, 16, 30
	uuids := make([]string, checks)
	if err := dbs[0].Write(ctx, func(tx *store.Tx) error {
		for i := range uuids {
			var err error
			if uuids[i], err = tx.CreateCheck(ctx, store.CheckDef{Name: fmt.Sprint("c", i), Slug: fmt.Sprint("c", i),
				Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour, Notify: []string{"ops"}, AutoResolve: true}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for w := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perCaller {
				req := Request{UUID: uuids[(w+i)%checks], Ping: tocsin.Ping{Kind: tocsin.PingSuccess, Method: "POST",
					Body: []byte(fmt.Sprintf("w%d-%d", w, i))}}
				if res, err := recs[(w+i)%2].Record(ctx, req); err != nil || !res.Found {
					errs <- fmt.Errorf("ping: %+v, %v", res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := int64(0)
	for _, u := range uuids {
		c, err := dbs[1].CheckByUUID(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := dbs[1].Pings(ctx, c.ID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(ps)) != c.Pings || c.Status != tocsin.StateUp {
			t.Errorf("check %s: %d pings stored, count %d, state %s", c.Name, len(ps), c.Pings, c.Status)
		}
		seen := map[int64]bool{}
		for _, p := range ps {
			if seen[p.N] || p.N < 1 || p.N > c.Pings {
				t.Errorf("check %s: ping number %d repeated or out of 1..%d", c.Name, p.N, c.Pings)
			}
			seen[p.N] = true
		}
		total += c.Pings
	}
	if total != callers*perCaller {
		t.Fatalf("%d pings counted, %d sent", total, callers*perCaller)
	}

	// A failure taken by one recorder and the recovery by the other: one
	// incident, opened and resolved, whichever copy each had.
	if _, err := recs[0].Record(ctx, Request{UUID: uuids[0], Ping: tocsin.Ping{Kind: tocsin.PingFail, Method: "POST"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := recs[1].Record(ctx, Request{UUID: uuids[0], Ping: tocsin.Ping{Kind: tocsin.PingSuccess, Method: "POST"}}); err != nil {
		t.Fatal(err)
	}
	c, err := dbs[0].CheckByUUID(ctx, uuids[0])
	if err != nil || c.Status != tocsin.StateUp {
		t.Fatalf("after fail and success: %+v, %v", c, err)
	}
	ins, err := dbs[0].Incidents(ctx, store.IncidentFilter{CheckID: c.ID, Limit: 10})
	if err != nil || len(ins) != 1 || ins[0].Status != tocsin.IncidentResolved {
		t.Fatalf("incidents of the check: %+v, %v", ins, err)
	}
}

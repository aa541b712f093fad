package alerting

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// A delivery of 10,000 alerts must not hold the writer until it ends:
// a ping, a lease renewal and the health write probe made while it is
// being applied commit before its last alert does. The delivery is still
// answered only once all of it is stored, and grouped as one.
func TestLargeDeliveryReleasesWriter(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testLargeDeliveryReleasesWriter(t, t.TempDir()+"/t.db") })
	t.Run("postgres", func(t *testing.T) {
		if testing.Short() {
			t.Skip("PostgreSQL")
		}
		testLargeDeliveryReleasesWriter(t, pgtest.Start(t).NewDatabase(t))
	})
}

func testLargeDeliveryReleasesWriter(t *testing.T, dsn string) {
	const n = 10000
	clk := clock.NewFake(t0)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var checkID int64
	if err := db.Write(ctx, func(tx *store.Tx) error {
		uuid, err := tx.CreateCheck(ctx, store.CheckDef{Name: "backup", Slug: "backup", Spec: tocsin.ScheduleSpec{Every: time.Hour}})
		if err != nil {
			return err
		}
		c, err := tx.CheckByUUID(ctx, uuid)
		checkID = c.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	policy := payments(30 * time.Second)
	env := func() incident.Env {
		return incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
	}
	p := New(db, clk, env, func() *Policy { return policy }, testkit.Logger(), nil)
	var committed int
	p.OnCommitted = func(o Outcome) { committed++ } // Run's goroutine only; read after Run ends
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); p.Run(rctx) }()
	defer func() { stop(); <-ran }()

	alerts := make([]tocsin.Alert, n)
	for i := range alerts {
		alerts[i] = firing(fmt.Sprintf("k%05d", i), "disk full", "alertname", "DiskFull", "cluster", "eu",
			"instance", strconv.Itoa(i))
	}
	type result struct {
		out Outcome
		err error
	}
	ingested := make(chan result, 1)
	go func() {
		out, err := p.Ingest(ctx, Delivery{Integration: "am", Service: "payments", Alerts: alerts})
		ingested <- result{out, err}
	}()

	// Wait until the first alerts of the delivery are committed: it is
	// being applied.
	testkit.Eventually(t, "an alert of the delivery committed", func() bool {
		list, err := db.Alerts(ctx, store.AlertFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return len(list) > 0
	})
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := db.AcquireLease(wctx, "member:a", "a", 8*time.Second, false); err != nil {
		t.Fatalf("lease renewal during the delivery: %v", err)
	}
	if err := db.ProbeWrite(wctx, "a"); err != nil {
		t.Fatalf("write probe during the delivery: %v", err)
	}
	if err := db.Write(wctx, func(tx *store.Tx) error {
		return tx.InsertPings(wctx, []*tocsin.Ping{{CheckID: checkID, N: 1, At: t0, Kind: tocsin.PingSuccess}})
	}); err != nil {
		t.Fatalf("ping during the delivery: %v", err)
	}
	// All three committed; the delivery has not ended.
	select {
	case r := <-ingested:
		t.Fatalf("the delivery ended (%+v, %v) before the writes made during it: it held the writer", r.out, r.err)
	default:
	}
	last, err := db.Alerts(ctx, store.AlertFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if last[0].Key == alerts[n-1].Key {
		t.Fatal("the last alert of the delivery was committed before the writes made during it")
	}

	var r result
	select {
	case r = <-ingested:
	case <-time.After(2 * time.Minute):
		t.Fatal("the delivery never ended")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.out.New != n {
		t.Fatalf("outcome %+v, want %d new", r.out, n)
	}
	// One group across every transaction of the delivery: one incident
	// holding all its alerts.
	ins, err := db.Incidents(ctx, store.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 {
		t.Fatalf("%d incidents, want 1", len(ins))
	}
	members, err := db.AlertsOfIncident(ctx, ins[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != n {
		t.Fatalf("incident holds %d alerts, want %d", len(members), n)
	}
	// The alerts that joined it are one timeline entry, as in one
	// transaction, not one per chunk.
	in, err := db.Incident(ctx, ins[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var joined []string
	for _, e := range in.Timeline {
		if strings.Contains(e.Message, "joined the incident") {
			joined = append(joined, e.Message)
		}
	}
	if len(joined) != 1 || !strings.HasPrefix(joined[0], fmt.Sprintf("%d alerts joined the incident", n-1)) {
		t.Fatalf("%d join entries, want 1 for the %d alerts that joined: %.80q", len(joined), n-1, joined[:min(len(joined), 1)])
	}
	pings, err := db.PingCount(ctx, checkID)
	if err != nil || pings != 1 {
		t.Fatalf("%d pings stored, %v", pings, err)
	}
	stop()
	<-ran
	if committed < n/maxAlertsPerTx {
		t.Fatalf("%d transactions committed, want at least %d", committed, n/maxAlertsPerTx)
	}

	// A repeat of the whole delivery (the sender's retry after a failure
	// part-way) updates and does not duplicate.
	f := &fixture{t: t, ctx: ctx, db: db, clock: clk, p: New(db, clk, env, func() *Policy { return policy },
		testkit.Logger(), nil), policy: policy}
	if out := f.deliver("am", "payments", alerts...); out.New != 0 || out.Updated+out.Silenced+out.Inhibited > n {
		t.Fatalf("repeat: %+v", out)
	}
	if ins := f.incidents(); len(ins) != 1 {
		t.Fatalf("repeat: %d incidents", len(ins))
	}
	if members, _ := db.AlertsOfIncident(ctx, ins[0].ID); len(members) != n {
		t.Fatalf("repeat: incident holds %d alerts", len(members))
	}
}

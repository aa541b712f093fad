package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testRoundBatches checks the batch forms a round of the engine uses
// against what the one-row forms store.
func testRoundBatches(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	a, b, c := createCheck(t, db, "a"), createCheck(t, db, "b"), createCheck(t, db, "c")
	var inA, inB *tocsin.Incident
	err := db.Write(ctx, func(tx *Tx) error {
		checks, err := tx.ChecksByIDs(ctx, []int64{a.ID, b.ID, c.ID, c.ID + 1000})
		if err != nil || len(checks) != 3 || checks[a.ID].Name != "a" || checks[c.ID].Name != "c" {
			return fmt.Errorf("checks by ids: %v, %v", checks, err)
		}
		inA = &tocsin.Incident{CheckID: a.ID, Title: "a is down", Status: tocsin.IncidentTriggered, OpenedAt: now,
			Notify: []string{"ops"}}
		inB = &tocsin.Incident{CheckID: b.ID, Title: "b is down", Status: tocsin.IncidentTriggered, OpenedAt: now,
			EscalationPolicy: "primary", EscalateAt: now, Paged: true, Team: "web"}
		if err := tx.CreateIncidents(ctx, []*tocsin.Incident{inA, inB}); err != nil {
			return err
		}
		var es []*tocsin.TimelineEntry
		for i := range 3 {
			es = append(es, &tocsin.TimelineEntry{IncidentID: inA.ID, At: now, Kind: fmt.Sprintf("k%d", i), Actor: "tocsin",
				Message: fmt.Sprintf("entry %d", i), Data: []byte(fmt.Sprintf(`{"i":%d}`, i))})
		}
		es = append(es, &tocsin.TimelineEntry{IncidentID: inB.ID, Kind: "opened", Actor: "tocsin", Message: "b"})
		return tx.AppendTimelines(ctx, es)
	})
	if err != nil {
		t.Fatal(err)
	}
	if inA.ID == 0 || inB.ID == 0 || inA.ID == inB.ID {
		t.Fatalf("incident ids %d, %d", inA.ID, inB.ID)
	}
	got, err := db.Incident(ctx, inA.ID)
	if err != nil || got.CheckID != a.ID || got.Title != "a is down" || !reflect.DeepEqual(got.Notify, []string{"ops"}) ||
		len(got.Timeline) != 3 {
		t.Fatalf("incident a: %+v, %v", got, err)
	}
	for i, e := range got.Timeline {
		if e.Kind != fmt.Sprintf("k%d", i) || string(e.Data) != fmt.Sprintf(`{"i":%d}`, i) || !e.At.Equal(now) {
			t.Fatalf("timeline of a, entry %d: %+v", i, e)
		}
	}
	got, err = db.Incident(ctx, inB.ID)
	if err != nil || got.CheckID != b.ID || got.EscalationPolicy != "primary" || !got.EscalateAt.Equal(now) || !got.Paged ||
		got.Team != "web" || len(got.Timeline) != 1 || !got.Timeline[0].At.Equal(now) {
		t.Fatalf("incident b: %+v, %v", got, err)
	}

	// b resolved and opened again: its latest incident is the new one,
	// its open one too; c has none.
	clk.Advance(time.Minute)
	var inB2 *tocsin.Incident
	err = db.Write(ctx, func(tx *Tx) error {
		inB.Status, inB.ResolvedAt, inB.ResolvedBy = tocsin.IncidentResolved, clk.Now(), "tocsin"
		if err := tx.SaveIncident(ctx, inB); err != nil {
			return err
		}
		last, err := tx.LastIncidentsForChecks(ctx, []int64{a.ID, b.ID, c.ID})
		if err != nil || len(last) != 2 || last[b.ID].ID != inB.ID || last[b.ID].Status != tocsin.IncidentResolved {
			return fmt.Errorf("last incidents: %v, %v", last, err)
		}
		inB2 = &tocsin.Incident{CheckID: b.ID, Title: "b is down", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now()}
		return tx.CreateIncidents(ctx, []*tocsin.Incident{inB2})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx *Tx) error {
		open, err := tx.OpenIncidentsForChecks(ctx, []int64{a.ID, b.ID, c.ID})
		if err != nil || len(open) != 2 || open[a.ID].ID != inA.ID || open[b.ID].ID != inB2.ID {
			return fmt.Errorf("open incidents: %v, %v", open, err)
		}
		last, err := tx.LastIncidentsForChecks(ctx, []int64{a.ID, b.ID, c.ID})
		if err != nil || len(last) != 2 || last[a.ID].ID != inA.ID || last[b.ID].ID != inB2.ID {
			return fmt.Errorf("last incidents: %v, %v", last, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A key queued before, and a key twice in the batch, are queued once.
	n := func(key string) *tocsin.Notification {
		return &tocsin.Notification{IdempotencyKey: key, Channel: "ops", Event: tocsin.EventTriggered, IncidentID: inA.ID,
			Payload: []byte(`{"k":"` + key + `"}`)}
	}
	err = db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.Enqueue(ctx, n("k0")); err != nil {
			return err
		}
		added, err := tx.EnqueueAll(ctx, []*tocsin.Notification{n("k1"), n("k0"), n("k2"), n("k1")})
		if err != nil || !reflect.DeepEqual(added, []bool{true, false, true, false}) {
			return fmt.Errorf("added %v, %v", added, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := db.Notifications(ctx, inA.ID)
	if err != nil || len(ns) != 3 || ns[1].IdempotencyKey != "k1" || ns[2].IdempotencyKey != "k2" ||
		string(ns[2].Payload) != `{"k":"k2"}` || ns[2].Status != tocsin.NotifyPending || !ns[2].NextAttemptAt.Equal(clk.Now()) {
		t.Fatalf("notifications: %+v, %v", ns, err)
	}

	// Deliveries recorded together.
	if err := db.Write(ctx, func(tx *Tx) error {
		return tx.MarkSentAll(ctx, []Sent{{ID: ns[1].ID, Attempts: 1}, {ID: ns[2].ID, Attempts: 3}})
	}); err != nil {
		t.Fatal(err)
	}
	ns, err = db.Notifications(ctx, inA.ID)
	if err != nil || ns[0].Status != tocsin.NotifyPending || ns[1].Status != tocsin.NotifySent || ns[1].Attempts != 1 ||
		ns[2].Status != tocsin.NotifySent || ns[2].Attempts != 3 || !ns[2].SentAt.Equal(clk.Now()) {
		t.Fatalf("notifications after MarkSentAll: %+v, %v", ns, err)
	}

	// The maintenances under way are read once a transaction, and again
	// once it writes one.
	err = db.Write(ctx, func(tx *Tx) error {
		if list, err := tx.ActiveStatusMaintenances(ctx, clk.Now()); err != nil || len(list) != 0 {
			return fmt.Errorf("active maintenances: %v, %v", list, err)
		}
		m := &StatusIncident{Page: "public", Kind: StatusKindMaintenance, Name: "upgrade", Status: "scheduled",
			CreatedAt: clk.Now(), UpdatedAt: clk.Now(), ScheduledFor: clk.Now(), ScheduledUntil: clk.Now().Add(time.Hour)}
		if err := tx.CreateStatusIncident(ctx, m); err != nil {
			return err
		}
		if list, err := tx.ActiveStatusMaintenances(ctx, clk.Now()); err != nil || len(list) != 1 || list[0].ID != m.ID {
			return fmt.Errorf("active maintenances after one was created: %v, %v", list, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

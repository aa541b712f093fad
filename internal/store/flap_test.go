package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func init() {
	contract = append(contract, struct {
		name string
		run  func(t *testing.T, db *DB, clk *clock.Fake)
	}{"FlapStateAndWakeDeadlines", testFlapStateAndWakeDeadlines})
}

// A check's flap settings and state survive a save and a read, one by one
// and in a batch; the engine's deadlines include the end of flapping and
// a due re-page (the earlier of those and the down deadline); and the
// latest incident of a check is found, open or not.
func testFlapStateAndWakeDeadlines(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	var uuids map[string]string
	if err := db.Write(ctx, func(tx *Tx) error {
		res, err := tx.SyncChecks(ctx, []CheckDef{
			{Name: "flappy", Slug: "flappy", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute,
				FlapChanges: 3, FlapWindow: 5 * time.Minute, FlapStable: 2 * time.Minute, ReopenAfter: 30 * time.Minute},
			{Name: "batch", Slug: "batch", Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute, FlapChanges: 4,
				FlapWindow: time.Minute, FlapStable: time.Minute},
		})
		uuids = res.UUIDs
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c, err := db.CheckByUUID(ctx, uuids["flappy"])
	if err != nil {
		t.Fatal(err)
	}
	if c.FlapChanges != 3 || c.FlapWindow != 5*time.Minute || c.FlapStable != 2*time.Minute || c.ReopenAfter != 30*time.Minute {
		t.Fatalf("settings %d %s %s %s", c.FlapChanges, c.FlapWindow, c.FlapStable, c.ReopenAfter)
	}
	// Up and flapping, last change now: it stops flapping 2m from now,
	// before its down deadline (1h1m).
	changes := []time.Time{now.Add(-2 * time.Minute), now.Add(-time.Minute), now}
	c.Status, c.LastPingAt, c.AlertAfter = tocsin.StateUp, now, now.Add(61*time.Minute)
	c.Changes, c.FlappingSince, c.FlapCount = changes, now, 3
	c.ReopenAt, c.ReopenNote = now.Add(time.Hour), "resolved by hand by alice (incident #1)"
	if err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckState(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.CheckByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Changes) != 3 || !got.Changes[0].Equal(changes[0]) || !got.Changes[2].Equal(now) || !got.FlappingSince.Equal(now) ||
		got.FlapCount != 3 || !got.ReopenAt.Equal(now.Add(time.Hour)) || got.ReopenNote != c.ReopenNote {
		t.Fatalf("read back %v %v %d %v %q", got.Changes, got.FlappingSince, got.FlapCount, got.ReopenAt, got.ReopenNote)
	}
	ds, err := db.Deadlines(ctx)
	if err != nil || len(ds) != 1 || ds[0].CheckID != c.ID || !ds[0].At.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("deadlines %+v %v; want the end of flapping, 2m from now", ds, err)
	}
	// Down (flapping goes on, no end while down): the re-page is next.
	got.Status, got.AlertAfter = tocsin.StateDown, time.Time{}
	b, err := db.CheckByUUID(ctx, uuids["batch"])
	if err != nil {
		t.Fatal(err)
	}
	b.Changes, b.FlappingSince, b.FlapCount, b.Status = []time.Time{now}, time.Time{}, 0, tocsin.StateUp
	if err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckStates(ctx, []*tocsin.Check{got, b}) }); err != nil {
		t.Fatal(err)
	}
	ds, err = db.Deadlines(ctx)
	if err != nil || len(ds) != 1 || !ds[0].At.Equal(now.Add(time.Hour)) {
		t.Fatalf("deadlines %+v %v; want the re-page at 1h", ds, err)
	}
	if again, _ := db.CheckByID(ctx, b.ID); len(again.Changes) != 1 || !again.Changes[0].Equal(now) {
		t.Fatalf("batch save lost the changes: %v", again.Changes)
	}

	// The latest incident of a check, open or resolved.
	if err := db.Write(ctx, func(tx *Tx) error {
		if in, err := tx.LastIncidentForCheck(ctx, c.ID); err != nil || in != nil {
			t.Errorf("no incident yet: %+v %v", in, err)
		}
		first := &tocsin.Incident{CheckID: c.ID, Title: "flappy is down", Status: tocsin.IncidentResolved, OpenedAt: now}
		if err := tx.CreateIncident(ctx, first); err != nil {
			return err
		}
		second := &tocsin.Incident{CheckID: c.ID, Title: "flappy is down", Status: tocsin.IncidentTriggered, OpenedAt: now}
		if err := tx.CreateIncident(ctx, second); err != nil {
			return err
		}
		other := &tocsin.Incident{CheckID: b.ID, Title: "batch is down", Status: tocsin.IncidentResolved, OpenedAt: now}
		if err := tx.CreateIncident(ctx, other); err != nil {
			return err
		}
		in, err := tx.LastIncidentForCheck(ctx, c.ID)
		if err != nil || in == nil || in.ID != second.ID {
			t.Errorf("latest incident of flappy: %+v %v; want #%d", in, err, second.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

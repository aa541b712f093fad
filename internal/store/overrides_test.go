package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testScheduleOverrides: overrides made at run time are stored, read by
// schedule and by the span they overlap (in a transaction too), and
// deleted only through their own schedule.
func testScheduleOverrides(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	mk := func(schedule, user string, from, to time.Duration) ScheduleOverride {
		o := ScheduleOverride{Schedule: schedule, User: user, StartsAt: now.Add(from), EndsAt: now.Add(to), CreatedBy: "user:alice",
			Note: "swap with " + user}
		if err := db.Write(ctx, func(tx *Tx) error { return tx.CreateScheduleOverride(ctx, &o) }); err != nil {
			t.Fatal(err)
		}
		if o.ID == 0 || !o.CreatedAt.Equal(now) {
			t.Fatalf("created %+v", o)
		}
		return o
	}
	ana := mk("primary", "ana", time.Hour, 3*time.Hour)
	bob := mk("primary", "bob", -2*time.Hour, time.Hour)
	mk("secondary", "cid", 0, time.Hour)

	got, err := db.ScheduleOverrides(ctx, "primary", now, now.Add(24*time.Hour))
	if err != nil || len(got) != 2 || got[0].ID != bob.ID || got[1] != ana {
		t.Fatalf("primary's overrides: %+v %v", got, err)
	}
	// Overlap is half-open: an override ending at from is not in the span.
	if got, err := db.ScheduleOverrides(ctx, "primary", now.Add(3*time.Hour), now.Add(4*time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("after the last one: %+v %v", got, err)
	}
	if got, err := db.ScheduleOverrides(ctx, "", now.Add(30*time.Minute), now.Add(31*time.Minute)); err != nil || len(got) != 2 {
		t.Fatalf("every schedule's at a moment: %+v %v", got, err)
	}
	var inTx []ScheduleOverride
	if err := db.Write(ctx, func(tx *Tx) error {
		inTx, err = tx.ScheduleOverrides(ctx, "primary", now.Add(2*time.Hour), now.Add(2*time.Hour+time.Millisecond))
		return err
	}); err != nil || len(inTx) != 1 || inTx[0].User != "ana" {
		t.Fatalf("in a transaction: %+v %v", inTx, err)
	}

	err = db.Write(ctx, func(tx *Tx) error { _, err := tx.DeleteScheduleOverride(ctx, "secondary", ana.ID); return err })
	if tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("delete through another schedule: %v", err)
	}
	var deleted ScheduleOverride
	if err := db.Write(ctx, func(tx *Tx) error { deleted, err = tx.DeleteScheduleOverride(ctx, "primary", ana.ID); return err }); err != nil ||
		deleted != ana {
		t.Fatalf("delete: %+v %v", deleted, err)
	}
	if got, _ := db.ScheduleOverrides(ctx, "primary", now, now.Add(24*time.Hour)); len(got) != 1 || got[0].ID != bob.ID {
		t.Fatalf("after delete: %+v", got)
	}
}

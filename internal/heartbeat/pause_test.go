package heartbeat

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TestPauseResume: pausing forgets the run in progress and the deadline;
// resuming makes the check new; resuming a check that is not paused is a
// conflict that changes nothing.
func TestPauseResume(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	c := &tocsin.Check{Status: tocsin.StateUp, Schedule: tocsin.Every(time.Hour), Grace: time.Minute,
		LastPingAt: t0, LastStartAt: t0.Add(time.Minute), LastStartRID: "r1"}
	c.AlertAfter = c.GoesDownAt()

	if err := Resume(c); tocsin.ErrorCode(err) != tocsin.EConflict || tocsin.ErrorMessage(err) != "check is not paused" {
		t.Fatalf("resume of an up check: %v, want EConflict", err)
	}
	if c.Status != tocsin.StateUp || c.LastStartRID != "r1" {
		t.Fatalf("a refused resume changed the check: %+v", c)
	}

	Pause(c)
	if c.Status != tocsin.StatePaused || !c.LastStartAt.IsZero() || c.LastStartRID != "" || !c.AlertAfter.IsZero() {
		t.Fatalf("after pause: %+v", c)
	}
	if err := Resume(c); err != nil {
		t.Fatal(err)
	}
	if c.Status != tocsin.StateNew || !c.AlertAfter.Equal(c.GoesDownAt()) {
		t.Fatalf("after resume: status %s, alert after %v (goes down at %v)", c.Status, c.AlertAfter, c.GoesDownAt())
	}
}

// TestSetPaused pauses and resumes a stored check and reports the status
// it had.
func TestSetPaused(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var uuid string
	if err := db.Write(ctx, func(tx *store.Tx) error {
		uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "c", Slug: "c", Spec: tocsin.ScheduleSpec{Every: time.Hour},
			Grace: time.Hour})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	set := func(pause bool) (*tocsin.Check, tocsin.CheckState, error) {
		var c *tocsin.Check
		var from tocsin.CheckState
		err := db.Write(ctx, func(tx *store.Tx) error {
			var err error
			c, from, err = SetPaused(ctx, tx, uuid, pause)
			return err
		})
		return c, from, err
	}
	if _, _, err := set(false); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("resume of a new check: %v, want EConflict", err)
	}
	c, from, err := set(true)
	if err != nil || from != tocsin.StateNew || c.Status != tocsin.StatePaused {
		t.Fatalf("pause: %v, from %s to %v", err, from, c)
	}
	stored, err := db.CheckByUUID(ctx, uuid)
	if err != nil || stored.Status != tocsin.StatePaused {
		t.Fatalf("stored after pause: %v, %v", stored, err)
	}
	if c, from, err = set(false); err != nil || from != tocsin.StatePaused || c.Status != tocsin.StateNew {
		t.Fatalf("resume: %v, from %s to %v", err, from, c)
	}
	uuid = "00000000-0000-0000-0000-000000000000"
	if _, _, err := set(true); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("pause of an unknown check: %v, want ENotFound", err)
	}
}

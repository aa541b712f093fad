package heartbeat

import (
	"context"
	"strings"
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

// TestSetPaused pauses and resumes a stored check and records in the audit
// log who did, and from which status.
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
	set := func(pause bool) (*tocsin.Check, error) {
		var c *tocsin.Check
		err := db.Write(ctx, func(tx *store.Tx) (err error) {
			c, err = SetPaused(ctx, tx, uuid, pause, "token:ops")
			return err
		})
		return c, err
	}
	if _, err := set(false); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("resume of a new check: %v, want EConflict", err)
	}
	c, err := set(true)
	if err != nil || c.Status != tocsin.StatePaused {
		t.Fatalf("pause: %v, %v", err, c)
	}
	stored, err := db.CheckByUUID(ctx, uuid)
	if err != nil || stored.Status != tocsin.StatePaused {
		t.Fatalf("stored after pause: %v, %v", stored, err)
	}
	if c, err = set(false); err != nil || c.Status != tocsin.StateNew {
		t.Fatalf("resume: %v, %v", err, c)
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Actor+" "+e.Action+" "+e.Message)
	}
	want := []string{"token:ops check.resume c: paused -> new", "token:ops check.pause c: new -> paused"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit log:\n%s\nwant (newest first):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	uuid = "00000000-0000-0000-0000-000000000000"
	if _, err := set(true); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("pause of an unknown check: %v, want ENotFound", err)
	}
}

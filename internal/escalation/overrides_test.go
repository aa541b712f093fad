package escalation

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
)

// An override made at run time (stored, not in the config) fills a hole
// in the rota: the gap check reads it and resolves its warning.
func TestStoredOverrideFillsAGap(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin) // Monday
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clock.NewFake(now)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &oncall.Schedule{Name: "primary", Loc: berlin, Layers: []oncall.Rotation{{Participants: []string{"ana"},
		Start: oncall.Date{Year: 2026, Month: 1, Day: 5}, Length: 1, Unit: oncall.Weeks, Handoff: oncall.HM(9, 0),
		Restrictions: []oncall.Restriction{{Days: []time.Weekday{1, 2, 3, 4, 5}, From: 0, To: 24 * 60, Loc: berlin}}}}}
	d := &Directory{Schedules: map[string]*oncall.Schedule{"primary": s}, Fallback: []string{"operator"}}
	env := incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
	check := func(at time.Time) (int, int) {
		t.Helper()
		var o, r int
		if err := db.Write(ctx, func(tx *store.Tx) (err error) {
			o, r, err = CheckGaps(ctx, tx, env, d, nil, at, 3*24*time.Hour)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return o, r
	}
	if o, r := check(now.Add(48 * time.Hour)); o != 1 || r != 0 { // Wednesday: the weekend is within 3 days
		t.Fatalf("first check: opened %d, resolved %d", o, r)
	}
	o := store.ScheduleOverride{Schedule: "primary", User: "bo", StartsAt: time.Date(2026, 3, 7, 0, 0, 0, 0, berlin),
		EndsAt: time.Date(2026, 3, 9, 0, 0, 0, 0, berlin), CreatedBy: "user:alice"}
	if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateScheduleOverride(ctx, &o) }); err != nil {
		t.Fatal(err)
	}
	if o, r := check(now.Add(49 * time.Hour)); o != 0 || r != 1 {
		t.Fatalf("after the stored override: opened %d, resolved %d", o, r)
	}
	if s.Overrides != nil {
		t.Errorf("the directory's schedule was changed: %+v", s.Overrides)
	}
}

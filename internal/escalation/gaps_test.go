package escalation

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
)

func TestCheckGaps(t *testing.T) {
	ctx := context.Background()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, berlin) // Monday
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clock.NewFake(now)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// ana is on call on weekdays only: the weekend is a hole.
	s := &oncall.Schedule{Name: "primary", Loc: berlin, Layers: []oncall.Rotation{{Participants: []string{"ana"},
		Start: oncall.Date{Year: 2026, Month: 1, Day: 5}, Length: 1, Unit: oncall.Weeks, Handoff: oncall.HM(9, 0),
		Restrictions: []oncall.Restriction{{Days: []time.Weekday{1, 2, 3, 4, 5}, From: 0, To: 24 * 60, Loc: berlin}}}}}
	d := &Directory{Schedules: map[string]*oncall.Schedule{"primary": s},
		Teams: map[string]Team{"core": {Name: "core", Fallback: []string{"core-pager"}}}, Fallback: []string{"operator"}}
	env := incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
	check := func(at time.Time) (int, int) {
		t.Helper()
		var o, r int
		if err := db.Write(ctx, func(tx *store.Tx) (err error) {
			o, r, err = CheckGaps(ctx, tx, env, d, map[string]string{"primary": "core"}, at, 7*24*time.Hour)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return o, r
	}
	if o, r := check(now); o != 1 || r != 0 {
		t.Fatalf("first check: opened %d, resolved %d", o, r)
	}
	list, _ := db.Incidents(ctx, store.IncidentFilter{Open: true})
	if len(list) != 1 || !strings.Contains(list[0].Title, "Gap in schedule primary: nobody on call from Sat 2026-03-07 00:00 CET to Mon 2026-03-09 00:00 CET") {
		t.Fatalf("incidents %+v", list)
	}
	ns, _ := db.Notifications(ctx, list[0].ID)
	if len(ns) != 1 || ns[0].Channel != "core-pager" {
		t.Fatalf("warning sent to %+v", ns)
	}
	// An hour later: the same hole, no second warning.
	if o, r := check(now.Add(time.Hour)); o != 0 || r != 0 {
		t.Fatalf("second check: opened %d, resolved %d", o, r)
	}
	// An override fills the weekend: the warning resolves.
	s.Overrides = []oncall.Override{{User: "bo", From: time.Date(2026, 3, 7, 0, 0, 0, 0, berlin), To: time.Date(2026, 3, 9, 0, 0, 0, 0, berlin)}}
	if o, r := check(now.Add(2 * time.Hour)); o != 0 || r != 1 {
		t.Fatalf("after the override: opened %d, resolved %d", o, r)
	}
	// Without the override, on Saturday: one "nobody on call now" warning.
	s.Overrides = nil
	sat := time.Date(2026, 3, 7, 12, 0, 0, 0, berlin)
	if o, _ := check(sat); o != 2 { // the ongoing hole, and next weekend's
		t.Fatalf("on Saturday: opened %d", o)
	}
	list, _ = db.Incidents(ctx, store.IncidentFilter{Open: true})
	var now2 *tocsin.Incident
	for _, in := range list {
		if strings.Contains(in.Title, "NOBODY ON CALL NOW") {
			now2 = in
		}
	}
	if now2 == nil || !strings.Contains(now2.Title, "NOBODY ON CALL NOW") {
		t.Fatalf("no ongoing-gap warning: %+v", list)
	}
	if o, _ := check(sat.Add(time.Hour)); o != 0 {
		t.Fatalf("the ongoing hole warned again: %d", o)
	}
	// The ongoing hole kept the key it had as a hole ahead...
	if now2.GroupKey != "gap:"+itoa(time.Date(2026, 3, 7, 0, 0, 0, 0, berlin).Unix()) {
		t.Fatalf("ongoing hole key %q", now2.GroupKey)
	}
	// ...and a warning a person resolved is not sent again.
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := incident.Resolve(ctx, tx, env, now2.ID, "api:ana", sat.Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if o, _ := check(sat.Add(2 * time.Hour)); o != 0 {
		t.Fatalf("a dismissed warning came back: %d", o)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestGapReason: lengths in hours and minutes, the start as a UTC time,
// and how far off it is, never negative.
func TestGapReason(t *testing.T) {
	now := time.Date(2026, 12, 10, 1, 35, 0, 0, time.UTC)
	start := time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		start, end time.Time
		want       string
	}{
		{start, start.Add(455 * time.Minute),
			"the rota of schedule primary has nobody on call for 7h35m, from 2026-12-07T18:00Z (started 55h35m ago); add an override or fix the rota"},
		{now.Add(2 * time.Hour), now.Add(26 * time.Hour), "nobody on call for 24h, from 2026-12-10T03:35Z (in 2h)"},
		{now.Add(90 * time.Second), now.Add(13 * time.Minute), "nobody on call for 12m, from 2026-12-10T01:36Z (in 2m)"},
		{now, now.Add(time.Hour), "(started less than a minute ago)"},
	} {
		got := GapReason("primary", tc.start, tc.end, now)
		if !strings.Contains(got, tc.want) || strings.Contains(got, "in -") {
			t.Errorf("GapReason = %q, want %q", got, tc.want)
		}
	}
}

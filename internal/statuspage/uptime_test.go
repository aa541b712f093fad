package statuspage

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Uptime across the change to summer time in Berlin (2026-03-29, 02:00
// CET -> 03:00 CEST: a day of 23 hours), worked out by hand:
//
//	nightly (heartbeat, created 2026-01-01T00:00Z = 01:00 CET) is down
//	from 2026-03-28T21:00Z (22:00 CET) to 2026-03-29T02:00Z (04:00 CEST);
//	site (probe) ran 4 times in the hour from 2026-03-29T00:00Z, 1 failed,
//	and once at 2026-03-29T22:30Z (00:30 CEST on the 30th).
//
// now is 2026-03-30T10:00Z (12:00 CEST). Days, midnight to midnight in
// Berlin:
//
//	2025-12-31 (index 0): before nightly existed: unknown.
//	2026-01-01 (1): watched from 01:00 CET, 23 h, no outage: 100 %.
//	2026-03-28 (87): 24 h; nightly down 22:00-24:00 CET: 2 h, 91.67 %.
//	2026-03-29 (88): 23 h; nightly down 00:00-04:00 CEST (3 h): 86.96 %;
//	  site watched 1 h, down its failed quarter (15 min): 75 %;
//	  both: 3 h down of 23 h, worst a major outage (both down 00:00-00:15Z).
//	2026-03-30 (89): 12 h so far, no outage; site's run at 00:30 CEST
//	  belongs here, not to the 29th as a UTC day would have it.
func TestUptimeAcrossDST(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.SyncChecks(ctx, []store.CheckDef{
			{Name: "nightly", Slug: "nightly", Spec: tocsin.ScheduleSpec{Every: 24 * time.Hour}, Grace: time.Hour},
			{Name: "site", Slug: "site", Probe: `{}`, Interval: 15 * time.Minute, FailuresBeforeDown: 2, SuccessesBeforeUp: 1},
		}); err != nil {
			return err
		}
		cs, err := tx.ChecksByNames(ctx, []string{"nightly", "site"})
		if err != nil {
			return err
		}
		in := &tocsin.Incident{CheckID: cs["nightly"].ID, Title: "nightly is down", Status: tocsin.IncidentTriggered,
			OpenedAt: utc("2026-03-28T21:00:00Z")}
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		in.Status, in.ResolvedAt = tocsin.IncidentResolved, utc("2026-03-29T02:00:00Z")
		if err := tx.SaveIncident(ctx, in); err != nil {
			return err
		}
		for _, r := range []store.ProbeResult{
			{At: utc("2026-03-29T00:05:00Z"), OK: true}, {At: utc("2026-03-29T00:20:00Z"), OK: false},
			{At: utc("2026-03-29T00:35:00Z"), OK: true}, {At: utc("2026-03-29T00:50:00Z"), OK: true},
			{At: utc("2026-03-29T22:30:00Z"), OK: true},
		} {
			if err := tx.InsertProbeResult(ctx, cs["site"].ID, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(utc("2026-03-30T10:00:00Z"))
	cfg := &config.Config{StatusPages: []config.StatusPage{{Slug: "p", Title: "P", TimeZone: "Europe/Berlin",
		Components: []config.StatusComponent{
			{Name: "Jobs", Checks: []string{"nightly"}},
			{Name: "Site", Checks: []string{"site"}},
			{Name: "Both", Checks: []string{"nightly", "site"}},
		}}}}
	svc := &Service{DB: db, Clock: clk, Configs: staticConfig{cfg}, Log: testkit.Logger()}
	v, _, err := svc.View(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	jobs, site, both := v.Components[0].Uptime, v.Components[1].Uptime, v.Components[2].Uptime
	if len(jobs) != barDays || len(site) != barDays || len(both) != barDays {
		t.Fatalf("bars of %d, %d, %d days", len(jobs), len(site), len(both))
	}
	for i, want := range map[int]string{0: "2025-12-31", 1: "2026-01-01", 87: "2026-03-28", 88: "2026-03-29", 89: "2026-03-30"} {
		if d := jobs[i].Date; d.Location().String() != berlin.String() || d.Format("2006-01-02 15:04") != want+" 00:00" {
			t.Errorf("day %d is %s, want midnight of %s in Berlin", i, d, want)
		}
	}
	if !jobs[88].Date.Equal(utc("2026-03-28T23:00:00Z")) || !jobs[89].Date.Equal(utc("2026-03-29T22:00:00Z")) {
		t.Errorf("the DST day: %s .. %s", jobs[88].Date.UTC(), jobs[89].Date.UTC())
	}
	pct := func(f float64) float64 { return math.Round(f*100) / 100 }
	for _, tc := range []struct {
		name   string
		day    Day
		known  bool
		pct    float64
		outage time.Duration
		worst  ComponentStatus
	}{
		{"jobs before it existed", jobs[0], false, 0, 0, Operational},
		{"jobs first day", jobs[1], true, 100, 0, Operational},
		{"jobs a quiet day", jobs[50], true, 100, 0, Operational},
		{"jobs 28th", jobs[87], true, 91.67, 2 * time.Hour, MajorOutage},
		{"jobs 29th (23 h)", jobs[88], true, 86.96, 3 * time.Hour, MajorOutage},
		{"jobs today", jobs[89], true, 100, 0, Operational},
		{"site 28th: no runs", site[87], false, 0, 0, Operational},
		{"site 29th", site[88], true, 75, 15 * time.Minute, MajorOutage},
		{"site today", site[89], true, 100, 0, Operational},
		{"both 29th", both[88], true, 86.96, 3 * time.Hour, MajorOutage},
		{"both 28th", both[87], true, 91.67, 2 * time.Hour, MajorOutage},
	} {
		d := tc.day
		if d.Known != tc.known || d.Known && pct(d.UptimePercent) != tc.pct || d.Outage != tc.outage || d.Worst != tc.worst {
			t.Errorf("%s: known %v, %.4f %%, outage %s, worst %s; want %v, %.2f %%, %s, %s", tc.name, d.Known, d.UptimePercent,
				d.Outage, d.Worst, tc.known, tc.pct, tc.outage, tc.worst)
		}
	}
}

// A day where only some bindings are down is a partial outage.
func TestDayPartialOutage(t *testing.T) {
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	watched := []span{{from, to}}
	d := day([]track{
		{monitored: watched, down: []span{{from.Add(time.Hour), from.Add(2 * time.Hour)}}},
		{monitored: watched},
		{monitored: watched, slow: []span{{from.Add(5 * time.Hour), from.Add(6 * time.Hour)}}},
	}, from, to)
	if !d.Known || d.Outage != time.Hour || d.Worst != PartialOutage || math.Abs(d.UptimePercent-100*23.0/24) > 1e-9 {
		t.Fatalf("day %+v", d)
	}
	d = day([]track{{monitored: watched, slow: []span{{from.Add(5 * time.Hour), from.Add(6 * time.Hour)}}}}, from, to)
	if d.Outage != 0 || d.Worst != DegradedPerformance || d.UptimePercent != 100 {
		t.Fatalf("slow day %+v", d)
	}
	if d := day(nil, from, to); d.Known {
		t.Fatalf("a day without bindings is known: %+v", d)
	}
}

// The rollups a page keeps read again only the last hours, and give what
// reading them all gives, as results come in and days pass.
func TestRollupCacheReadsWhatChanged(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	db, err := store.Open(ctx, t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []int64
	err = db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.SyncChecks(ctx, []store.CheckDef{
			{Name: "a", Slug: "a", Probe: `{}`, Interval: 30 * time.Minute, FailuresBeforeDown: 1, SuccessesBeforeUp: 1},
			{Name: "b", Slug: "b", Probe: `{}`, Interval: 30 * time.Minute, FailuresBeforeDown: 1, SuccessesBeforeUp: 1},
		}); err != nil {
			return err
		}
		cs, err := tx.ChecksByNames(ctx, []string{"a", "b"})
		ids = []int64{cs["a"].ID, cs["b"].ID}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	record := func(id int64, at time.Time, ok bool) {
		t.Helper()
		if err := db.Write(ctx, func(tx *store.Tx) error {
			return tx.InsertProbeResult(ctx, id, store.ProbeResult{At: at, OK: ok, Latency: time.Duration(at.Minute()+1) * time.Millisecond})
		}); err != nil {
			t.Fatal(err)
		}
	}
	var c rollupCache
	same := func(since time.Time) {
		t.Helper()
		got, err := c.hourly(ctx, db, "p", ids, since)
		if err != nil {
			t.Fatal(err)
		}
		want, err := db.ProbeRollupsOf(ctx, ids, "hour", since)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if len(got[id]) != len(want[id]) {
				t.Fatalf("since %s, probe %d: %d rollups, want %d", since, id, len(got[id]), len(want[id]))
			}
			for i := range want[id] {
				if got[id][i] != want[id][i] {
					t.Fatalf("since %s, probe %d, rollup %d: %+v, want %+v", since, id, i, got[id][i], want[id][i])
				}
			}
		}
	}
	for h := range 48 {
		record(ids[0], start.Add(time.Duration(h)*time.Hour), h%5 != 0)
	}
	same(start)
	// A run of the past hour ends after one of this hour, b's first runs.
	record(ids[0], start.Add(48*time.Hour+10*time.Minute), true)
	record(ids[0], start.Add(47*time.Hour+59*time.Minute), false)
	record(ids[1], start.Add(48*time.Hour), true)
	same(start)
	// A day later the bars start a day later.
	record(ids[0], start.Add(72*time.Hour), true)
	same(start.Add(24 * time.Hour))
	same(start.Add(24*time.Hour + 30*time.Minute))
}

package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testStatusHistory reads what status pages need of checks, incidents,
// rollups, maintenance windows and silences.
func testStatusHistory(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	hour := now.Truncate(time.Hour)
	var web, probe int64
	var checkIn, svcIn, oldIn, otherIn *tocsin.Incident
	m := &StatusIncident{Page: "public", Kind: StatusKindMaintenance, Name: "upgrade", Status: "scheduled", Impact: "minor",
		Components: []string{"c1"}, CreatedAt: now, CreatedBy: "ann", UpdatedAt: now, ScheduledFor: now.Add(time.Hour),
		ScheduledUntil: now.Add(2 * time.Hour)}
	err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.SyncChecks(ctx, []CheckDef{{Name: "web", Slug: "web", Spec: tocsin.ScheduleSpec{Every: time.Minute}},
			{Name: "probe", Slug: "probe", Probe: `{}`, Interval: time.Minute, FailuresBeforeDown: 1, SuccessesBeforeUp: 1}}); err != nil {
			return err
		}
		cs, err := tx.ChecksByNames(ctx, []string{"web", "probe", "nope"})
		if err != nil || len(cs) != 2 || cs["web"].IsProbe() || !cs["probe"].IsProbe() {
			t.Fatalf("checks by names: %v, %v", cs, err)
		}
		web, probe = cs["web"].ID, cs["probe"].ID
		for _, r := range []ProbeResult{{At: hour.Add(time.Minute), OK: true, Latency: time.Second},
			{At: hour.Add(2 * time.Minute), OK: false, Latency: 3 * time.Second},
			{At: hour.Add(61 * time.Minute), OK: true, Latency: time.Second}} {
			if err := tx.InsertProbeResult(ctx, probe, r); err != nil {
				return err
			}
		}
		oldIn = &tocsin.Incident{CheckID: web, Title: "old", Status: tocsin.IncidentTriggered, OpenedAt: now.Add(-3 * time.Hour)}
		checkIn = &tocsin.Incident{CheckID: web, Title: "web down", Status: tocsin.IncidentTriggered, OpenedAt: now.Add(-time.Hour)}
		svcIn = &tocsin.Incident{Title: "payments", Status: tocsin.IncidentTriggered, OpenedAt: now.Add(-30 * time.Minute),
			Service: "payments", GroupKey: "g"}
		otherIn = &tocsin.Incident{Title: "other", Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "other", GroupKey: "g"}
		for _, in := range []*tocsin.Incident{oldIn} {
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			in.Status, in.ResolvedAt = tocsin.IncidentResolved, now.Add(-2*time.Hour)
			if err := tx.SaveIncident(ctx, in); err != nil {
				return err
			}
		}
		for _, in := range []*tocsin.Incident{checkIn, svcIn, otherIn} {
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
		}
		return tx.CreateStatusIncident(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := db.ChecksByNames(ctx, []string{"web"}); err != nil || cs["web"].ID != web {
		t.Fatalf("checks by names outside a write: %v, %v", cs, err)
	}

	rollups, err := db.ProbeRollupsOf(ctx, []int64{probe, web}, "hour", hour)
	if err != nil {
		t.Fatal(err)
	}
	if r := rollups[probe]; len(r) != 2 || r[0].Runs != 2 || r[0].OKRuns != 1 || r[0].MeanLatency != 2*time.Second ||
		!r[0].Bucket.Equal(hour) || r[1].Runs != 1 || len(rollups[web]) != 0 {
		t.Fatalf("hourly rollups: %+v", rollups)
	}
	if r, _ := db.ProbeRollupsOf(ctx, []int64{probe}, "hour", hour.Add(time.Hour)); len(r[probe]) != 1 {
		t.Fatalf("rollups since the second hour: %+v", r)
	}

	spans, err := db.IncidentSpans(ctx, []int64{web}, []string{"payments"}, now.Add(-90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := []IncidentSpan{{CheckID: web, OpenedAt: checkIn.OpenedAt}, {Service: "payments", OpenedAt: svcIn.OpenedAt}}
	if !reflect.DeepEqual(spans, want) {
		t.Fatalf("spans\n%+v\nwant\n%+v", spans, want)
	}
	if spans, _ := db.IncidentSpans(ctx, []int64{web}, nil, now.Add(-4*time.Hour)); len(spans) != 2 ||
		!spans[0].ResolvedAt.Equal(now.Add(-2*time.Hour)) {
		t.Fatalf("spans with the resolved one: %+v", spans)
	}

	open, err := db.OpenServiceIncidents(ctx, []string{"payments", "other", "none"})
	if err != nil || !reflect.DeepEqual(open, map[string][]int64{"payments": {svcIn.ID}, "other": {otherIn.ID}}) {
		t.Fatalf("open service incidents: %v, %v", open, err)
	}

	err = db.Write(ctx, func(tx *Tx) error {
		if got, err := tx.OpenServiceIncidents(ctx, []string{"payments"}); err != nil || len(got["payments"]) != 1 {
			t.Fatalf("open service incidents in a write: %v, %v", got, err)
		}
		if list, err := tx.OpenStatusMaintenances(ctx, "public"); err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Fatalf("open maintenances: %+v, %v", list, err)
		}
		for at, n := range map[time.Time]int{now: 0, m.ScheduledFor: 1, m.ScheduledUntil.Add(-time.Millisecond): 1, m.ScheduledUntil: 0} {
			if list, err := tx.ActiveStatusMaintenances(ctx, at); err != nil || len(list) != n {
				t.Fatalf("active maintenances at %s: %+v, %v; want %d", at, list, err, n)
			}
		}
		s := &tocsin.Silence{Name: "maint", ManagedBy: "status_page", Matchers: []string{`tocsin_service="payments"`},
			StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "tocsin"}
		if err := tx.CreateSilence(ctx, s); err != nil {
			return err
		}
		if got, ok, err := tx.SilenceByName(ctx, "status_page", "maint", true); err != nil || !ok || got.ID != s.ID {
			t.Fatalf("live silence by name: %+v %v %v", got, ok, err)
		}
		if _, ok, _ := tx.SilenceByName(ctx, "api", "maint", false); ok {
			t.Fatal("found under another manager")
		}
		if list, err := tx.LiveSilencesManagedBy(ctx, "status_page"); err != nil || len(list) != 1 || list[0].ID != s.ID {
			t.Fatalf("live silences of the manager: %+v, %v", list, err)
		}
		if _, err := tx.ExpireSilence(ctx, s.ID, now); err != nil {
			return err
		}
		if list, err := tx.LiveSilencesManagedBy(ctx, "status_page"); err != nil || len(list) != 0 {
			t.Fatalf("live silences after expiry: %+v, %v", list, err)
		}
		if _, ok, _ := tx.SilenceByName(ctx, "status_page", "maint", true); ok {
			t.Fatal("an expired silence is live")
		}
		if got, ok, _ := tx.SilenceByName(ctx, "status_page", "maint", false); !ok || got.ExpiredAt.IsZero() {
			t.Fatalf("the expired silence: %+v, %v", got, ok)
		}
		m.ResolvedAt, m.Status = now, "completed"
		if err := tx.SaveStatusIncident(ctx, m); err != nil {
			return err
		}
		if list, _ := tx.OpenStatusMaintenances(ctx, "public"); len(list) != 0 {
			t.Fatalf("a completed maintenance is open: %+v", list)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

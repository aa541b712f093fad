package store

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testStatusPages writes a public incident with updates, links, an
// override and a component's status, and reads each back.
func testStatusPages(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	in := &tocsin.Incident{Title: "api down", Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "api", GroupKey: "g"}
	auto := &StatusIncident{Page: "public", Kind: StatusKindIncident, Name: "API outage", Status: "investigating",
		Impact: "major", Components: []string{"c1", "c2"}, Auto: true, PublishedAt: now, CreatedAt: now,
		CreatedBy: "tocsin", UpdatedAt: now}
	err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		if err := tx.CreateStatusIncident(ctx, auto); err != nil {
			return err
		}
		if _, ok, err := tx.LatestStatusUpdate(ctx, auto.ID); err != nil || ok {
			t.Fatalf("latest update of an incident without one: %v, %v", ok, err)
		}
		if added, err := tx.LinkStatusIncident(ctx, auto.ID, in.ID); err != nil || !added {
			t.Fatalf("link: %v, %v", added, err)
		}
		if added, err := tx.LinkStatusIncident(ctx, auto.ID, in.ID); err != nil || added { // twice: no change
			t.Fatalf("link again: %v, %v", added, err)
		}
		for i, u := range []*StatusUpdate{
			{StatusIncidentID: auto.ID, Status: "investigating", Body: "looking", CreatedAt: now, DisplayAt: now, Author: "tocsin"},
			{StatusIncidentID: auto.ID, Status: "identified", Body: "found it", CreatedAt: now.Add(time.Minute),
				DisplayAt: now.Add(-time.Minute), Author: "ann", AffectedComponents: []string{"c1"}},
		} {
			if err := tx.AddStatusUpdate(ctx, u); err != nil || u.ID == 0 {
				t.Fatalf("update %d: id %d, %v", i, u.ID, err)
			}
		}
		if err := tx.SetStatusOverride(ctx, StatusOverride{Page: "public", Component: "c2", Status: "under_maintenance",
			Until: now.Add(time.Hour), SetBy: "ann", SetAt: now}); err != nil {
			return err
		}
		if err := tx.SetStatusOverride(ctx, StatusOverride{Page: "public", Component: "c2", Status: "degraded_performance",
			Until: now.Add(2 * time.Hour), Reason: "slow", SetBy: "bob", SetAt: now}); err != nil {
			return err
		}
		if u, ok, err := tx.LatestStatusUpdate(ctx, auto.ID); err != nil || !ok || u.Body != "found it" ||
			!slices.Equal(u.AffectedComponents, []string{"c1"}) {
			t.Fatalf("latest update: %+v, %v, %v", u, ok, err)
		}
		return tx.SetStatusComponent(ctx, StatusComponentState{Page: "public", Component: "c1", Status: "major_outage", Since: now})
	})
	if err != nil {
		t.Fatal(err)
	}

	// A second open incident opened by Tocsin on the page is refused.
	err = db.Write(ctx, func(tx *Tx) error {
		return tx.CreateStatusIncident(ctx, &StatusIncident{Page: "public", Kind: StatusKindIncident, Name: "again",
			Status: "investigating", Impact: "minor", Auto: true, CreatedAt: now, CreatedBy: "tocsin", UpdatedAt: now})
	})
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("second open auto incident: %v, want a conflict", err)
	}

	list, err := db.StatusIncidents(ctx, "public", StatusKindIncident, now, 50)
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents: %v, %v", list, err)
	}
	if got := list[0]; !reflect.DeepEqual(got, *auto) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, *auto)
	}
	ups, err := db.StatusUpdates(ctx, []int64{auto.ID})
	if err != nil || len(ups[auto.ID]) != 2 {
		t.Fatalf("updates: %v, %v", ups, err)
	}
	if u := ups[auto.ID]; u[0].AffectedComponents != nil || !reflect.DeepEqual(u[1].AffectedComponents, []string{"c1"}) ||
		u[1].Author != "ann" || !u[1].DisplayAt.Equal(now.Add(-time.Minute)) {
		t.Fatalf("updates read back: %+v", u)
	}
	of, err := db.StatusIncidentsOf(ctx, in.ID)
	if err != nil || len(of) != 1 || of[0].ID != auto.ID {
		t.Fatalf("incidents of %d: %v, %v", in.ID, of, err)
	}
	if got, err := db.StatusIncident(ctx, "public", auto.ID); err != nil || got.Name != auto.Name {
		t.Fatalf("incident %d: %+v, %v", auto.ID, got, err)
	}
	if _, err := db.StatusIncident(ctx, "other", auto.ID); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("incident of another page: %v, want not found", err)
	}
	if links, err := db.StatusIncidentLinks(ctx, auto.ID); err != nil || len(links) != 1 || links[0] != in.ID {
		t.Fatalf("links: %v, %v", links, err)
	}
	ovs, err := db.StatusOverrides(ctx, "public")
	if err != nil || len(ovs) != 1 || ovs[0].Status != "degraded_performance" || ovs[0].SetBy != "bob" ||
		!ovs[0].Until.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("overrides: %+v, %v", ovs, err)
	}
	comps, err := db.StatusComponents(ctx, "public")
	if err != nil || len(comps) != 1 || comps[0].Status != "major_outage" || !comps[0].Since.Equal(now) {
		t.Fatalf("components: %+v, %v", comps, err)
	}

	// Resolve it: it stays listed when resolved after since, not before;
	// and another may now be opened.
	later := now.Add(time.Hour)
	err = db.Write(ctx, func(tx *Tx) error {
		s, ok, err := tx.OpenAutoStatusIncident(ctx, "public")
		if err != nil || !ok || s.ID != auto.ID {
			t.Fatalf("open auto: %v %v %v", s.ID, ok, err)
		}
		s.Status, s.ResolvedAt, s.UpdatedAt, s.TakenOver = "resolved", later, later, true
		if err := tx.SaveStatusIncident(ctx, &s); err != nil {
			return err
		}
		if _, ok, _ := tx.OpenAutoStatusIncident(ctx, "public"); ok {
			t.Fatal("a resolved incident is still open")
		}
		if gone, err := tx.DeleteStatusOverride(ctx, "public", "c2"); err != nil || !gone {
			t.Fatalf("delete override: %v %v", gone, err)
		}
		return tx.CreateStatusIncident(ctx, &StatusIncident{Page: "public", Kind: StatusKindIncident, Name: "next",
			Status: "investigating", Impact: "minor", Auto: true, CreatedAt: later, CreatedBy: "tocsin", UpdatedAt: later})
	})
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := db.StatusIncidents(ctx, "public", StatusKindIncident, later.Add(time.Second), 50); len(list) != 1 || list[0].Name != "next" {
		t.Fatalf("after resolving, since later: %+v", list)
	}
	if list, _ := db.StatusIncidents(ctx, "public", StatusKindIncident, later, 50); len(list) != 2 || !list[1].TakenOver {
		t.Fatalf("since the resolution: %+v", list)
	}
	if ovs, _ := db.StatusOverrides(ctx, "public"); len(ovs) != 0 {
		t.Fatalf("override left after delete: %+v", ovs)
	}
}

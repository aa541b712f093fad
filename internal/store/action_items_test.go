package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func init() {
	contract = append(contract, struct {
		name string
		run  func(t *testing.T, db *DB, clk *clock.Fake)
	}{"ActionItems", testActionItems})
}

func testActionItems(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	in, _ := newIncident(t, db, "ai", clk.Now())
	dup, _ := newIncident(t, db, "ai-dup", clk.Now())
	if items, err := db.IncidentActionItems(ctx, in.ID); err != nil || items == nil || len(items) != 0 {
		t.Fatalf("before any: %+v %v", items, err)
	}
	now := clk.Now()
	create := func(incident int64, title, owner, team, due string) *ActionItem {
		t.Helper()
		a := &ActionItem{Incident: incident, Title: title, Owner: owner, Team: team, Due: due, Status: ActionOpen,
			CreatedBy: "ana", CreatedAt: now, UpdatedAt: now}
		if err := db.Write(ctx, func(tx *Tx) error { return tx.CreateActionItem(ctx, a) }); err != nil || a.ID == 0 {
			t.Fatalf("create %s: %v", title, err)
		}
		return a
	}
	alerting := create(in.ID, "alert on disk", "ana", "core", "2026-01-10")
	runbook := create(in.ID, "write the runbook", "bo", "core", "")
	capacity := create(dup.ID, "add capacity", "ana", "infra", "2026-01-05")

	// Closing an item keeps it, with when it closed.
	clk.Advance(time.Hour)
	runbook.Status, runbook.DoneAt, runbook.UpdatedAt, runbook.Link = ActionDone, clk.Now(), clk.Now(), "https://tickets.example/1"
	if err := db.Write(ctx, func(tx *Tx) error { return tx.SaveActionItem(ctx, runbook) }); err != nil {
		t.Fatal(err)
	}
	var got *ActionItem
	if err := db.Write(ctx, func(tx *Tx) (err error) { got, err = tx.ActionItem(ctx, runbook.ID); return err }); err != nil ||
		got.Status != ActionDone || got.Link != "https://tickets.example/1" || !got.DoneAt.Equal(clk.Now().Truncate(time.Millisecond)) ||
		!got.CreatedAt.Equal(now.Truncate(time.Millisecond)) || got.CreatedBy != "ana" {
		t.Fatalf("saved: %+v %v", got, err)
	}
	if err := db.Write(ctx, func(tx *Tx) error { _, err := tx.ActionItem(ctx, 9999); return err }); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("unknown item: %v", err)
	}

	// Listed by team, owner and status: earliest due first, none last.
	ids := func(items []ActionItem) []int64 {
		var out []int64
		for _, a := range items {
			out = append(out, a.ID)
		}
		return out
	}
	for _, c := range []struct {
		f    ActionItemFilter
		want []int64
	}{
		{ActionItemFilter{}, []int64{capacity.ID, alerting.ID, runbook.ID}},
		{ActionItemFilter{Status: ActionOpen}, []int64{capacity.ID, alerting.ID}},
		{ActionItemFilter{Team: "core", Status: ActionOpen}, []int64{alerting.ID}},
		{ActionItemFilter{Owner: "ana"}, []int64{capacity.ID, alerting.ID}},
		{ActionItemFilter{Owner: "bo", Status: ActionDone}, []int64{runbook.ID}},
		{ActionItemFilter{Limit: 1}, []int64{capacity.ID}},
		{ActionItemFilter{Team: "nobody"}, nil},
	} {
		items, err := db.ActionItems(ctx, c.f)
		if err != nil || len(items) != len(c.want) || (len(c.want) > 0 && !slices.Equal(ids(items), c.want)) {
			t.Errorf("%+v: %v %v, want %v", c.f, ids(items), err, c.want)
		}
	}

	// The open ones due before a day, and the notice of one.
	var due []ActionItem
	if err := db.Write(ctx, func(tx *Tx) (err error) { due, err = tx.OpenActionItemsDueBefore(ctx, "2026-01-10"); return err }); err != nil ||
		!slices.Equal(ids(due), []int64{capacity.ID}) {
		t.Fatalf("due before 2026-01-10: %v %v", ids(due), err)
	}
	if err := db.Write(ctx, func(tx *Tx) error { return tx.MarkOverdueNotice(ctx, capacity.ID, clk.Now()) }); err != nil {
		t.Fatal(err)
	}
	items, err := db.IncidentActionItems(ctx, dup.ID)
	if err != nil || len(items) != 1 || !items[0].LastOverdueNoticeAt.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Fatalf("noticed: %+v %v", items, err)
	}

	// A merged duplicate's action items follow it.
	if err := db.Write(ctx, func(tx *Tx) error { return tx.MergeIncident(ctx, dup.ID, in.ID) }); err != nil {
		t.Fatal(err)
	}
	if items, err := db.IncidentActionItems(ctx, in.ID); err != nil || !slices.Equal(ids(items), []int64{alerting.ID, runbook.ID, capacity.ID}) {
		t.Fatalf("after the merge: %v %v", ids(items), err)
	}
}

package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testAPIChecks: a check made through the API keeps the UUID it is given,
// survives config syncs (which neither count nor remove it), takes new
// definitions with its state kept, refuses to change a config check, and
// once deleted frees its name and UUID for a new check.
func testAPIChecks(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	const given = "0f3e6c4a-1b2c-4d5e-8f90-123456789abc"
	write := func(f func(tx *Tx) error) error { return db.Write(ctx, f) }
	api := CheckDef{UUID: given, Name: "imported", Slug: "imported", Spec: tocsin.ScheduleSpec{Cron: "0 3 * * *", TZ: "Europe/Paris"},
		Grace: time.Minute, Notify: []string{"ops"}, Tags: []string{"batch"}, AutoResolve: true,
		Keywords: &tocsin.KeywordFilter{Failure: []string{"ERROR"}, Success: []string{"OK"}}}
	if err := write(func(tx *Tx) error { _, err := tx.CreateCheck(ctx, api); return err }); err != nil {
		t.Fatal(err)
	}
	var cfgUUID string
	if err := write(func(tx *Tx) error {
		res, err := tx.SyncChecks(ctx, []CheckDef{{Name: "from-config", Slug: "from-config", Spec: tocsin.ScheduleSpec{Every: time.Hour}}})
		cfgUUID = res.UUIDs["from-config"]
		if len(res.Removed) != 0 {
			t.Errorf("sync removed %v", res.Removed)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c, err := db.CheckByUUID(ctx, given)
	if err != nil {
		t.Fatal(err)
	}
	if c.ManagedBy != "api" || c.Spec.Cron != "0 3 * * *" || c.Spec.TZ != "Europe/Paris" || c.Notify[0] != "ops" {
		t.Fatalf("stored %+v", c)
	}
	if k := c.Keywords; k == nil || k.Failure[0] != "ERROR" || k.Success[0] != "OK" || k.DefaultFail {
		t.Errorf("stored keywords %+v, want those created", k)
	}
	// No flap or re-page settings: the built-in defaults.
	if c.FlapChanges != 4 || c.FlapWindow != 10*time.Minute || c.FlapStable != 10*time.Minute || c.ReopenAfter != time.Hour {
		t.Errorf("flap %d %v %v, reopen %v: want the built-in defaults", c.FlapChanges, c.FlapWindow, c.FlapStable, c.ReopenAfter)
	}
	if cfg, _ := db.CheckByUUID(ctx, cfgUUID); cfg.ManagedBy != "config" {
		t.Errorf("config check managed by %q", cfg.ManagedBy)
	}
	if cs, _ := db.ConfigChecks(ctx); len(cs) != 1 || cs[0].Name != "from-config" {
		t.Errorf("config checks %+v: the API's must not count", cs)
	}
	// Another sync leaves the API's alone.
	if err := write(func(tx *Tx) error {
		_, err := tx.SyncChecks(ctx, []CheckDef{{Name: "from-config", Slug: "from-config", Spec: tocsin.ScheduleSpec{Every: time.Hour}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckByUUID(ctx, given); err != nil {
		t.Fatalf("a sync removed the API's check: %v", err)
	}

	// A new definition keeps the state.
	c.Status, c.LastPingAt, c.Pings = tocsin.StateUp, clk.Now(), 3
	if err := write(func(tx *Tx) error { return tx.SaveCheckState(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	upd := api
	upd.Name, upd.Spec, upd.Grace = "renamed", tocsin.ScheduleSpec{Every: 2 * time.Hour}, 5*time.Minute
	upd.Keywords = &tocsin.KeywordFilter{Start: []string{"BEGIN"}, DefaultFail: true}
	var got *tocsin.Check
	if err := write(func(tx *Tx) (err error) { got, err = tx.UpdateCheck(ctx, c.ID, upd); return err }); err != nil {
		t.Fatal(err)
	}
	if got.Name != "renamed" || got.UUID != given || got.Status != tocsin.StateUp || got.Pings != 3 || got.Spec.Every != 2*time.Hour ||
		got.Version <= c.Version {
		t.Fatalf("updated %+v", got)
	}
	if k := got.Keywords; k == nil || len(k.Failure) != 0 || k.Start[0] != "BEGIN" || !k.DefaultFail {
		t.Errorf("updated keywords %+v, want the new ones", k)
	}
	if want := clk.Now().Add(2*time.Hour + 5*time.Minute); !got.AlertAfter.Equal(want) {
		t.Errorf("deadline %v, want %v from the new schedule", got.AlertAfter, want)
	}
	// Names are unique across both kinds; a config check takes no API change.
	clash := upd
	clash.Name = "from-config"
	err = write(func(tx *Tx) error { _, err := tx.UpdateCheck(ctx, c.ID, clash); return err })
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Errorf("renaming onto a config check's name: %v, want a conflict", err)
	}
	cfg, _ := db.CheckByUUID(ctx, cfgUUID)
	err = write(func(tx *Tx) error { _, err := tx.UpdateCheck(ctx, cfg.ID, upd); return err })
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Errorf("updating a config check: %v, want a conflict", err)
	}
	if err := write(func(tx *Tx) error { return tx.DeleteCheck(ctx, cfg.ID) }); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Errorf("deleting a config check: %v, want a conflict", err)
	}

	// Deleted: gone from every read, its name and UUID free again.
	if err := write(func(tx *Tx) error { return tx.DeleteCheck(ctx, c.ID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckByUUID(ctx, given); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Errorf("deleted check read: %v", err)
	}
	if all, _ := db.Checks(ctx); len(all) != 1 {
		t.Errorf("checks after delete: %d, want the config's only", len(all))
	}
	if err := write(func(tx *Tx) error {
		if taken, err := tx.CheckNameTaken(ctx, "renamed"); err != nil || taken {
			t.Errorf("name of a deleted check taken: %v %v", taken, err)
		}
		if n, err := tx.CountAPIChecks(ctx); err != nil || n != 0 {
			t.Errorf("api checks %d %v", n, err)
		}
		_, err := tx.CreateCheck(ctx, upd)
		return err
	}); err != nil {
		t.Fatalf("creating again with the deleted check's name and UUID: %v", err)
	}
}

// testCreateChecks: many checks made in one call are stored as given
// (UUIDs kept or made, flap settings as given, managed by the API), and
// ChecksTaken finds the names and UUIDs a check has, live or removed from
// the config; a name taken rolls back the whole call.
func testCreateChecks(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	const given = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
	defs := make([]CheckDef, 300)
	for i := range defs {
		name := fmt.Sprintf("job-%03d", i)
		defs[i] = CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute,
			Notify: []string{"ops"}, Tags: []string{"batch", "x"}, AutoResolve: true, FlapChanges: 5,
			FlapWindow: 3 * time.Minute, FlapStable: 2 * time.Minute, ReopenAfter: 0}
	}
	defs[0].UUID = given
	defs[1].Spec = tocsin.ScheduleSpec{Cron: "0 3 * * *", TZ: "Europe/Paris"}
	defs[2].Keywords = &tocsin.KeywordFilter{Failure: []string{"ERROR"}}
	var uuids []string
	if err := db.Write(ctx, func(tx *Tx) (err error) { uuids, err = tx.CreateChecks(ctx, defs); return err }); err != nil {
		t.Fatal(err)
	}
	if len(uuids) != len(defs) || uuids[0] != given || uuids[1] == "" || uuids[1] == uuids[2] {
		t.Fatalf("uuids %v", uuids[:3])
	}
	all, err := db.Checks(ctx)
	if err != nil || len(all) != len(defs) {
		t.Fatalf("%d checks, %v", len(all), err)
	}
	for i, c := range all {
		if c.Name != defs[i].Name || c.UUID != uuids[i] || c.ManagedBy != "api" || c.Grace != time.Minute || c.Notify[0] != "ops" ||
			len(c.Tags) != 2 || !c.AutoResolve || c.FlapChanges != 5 || c.FlapWindow != 3*time.Minute || c.ReopenAfter != 0 ||
			c.CreatedAt.IsZero() || !c.NextDeadline().IsZero() {
			t.Fatalf("check %d stored as %+v", i, c)
		}
	}
	if all[1].Spec.TZ != "Europe/Paris" || all[2].Keywords == nil || all[2].Keywords.Failure[0] != "ERROR" || all[3].Keywords != nil {
		t.Errorf("cron %+v, keywords %+v, %+v", all[1].Spec, all[2].Keywords, all[3].Keywords)
	}
	// A config check removed from the file keeps its name.
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.SyncChecks(ctx, []CheckDef{{Name: "gone", Slug: "gone", Spec: tocsin.ScheduleSpec{Every: time.Hour}}}); err != nil {
			return err
		}
		_, err := tx.SyncChecks(ctx, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var names, ids map[string]bool
	if err := db.Write(ctx, func(tx *Tx) (err error) {
		names, ids, err = tx.ChecksTaken(ctx, []string{"job-007", "gone", "free"}, []string{given, "9c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || !names["job-007"] || !names["gone"] || len(ids) != 1 || !ids[given] {
		t.Errorf("taken names %v, uuids %v", names, ids)
	}
	// One name taken: nothing of the call stays.
	clash := []CheckDef{{Name: "new-1", Slug: "new-1", Spec: tocsin.ScheduleSpec{Every: time.Hour}},
		{Name: "job-005", Slug: "job-005", Spec: tocsin.ScheduleSpec{Every: time.Hour}}}
	err = db.Write(ctx, func(tx *Tx) error { _, err := tx.CreateChecks(ctx, clash); return err })
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("clash: %v, want a conflict", err)
	}
	bad := []CheckDef{{Name: "new-2", Slug: "new-2", Spec: tocsin.ScheduleSpec{Cron: "61 * * * *"}}}
	if err := db.Write(ctx, func(tx *Tx) error { _, err := tx.CreateChecks(ctx, bad); return err }); tocsin.ErrorCode(err) != tocsin.EInvalid {
		t.Fatalf("bad cron: %v, want invalid", err)
	}
	var n int
	if err := db.Write(ctx, func(tx *Tx) (err error) { n, err = tx.CountAPIChecks(ctx); return err }); err != nil || n != len(defs) {
		t.Errorf("%d API checks after the failed calls, %v; want %d", n, err, len(defs))
	}
}

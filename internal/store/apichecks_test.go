package store

import (
	"context"
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

package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testConfigStateAndAuditLog: the reload guard's view of the database (the
// live config checks, the config applied last) and the audit log, newest
// first, filtered and paged.
func testConfigStateAndAuditLog(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	if _, ok, err := db.LastAppliedConfig(ctx); ok || err != nil {
		t.Fatalf("a new database has an applied config: %v %v", ok, err)
	}
	defs := []CheckDef{
		{Name: "lb-1", Slug: "lb-1", Spec: tocsin.ScheduleSpec{Every: time.Hour}},
		{Name: "lb-2", Slug: "lb-2", Spec: tocsin.ScheduleSpec{Every: time.Hour}},
	}
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.SyncChecks(ctx, defs); err != nil {
			return err
		}
		if _, err := tx.CreateCheck(ctx, CheckDef{Name: "from-api", Slug: "from-api", Spec: tocsin.ScheduleSpec{Every: time.Hour}}); err != nil {
			return err
		}
		return tx.Audit(ctx, "startup", "config.startup", "config applied", map[string]any{"channels": []string{"ops"}})
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.SyncChecks(ctx, defs[:1]); err != nil { // lb-2 removed
			return err
		}
		if err := tx.Audit(ctx, "signal", "config.refused", "refused", map[string]any{"reason": "empty"}); err != nil {
			return err
		}
		return tx.Audit(ctx, "api:admin", "silence.created", "silence", nil)
	}); err != nil {
		t.Fatal(err)
	}
	live, err := db.ConfigChecks(ctx)
	if err != nil || len(live) != 1 || live[0].Name != "lb-1" || live[0].UUID == "" || live[0].Slug != "lb-1" {
		t.Fatalf("config checks: %+v %v", live, err)
	}
	var ids map[string]int64
	if err := db.Write(ctx, func(tx *Tx) (err error) {
		ids, err = tx.ConfigCheckIDs(ctx, []string{"lb-1", "lb-2", "from-api", "nowhere"})
		return err
	}); err != nil || len(ids) != 2 || ids["lb-1"] == 0 || ids["lb-2"] == 0 {
		t.Fatalf("config check ids (removed ones too, not the API's): %v %v", ids, err)
	}
	last, ok, err := db.LastAppliedConfig(ctx)
	var data struct{ Channels []string }
	if err != nil || !ok || last.Action != "config.startup" || json.Unmarshal(last.Data, &data) != nil || len(data.Channels) != 1 {
		t.Fatalf("last applied config: %+v %v %v", last, ok, err)
	}

	all, err := db.AuditLog(ctx, AuditFilter{Limit: 10})
	if err != nil || len(all) != 3 || all[0].Action != "silence.created" || all[2].Action != "config.startup" ||
		all[0].Data != nil || !all[2].At.Equal(contractStart) {
		t.Fatalf("audit log: %+v %v", all, err)
	}
	cfg, err := db.AuditLog(ctx, AuditFilter{Limit: 10, Action: "config"})
	if err != nil || len(cfg) != 2 || cfg[0].Action != "config.refused" || cfg[0].Actor != "signal" {
		t.Fatalf("config entries: %+v %v", cfg, err)
	}
	page, err := db.AuditLog(ctx, AuditFilter{Limit: 1, BeforeID: cfg[0].ID})
	if err != nil || len(page) != 1 || page[0].Action != "config.startup" {
		t.Fatalf("page before %d: %+v %v", cfg[0].ID, page, err)
	}
}

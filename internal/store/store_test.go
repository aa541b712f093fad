package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, Options{Clock: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateFromEmptyAndAgain(t *testing.T) {
	path := t.TempDir() + "/t.db"
	db := open(t, path)
	v, err := db.SchemaVersion(context.Background())
	if err != nil || v != latestVersion {
		t.Fatalf("version %d %v", v, err)
	}
	db.Close()
	db = open(t, path) // applying again is a no-op
	if v, _ := db.SchemaVersion(context.Background()); v != latestVersion {
		t.Fatalf("version after reopen %d", v)
	}
	var mode string
	db.read.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal mode %s", mode)
	}
}

const latestVersion = 20

// TestMigrateFromEveryVersion builds a database at each earlier version,
// with a row in it, and opens it with this binary.
func TestMigrateFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	for from := 1; from < latestVersion; from++ {
		path := t.TempDir() + "/t.db"
		w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
		if err != nil {
			t.Fatal(err)
		}
		w.SetMaxOpenConns(1)
		old := &DB{write: w, clock: clock.Real{}}
		if err := old.migrateTo(ctx, from); err != nil {
			t.Fatalf("migrate to %d: %v", from, err)
		}
		if _, err := w.Exec(`INSERT INTO checks (uuid, name, slug, schedule_every, grace, created_at)
			VALUES ('0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70', 'kept', 'kept', 60000, 60000, 1)`); err != nil {
			t.Fatal(err)
		}
		w.Close()
		db := open(t, path)
		if v, _ := db.SchemaVersion(ctx); v != latestVersion {
			t.Fatalf("from %d: version %d", from, v)
		}
		c, err := db.CheckByUUID(ctx, "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70")
		if err != nil || c.Name != "kept" {
			t.Fatalf("from %d: row lost: %v", from, err)
		}
	}
}

func TestRefuseNewerDatabase(t *testing.T) {
	path := t.TempDir() + "/t.db"
	db := open(t, path)
	if _, err := db.write.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(context.Background(), path, Options{Clock: clock.Real{}})
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("opened a newer database: %v", err)
	}
}

func testSyncChecks(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	def := func(name string) CheckDef {
		return CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute}
	}
	sync := func(defs ...CheckDef) SyncResult {
		var res SyncResult
		if err := db.Write(ctx, func(tx *Tx) error {
			var err error
			res, err = tx.SyncChecks(ctx, defs)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := sync(def("a"), def("b"))
	if len(res.Created) != 2 {
		t.Fatalf("%+v", res)
	}
	uuidA := res.UUIDs["a"]
	var apiUUID string
	db.Write(ctx, func(tx *Tx) error {
		apiUUID, _ = tx.CreateCheck(ctx, def("from-api"))
		return nil
	})
	res = sync(def("b"))
	if len(res.Removed) != 1 || res.Removed[0] != "a" {
		t.Fatalf("removal: %+v", res)
	}
	if _, err := db.CheckByUUID(ctx, apiUUID); err != nil {
		t.Fatalf("config sync removed a check created by the API: %v", err)
	}
	if _, err := db.CheckByUUID(ctx, uuidA); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("removed check still visible: %v", err)
	}
	res = sync(def("b"), def("a"))
	if res.UUIDs["a"] != uuidA {
		t.Fatalf("a came back with uuid %s, had %s", res.UUIDs["a"], uuidA)
	}
	// A UUID used by another check is a clear conflict, and nothing changes.
	d := def("c")
	d.UUID = uuidA
	err := db.Write(ctx, func(tx *Tx) error { _, err := tx.SyncChecks(ctx, []CheckDef{def("a"), def("b"), d}); return err })
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("duplicate uuid: %v", err)
	}
	checks, _ := db.Checks(ctx)
	if len(checks) != 3 {
		t.Fatalf("%d checks after a failed sync", len(checks))
	}
}

func testClaimsAreExclusive(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	members(t, db, "one", "two", "three")
	db.Write(ctx, func(tx *Tx) error {
		for i, ch := range []string{"a", "a", "a", "b"} {
			added, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: "k" + string(rune('0'+i)), Channel: ch, Event: "e", Payload: []byte("{}")})
			if err != nil || !added {
				t.Fatal(added, err)
			}
		}
		added, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: "k0", Channel: "a", Event: "e", Payload: []byte("{}")})
		if err != nil || added {
			t.Fatalf("same idempotency key enqueued twice: %v %v", added, err)
		}
		return nil
	})
	first, err := db.ClaimDue(ctx, "one", time.Minute, 10, 2, nil)
	if err != nil || len(first) != 3 { // two of channel a, one of b
		t.Fatalf("first claim: %d %v", len(first), err)
	}
	second, _ := db.ClaimDue(ctx, "two", time.Minute, 10, 2, nil)
	if len(second) != 1 || second[0].Channel != "a" {
		t.Fatalf("second claim got %d rows", len(second))
	}
	third, _ := db.ClaimDue(ctx, "three", time.Minute, 10, 2, nil)
	if len(third) != 0 {
		t.Fatalf("claimed rows twice")
	}
	if err := db.ReleaseClaims(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	again, _ := db.ClaimDue(ctx, "three", time.Minute, 10, 2, map[string]bool{"b": true})
	if len(again) != 2 {
		t.Fatalf("after release: %d rows (busy channel b excluded)", len(again))
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir+"/t.db")
	ctx := context.Background()
	db.Write(ctx, func(tx *Tx) error {
		_, err := tx.CreateCheck(ctx, CheckDef{Name: "x", Slug: "x", Spec: tocsin.ScheduleSpec{Every: time.Hour}})
		return err
	})
	if err := db.Backup(ctx, dir+"/copy.db"); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, dir+"/copy.db"); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	copyDB, err := sql.Open("sqlite", "file:"+dir+"/copy.db?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var n int
	if err := copyDB.QueryRow("SELECT COUNT(*) FROM checks").Scan(&n); err != nil || n != 1 {
		t.Fatalf("backup has %d checks: %v", n, err)
	}
}

func TestDSN(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		dsn, sync, err string
	}{
		{dir + "/a.db", "2", ""},
		{"sqlite:" + dir + "/b.db?sync=normal", "1", ""},
		{"file:" + dir + "/c.db?sync=full", "2", ""},
		{dir + "/d.db?sync=off", "", "sync must be full or normal"},
		{dir + "/e.db?cache=1", "", "unknown DSN parameter"},
		{"postgres://127.0.0.1:1/tocsin?connect_timeout=5", "", "cannot reach PostgreSQL"},
		{"postgres://[::1/tocsin", "", "bad PostgreSQL DSN"},
		{"", "", "empty database path"},
	} {
		db, err := Open(context.Background(), tc.dsn, Options{Clock: clock.Real{}})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.dsn, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.dsn, err)
			continue
		}
		var sync string
		db.write.QueryRow("PRAGMA synchronous").Scan(&sync)
		if sync != tc.sync {
			t.Errorf("%q: synchronous %s, want %s", tc.dsn, sync, tc.sync)
		}
		db.Close()
	}
}

func testPanicInWriteRollsBack(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	err := db.Write(ctx, func(tx *Tx) error {
		if _, err := tx.CreateCheck(ctx, CheckDef{Name: "x", Slug: "x", Spec: tocsin.ScheduleSpec{Every: time.Hour}}); err != nil {
			return err
		}
		var c *tocsin.Check
		return tx.SaveCheckState(ctx, c) // a bug: nil check

	})
	if err == nil || !strings.Contains(err.Error(), "panic in write transaction") {
		t.Fatalf("error %v", err)
	}
	// The writer is free and nothing of the failed write was kept.
	err = db.Write(ctx, func(tx *Tx) error {
		_, err := tx.CreateCheck(ctx, CheckDef{Name: "x", Slug: "x", Spec: tocsin.ScheduleSpec{Every: time.Hour}})
		return err
	})
	if err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
}

func TestExclusive(t *testing.T) {
	path := t.TempDir() + "/t.db"
	db, err := Open(context.Background(), path, Options{Clock: clock.Real{}, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path, Options{Clock: clock.Real{}, Exclusive: true}); err == nil ||
		!strings.Contains(err.Error(), "in use by another tocsin process") {
		t.Fatalf("second server opened the database: %v", err)
	}
	shared, err := Open(context.Background(), path, Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatalf("a one-shot command could not open it: %v", err)
	}
	shared.Close()
	db.Close()
	again, err := Open(context.Background(), path, Options{Clock: clock.Real{}, Exclusive: true})
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	again.Close()
}

// testProbeWrite: the health probe's row is written, kept current, and
// rows of processes that stopped probing a day ago are deleted.
func testProbeWrite(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	if err := db.ProbeWrite(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(25 * time.Hour)
	for range 2 {
		if err := db.ProbeWrite(ctx, "new"); err != nil {
			t.Fatal(err)
		}
	}
	leases, err := db.Leases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(leases) != 1 || leases[0].Name != HealthPrefix+"new" || !leases[0].ExpiresAt.Equal(clk.Now()) {
		t.Fatalf("rows after the probes: %+v", leases)
	}
}

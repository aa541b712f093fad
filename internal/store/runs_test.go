package store

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// pendingStartRow is a check with a start pending, as versions before open
// runs stored it.
const pendingStartRow = `INSERT INTO checks (uuid, name, slug, schedule_every, grace, created_at, last_start_at, last_start_rid)
	VALUES ('0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70', 'kept', 'kept', 60000, 60000, 1, 5000, 'r1')`

// checkCarriedStart reads the check of pendingStartRow and checks its
// pending start became its one open run.
func checkCarriedStart(t *testing.T, db *DB) {
	t.Helper()
	c, err := db.CheckByUUID(context.Background(), "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Runs) != 1 || c.Runs[0].RID != "r1" || !c.Runs[0].At.Equal(time.UnixMilli(5000)) {
		t.Fatalf("open runs %+v, want the pending start r1 at 5 s", c.Runs)
	}
	if c.Keywords != nil {
		t.Fatalf("keywords %+v, want none", c.Keywords)
	}
}

// The migration to open runs carries a pending start over as the one open
// run, so that a run started before the upgrade is timed after it.
func TestMigrationCarriesPendingStart(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/t.db"
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	if err := (&DB{write: w, clock: clock.Real{}}).migrateTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(pendingStartRow); err != nil {
		t.Fatal(err)
	}
	w.Close()
	checkCarriedStart(t, open(t, path))
}

func TestMigrationCarriesPendingStartPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	w, err := sql.Open("pgx", srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	old := &DB{write: w, read: w, clock: clock.Real{}, dialect: "postgres"}
	if err := old.migrateTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(pendingStartRow); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, srv.DSN, Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkCarriedStart(t, db)
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// TestPostgresMigrations applies the PostgreSQL migrations to a real
// server, from empty and from every earlier version with a row in it, and
// checks they are the SQLite ones, statement for statement, in the same
// number and order.
func TestPostgresMigrations(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	sqliteFiles, _ := fs.Glob(migrations, "migrations/sqlite/*.sql")
	pgFiles, _ := fs.Glob(migrations, "migrations/postgres/*.sql")
	if len(sqliteFiles) != len(pgFiles) || len(pgFiles) != latestVersion ||
		!strings.HasPrefix(pgFiles[len(pgFiles)-1], fmt.Sprintf("migrations/postgres/%04d_", latestVersion)) {
		t.Fatalf("%d SQLite and %d PostgreSQL migrations, latest version %d", len(sqliteFiles), len(pgFiles), latestVersion)
	}
	for i := range pgFiles {
		if strings.TrimPrefix(pgFiles[i], "migrations/postgres/") != strings.TrimPrefix(sqliteFiles[i], "migrations/sqlite/") {
			t.Fatalf("migration %d: %s against %s", i+1, pgFiles[i], sqliteFiles[i])
		}
	}
	for from := 0; from < latestVersion; from++ {
		schema := fmt.Sprintf("from_%d", from)
		w, err := sql.Open("pgx", srv.DSN+"&search_path="+schema)
		if err != nil {
			t.Fatal(err)
		}
		w.SetMaxOpenConns(1)
		if _, err := w.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		db := &DB{write: w, read: w, clock: clock.Real{}, dialect: "postgres"}
		if from > 0 {
			if err := db.migrateTo(ctx, from); err != nil {
				t.Fatalf("migrate to %d: %v", from, err)
			}
			if _, err := w.Exec(`INSERT INTO checks (uuid, name, slug, schedule_every, grace, created_at)
				VALUES ('0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70', 'kept', 'kept', 60000, 60000, 1)`); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.migrate(ctx); err != nil {
			t.Fatalf("from %d: %v", from, err)
		}
		if err := db.migrate(ctx); err != nil { // again: nothing to do
			t.Fatalf("from %d, again: %v", from, err)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != latestVersion {
			t.Fatalf("from %d: version %d, %v", from, v, err)
		}
		var name string
		if from > 0 {
			if err := w.QueryRow("SELECT name FROM checks WHERE uuid = '0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70'").Scan(&name); err != nil || name != "kept" {
				t.Fatalf("from %d: row lost: %v", from, err)
			}
		}
		// The identity columns hand out ids, as SQLite's rowids do.
		var id int64
		if err := w.QueryRow(`INSERT INTO incidents (title, status, opened_at) VALUES ('t', 'triggered', 1) RETURNING id`).Scan(&id); err != nil || id < 1 {
			t.Fatalf("from %d: insert incident: %d %v", from, id, err)
		}
		w.Close()
	}
}

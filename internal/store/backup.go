package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// BackupStats says what a backup copied, counted in the copy.
type BackupStats struct {
	Checks, Incidents, Pings int64
	SchemaVersion            int
}

// ErrPostgresBackup is returned by BackupFile for a PostgreSQL DSN, before
// any connection is made.
var ErrPostgresBackup = errors.New("backup: a PostgreSQL database is backed up with pg_dump, not tocsin backup (see docs/operations.md, Backups)")

// BackupFile writes a consistent copy of the SQLite database named by dsn
// to dest, while a server may be using it. Unlike Open it changes nothing:
// the source is opened read-only, never created and never migrated, and
// one that does not exist or holds no Tocsin schema is refused; so is a
// PostgreSQL DSN, without connecting. The counts are read from the copy,
// which proves it opens.
func BackupFile(ctx context.Context, dsn, dest string) (BackupStats, error) {
	if isPostgres(dsn) {
		return BackupStats{}, ErrPostgresBackup
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i] // the DSN's parameters (sync) tune writing; a backup only reads
	}
	if path == "" {
		return BackupStats{}, errors.New("backup: empty database path")
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return BackupStats{}, fmt.Errorf("backup: no database at %s", absPath(path))
	case err != nil:
		return BackupStats{}, fmt.Errorf("backup: %w", err)
	case fi.IsDir():
		return BackupStats{}, fmt.Errorf("backup: %s is a directory, not a database file", absPath(path))
	}
	if _, err := os.Lstat(dest); err == nil {
		return BackupStats{}, fmt.Errorf("backup: %s already exists", dest)
	}
	src, err := openReadOnly(path)
	if err != nil {
		return BackupStats{}, err
	}
	defer src.Close()
	if _, err := tocsinSchema(ctx, src, path); err != nil {
		return BackupStats{}, err
	}
	if _, err := src.ExecContext(ctx, "VACUUM INTO $1", dest); err != nil {
		return BackupStats{}, fmt.Errorf("backup: %w", err)
	}
	cp, err := openReadOnly(dest)
	if err != nil {
		return BackupStats{}, fmt.Errorf("backup: the copy: %w", err)
	}
	defer cp.Close()
	stats, err := tocsinSchema(ctx, cp, dest)
	if err != nil {
		return BackupStats{}, fmt.Errorf("backup: the copy: %w", err)
	}
	return stats, nil
}

// openReadOnly opens a SQLite file that must exist, read-only: SQLite
// neither creates it nor writes to it.
func openReadOnly(path string) (*sql.DB, error) {
	u := url.URL{Scheme: "file", OmitHost: true, Path: absPath(path),
		RawQuery: "mode=ro&_pragma=busy_timeout(10000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// tocsinSchema checks that db holds Tocsin's tables and counts their rows.
func tocsinSchema(ctx context.Context, db *sql.DB, path string) (BackupStats, error) {
	notTocsin := func(err error) error {
		return fmt.Errorf("backup: %s is not a Tocsin database (%v)", absPath(path), err)
	}
	var s BackupStats
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&s.SchemaVersion); err != nil {
		return s, notTocsin(err)
	}
	if s.SchemaVersion == 0 {
		return s, notTocsin(errors.New("no migration applied"))
	}
	for _, c := range []struct {
		table string
		n     *int64
	}{{"checks", &s.Checks}, {"incidents", &s.Incidents}, {"pings", &s.Pings}} {
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+c.table).Scan(c.n); err != nil {
			return s, notTocsin(err)
		}
	}
	return s, nil
}

// absPath is path made absolute, for messages: a relative path is read
// from the current directory, which is often not the one meant.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// entries lists what is in dir, for "nothing was created" checks.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

func TestBackupRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{dir + "/typo.db", dir + "/missing/tocsin.db", "sqlite:" + dir + "/typo.db?sync=normal"} {
		code, out, errs := run("backup", "--database", src, dir+"/copy.db")
		if code != 1 || out != "" || !strings.Contains(errs, "no database at") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and \"no database at\"", src, code, out, errs)
		}
		if got := entries(t, dir); len(got) != 0 {
			t.Fatalf("%s: backup created %v", src, got)
		}
	}
}

func TestBackupRefusesDefaultFromOtherDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TOCSIN_DATABASE", "")
	os.Unsetenv("TOCSIN_DATABASE")
	code, _, errs := run("backup", "copy.db")
	if code != 1 || !strings.Contains(errs, "relative to the current directory") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Fatalf("backup created %v", got)
	}
}

func TestBackupRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	other := dir + "/other.db"
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	text := dir + "/notes.txt"
	if err := os.WriteFile(text, []byte("not a database at all, but long enough to have a header....................................."), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{other, text, dir} {
		before, _ := os.ReadFile(src)
		code, out, errs := run("backup", "--database", src, dir+"/copy.db")
		if code != 1 || out != "" || errs == "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and a message", src, code, out, errs)
		}
		if src != dir && !strings.Contains(errs, "not a Tocsin database") {
			t.Errorf("%s: stderr %q", src, errs)
		}
		if _, err := os.Stat(dir + "/copy.db"); err == nil {
			t.Fatalf("%s: a copy was written", src)
		}
		if after, _ := os.ReadFile(src); string(after) != string(before) {
			t.Fatalf("%s: the source changed", src)
		}
	}
	// Not migrated: the foreign database has no Tocsin table now either.
	db, err = sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("schema_migrations tables: %d, %v", n, err)
	}
}

func TestBackupRefusesPostgresWithoutConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	for _, scheme := range []string{"postgres", "postgresql"} {
		dsn := fmt.Sprintf("%s://tocsin:secret@%s/tocsin", scheme, ln.Addr())
		code, out, errs := run("backup", "--database", dsn, dir+"/copy.db")
		if code != 1 || out != "" || !strings.Contains(errs, "pg_dump") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and pg_dump named", scheme, code, out, errs)
		}
		if strings.Contains(errs, "secret") {
			t.Errorf("the password is in the message: %q", errs)
		}
	}
	// A connection attempt would be waiting in the listen queue.
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(200 * time.Millisecond))
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Fatal("backup connected to the PostgreSQL address")
	} else if ne := (net.Error)(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Fatalf("backup created %v", got)
	}
}

func TestBackupCopiesAndCounts(t *testing.T) {
	dir := t.TempDir()
	src := dir + "/data/tocsin.db"
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, src, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		var ids []int64
		for _, name := range []string{"nightly", "hourly"} {
			uuid, err := tx.CreateCheck(ctx, store.CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour}})
			if err != nil {
				return err
			}
			c, err := tx.CheckByUUID(ctx, uuid)
			if err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		if err := tx.InsertPings(ctx, []*tocsin.Ping{
			{CheckID: ids[0], N: 1, At: clk.Now(), Kind: tocsin.PingSuccess},
			{CheckID: ids[0], N: 2, At: clk.Now(), Kind: tocsin.PingSuccess},
			{CheckID: ids[1], N: 1, At: clk.Now(), Kind: tocsin.PingFail},
		}); err != nil {
			return err
		}
		return tx.CreateIncident(ctx, &tocsin.Incident{Title: "hourly is down", CheckID: ids[1], Service: "ops",
			Status: tocsin.IncidentTriggered, OpenedAt: clk.Now(), Priority: tocsin.P3})
	}); err != nil {
		t.Fatal(err)
	}
	// The server keeps running while the backup is taken.
	defer db.Close()

	dest := dir + "/copy.db"
	code, out, errs := run("backup", "--database", src, dest)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if want := "copied 2 checks, 1 incidents, 3 pings to " + dest + "\n"; out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
	cp, err := store.Open(ctx, dest, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	checks, err := cp.Checks(ctx)
	if err != nil || len(checks) != 2 {
		t.Fatalf("copy: %d checks, %v", len(checks), err)
	}
	ins, err := cp.Incidents(ctx, store.IncidentFilter{})
	if err != nil || len(ins) != 1 {
		t.Fatalf("copy: %d incidents, %v", len(ins), err)
	}
	var pings int64
	for _, c := range checks {
		n, err := cp.PingCount(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		pings += n
	}
	if pings != 3 {
		t.Fatalf("copy: %d pings", pings)
	}
	// A second run refuses to overwrite the copy.
	if code, _, errs := run("backup", "--database", src, dest); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("second backup: exit %d, stderr %q", code, errs)
	}
	if got := entries(t, filepath.Dir(src)); strings.Join(got, " ") == "" {
		t.Fatal("source directory empty")
	}
}

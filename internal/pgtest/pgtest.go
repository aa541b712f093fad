// Package pgtest starts a throwaway PostgreSQL server for tests: initdb
// and pg_ctl from the PATH (Debian's postgresql package, or
// /usr/lib/postgresql/<version>/bin), a data directory in the test's
// temporary directory, a Unix socket and a TCP port on 127.0.0.1 only, and
// an immediate shutdown when the test ends. Tests skip, saying why, when
// PostgreSQL is not installed.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throwaway PostgreSQL.
type Server struct {
	// DSN connects to the database "tocsin" as the superuser, over TCP on
	// 127.0.0.1, without a password (trust authentication, local only).
	DSN  string
	Port int

	admin string
	dbs   int
}

// binDir finds initdb and pg_ctl: on PATH, else in the newest
// /usr/lib/postgresql/<version>/bin (where Debian puts them).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("initdb and pg_ctl not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
}

// Start runs a server for the test, or skips the test when PostgreSQL is
// not installed. PostgreSQL refuses to run as root: run the tests as
// another user, or as root with a "postgres" user present (the server is
// then run as that user).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Skipf("PostgreSQL tests skipped: %v", err)
	}
	dir := t.TempDir()
	s := &Server{}
	var runAs *user.User
	if os.Geteuid() == 0 {
		if runAs, err = user.Lookup("postgres"); err != nil {
			t.Skipf("PostgreSQL tests skipped: running as root and there is no postgres user to run the server as")
		}
		// The data directory must belong to the user running the server.
		if err := exec.Command("chown", "-R", runAs.Username, dir).Run(); err != nil {
			t.Fatalf("chown data directory: %v", err)
		}
		// ...and the server user must be able to reach it: the test's
		// temporary root is private to root (0700); let others pass through.
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
	}
	run := func(timeout time.Duration, name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		if runAs != nil {
			cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", runAs.Username, "--", filepath.Join(bin, name)}, args...)...)
		}
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	data := filepath.Join(dir, "data")
	run(60*time.Second, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.Port = port
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c max_connections=50",
			port, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		args := []string{"-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "50", "start"}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_ctl"), args...)
		if runAs != nil {
			cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", runAs.Username, "--", filepath.Join(bin, "pg_ctl")}, args...)...)
		}
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		args := []string{"-D", data, "-m", "immediate", "-w", "stop"}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_ctl"), args...)
		if runAs != nil {
			cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", runAs.Username, "--", filepath.Join(bin, "pg_ctl")}, args...)...)
		}
		cmd.Run()
	})
	s.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
	s.DSN = s.create(t, "tocsin")
	return s
}

// NewDatabase creates another empty database on the server and returns
// its DSN: tests that share a server each get their own.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.dbs++
	return s.create(t, fmt.Sprintf("tocsin_%d", s.dbs))
}

func (s *Server) create(t testing.TB, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		t.Fatalf("connect to the throwaway server: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

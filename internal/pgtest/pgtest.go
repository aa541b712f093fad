// Package pgtest starts a throwaway PostgreSQL server for tests: initdb
// and pg_ctl from the PATH (Debian's postgresql package, or
// /usr/lib/postgresql/<version>/bin), a data directory in the test's
// temporary directory, a Unix socket and a TCP port on 127.0.0.1 only, and
// an immediate shutdown when the test ends. Tests skip, saying why, when
// PostgreSQL is not installed.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
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
	bin   string
	data  string
	runAs *user.User // set when running as root: the server runs as postgres
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
// then run as that user). The test server does not sync to disk.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := binDir(); err != nil {
		t.Skipf("PostgreSQL tests skipped: %v", err)
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			t.Skipf("PostgreSQL tests skipped: running as root and there is no postgres user to run the server as")
		}
	}
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// The test's temporary root is private to root (0700): let the
		// server's user pass through it.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Launch(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch runs a server with its data in dir until Stop; programs that are
// not tests (benchmarks) use it. durable keeps PostgreSQL's default of
// syncing every commit to disk; without it, commits are not synced.
func Launch(dir string, durable bool) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		if s.runAs, err = user.Lookup("postgres"); err != nil {
			return nil, errors.New("running as root and there is no postgres user to run the server as")
		}
		// The data directory must belong to the user running the server.
		if err := exec.Command("chown", "-R", s.runAs.Username, dir).Run(); err != nil {
			return nil, fmt.Errorf("chown data directory: %w", err)
		}
		// ...and the server user must be able to pass through dir (its
		// parents are the caller's business).
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
	}
	if out, err := s.command(60*time.Second, "initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	sync := "-c fsync=off"
	if durable {
		sync = "-c fsync=on -c synchronous_commit=on"
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.Port = port
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s %s -c max_connections=100",
			port, dir, sync)
		out, err := s.command(60*time.Second, "pg_ctl", "-D", s.data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "50", "start")
		if err == nil {
			break
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
	s.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
	if s.DSN, err = s.Create("tocsin"); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// command runs one of the server's programs, as the server's user.
func (s *Server) command(timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	if s.runAs != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", s.runAs.Username, "--", filepath.Join(s.bin, name)}, args...)...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

// Stop shuts the server down at once (its data is thrown away).
func (s *Server) Stop() {
	s.command(30*time.Second, "pg_ctl", "-D", s.data, "-m", "immediate", "-w", "stop")
}

// NewDatabase creates another empty database on the server and returns
// its DSN: tests that share a server each get their own.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	s.dbs++
	dsn, err := s.Create(fmt.Sprintf("tocsin_%d", s.dbs))
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Create creates an empty database named name and returns its DSN.
func (s *Server) Create(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return "", fmt.Errorf("connect to the throwaway server: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

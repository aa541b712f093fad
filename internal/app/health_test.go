package app

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

func TestFailURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hc-ping.com/5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b":  "https://hc-ping.com/5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b/fail",
		"https://hc-ping.com/5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b/": "https://hc-ping.com/5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b/fail",
		"https://hc-ping.com/ping-key/tocsin?create=1":              "https://hc-ping.com/ping-key/tocsin/fail?create=1",
		"https://hc.example.com/a%2Fb":                              "https://hc.example.com/a%2Fb/fail",
	} {
		if got, err := failURL(in); err != nil || got != want {
			t.Errorf("failURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestUnhealthyWithholdsWatchdogAndHeartbeat runs Tocsin as systemd would
// with Type=notify and WatchdogSec=1s (NOTIFY_SOCKET on a real unixgram
// socket) and a self-heartbeat with on_unhealthy: skip. It hears READY=1
// and WATCHDOG=1; with the database write-locked by another connection,
// neither WATCHDOG=1 nor any self-heartbeat; both again once the lock is
// gone; and STOPPING=1 at shutdown.
func TestUnhealthyWithholdsWatchdogAndHeartbeat(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	notes := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				return
			}
			notes <- string(buf[:n])
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "1000000")
	t.Setenv("WATCHDOG_PID", "")

	var mu sync.Mutex
	beats := 0
	hb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/hb" {
			t.Errorf("self-heartbeat to %s with on_unhealthy: skip", r.URL.Path)
		}
		beats++
	}))
	defer hb.Close()
	heard := func() int {
		mu.Lock()
		defer mu.Unlock()
		return beats
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeFile(t, path, "self_heartbeat: {url: \""+hb.URL+"/hb\", every: 2s, timeout: 1s, on_unhealthy: skip}\n"+
		"watchdog: {write_timeout: 1s}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "t.db"),
		Version: "test", Clock: clock.Real{}, Log: testkit.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	health := &testkit.IdleLog{} // the health job's rounds
	a.runner.OnIdle = func(job string, now, next time.Time) {
		if job == "health" {
			health.Report(now, next)
		}
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	expect := func(what, want string, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case n := <-notes:
				if n == want {
					return
				}
			case <-deadline:
				t.Fatalf("%s: no %s within %s", what, want, within)
			}
		}
	}
	expect("start", "READY=1", 10*time.Second)
	expect("healthy", "WATCHDOG=1", 10*time.Second)
	testkit.Eventually(t, "a self-heartbeat", func() bool { return heard() > 0 })

	// Another connection holds the write lock.
	lock, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "t.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "unhealthy", func() bool { return len(a.healthProblems()) > 0 })
	// A round that began healthy finishes before one that begins now.
	locked := a.clock.Now()
	testkit.Eventually(t, "a health round begun with the store locked", func() bool {
		now, _ := health.Last()
		return now.After(locked)
	})
	for len(notes) > 0 {
		<-notes
	}
	before := heard()
	select {
	case n := <-notes:
		t.Fatalf("systemd heard %q while the store was locked", n)
	case <-time.After(3 * time.Second): // three watchdog periods
	}
	if n := heard(); n != before {
		t.Fatalf("%d self-heartbeats while the store was locked (on_unhealthy: skip)", n-before)
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	expect("after the lock", "WATCHDOG=1", 10*time.Second)
	testkit.Eventually(t, "self-heartbeats again", func() bool { return heard() > before })

	cancel()
	expect("shutdown", "STOPPING=1", 20*time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

package sdnotify

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// listen opens a unixgram socket as systemd does and returns what it reads.
func listen(t *testing.T, name string) <-chan string {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	return got
}

func receive(t *testing.T, got <-chan string, want string) {
	t.Helper()
	select {
	case s := <-got:
		if s != want {
			t.Fatalf("received %q, want %q", s, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing received, want %q", want)
	}
}

func TestNotifyPathAndAbstractSockets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	abstract := "@tocsin-test-" + rand.Text()
	for _, socket := range []string{path, abstract} {
		got := listen(t, socket)
		n, err := FromEnv(env(map[string]string{"NOTIFY_SOCKET": socket}), os.Getpid(), clock.Real{})
		if err != nil || n == nil {
			t.Fatalf("%s: %v, %v", socket, n, err)
		}
		for _, state := range []string{"READY=1", "WATCHDOG=1", "STOPPING=1"} {
			if err := n.Notify(state); err != nil {
				t.Fatalf("%s: %v", socket, err)
			}
			receive(t, got, state)
		}
		if n.Watchdog() != 0 {
			t.Errorf("watchdog on without WATCHDOG_USEC")
		}
	}
}

func TestFromEnv(t *testing.T) {
	pid := os.Getpid()
	if n, err := FromEnv(env(nil), pid, clock.Real{}); n != nil || err != nil {
		t.Fatalf("no NOTIFY_SOCKET: %v, %v", n, err)
	}
	if err := (*Notifier)(nil).Notify("READY=1"); err != nil || (*Notifier)(nil).Watchdog() != 0 {
		t.Fatal("a nil Notifier must do nothing")
	}
	n, err := FromEnv(env(map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000",
		"WATCHDOG_PID": fmt.Sprint(pid)}), pid, clock.Real{})
	if err != nil || n.Watchdog() != 30*time.Second {
		t.Fatalf("watchdog: %v, %v", n.Watchdog(), err)
	}
	n, err = FromEnv(env(map[string]string{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000",
		"WATCHDOG_PID": fmt.Sprint(pid + 1)}), pid, clock.Real{})
	if err != nil || n.Watchdog() != 0 {
		t.Fatalf("another process's watchdog: %v, %v", n.Watchdog(), err)
	}
	for _, bad := range []map[string]string{
		{"NOTIFY_SOCKET": "relative.sock"},
		{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "soon"},
		{"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "0"},
	} {
		if _, err := FromEnv(env(bad), pid, clock.Real{}); err == nil {
			t.Errorf("FromEnv(%v) succeeded", bad)
		}
	}
}

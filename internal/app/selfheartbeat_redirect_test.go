package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSelfHeartbeatRedirectNotFollowed: the shared client follows no
// redirect, for the self-heartbeat too (whose URL is a credential, never
// logged whole): a monitor answering 307 gets a logged refusal that names
// the redirect and the URL as scheme://host/…, and its target nothing.
func TestSelfHeartbeatRedirectNotFollowed(t *testing.T) {
	var atTarget atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { atTarget.Add(1) }))
	defer target.Close()
	var atMonitor atomic.Int32
	monitor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atMonitor.Add(1)
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer monitor.Close()

	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeFile(t, path, "self_heartbeat: {url: \""+monitor.URL+"/ping/SECRET-UUID?k=SECRETKEY\", every: 2s, timeout: 1s}\n")
	var log syncLog
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "t.db"),
		Version: "test", Clock: clock.Real{}, Log: slog.New(slog.NewTextHandler(&log, nil)), HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	testkit.Eventually(t, "a refused self-heartbeat logged", func() bool {
		return strings.Contains(log.String(), "self heartbeat refused") && atMonitor.Load() > 0
	})
	if n := atTarget.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
	out := log.String()
	if !strings.Contains(out, "307 Temporary Redirect") || !strings.Contains(out, monitor.URL+"/…") {
		t.Errorf("the log does not tell the redirect, or the URL redacted:\n%s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Errorf("the log shows the self-heartbeat URL:\n%s", out)
	}
}

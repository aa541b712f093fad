package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestTokenCommands makes, lists and revokes a token of a running server,
// and uses the token it printed once.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, fourChecks)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "tocsin.db"),
		AdminToken: "tok", Version: "test", Clock: clock.Real{}, Log: testkit.Logger()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("server did not stop")
			}
		})
	}
	defer stop()
	base := "http://" + a.Addr()
	t.Setenv("TOCSIN_API_TOKEN", "tok")

	code, out, errs := run("token", "create", "--name", "ci", "--role", "responder", "--expires", "720h", "--server", base)
	secret := strings.TrimSpace(out)
	if code != exitOK || !auth.LooksLikeToken(secret) || !strings.Contains(errs, `"ci", role responder, expires `) ||
		!strings.Contains(errs, "shown once") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := run("token", "create", "--name", "ci", "--role", "viewer", "--server", base); code != exitFailed ||
		!strings.Contains(errs, "HTTP 409") {
		t.Errorf("create twice: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("token", "create", "--name", "x", "--role", "root", "--server", base); code != exitInvalid ||
		!strings.Contains(errs, "unknown role") {
		t.Errorf("create with a bad role: exit %d, stderr %q", code, errs)
	}

	// The printed token works, with its role.
	t.Setenv("TOCSIN_API_TOKEN", secret)
	if code, _, errs := run("token", "list", "--server", base); code != exitFailed || !strings.Contains(errs, "HTTP 403") {
		t.Errorf("list with the responder token: exit %d, stderr %q", code, errs)
	}
	t.Setenv("TOCSIN_API_TOKEN", "tok")
	code, out, errs = run("token", "list", "--server", base)
	if code != exitOK || strings.Contains(out, secret) {
		t.Fatalf("list: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "admin") ||
		!strings.Contains(lines[1], "config") || !strings.HasPrefix(lines[2], "1 ") || !strings.Contains(lines[2], "responder") ||
		!strings.Contains(lines[2], "by api:admin") || !strings.Contains(lines[2], "from 127.0.0.1") {
		t.Fatalf("list:\n%s", out)
	}

	if code, _, errs := run("token", "revoke", "admin", "--server", base); code != exitFailed || !strings.Contains(errs, "config file") {
		t.Errorf("revoke a config token: exit %d, stderr %q", code, errs)
	}
	if code, out, errs := run("token", "revoke", "1", "--server", base); code != exitOK || !strings.Contains(out, `token 1 "ci" revoked at `) {
		t.Fatalf("revoke: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	t.Setenv("TOCSIN_API_TOKEN", secret)
	if code, _, errs := run("config", "reload", "--server", base); code != exitFailed || !strings.Contains(errs, "token revoked at") {
		t.Errorf("revoked token: exit %d, stderr %q", code, errs)
	}

	for _, args := range [][]string{{"token"}, {"token", "sideways"}, {"token", "create", "--name", "x"}, {"token", "revoke"},
		{"token", "list", "extra"}} {
		if code, _, errs := run(args...); code != exitInvalid || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestUserCommands sets a password and makes an invite link through a
// running server, as the admin token.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, "users:\n  - {name: ana, role: responder}\n")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "t.db"), AdminToken: "tok",
		Version: "test", Clock: clock.Real{}, Log: testkit.Logger()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	}()
	base := "http://" + a.Addr()
	t.Setenv("TOCSIN_API_TOKEN", "tok")
	user := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := userCommand(args, strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := user("a long password\n", "set-password", "ana", "--server", base); code != exitOK ||
		!strings.Contains(out, "password of ana set") {
		t.Fatalf("set-password: %d %q %q", code, out, errs)
	}
	resp, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"user": "ana", "password": "a long password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with the password set: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		errs  string
	}{
		{"short\n", []string{"set-password", "ana", "--server", base}, exitInvalid, "password too short"},
		{"", []string{"set-password", "ana", "--server", base}, exitInvalid, "no password on stdin"},
		{"a long password\n", []string{"set-password", "nobody", "--server", base}, exitInvalid, `no user "nobody" in the config`},
		{"", []string{"set-password"}, exitInvalid, "usage"},
		{"", []string{"rename", "ana"}, exitInvalid, "usage"},
		{"", []string{"invite", "ana", "--server", "http://127.0.0.1:1"}, exitFailed, "invite"},
	} {
		if code, _, errs := user(tc.stdin, tc.args...); code != tc.code || !strings.Contains(errs, tc.errs) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errs, tc.code, tc.errs)
		}
	}
	code, out, errs := user("", "invite", "ana", "--server", base)
	if code != exitOK || !strings.Contains(out, "/invite/") || !strings.Contains(out, "one use") {
		t.Fatalf("invite: %d %q %q", code, out, errs)
	}
}

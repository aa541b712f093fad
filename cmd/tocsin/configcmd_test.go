package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigCheckEmptyFile(t *testing.T) {
	dir := t.TempDir()
	for _, text := range []string{"", "\n  \n", "# tocsin config\n# (to be written)\n"} {
		writeConfig(t, dir+"/tocsin.yaml", text)
		code, out, errs := run("config", "check", dir+"/tocsin.yaml")
		if code != exitGuard || !strings.Contains(errs, "reload guard (empty_file): "+dir+"/tocsin.yaml is empty") ||
			!strings.Contains(out, "valid, but refused by the reload guard (0 checks") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", text, code, out, errs)
		}
	}
}

func TestConfigCommandUsage(t *testing.T) {
	t.Setenv("TOCSIN_API_TOKEN", "")
	t.Setenv("TOCSIN_ADMIN_TOKEN", "")
	good := "../../internal/config/testdata/good/full.yaml"
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"config"}, exitInvalid},
		{[]string{"config", "sideways"}, exitInvalid},
		{[]string{"config", "check"}, exitInvalid},
		{[]string{"config", "check", good, good}, exitInvalid},
		{[]string{"config", "check", good, "--against", "http://127.0.0.1:1", "--database", "x.db"}, exitInvalid},
		{[]string{"config", "check", good, "--nonsense"}, exitInvalid},
		{[]string{"config", "reload", "extra"}, exitInvalid},
		{[]string{"config", "reload", "--force=maybe"}, exitInvalid},
		// No token, or nobody listening: the comparison cannot be made.
		{[]string{"config", "reload", "--server", "http://127.0.0.1:1"}, exitFailed},
		{[]string{"config", "check", good, "--against", "http://127.0.0.1:1"}, exitFailed},
	} {
		if code, out, errs := run(tc.args...); code != tc.code || errs == "" {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", tc.args, code, tc.code, out, errs)
		}
	}
	t.Setenv("TOCSIN_API_TOKEN", "tok")
	if code, _, errs := run("config", "reload", "--server", "http://127.0.0.1:1"); code != exitFailed || !strings.Contains(errs, "reload") {
		t.Errorf("server down: exit %d %q", code, errs)
	}
}

const fourChecks = `channels:
  - {name: ops, type: webhook, url: "http://127.0.0.1:9/ops"}
operator: {notify: [ops]}
checks:
  - {name: lb-1, schedule: {every: 1h}}
  - {name: lb-2, schedule: {every: 1h}}
  - {name: lb-3, schedule: {every: 1h}}
  - {name: backup, schedule: {every: 1d}}
`

// TestConfigCheckAgainst compares files with a running server and with
// its database, and reloads it: refused, then forced.
func TestConfigCheckAgainst(t *testing.T) {
	dir := t.TempDir()
	path, db := filepath.Join(dir, "tocsin.yaml"), filepath.Join(dir, "tocsin.db")
	writeConfig(t, path, fourChecks)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: db, AdminToken: "tok", Version: "test",
		Clock: clock.Real{}, Log: testkit.Logger()})
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

	same, cut, changed := filepath.Join(dir, "same.yaml"), filepath.Join(dir, "cut.yaml"), filepath.Join(dir, "changed.yaml")
	writeConfig(t, same, fourChecks)
	writeConfig(t, cut, strings.Join(strings.SplitAfter(fourChecks, "\n")[:5], ""))
	writeConfig(t, changed, strings.Replace(fourChecks, "backup, schedule: {every: 1d}", "backup, schedule: {every: 2d}", 1)+
		"  - {name: lb-4, schedule: {every: 1h}}\n")
	noChannels := filepath.Join(dir, "nochannels.yaml")
	writeConfig(t, noChannels, "checks:\n"+strings.SplitN(fourChecks, "checks:\n", 2)[1])

	for _, where := range [][]string{{"--against", base}, {"--database", db}} {
		code, out, errs := run("config", "check", same, where[0], where[1])
		if code != exitOK || !strings.Contains(out, ": 0 created, 0 changed, 0 removed") {
			t.Errorf("%s, same file: exit %d %q %q", where[0], code, out, errs)
		}
		code, out, errs = run("config", "check", changed, where[0], where[1])
		if code != exitOK || !strings.Contains(out, ": 1 created (lb-4), 1 changed (backup), 0 removed") {
			t.Errorf("%s, changed file: exit %d %q %q", where[0], code, out, errs)
		}
		code, out, errs = run("config", "check", cut, where[0], where[1])
		if code != exitGuard || !strings.Contains(out, "0 created, 0 changed, 3 removed (lb-2, lb-3, backup)") ||
			!strings.Contains(errs, "reload guard (share): it would remove 3 of 4 checks") {
			t.Errorf("%s, cut file: exit %d %q %q", where[0], code, out, errs)
		}
		code, _, errs = run("config", "check", noChannels, where[0], where[1])
		if code != exitGuard || !strings.Contains(errs, "reload guard (every_channel): it would remove every channel (1): ops") ||
			!strings.Contains(errs, "reload guard (operator_route)") {
			t.Errorf("%s, file without channels: exit %d %q", where[0], code, errs)
		}
		if where[0] == "--database" {
			break
		}
		// Reload the server's own file, cut: refused, then forced.
		writeConfig(t, path, strings.Join(strings.SplitAfter(fourChecks, "\n")[:5], ""))
		code, out, errs = run("config", "reload", "--server", base)
		if code != exitGuard || !strings.Contains(errs, "refused: config rejected") || !strings.Contains(errs, "remove 3 of 4 checks") {
			t.Fatalf("reload of the cut file: exit %d %q %q", code, out, errs)
		}
		code, out, errs = run("config", "reload", "--force", "--server", base)
		if code != exitOK || !strings.Contains(out, "removed, no longer monitored: lb-2, lb-3, backup") ||
			!strings.Contains(out, "applied by force") {
			t.Fatalf("forced reload: exit %d %q %q", code, out, errs)
		}
		// The file with four checks again, for the database's turn.
		writeConfig(t, path, fourChecks)
		if code, out, errs := run("config", "reload", "--server", base); code != exitOK || !strings.Contains(out, "0 removed") {
			t.Fatalf("reload of the whole file: exit %d %q %q", code, out, errs)
		}
		stop()
	}
}

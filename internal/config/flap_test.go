package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Flap damping and reopen_after: built-in defaults, check_defaults, a
// check's own keys, and a check's own window as its stable period.
func TestFlapDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeTestFile(t, path, `check_defaults:
  flap: {changes: 5, stable: 20m}
  reopen_after: 0
checks:
  - name: inherits
    schedule: {every: 1h}
  - name: own-window
    schedule: {every: 1h}
    flap: {window: 3m}
  - name: off
    schedule: {every: 1h}
    flap: {changes: 0}
    reopen_after: 2h
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		flap   Flap
		reopen time.Duration
	}{
		{Flap{5, Duration(DefaultFlapWindow), Duration(20 * time.Minute)}, 0},
		{Flap{5, Duration(3 * time.Minute), Duration(3 * time.Minute)}, 0},
		{Flap{0, Duration(DefaultFlapWindow), Duration(20 * time.Minute)}, 2 * time.Hour},
	}
	for i, w := range want {
		c := cfg.Checks[i]
		if c.Flap != w.flap || c.ReopenAfter.D() != w.reopen {
			t.Errorf("%s: flap %+v reopen_after %s, want %+v %s", c.Name, c.Flap, c.ReopenAfter, w.flap, w.reopen)
		}
	}

	writeTestFile(t, path, "checks:\n  - name: a\n    schedule: {every: 1h}\n")
	if cfg, err = Load(path); err != nil {
		t.Fatal(err)
	}
	c := cfg.Checks[0]
	if c.Flap != (Flap{DefaultFlapChanges, Duration(DefaultFlapWindow), Duration(DefaultFlapWindow)}) || c.ReopenAfter.D() != DefaultReopenAfter {
		t.Errorf("built-in defaults: flap %+v reopen_after %s", c.Flap, c.ReopenAfter)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

package config

import (
	"strings"
	"testing"
	"time"
)

func TestIncidentsReopenWindow(t *testing.T) {
	cfg, err := Parse("a.yaml", []byte("checks: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Incidents.ReopenWindow.D() != 24*time.Hour {
		t.Errorf("default incidents.reopen_window = %s, want 24h", cfg.Incidents.ReopenWindow)
	}
	cfg, err = Parse("a.yaml", []byte("incidents:\n  reopen_window: 3d\n"))
	if err != nil || cfg.Incidents.ReopenWindow.D() != 72*time.Hour {
		t.Fatalf("incidents.reopen_window 3d: %v %v", cfg, err)
	}
	for src, want := range map[string]string{
		"incidents:\n  reopen_window: 10s\n":  "a.yaml:2: incidents.reopen_window: must be between 1m and ",
		"incidents:\n  reopen_window: 100d\n": "a.yaml:2: incidents.reopen_window: must be between 1m and ",
		"incidents:\n  reopen_window: soon\n": "a.yaml:2: incidents.reopen_window: must be a duration",
		"incidents:\n  reopen: 1h\n":          "a.yaml:2: incidents.reopen: ",
	} {
		_, err := Parse("a.yaml", []byte(src))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: %v, want %q...", src, err, want)
		}
	}
}

package config

import (
	"testing"
	"time"
)

func TestAuditRetention(t *testing.T) {
	cfg, err := Parse("a.yaml", []byte("checks: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Audit.Retention.D() != 400*24*time.Hour {
		t.Errorf("default audit.retention = %s, want 400d", cfg.Audit.Retention)
	}
	cfg, err = Parse("a.yaml", []byte("audit:\n  retention: 90d\n"))
	if err != nil || cfg.Audit.Retention.D() != 90*24*time.Hour {
		t.Fatalf("audit.retention 90d: %v %v", cfg, err)
	}
	for src, want := range map[string]string{
		"audit:\n  retention: 12h\n": "a.yaml:2: audit.retention: must be between 1d and ",
		"audit:\n  retention: 1x\n":  "a.yaml:2: audit.retention: must be a duration",
	} {
		_, err := Parse("a.yaml", []byte(src))
		if err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("%q: %v, want %q...", src, err, want)
		}
	}
}

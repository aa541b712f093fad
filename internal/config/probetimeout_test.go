package config

import (
	"strings"
	"testing"
)

// A probe's timeout is the deadline of one run: 2s is ordinary and earns no
// warning, while a short interval still does.
func TestShortProbeTimeoutDoesNotWarn(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte(`channels: [{name: ops, type: webhook, url: "https://example.com/hook"}]
checks:
  - {name: web, probe: {type: http, url: "https://example.com/health", timeout: 2s}, interval: 30s, notify: [ops]}
  - {name: db, probe: {type: tcp, address: "db:5432", timeout: 1s}, interval: 5s, notify: [ops]}
`))
	if err != nil {
		t.Fatal(err)
	}
	ws := cfg.Warnings
	if got := strings.Join(ws, "\n"); len(ws) != 1 || !strings.Contains(got, "checks[1].interval: 5s is under 10s") {
		t.Errorf("warnings:\n%s\nwant only the short interval's", got)
	}
	if d := cfg.Checks[0].Probe.Timeout.D().String(); d != "2s" {
		t.Errorf("timeout = %s", d)
	}
}

package config

import (
	"strings"
	"testing"
	"time"
)

// TestWarnGroupingPagerDuty: the README's example service groups by
// alertname and cluster, which PagerDuty events never carry: config check
// says so for the pagerduty integration, and only for it.
func TestWarnGroupingPagerDuty(t *testing.T) {
	src := `channels: [{name: ops, type: webhook, url: "https://hooks.example.com/x"}]
services:
  - {name: payments, notify: [ops], group_by: [alertname, cluster]}
  - {name: edge, notify: [ops], group_by: [component]}
integrations:
  - {name: am, type: alertmanager, key: "am-key-0123456789", service: payments}
  - {name: pd, type: pagerduty, key: "pd-key-0123456789", service: payments}
  - {name: pd-edge, type: pagerduty, key: "pd-key-edge-0123456789", service: edge}
`
	cfg, err := Parse("g.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 {
		t.Fatalf("warnings = %q, want one", cfg.Warnings)
	}
	w := cfg.Warnings[0]
	for _, want := range []string{"g.yaml:7: integrations[1].service", `"payments" groups by alertname, cluster`,
		"component, group, class", "dedup_key"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
}

// TestFallbackEvery: the default, a value, and the short-value warning.
func TestFallbackEvery(t *testing.T) {
	base := `users: [{name: ana, contacts: [{type: webhook, to: ops}]}]
channels: [{name: ops, type: webhook, url: "https://hooks.example.com/x"}]
links_secret: "0123456789abcdef0123456789abcdef"
escalation_policies:
`
	for _, tc := range []struct {
		policy string
		want   time.Duration
		warn   string
	}{
		{`  - {name: p, levels: [{targets: ["user:ana"]}]}`, DefaultFallbackEvery, ""},
		{`  - {name: p, levels: [{targets: ["user:ana"]}], fallback_every: 1h}`, time.Hour, ""},
		{`  - {name: p, levels: [{targets: ["user:ana"], timeout: 2s}], fallback_every: 2s}`, 2 * time.Second,
			"escalation_policies[0].fallback_every: 2s is under 10s"},
	} {
		cfg, err := Parse("p.yaml", []byte(base+tc.policy+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.policy, err)
		}
		if got := cfg.EscalationPolicies[0].FallbackEvery.D(); got != tc.want {
			t.Errorf("%s: fallback_every %s, want %s", tc.policy, got, tc.want)
		}
		joined := strings.Join(cfg.Warnings, "\n")
		if tc.warn == "" && len(cfg.Warnings) != 0 || !strings.Contains(joined, tc.warn) {
			t.Errorf("%s: warnings %q, want %q", tc.policy, cfg.Warnings, tc.warn)
		}
	}
}

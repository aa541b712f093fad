package app

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeMetrics returns the metrics the README's /metrics bullet lists,
// each with its label names.
func readmeMetrics(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "- `/metrics`:")
	if !ok {
		t.Fatal("README.md has no /metrics bullet")
	}
	bullet, _, _ := strings.Cut(rest, "\n- ")
	out := map[string][]string{}
	for _, m := range regexp.MustCompile("`(tocsin_[a-z_]+)(?:\\{([a-z_,]*)\\})?`").FindAllStringSubmatch(bullet, -1) {
		var labels []string
		if m[2] != "" {
			labels = strings.Split(m[2], ",")
		}
		out[m[1]] = labels
	}
	if len(out) < 5 {
		t.Fatalf("found only %v in the README's /metrics bullet", out)
	}
	return out
}

// A fresh Tocsin, before any ping, send, probe or alert, already shows every
// metric the README lists, with its labels: alerts on rate() or absent()
// must not read "no data" on a quiet day.
func TestFreshServerShowsEveryReadmeMetric(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, `channels:
  - {name: ops, type: webhook, url: "http://127.0.0.1:9/hook"}
checks:
  - {name: nightly, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1h}, notify: [ops]}
`)
	r := start(t, path, nil)
	req, _ := http.NewRequest("GET", r.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	text := string(body)
	for name, labels := range readmeMetrics(t) {
		re := regexp.MustCompile(`(?m)^` + name + `(_bucket|_count)?(\{[^}]*\})? `)
		lines := re.FindAllString(text, -1)
		if len(lines) == 0 {
			t.Errorf("%s is listed in the README but absent from a fresh /metrics", name)
			continue
		}
		for _, l := range labels {
			if !strings.Contains(strings.Join(lines, "\n"), l+`="`) {
				t.Errorf("%s has no series with label %s: %q", name, l, lines)
			}
		}
	}
	for _, want := range []string{
		`tocsin_pings_total{kind="fail"} 0`,
		`tocsin_notification_attempts_total{channel="ops",outcome="given_up"} 0`,
		`tocsin_notification_send_seconds_count{channel="ops"} 0`,
		`tocsin_probe_runs_total{outcome="timeout"} 0`,
		`tocsin_alerts_total{outcome="new"} 0`,
		`tocsin_loop_stalled{loop="outbox"} 0`,
		`tocsin_check_state_changes_total{from="up",to="down"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("fresh /metrics lacks %s", want)
		}
	}
}

package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// adminConfig has a check, a channel, a service fed by integrations of
// each type (one whose key the file holds only as a SHA-256), a
// responder, a viewer and an admin.
const adminConfig = `checks:
  - {name: backup, uuid: ` + checkUUID + `, schedule: {every: 1m}, grace: 30s}
channels:
  - {name: ops, type: webhook, url: "http://127.0.0.1:9/hook"}
services:
  - {name: payments, notify: [ops]}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
  - {name: pd-compat, type: pagerduty, key: "k-pd-123-abcdefgh", service: payments}
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
  - {name: hashed, type: generic, key_sha256: "25fb941ec56da7887bcc2e7e07095fa9eec1c24f11463de1141a30f200544952", service: payments}
  - {name: grafana, type: grafana, key: "k-graf-123-abcdefgh", service: payments}
users:
  - {name: alice, role: responder, tz: Europe/Berlin}
  - {name: victor, role: viewer}
  - {name: ada, role: admin, email: ada@example.com}
`

// The integrations page shows each integration's URL, key and snippets
// to a responder; the URL of the generic one takes the alert its curl
// snippet sends.
func TestIntegrationsPage(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, "/integrations")
	if status != http.StatusOK {
		t.Fatalf("GET /integrations: %d\n%s", status, body)
	}
	for _, want := range []string{
		s.base + "/ingest/alertmanager/k-prom-123-abcdefgh", // no public_url: the address the page was opened at
		"webhook_configs:", "send_resolved: true",
		"alertmanagers:", // Prometheus, pointed at Alertmanager
		s.base + "/v2/enqueue", "routing_key: k-pd-123-abcdefgh", `&#34;routing_key&#34;: &#34;k-pd-123-abcdefgh&#34;`,
		s.base + "/ingest/generic/k-gen-123-abcdefgh",
		"only its SHA-256", s.base + "/ingest/generic/&lt;integration key&gt;",
		"url: " + s.base + "/ingest/grafana/k-graf-123-abcdefgh", "type: webhook", "httpMethod: POST",
		`data-copy="int0-am"`, "notifies ops", `aria-current="page">Integrations`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The generic snippet's first command, as a person would paste it.
	m := regexp.MustCompile(`(?s)<pre id="int2-curl"[^>]*>curl [^\n]* (\S+) \\\n  --data &#39;(.*?)&#39;`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no generic curl snippet in the page:\n%s", body)
	}
	resp, err := http.Post(m[1], "application/json", strings.NewReader(strings.ReplaceAll(m[2], "&#34;", `"`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("the generic snippet's alert: %d, want 202", resp.StatusCode)
	}
}

// A viewer sees the integrations but none of their keys, which are
// credentials, and is told who can see them.
func TestIntegrationKeysHiddenFromViewers(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/integrations")
	if status != http.StatusOK {
		t.Fatalf("GET /integrations: %d\n%s", status, body)
	}
	for _, key := range []string{"k-prom-123", "k-pd-123", "k-gen-123"} {
		if strings.Contains(body, key) {
			t.Errorf("a viewer sees the key %s", key)
		}
	}
	if !strings.Contains(body, "only responders and admins see") || !strings.Contains(body, "/ingest/alertmanager/&lt;integration key&gt;") {
		t.Errorf("the page does not say who may see keys:\n%s", body)
	}
}

package app

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

const grafanaConfig = `
channels:
  - {name: ops, type: webhook, url: "%HOOK%"}
services:
  - {name: by-team, notify: [ops], group_by: [team], group_wait: 0s}
  - {name: by-rule, notify: [ops], group_by: [alertname, zone], group_wait: 0s}
integrations:
  - {name: grafana-team, type: grafana, key: "k-grafana-team-1234", service: by-team}
  - {name: grafana-rule, type: grafana, key: "k-grafana-rule-1234", service: by-rule}
`

// The body Grafana's documentation shows its webhook contact point
// sending, posted over HTTP: its two alerts are taken in, grouped by the
// service's group_by like Alertmanager's (one incident for the team, one
// per rule and zone), keep Grafana's fields, and resolve on the resolved
// notification.
func TestGrafanaWebhookContactPoint(t *testing.T) {
	hooks := &eventLog{}
	srv := httptest.NewServer(hooks)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, strings.ReplaceAll(grafanaConfig, "%HOOK%", srv.URL))
	r := start(t, path, nil)

	firing, err := os.ReadFile(filepath.Join("..", "ingest", "grafana", "testdata", "grafana-webhook-v1-firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ans map[string]any
	for _, key := range []string{"k-grafana-team-1234", "k-grafana-rule-1234"} {
		if code := r.post(t, "/ingest/grafana/"+key, "application/json", firing, &ans); code != 200 || ans["status"] != "success" ||
			ans["alerts"] != 2.0 || ans["new"] != 2.0 {
			t.Fatalf("%s: %d %v", key, code, ans)
		}
	}
	// Grafana repeats a group's notification: it updates, never duplicates.
	if code := r.post(t, "/ingest/grafana/k-grafana-team-1234", "application/json", firing, &ans); code != 200 || ans["updated"] != 2.0 {
		t.Fatalf("repeat: %d %v", code, ans)
	}
	bySvc := map[string][]incidentView{}
	for _, in := range r.incidents(t) {
		bySvc[in.Service] = append(bySvc[in.Service], r.incident(t, in.ID))
	}
	if len(bySvc["by-team"]) != 1 || len(bySvc["by-team"][0].Alerts) != 2 || len(bySvc["by-rule"]) != 2 ||
		len(bySvc["by-rule"][0].Alerts) != 1 || len(bySvc["by-rule"][1].Alerts) != 1 {
		t.Fatalf("incidents by service: %+v", bySvc)
	}
	testkit.Eventually(t, "the pages", func() bool { return hooks.count("incident.triggered") == 3 })

	// Grafana's fields are kept: the fingerprint, silence URL and values in
	// the details, the silence URL as a link too.
	var list struct {
		Alerts []struct {
			Key         string `json:"key"`
			Integration string `json:"integration"`
			Links       []struct{ Href, Text string }
			Details     struct {
				Fingerprint string             `json:"fingerprint"`
				SilenceURL  string             `json:"silenceURL"`
				Values      map[string]float64 `json:"values"`
				OrgID       int64              `json:"orgId"`
			}
		}
	}
	r.get(t, "/api/v1/alerts?service=by-team", &list)
	if len(list.Alerts) != 2 {
		t.Fatalf("alerts %+v", list)
	}
	for _, a := range list.Alerts {
		d := a.Details
		if a.Key != "{}:{}/"+d.Fingerprint || !strings.HasPrefix(d.SilenceURL, "https://play.grafana.org/alerting/silence/new?") ||
			d.Values["B"] != 44.23943737541908 || d.Values["C"] != 1 || d.OrgID != 1 {
			t.Fatalf("alert %+v", a)
		}
		var silence bool
		for _, l := range a.Links {
			silence = silence || l.Text == "Silence" && l.Href == d.SilenceURL
		}
		if !silence {
			t.Fatalf("no silence link: %+v", a.Links)
		}
	}

	// The resolved notification of the same group resolves every incident.
	resolved := strings.ReplaceAll(string(firing), `"status": "firing"`, `"status": "resolved"`)
	resolved = strings.ReplaceAll(resolved, `"endsAt": "0001-01-01T00:00:00Z"`, `"endsAt": "2021-10-12T10:01:03.157076+02:00"`)
	for _, key := range []string{"k-grafana-team-1234", "k-grafana-rule-1234"} {
		if code := r.post(t, "/ingest/grafana/"+key, "application/json", []byte(resolved), &ans); code != 200 || ans["resolved"] != 2.0 {
			t.Fatalf("resolved %s: %d %v", key, code, ans)
		}
	}
	for _, in := range r.incidents(t) {
		if in.Status != "resolved" {
			t.Fatalf("incident %+v", in)
		}
	}

	// Refusals: an unknown key, the key of another integration type, a
	// version Tocsin does not know.
	var e map[string]string
	if code := r.post(t, "/ingest/grafana/k-nope-nope-nope-1", "application/json", firing, &e); code != 404 {
		t.Fatalf("unknown key: %d %v", code, e)
	}
	bad := strings.Replace(string(firing), `"version": "1"`, `"version": "2"`, 1)
	if code := r.post(t, "/ingest/grafana/k-grafana-team-1234", "application/json", []byte(bad), &e); code != 400 ||
		!strings.Contains(e["error"], `version: "2" is not supported`) {
		t.Fatalf("version 2: %d %v", code, e)
	}
	raw, _ := json.Marshal(e)
	if strings.Contains(string(raw), "k-grafana") {
		t.Fatalf("the answer shows the key: %s", raw)
	}
}

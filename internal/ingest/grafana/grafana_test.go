package grafana

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

func docSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/grafana-webhook-v1-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The body of Grafana's documentation maps like an Alertmanager body, with
// Grafana's fields kept.
func TestDocumentedBody(t *testing.T) {
	am, g, alerts, err := Parse(bytes.NewReader(docSample(t)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if am.Version != "1" || am.GroupKey != "{}:{}" || g.OrgID != 1 || g.State != "alerting" || g.Title != "[FIRING:2]  (blue)" {
		t.Fatalf("payload %+v %+v", am, g)
	}
	if len(alerts) != 2 {
		t.Fatalf("%d alerts", len(alerts))
	}
	a := alerts[0]
	if a.Key != "{}:{}/c6eadffa33fcdf37" || a.Status != tocsin.AlertFiring || a.Summary != "This alert was triggered for zone us-1" ||
		a.Labels["team"] != "blue" || a.Severity != "warning" ||
		!a.StartsAt.Equal(time.Date(2021, 10, 12, 7, 51, 3, 157076000, time.UTC)) || !a.EndsAt.IsZero() {
		t.Fatalf("alert %+v", a)
	}
	links := map[string]string{}
	for _, l := range a.Links {
		links[l.Text] = l.Href
	}
	if links["Source"] != "https://play.grafana.org/alerting/1afz29v7z/edit" || links["Runbook"] != "https://myrunbook.com/runbook/1234" ||
		!strings.HasPrefix(links["Silence"], "https://play.grafana.org/alerting/silence/new?") || links["Dashboard"] != "" || links["Panel"] != "" {
		t.Fatalf("links %v", links)
	}
	var d Details
	if err := json.Unmarshal(a.Details, &d); err != nil {
		t.Fatal(err)
	}
	if d.Fingerprint != "c6eadffa33fcdf37" || d.SilenceURL != links["Silence"] || d.OrgID != 1 ||
		string(d.Values) != `{"B":44.23943737541908,"C":1}` {
		t.Fatalf("details %s", a.Details)
	}
	if alerts[1].Key != "{}:{}/bc97ff14869b13e3" {
		t.Fatalf("second key %q", alerts[1].Key)
	}
}

// The fields the documentation's example leaves empty: dashboard and panel
// links, the panel's screenshot as an image, the value string.
func TestDashboardPanelImage(t *testing.T) {
	body := `{"version":"1","groupKey":"{}/{team=\"blue\"}:{alertname=\"Disk\"}","status":"firing","orgId":2,"alerts":[{"status":"firing",
		"labels":{"alertname":"Disk","team":"blue"},"annotations":{},"startsAt":"2026-12-07T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
		"generatorURL":"","fingerprint":"0123456789ABCDEF","silenceURL":"","dashboardURL":"https://g.example/d/abc",
		"panelURL":"https://g.example/d/abc?viewPanel=2","imageURL":"https://g.example/render/abc.png",
		"values":null,"valueString":"[ var='B' labels={} value=97 ]"}]}`
	_, _, alerts, err := Parse(strings.NewReader(body), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if a.Key != `{}/{team="blue"}:{alertname="Disk"}/0123456789abcdef` || a.Summary != "Disk" {
		t.Fatalf("alert %+v", a)
	}
	if len(a.Links) != 2 || a.Links[0] != (tocsin.Link{Href: "https://g.example/d/abc", Text: "Dashboard"}) ||
		a.Links[1] != (tocsin.Link{Href: "https://g.example/d/abc?viewPanel=2", Text: "Panel"}) {
		t.Fatalf("links %+v", a.Links)
	}
	if len(a.Images) != 1 || a.Images[0].Src != "https://g.example/render/abc.png" {
		t.Fatalf("images %+v", a.Images)
	}
	var d Details
	json.Unmarshal(a.Details, &d)
	if d.ValueString != "[ var='B' labels={} value=97 ]" || d.Values != nil || d.OrgID != 2 || d.Fingerprint != "0123456789ABCDEF" {
		t.Fatalf("details %s", a.Details)
	}
}

func TestBadBodies(t *testing.T) {
	sample := string(docSample(t))
	for _, tc := range []struct{ name, body, want string }{
		{"empty", ``, "body is empty"},
		{"not JSON", `{"version":`, "malformed JSON"},
		{"no version", strings.Replace(sample, `"version": "1",`, ``, 1), "version: required"},
		{"Alertmanager's version", strings.Replace(sample, `"version": "1",`, `"version": "4",`, 1), `version: "4" is not supported`},
		{"orgId a string", strings.Replace(sample, `"orgId": 1,`, `"orgId": "1",`, 1), "orgId: must be an integer, got string"},
		{"silenceURL a number", strings.Replace(sample, `"silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1"`, `"silenceURL": 7`, 1),
			"alerts[1].silenceURL: must be a string, got number"},
		{"values a list", strings.Replace(sample, `"values": {`, `"values": [1], "x": {`, 1), "alerts[0].values: must be an object"},
		{"no fingerprint", strings.Replace(sample, `"fingerprint": "c6eadffa33fcdf37",`, ``, 1), "alerts[0].fingerprint: required"},
		{"no alertname", strings.Replace(sample, `"alertname": "High CPU usage",`, ``, 1), "alerts[1].labels.alertname: required"},
		{"bad status", strings.Replace(sample, `"status": "firing",
  "orgId"`, `"status": "pending",
  "orgId"`, 1), `status: "pending" is not firing or resolved`},
		{"no alerts", `{"version":"1","groupKey":"k","status":"firing","alerts":[]}`, "alerts: must hold at least one alert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, alerts, err := Parse(strings.NewReader(tc.body), 1<<20)
			if err == nil || alerts != nil {
				t.Fatalf("accepted: %v", alerts)
			}
			if tocsin.ErrorCode(err) != tocsin.EInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, _, _, err := Parse(strings.NewReader(sample), 100); err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Fatalf("over the limit: %v", err)
	}
}

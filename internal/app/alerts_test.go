package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// eventLog is a webhook receiver that keeps the events it was sent.
type eventLog struct {
	mu     sync.Mutex
	events []map[string]any
}

func (h *eventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev map[string]any
	json.NewDecoder(r.Body).Decode(&ev)
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *eventLog) count(event string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ev := range h.events {
		if ev["event"] == event {
			n++
		}
	}
	return n
}

const alertConfig = `
channels:
  - {name: ops, type: webhook, url: "%HOOK%"}
services:
  - {name: payments, notify: [ops], group_by: [alertname, service], group_wait: 0s}
  - {name: database, notify: [ops], group_wait: 0s}
routes:
  - {matchers: ['team="db"'], service: database}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
  - {name: pd-compat, type: pagerduty, key: "k-pd-123-abcdefgh", service: payments}
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`

func startAlerts(t *testing.T) (*running, *eventLog) {
	t.Helper()
	hooks := &eventLog{}
	srv := httptest.NewServer(hooks)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, strings.ReplaceAll(alertConfig, "%HOOK%", srv.URL))
	return start(t, path, nil), hooks
}

func (r *running) post(t *testing.T, path, contentType string, body []byte, out any) int {
	t.Helper()
	resp, err := http.Post(r.base+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %v in %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

type incidentView struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Service  string `json:"service"`
	Priority string `json:"priority"`
	AckedBy  string `json:"acknowledged_by"`
	Alerts   []struct {
		Key        string `json:"key"`
		Status     string `json:"status"`
		Deliveries int    `json:"deliveries"`
	} `json:"alerts"`
}

func (r *running) incidents(t *testing.T) []incidentView {
	t.Helper()
	var body struct{ Incidents []incidentView }
	r.get(t, "/api/v1/incidents", &body)
	return body.Incidents
}

func (r *running) incident(t *testing.T, id int64) incidentView {
	t.Helper()
	var in incidentView
	r.get(t, "/api/v1/incidents/"+itoa(id), &in)
	return in
}

func (r *running) alertCount(t *testing.T) int {
	t.Helper()
	var body struct{ Alerts []any }
	r.get(t, "/api/v1/alerts", &body)
	return len(body.Alerts)
}

func itoa(n int64) string { return strings.TrimSpace(string(must(json.Marshal(n)))) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ingest", "alertmanager", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAlertmanagerWebhookEndToEnd(t *testing.T) {
	r, hooks := startAlerts(t)
	firing := sample(t, "alertmanager-webhook-v4-firing.json")
	var ans map[string]any
	if code := r.post(t, "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", firing, &ans); code != 200 || ans["new"] != 1.0 {
		t.Fatalf("first delivery: %d %v", code, ans)
	}
	// Alertmanager repeats a group's notification: it updates, never duplicates.
	if code := r.post(t, "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", firing, &ans); code != 200 || ans["updated"] != 1.0 {
		t.Fatalf("repeat delivery: %d %v", code, ans)
	}
	list := r.incidents(t)
	if len(list) != 1 {
		t.Fatalf("%d incidents", len(list))
	}
	in := r.incident(t, list[0].ID)
	if in.Service != "payments" || in.Priority != "P1" || in.Title != "[payments] billing-cron heartbeat missed for 10m" ||
		len(in.Alerts) != 1 || in.Alerts[0].Deliveries != 2 {
		t.Fatalf("incident %+v", in)
	}
	testkit.Eventually(t, "the page", func() bool { return hooks.count("incident.triggered") == 1 })
	r.post(t, "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", sample(t, "alertmanager-webhook-v4-resolved.json"), &ans)
	if in := r.incident(t, list[0].ID); in.Status != "resolved" {
		t.Fatalf("after the resolved delivery: %s", in.Status)
	}
	testkit.Eventually(t, "the resolution", func() bool { return hooks.count("incident.resolved") == 1 })
	if n := hooks.count("incident.triggered"); n != 1 {
		t.Fatalf("paged %d times", n)
	}
}

func TestPagerDutyEventsEndToEnd(t *testing.T) {
	r, _ := startAlerts(t)
	var ans struct {
		Status, Message string
		DedupKey        string `json:"dedup_key"`
		Errors          []string
	}
	trigger := `{"routing_key":"k-pd-123-abcdefgh","event_action":"trigger","payload":{"summary":"checkout 5xx at 12%","source":"lb-1","severity":"error","custom_details":{"rate":0.12}},"links":[{"href":"https://grafana.example/d/1","text":"Dashboard"}]}`
	if code := r.post(t, "/v2/enqueue", "application/json", []byte(trigger), &ans); code != 202 || ans.Status != "success" || ans.DedupKey == "" {
		t.Fatalf("trigger: %d %+v", code, ans)
	}
	key := ans.DedupKey
	list := r.incidents(t)
	if len(list) != 1 || list[0].Priority != "P2" {
		t.Fatalf("incidents %+v", list)
	}
	ack := `{"routing_key":"k-pd-123-abcdefgh","event_action":"acknowledge","dedup_key":"` + key + `"}`
	if code := r.post(t, "/v2/enqueue", "application/json", []byte(ack), &ans); code != 202 || ans.DedupKey != key {
		t.Fatalf("ack: %d %+v", code, ans)
	}
	if in := r.incident(t, list[0].ID); in.Status != "acknowledged" || in.AckedBy != "integration pd-compat" {
		t.Fatalf("after ack: %+v", in)
	}
	resolve := `{"routing_key":"k-pd-123-abcdefgh","event_action":"resolve","dedup_key":"` + key + `"}`
	r.post(t, "/v2/enqueue", "application/json", []byte(resolve), &ans)
	if in := r.incident(t, list[0].ID); in.Status != "resolved" {
		t.Fatalf("after resolve: %+v", in)
	}
	// An unknown routing key is refused as PagerDuty refuses it.
	bad := strings.Replace(trigger, "k-pd-123-abcdefgh", "k-nope", 1)
	if code := r.post(t, "/v2/enqueue", "application/json", []byte(bad), &ans); code != 400 || ans.Status != "invalid event" ||
		len(ans.Errors) != 1 || ans.Errors[0] != "Invalid routing key" {
		t.Fatalf("unknown routing key: %d %+v", code, ans)
	}
	// The key of another type of integration is not a routing key.
	bad = strings.Replace(trigger, "k-pd-123-abcdefgh", "k-prom-123-abcdefgh", 1)
	if code := r.post(t, "/v2/enqueue", "application/json", []byte(bad), &ans); code != 400 {
		t.Fatalf("alertmanager key as routing key: %d", code)
	}
}

func TestGenericAndRoutingAndSilences(t *testing.T) {
	r, _ := startAlerts(t)
	var ans map[string]any
	body := `{"alerts":[{"key":"db-lag","summary":"replica lag 40s","severity":"critical","labels":{"team":"db"}},
		{"key":"disk-web1","summary":"disk 95% on web1","labels":{"alertname":"DiskFull","service":"web"}}]}`
	if code := r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(body), &ans); code != 202 || ans["new"] != 2.0 {
		t.Fatalf("generic: %d %v", code, ans)
	}
	services := map[string]bool{}
	for _, in := range r.incidents(t) {
		services[in.Service] = true
	}
	if !services["database"] || !services["payments"] {
		t.Fatalf("routing: %v", services)
	}
	// A silence made by API keeps a matching alert quiet; expiring it pages.
	req := `{"matchers":["alertname=\"Backup\""],"ends_at":"2099-01-01T00:00:00Z","comment":"backup window"}`
	hreq, _ := http.NewRequest("POST", r.base+"/api/v1/silences", strings.NewReader(req))
	hreq.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	var sil struct {
		ID        int64 `json:"id"`
		ActiveNow bool  `json:"active_now"`
	}
	json.NewDecoder(resp.Body).Decode(&sil)
	resp.Body.Close()
	if resp.StatusCode != 201 || !sil.ActiveNow {
		t.Fatalf("create silence: %d %+v", resp.StatusCode, sil)
	}
	before := len(r.incidents(t))
	backup := `{"key":"backup-nightly","summary":"backup slow","labels":{"alertname":"Backup"}}`
	r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(backup), &ans)
	if ans["silenced"] != 1.0 || len(r.incidents(t)) != before {
		t.Fatalf("silenced alert: %v, incidents %d -> %d", ans, before, len(r.incidents(t)))
	}
	if code := r.do(t, "DELETE", "/api/v1/silences/"+itoa(sil.ID), nil); code != 200 {
		t.Fatalf("expire silence: %d", code)
	}
	testkit.Eventually(t, "the released alert's incident", func() bool { return len(r.incidents(t)) == before+1 })
}

// TestBadAlertInput sends what a careless or hostile client might: each
// gets a 4xx with a message, and nothing is stored.
func TestBadAlertInput(t *testing.T) {
	r, _ := startAlerts(t)
	good := sample(t, "alertmanager-webhook-v4-firing.json")
	huge := append([]byte(`{"version":"4","groupKey":"x","status":"firing","alerts":[],"pad":"`), bytes.Repeat([]byte("x"), 9<<20)...)
	huge = append(huge, `"}`...)
	for _, tc := range []struct {
		name, path, ctype, body string
		code                    int
		msg                     string
	}{
		{"malformed JSON", "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", `{"version":"4",`, 400, "line 1"},
		{"wrong version", "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", strings.Replace(string(good), `"version":"4"`, `"version":"3"`, 1), 400, "version"},
		{"wrong key", "/ingest/alertmanager/k-wrong", "application/json", string(good), 404, "no alertmanager integration"},
		{"key of another type", "/ingest/alertmanager/k-gen-123-abcdefgh", "application/json", string(good), 404, "no alertmanager integration"},
		{"missing key", "/ingest/alertmanager/", "application/json", string(good), 404, "no such endpoint"},
		{"form content type", "/ingest/alertmanager/k-prom-123-abcdefgh", "application/x-www-form-urlencoded", string(good), 415, "Content-Type"},
		{"no content type", "/ingest/generic/k-gen-123-abcdefgh", "", `{"key":"a","summary":"b"}`, 415, "Content-Type"},
		{"huge body", "/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", string(huge), 413, "too large"},
		{"generic without key", "/ingest/generic/k-gen-123-abcdefgh", "application/json", `{"summary":"x"}`, 400, "key"},
		{"generic array", "/ingest/generic/k-gen-123-abcdefgh", "application/json", `[]`, 400, ""},
		{"pagerduty bad action", "/v2/enqueue", "application/json", `{"routing_key":"k-pd-123-abcdefgh","event_action":"explode"}`, 400, "event_action"},
		{"pagerduty not JSON", "/v2/enqueue", "text/plain", `hello`, 400, "Content-Type"},
		{"pagerduty huge", "/v2/enqueue", "application/json", string(huge), 400, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(r.base+tc.path, tc.ctype, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code || !strings.Contains(string(raw), tc.msg) || !json.Valid(raw) {
				t.Fatalf("%d %s, want %d with %q", resp.StatusCode, raw, tc.code, tc.msg)
			}
		})
	}
	if n := r.alertCount(t); n != 0 {
		t.Fatalf("bad input stored %d alerts", n)
	}
	if n := len(r.incidents(t)); n != 0 {
		t.Fatalf("bad input opened %d incidents", n)
	}
}

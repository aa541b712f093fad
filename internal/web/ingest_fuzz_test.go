package web

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// ingestServer is a server whose alert endpoints feed a real processor
// and store, with one integration of each type.
func ingestServer(t testing.TB) (*Server, *store.DB) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db")+"?sync=normal", store.Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := testkit.Logger()
	policy := &alerting.Policy{Services: map[string]alerting.Service{"payments": {Name: "payments", GroupBy: []string{"alertname"}}}}
	p := alerting.New(db, clock.Real{}, func() incident.Env { return incident.Env{} }, func() *alerting.Policy { return policy }, log, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	s := testServer(t)
	s.DB, s.Log, s.Alerts = db, log, p
	snap := *s.Snapshots.Load()
	snap.Integrations = map[[sha256.Size]byte]runtime.Integration{}
	for key, in := range map[string]runtime.Integration{
		"k-am":  {Name: "am", Type: "alertmanager", Service: "payments"},
		"k-pd":  {Name: "pd", Type: "pagerduty", Service: "payments"},
		"k-gen": {Name: "gen", Type: "generic", Service: "payments"},
		"k-gf":  {Name: "gf", Type: "grafana", Service: "payments"},
	} {
		snap.Integrations[sha256.Sum256([]byte(key))] = in
	}
	s.Snapshots = snapshotFunc(func() *runtime.Snapshot { return &snap })
	return s, db
}

func alertRows(t testing.TB, db *store.DB) int {
	list, err := db.Alerts(context.Background(), store.AlertFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// FuzzIngest posts arbitrary bodies to the four alert endpoints. Whatever
// arrives, the answer is 2xx, or 4xx with a JSON message and nothing stored;
// never a 5xx or a panic.
func FuzzIngest(f *testing.F) {
	am, err := os.ReadFile("../ingest/alertmanager/testdata/alertmanager-webhook-v4-firing.json")
	if err != nil {
		f.Fatal(err)
	}
	gf, err := os.ReadFile("../ingest/grafana/testdata/grafana-webhook-v1-firing.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		endpoint uint8
		ctype    string
		body     string
	}{
		{0, "application/json", string(am)},
		{0, "application/json", `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`},
		{0, "text/plain", string(am)},
		{1, "application/json", `{"routing_key":"k-pd","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"error"}}`},
		{1, "application/json", `{"routing_key":"k-pd","event_action":"resolve","dedup_key":"d"}`},
		{1, "application/json", `{"routing_key":"nope","event_action":"trigger"}`},
		{2, "application/json", `{"key":"a","summary":"b"}`},
		{2, "application/json", `{"alerts":[{"key":"a","summary":"b"},{"key":"a","summary":"c"}]}`},
		{2, "application/json; charset=utf-8", `{"key":"a","status":"resolved"}`},
		{2, "application/json", `{"key":`},
		{3, "application/json", string(gf)},
		{3, "application/json", string(am)},
		{3, "application/json", `{"version":"1","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"a"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"ab","values":[1]}]}`},
	} {
		f.Add(seed.endpoint, seed.ctype, seed.body)
	}
	s, db := ingestServer(f)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, endpoint uint8, ctype, body string) {
		path := [...]string{"/ingest/alertmanager/k-am", "/v2/enqueue", "/ingest/generic/k-gen", "/ingest/grafana/k-gf"}[endpoint%4]
		before := alertRows(t, db)
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch code := rec.Code; {
		case code >= 200 && code < 300:
		case code >= 400 && code < 500:
			if !strings.Contains(rec.Body.String(), `"`) || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%s: %d without a JSON message: %q", path, code, rec.Body.String())
			}
			if after := alertRows(t, db); after != before {
				t.Fatalf("%s: refused with %d but stored %d alerts: %s", path, code, after-before, rec.Body.String())
			}
		default:
			t.Fatalf("%s: status %d for %q: %s", path, code, body, rec.Body.String())
		}
	})
}

func TestIngestAnswers(t *testing.T) {
	s, db := ingestServer(t)
	h := s.Handler()
	post := func(path, ctype, body string) (int, string) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	code, body := post("/ingest/generic/k-gen", "application/json", `{"key":"disk-1","summary":"disk full"}`)
	if code != http.StatusAccepted || !strings.Contains(body, `"keys"`) || !strings.Contains(body, `"new": 1`) {
		t.Fatalf("generic: %d %s", code, body)
	}
	code, body = post("/v2/enqueue", "application/json", `{"routing_key":"k-pd","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"error"}}`)
	if code != http.StatusAccepted || !strings.Contains(body, `"dedup_key"`) || !strings.Contains(body, `"Event processed"`) {
		t.Fatalf("pagerduty: %d %s", code, body)
	}
	if n := alertRows(t, db); n != 2 {
		t.Fatalf("%d alerts stored", n)
	}
	// PagerDuty's acknowledge and resolve of a key never triggered: its
	// answer, and nothing stored.
	for _, action := range []string{"acknowledge", "resolve"} {
		code, body = post("/v2/enqueue", "application/json", `{"routing_key":"k-pd","event_action":"`+action+`","dedup_key":"never-seen"}`)
		if code != http.StatusAccepted || !strings.Contains(body, `"dedup_key":"never-seen"`) || !strings.Contains(body, `"Event processed"`) {
			t.Fatalf("pagerduty %s of an unknown key: %d %s", action, code, body)
		}
	}
	if n := alertRows(t, db); n != 2 {
		t.Fatalf("%d alerts stored after the unknown key's events", n)
	}
	gf, err := os.ReadFile("../ingest/grafana/testdata/grafana-webhook-v1-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	code, body = post("/ingest/grafana/k-gf", "application/json", string(gf))
	if code != http.StatusOK || !strings.Contains(body, `"new": 2`) {
		t.Fatalf("grafana: %d %s", code, body)
	}
}

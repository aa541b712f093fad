package statuspage_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"github.com/tocsinhq/tocsin/internal/web"
)

// snapshot serves one snapshot, and its config to the status pages.
type snapshot struct{ snap *runtime.Snapshot }

func (s snapshot) Load() *runtime.Snapshot { return s.snap }
func (s snapshot) Config() *config.Config  { return s.snap.Config }
func (snapshot) Reload(context.Context, web.ReloadRequest) (web.ReloadResult, error) {
	return web.ReloadResult{}, nil
}
func (snapshot) RunningConfig(context.Context) (web.RunningConfig, error) {
	return web.RunningConfig{}, nil
}
func (snapshot) Ready(context.Context) []string        { return nil }
func (snapshot) DeadlineChanged(int64, time.Time)      {}
func (snapshot) NotificationsQueued()                  {}
func (snapshot) SilencesChanged(context.Context) error { return nil }
func (snapshot) EscalationChanged()                    {}
func (snapshot) SetPaused(context.Context, string, bool, string) (*tocsin.Check, error) {
	return nil, tocsin.Errorf(tocsin.ENotFound, "check not found")
}

// apiServer serves Tocsin's HTTP handler, with the status pages' routes,
// on 127.0.0.1, on a fake clock, with a viewer and a responder token.
func apiServer(t *testing.T) (*httptest.Server, *statuspage.Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	token := func(secret, name string, role auth.Role) runtime.Token {
		sum := sha256.Sum256([]byte(secret))
		return runtime.Token{Name: name, SHA256: sum[:], Role: role}
	}
	cfg := &config.Config{StatusPages: []config.StatusPage{{Slug: "public", Title: "Example status", Components: []config.StatusComponent{
		{ID: "api", Name: "API", Checks: []string{"web"}, Services: []string{"payments"}},
		{ID: "exports", Name: "Nightly exports", Checks: []string{"nightly-backup"}},
	}}}}
	snap := snapshot{&runtime.Snapshot{Config: cfg, Policy: &alerting.Policy{}, OnCall: &runtime.OnCall{},
		Tokens: []runtime.Token{token("viewer-token", "dashboard", auth.Viewer), token("responder-token", "oncall-bot", auth.Responder)}}}
	sp := &statuspage.Service{DB: db, Clock: clk, Configs: snap, Log: testkit.Logger()}
	srv := &web.Server{DB: db, Clock: clk, Log: testkit.Logger(), Metrics: metrics.New(func() float64 { return 0 }, func() float64 { return 0 }),
		Ping: http.NotFoundHandler(), Snapshots: snap, Actions: snap, StatusPages: sp}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs, sp, clk
}

// call sends a request with the bearer token (none if "") and decodes the
// JSON answer into out; it returns the status and the error message.
func call(t *testing.T, hs *httptest.Server, token, method, path, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error string }
	json.Unmarshal(raw, &e)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, e.Error
}

// TestIncidentThroughAPI: a responder drafts an incident linked to
// Tocsin's, publishes it and posts identified, monitoring and resolved;
// each published update is on the internal incident's timeline; every
// change is audited with the token's role and address.
func TestIncidentThroughAPI(t *testing.T) {
	hs, sp, clk := apiServer(t)
	ctx := context.Background()
	in := &tocsin.Incident{Title: "api down", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now(), Service: "payments", GroupKey: "g"}
	if err := sp.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateIncident(ctx, in) }); err != nil {
		t.Fatal(err)
	}

	var created statuspage.APIIncident
	body := fmt.Sprintf(`{"name": "API errors", "impact": "major", "components": ["api"], "body": "Looking into it.", "incidents": [%d]}`, in.ID)
	if code, msg := call(t, hs, "responder-token", "POST", "/api/v1/status-pages/public/incidents", body, &created); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, msg)
	}
	if !created.Draft || created.PublishedAt != nil || created.Status != "investigating" || created.CreatedBy != "api:oncall-bot" ||
		len(created.Incidents) != 1 || len(created.Updates) != 1 {
		t.Fatalf("created %+v", created)
	}
	path := fmt.Sprintf("/api/v1/status-pages/public/incidents/%d", created.ID)
	clk.Advance(time.Minute)
	var got statuspage.APIIncident
	if code, msg := call(t, hs, "responder-token", "POST", path+"/publish", "", &got); code != http.StatusOK || got.Draft {
		t.Fatalf("publish: %d %s %+v", code, msg, got)
	}
	for _, st := range []string{"identified", "monitoring", "resolved"} {
		clk.Advance(time.Minute)
		b := fmt.Sprintf(`{"status": %q, "body": "Now %s."}`, st, st)
		if code, msg := call(t, hs, "responder-token", "POST", path+"/updates", b, &got); code != http.StatusOK || got.Status != st {
			t.Fatalf("update %s: %d %s", st, code, msg)
		}
	}
	if got.ResolvedAt == nil || !got.ResolvedAt.Equal(clk.Now()) || got.MonitoringAt == nil || len(got.Updates) != 4 ||
		got.Updates[0].Status != "resolved" || got.Updates[0].Author != "api:oncall-bot" {
		t.Errorf("resolved: %+v", got)
	}
	if code, msg := call(t, hs, "responder-token", "POST", path+"/updates", `{"status": "monitoring", "body": "again"}`, nil); code != http.StatusConflict ||
		!strings.Contains(msg, "open a new incident") {
		t.Errorf("an update to a resolved incident: %d %s", code, msg)
	}
	internal, err := sp.DB.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var told []string
	for _, e := range internal.Timeline {
		if e.Kind == statuspage.TimelineKind {
			told = append(told, e.Message)
		}
	}
	if len(told) != 4 || !strings.Contains(told[0], "is investigating: Looking into it.") || !strings.Contains(told[3], "is resolved: Now resolved.") {
		t.Errorf("the internal incident's timeline tells %q", told)
	}
	if code, _ := call(t, hs, "viewer-token", "GET", path, "", &got); code != http.StatusOK || got.ID != created.ID || got.Incidents[0] != in.ID {
		t.Errorf("GET %s: %d %+v", path, code, got)
	}
	var page statuspage.APIPageDetail
	if code, _ := call(t, hs, "viewer-token", "GET", "/api/v1/status-pages/public", "", &page); code != http.StatusOK ||
		len(page.Incidents) != 1 || len(page.Components) != 2 || page.Components[0].Checks[0] != "web" {
		t.Errorf("page: %d %+v", code, page)
	}

	entries, err := sp.DB.AuditLog(ctx, store.AuditFilter{Limit: 100, Action: "status_page"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Errorf("%d audit entries, want 5: %+v", len(entries), entries)
	}
	for _, e := range entries {
		if e.Actor != "api:oncall-bot" || e.Role != "responder" || e.Addr != "127.0.0.1" || e.Outcome != "ok" {
			t.Errorf("audit entry %+v", e)
		}
	}
}

// TestAPIRefusals: no token 401, a viewer's write 403, bad input 400
// naming the field, unknown ids 404.
func TestAPIRefusals(t *testing.T) {
	hs, _, _ := apiServer(t)
	for _, tc := range []struct {
		token, method, path, body string
		code                      int
		msg                       string
	}{
		{"", "GET", "/api/v1/status-pages", "", 401, "missing bearer token"},
		{"", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y"}`, 401, "missing bearer token"},
		{"viewer-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y"}`, 403,
			"has role viewer; POST /api/v1/status-pages/public/incidents needs responder"},
		{"viewer-token", "PUT", "/api/v1/status-pages/public/components/api/override", `{}`, 403, "needs responder"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y", "components": ["db"]}`, 400,
			`components: status page "public" has no component "db"; its components are api (API), exports (Nightly exports)`},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y", "severity": 1}`, 400,
			`unknown field "severity"`},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y"} {}`, 400, "one JSON object expected"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", "", 400, "body: a JSON object expected"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y", "components": "api"}`, 400,
			"APINewIncident.components of type []string"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "` + strings.Repeat("x", 70<<10) + `"}`,
			413, "body too large"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents", `{"name": "x", "body": "y", "status": "down"}`, 400,
			`status: "down" is not one of`},
		{"responder-token", "POST", "/api/v1/status-pages/nope/incidents", `{"name": "x", "body": "y"}`, 404, `no status page "nope"`},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents/1/updates", `{"status": "identified", "body": "y"}`, 404,
			"has no incident 1"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents/x/updates", `{}`, 400, "id: must be a positive number"},
		{"responder-token", "POST", "/api/v1/status-pages/public/incidents/1/updates", `{"status": "identified", "body": "y", "display_at": "soon"}`,
			400, `display_at: "soon" is not an RFC 3339 time`},
		{"responder-token", "PUT", "/api/v1/status-pages/public/components/api/override", `{"status": "major_outage"}`, 400, "until: required"},
		{"responder-token", "PUT", "/api/v1/status-pages/public/components/db/override", `{"status": "major_outage", "until": "2026-03-01T13:00:00Z"}`,
			400, `component: status page "public" has no component "db"`},
		{"responder-token", "DELETE", "/api/v1/status-pages/public/components/api/override", "", 404, "has no override"},
		{"responder-token", "POST", "/api/v1/status-pages/public/maintenances", `{"name": "x", "body": "y", "scheduled_for": "2026-03-02T12:00:00Z"}`,
			400, "scheduled_until: required"},
	} {
		code, msg := call(t, hs, tc.token, tc.method, tc.path, tc.body, nil)
		if code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %s with %q: %d %q, want %d saying %q", tc.method, tc.path, tc.token, code, msg, tc.code, tc.msg)
		}
	}
}

// TestOverrideAndMaintenanceThroughAPI: an override is listed until its
// end; a maintenance is scheduled, moved and cancelled.
func TestOverrideAndMaintenanceThroughAPI(t *testing.T) {
	hs, _, clk := apiServer(t)
	var comp statuspage.APIComponent
	if code, msg := call(t, hs, "responder-token", "PUT", "/api/v1/status-pages/public/components/api/override",
		`{"status": "under_maintenance", "until": "2026-03-01T14:00:00Z", "reason": "migrating"}`, &comp); code != http.StatusOK ||
		comp.Override == nil || comp.Override.Status != "under_maintenance" || comp.Override.SetBy != "api:oncall-bot" {
		t.Fatalf("set override: %d %s %+v", code, msg, comp)
	}
	var pages struct {
		StatusPages []statuspage.APIPage `json:"status_pages"`
	}
	call(t, hs, "viewer-token", "GET", "/api/v1/status-pages", "", &pages)
	if len(pages.StatusPages) != 1 || pages.StatusPages[0].Components[0].Override == nil || pages.StatusPages[0].Components[1].Override != nil {
		t.Errorf("pages with an override: %+v", pages)
	}
	clk.Advance(2 * time.Hour)
	call(t, hs, "viewer-token", "GET", "/api/v1/status-pages", "", &pages)
	if pages.StatusPages[0].Components[0].Override != nil {
		t.Errorf("an override past its end is listed: %+v", pages.StatusPages[0].Components[0].Override)
	}

	var m statuspage.APIIncident
	if code, msg := call(t, hs, "responder-token", "POST", "/api/v1/status-pages/public/maintenances",
		`{"name": "Database upgrade", "body": "Writes pause.", "components": ["api"], "scheduled_for": "2026-03-02T12:00:00Z",
		"scheduled_until": "2026-03-02T13:00:00Z"}`, &m); code != http.StatusCreated || m.Kind != "maintenance" || m.Status != "scheduled" || m.Draft {
		t.Fatalf("schedule: %d %s %+v", code, msg, m)
	}
	path := fmt.Sprintf("/api/v1/status-pages/public/maintenances/%d", m.ID)
	if code, msg := call(t, hs, "responder-token", "PATCH", path, `{"scheduled_for": "2026-03-02T11:00:00Z"}`, &m); code != http.StatusOK ||
		m.ScheduledFor == nil || m.ScheduledFor.Hour() != 11 {
		t.Fatalf("reschedule: %d %s %+v", code, msg, m)
	}
	if code, msg := call(t, hs, "responder-token", "POST", path+"/cancel", "", &m); code != http.StatusOK || m.Status != "completed" ||
		m.Updates[0].Body != "This maintenance has been cancelled." {
		t.Fatalf("cancel: %d %s %+v", code, msg, m)
	}
	if code, msg := call(t, hs, "responder-token", "PATCH", path, `{"body": "Started.", "status": "in_progress"}`, nil); code != http.StatusConflict {
		t.Errorf("an update to a cancelled maintenance: %d %s", code, msg)
	}
	if code, msg := call(t, hs, "responder-token", "PATCH", fmt.Sprintf("/api/v1/status-pages/public/incidents/%d", m.ID), `{"name": "x"}`, nil); code != http.StatusConflict ||
		!strings.Contains(msg, "is a maintenance") {
		t.Errorf("a maintenance changed as an incident: %d %s", code, msg)
	}
}

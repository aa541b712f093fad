package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

const openAPIConfig = `
links_secret: "0123456789abcdef0123456789abcdef-test"
channels:
  - {name: ops, type: webhook, url: "%[1]s/ops"}
  - {name: ana-hook, type: webhook, url: "%[1]s/ana"}
users:
  - {name: ana, email: ana@example.com, tz: Europe/Berlin, contacts: [{type: webhook, to: ana-hook}]}
schedules:
  - {name: primary, tz: Europe/Berlin, rotations: [{participants: [ana], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]}
escalation_policies:
  - {name: default, levels: [{targets: ["schedule:primary"], timeout: 5m}, {targets: ["user:ana"], timeout: 5m}]}
services:
  - {name: payments, escalation_policy: default, notify: [ops], group_by: [alertname], group_wait: 0s}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
  - {name: pd-compat, type: pagerduty, key: "k-pd-123-abcdefgh", service: payments}
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
checks:
  - {name: nightly, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1h}, grace: 5m, notify: [ops], runbook_url: "https://wiki.example/nightly"}
  - {name: web, uuid: 5d7e0c1a-2b3f-4c5d-8e9f-0a1b2c3d4e5f, probe: {type: http, url: "%[2]s"}, interval: 1s, notify: [ops]}
status_pages:
  - slug: public
    title: Example status
    components:
      - {id: api, name: API, checks: [web], services: [payments]}
      - group: Jobs
        components: [{name: Nightly, checks: [nightly]}]
`

// apiClient sends requests to a running Tocsin and validates each request
// and its response against the served OpenAPI description.
type apiClient struct {
	t      *testing.T
	base   string
	router routers.Router
	// badRequest: the request is meant not to match; only the answer is
	// validated.
	badRequest bool
	// called holds the routes (x-tocsin-route) and methods called.
	called map[string]bool
}

// call sends a request, validates it and the answer against the
// description, and returns the status and body.
func (c *apiClient) call(method, path, token, contentType string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" && strings.HasPrefix(path, "/api/v3/") {
		req.Header.Set("X-Api-Key", token) // Healthchecks' API
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s: not in openapi.json: %v", method, path, err)
	}
	c.called[method+" "+fmt.Sprint(route.Operation.Extensions["x-tocsin-route"])] = true
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !c.badRequest {
		c.t.Errorf("%s %s: the request does not match openapi.json: %v", method, path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body)) // validation read it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.validate(in, resp.StatusCode, resp.Header, raw); err != nil {
		c.t.Errorf("%s %s: the answer %d does not match openapi.json: %v\n%.1000s", method, path, resp.StatusCode, err, raw)
	}
	return resp.StatusCode, raw
}

func (c *apiClient) validate(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	return openapi3filter.ValidateResponse(context.Background(), out.SetBodyBytes(body))
}

// api calls the management API with the admin token and decodes the answer.
func (c *apiClient) api(method, path string, body any, want int, out any) {
	c.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	code, got := c.call(method, path, "tok", "application/json", raw)
	if code != want {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, got)
		}
	}
}

// TestAPIMatchesOpenAPI drives a running Tocsin, with checks, pings,
// alerts, incidents, silences and a schedule, through every GET of the
// route table and its POSTs and DELETE, and validates every request and
// answer against /api/v1/openapi.json with kin-openapi: a field of an
// answer that the description lacks, or of another type, fails.
func TestAPIMatchesOpenAPI(t *testing.T) {
	hooks := &eventLog{}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "up") }))
	defer target.Close()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(openAPIConfig, hook.URL, target.URL))
	r := start(t, path, nil)
	// Pages and feeds are text, to be read as text.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/atom+xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)

	resp, err := http.Get(r.base + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3.1: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, base: r.base, router: router, called: map[string]bool{}}
	const nightly, web = "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", "5d7e0c1a-2b3f-4c5d-8e9f-0a1b2c3d4e5f"

	// Operations.
	c.call("GET", "/api/v1/openapi.json", "", "", nil)
	c.call("GET", "/healthz", "", "", nil)
	c.call("GET", "/readyz", "", "", nil)
	c.call("GET", "/metrics", "", "", nil)

	// Pings: a run with its log, then a failure, which opens an incident.
	c.call("GET", "/ping/"+nightly+"/start?rid=3f1d2c8e-0b9c-4d4e-9a51-6b708c7a2f3e", "", "", nil)
	c.call("POST", "/ping/"+nightly+"/0?rid=3f1d2c8e-0b9c-4d4e-9a51-6b708c7a2f3e", "", "text/plain", []byte("backup done\n"))
	c.call("POST", "/ping/"+nightly+"/log", "", "text/plain", []byte("disk at 80%"))
	c.call("GET", "/ping/"+nightly+"/fail", "", "", nil)
	if code, _ := c.call("GET", "/ping/not-a-check", "", "", nil); code != 404 {
		t.Errorf("ping of an unknown check: %d", code)
	}
	if code, _ := c.call("GET", "/ping/"+nightly+"/256", "", "", nil); code != 400 {
		t.Errorf("ping with exit status 256: %d", code)
	}

	// Alerts in each format, and a refusal of each.
	am := `{"version":"4","groupKey":"g1","status":"firing","receiver":"tocsin","groupLabels":{"alertname":"HighLatency"},
		"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[{"status":"firing",
		"labels":{"alertname":"HighLatency","severity":"critical"},"annotations":{"summary":"p99 over 2s"},
		"startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom","fingerprint":"abc123"}]}`
	c.call("POST", "/ingest/alertmanager/k-prom-123-abcdefgh", "", "application/json", []byte(am))
	c.call("POST", "/ingest/alertmanager/wrong-key", "", "application/json", []byte(am))
	c.call("POST", "/ingest/generic/k-gen-123-abcdefgh", "", "application/json",
		[]byte(`{"key":"db-down","summary":"primary database down","severity":"critical","labels":{"alertname":"DBDown"}}`))
	c.badRequest = true // the answers to bodies that are not JSON are validated; the bodies cannot be
	c.call("POST", "/ingest/generic/k-gen-123-abcdefgh", "", "application/json", []byte(`{"summary":`))
	c.badRequest = false
	c.call("POST", "/v2/enqueue", "", "application/json", []byte(`{"routing_key":"k-pd-123-abcdefgh","event_action":"trigger",
		"dedup_key":"disk-full","payload":{"summary":"disk full","source":"db1","severity":"error"}}`))
	c.call("POST", "/v2/enqueue", "", "application/json", []byte(`{"routing_key":"wrong","event_action":"trigger"}`))

	// A silence, made through the API.
	var sil struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/silences", map[string]any{"matchers": []string{`alertname="Noise"`}, "ends_at": "2099-01-01T00:00:00Z",
		"comment": "maintenance"}, 201, &sil)
	c.api("POST", "/api/v1/silences", map[string]any{"matchers": []string{`alertname="Noise"`}, "ends_at": "2000-01-01T00:00:00Z"}, 400, nil)

	// The incidents: the check's, and the alerts'.
	var list struct {
		Incidents []struct {
			ID        int64  `json:"id"`
			CheckUUID string `json:"check_uuid"`
			GroupKey  string `json:"group_key"`
		} `json:"incidents"`
	}
	testkit.Eventually(t, "the check's incident and the alerts'", func() bool {
		c.api("GET", "/api/v1/incidents", nil, 200, &list)
		return len(list.Incidents) >= 3
	})
	var checkIncident, alertIncident int64
	for _, in := range list.Incidents {
		switch {
		case in.CheckUUID == nightly:
			checkIncident = in.ID
		case in.GroupKey != "":
			alertIncident = in.ID
		}
	}
	if checkIncident == 0 || alertIncident == 0 {
		t.Fatalf("incidents %+v", list.Incidents)
	}
	testkit.Eventually(t, "a probe result", func() bool {
		var res struct {
			Results []any `json:"results"`
		}
		c.api("GET", "/api/v1/checks/"+web+"/results", nil, 200, &res)
		return len(res.Results) > 0
	})

	// Every GET of the management API, with its parameters.
	// An override made at run time, listed, and a refusal.
	start := r.app.clock.Now().UTC().Add(time.Hour)
	var override struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/schedules/primary/overrides", map[string]any{"user": "ana", "start": start.Format(time.RFC3339),
		"end": start.Add(2 * time.Hour).Format(time.RFC3339), "note": "swap"}, 201, &override)
	c.api("POST", "/api/v1/schedules/primary/overrides", map[string]any{"user": "nobody", "start": start.Format(time.RFC3339),
		"end": start.Add(2 * time.Hour).Format(time.RFC3339)}, 400, nil)
	for _, p := range []string{
		"/api/v1/checks", "/api/v1/checks/" + nightly, "/api/v1/checks/" + web, "/api/v1/checks/" + nightly + "/pings",
		"/api/v1/checks/" + web + "/results",
		"/api/v1/incidents", "/api/v1/incidents?status=open&limit=10", "/api/v1/incidents?check=" + nightly,
		fmt.Sprintf("/api/v1/incidents/%d", checkIncident), fmt.Sprintf("/api/v1/incidents/%d", alertIncident),
		"/api/v1/alerts", "/api/v1/alerts?status=firing&service=payments&limit=5",
		"/api/v1/silences", "/api/v1/silences?all=true",
		"/api/v1/schedules", "/api/v1/schedules/primary/oncall", "/api/v1/schedules/primary/oncall?at=2026-01-06T10:00:00Z",
		"/api/v1/schedules/primary/shifts", "/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2026-01-20T00:00:00Z",
		"/api/v1/schedules/primary/overrides",
		"/api/v1/users", "/api/v1/replicas", "/api/v1/config", "/api/v1/audit", "/api/v1/audit?limit=5&action=silence",
		"/api/v1/reports/summary", "/api/v1/reports/summary?from=2026-01-01&to=2026-02-01T00:00:00Z&service=payments",
		"/api/v1/reports/summary?format=csv", "/api/v1/reports/people", "/api/v1/reports/people?team=core&format=csv",
		"/api/v1/reports/noisy", "/api/v1/reports/noisy?limit=3&format=csv",
		"/api/v1/reports/chart.svg", "/api/v1/reports/chart.svg?metric=mttr&bucket=week",
		fmt.Sprintf("/api/v1/incidents/%d/postmortem?tz=Europe/Berlin", alertIncident),
		fmt.Sprintf("/api/v1/incidents/%d/postmortem.md", alertIncident), fmt.Sprintf("/api/v1/incidents/%d/postmortem.html", checkIncident),
	} {
		c.api("GET", p, nil, 200, nil)
	}
	pm := fmt.Sprintf("/api/v1/incidents/%d/postmortem", alertIncident)
	c.api("PUT", pm, map[string]any{"markdown": "# Postmortem\n\nEdited.", "base_revision": 0}, 200, nil)
	c.api("PUT", pm, map[string]any{"markdown": "# Postmortem\n\nStale.", "base_revision": 0}, 409, nil)
	c.api("GET", pm, nil, 200, nil)
	c.api("GET", pm+"/revisions", nil, 200, nil)
	// Action items: one added, changed and listed; refusals.
	items := fmt.Sprintf("/api/v1/incidents/%d/action-items", alertIncident)
	var item struct {
		ID int64 `json:"id"`
	}
	c.api("POST", items, map[string]any{"title": "Alert on disk usage", "owner": "ana", "due": "2026-01-31",
		"link": "https://tickets.example/OPS-1"}, 201, &item)
	c.api("POST", items, map[string]any{"title": "x", "owner": "nobody"}, 400, nil)
	c.api("POST", "/api/v1/incidents/999999/action-items", map[string]any{"title": "x", "owner": "ana"}, 404, nil)
	c.api("PATCH", fmt.Sprintf("/api/v1/action-items/%d", item.ID), map[string]any{"status": "done", "due": ""}, 200, nil)
	c.api("PATCH", "/api/v1/action-items/999999", map[string]any{"status": "done"}, 404, nil)
	c.api("GET", items, nil, 200, nil)
	c.api("GET", "/api/v1/action-items?status=all&owner=ana", nil, 200, nil)
	c.api("GET", "/api/v1/action-items?team=core", nil, 200, nil)
	c.api("GET", "/api/v1/action-items?status=bogus", nil, 400, nil)
	// Errors, in the same description.
	c.api("GET", "/api/v1/checks/"+nightly+"/results", nil, 400, nil)
	c.api("GET", "/api/v1/incidents/999999", nil, 404, nil)
	c.api("GET", "/api/v1/incidents?status=bogus", nil, 400, nil)
	c.api("GET", "/api/v1/schedules/nope/oncall", nil, 404, nil)
	c.api("GET", "/api/v1/schedules/nope/overrides", nil, 404, nil)
	c.api("DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", override.ID), nil, 200, nil)
	c.api("DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", override.ID), nil, 404, nil)
	c.api("GET", "/api/v1/schedules/primary/shifts?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z", nil, 400, nil)
	c.api("GET", "/api/v1/reports/summary?from=2024-01-01&to=2026-01-01", nil, 400, nil)
	c.api("GET", "/api/v1/reports/chart.svg?metric=bogus", nil, 400, nil)
	if code, _ := c.call("GET", "/api/v1/checks", "", "", nil); code != 401 {
		t.Errorf("no token: %d", code)
	}

	// Calendar feeds, from the URLs the API gives.
	var scheds struct {
		Schedules []struct {
			ICalURL string `json:"ical_url"`
		} `json:"schedules"`
	}
	c.api("GET", "/api/v1/schedules", nil, 200, &scheds)
	var users struct {
		Users []struct {
			ICalURL string `json:"ical_url"`
		} `json:"users"`
	}
	c.api("GET", "/api/v1/users", nil, 200, &users)
	for _, u := range []string{scheds.Schedules[0].ICalURL, users.Users[0].ICalURL} {
		if code, _ := c.call("GET", u[strings.Index(u, "/ical/"):], "", "", nil); code != 200 {
			t.Errorf("feed %s: %d", u, code)
		}
	}
	c.call("GET", "/ical/schedules/primary?token=00", "", "", nil)

	// The signed link of ana's page of another alert incident than the
	// one escalated below: the form, then the acknowledgement.
	var ack string
	testkit.Eventually(t, "a page to ana with links", func() bool {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		for _, ev := range hooks.events {
			links, ok := ev["links"].(map[string]any)
			in, _ := ev["incident"].(map[string]any)
			if id, _ := in["id"].(float64); ok && ev["recipient"] == "ana" && int64(id) != alertIncident {
				ack, _ = links["acknowledge"].(string)
			}
		}
		return ack != ""
	})
	link := ack[strings.Index(ack, "/act/"):]
	c.call("GET", link, "", "", nil)
	c.call("POST", link, "", "application/x-www-form-urlencoded", nil)
	c.call("GET", "/act/not-a-token", "", "", nil)

	// Changes: incidents, checks, silences, config.
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/escalate", alertIncident), nil, 200, nil)
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/escalate", checkIncident), nil, 409, nil) // no policy
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", checkIncident), nil, 200, nil)
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/reassign", alertIncident), map[string]string{"to": "user:ana"}, 200, nil)
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/reassign", alertIncident), map[string]string{"to": "user:nobody"}, 400, nil)
	c.api("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", alertIncident), nil, 200, nil)
	c.api("POST", "/api/v1/checks/"+web+"/pause", nil, 200, nil)
	c.api("POST", "/api/v1/checks/"+web+"/resume", nil, 200, nil)
	c.api("POST", "/api/v1/checks/"+web+"/resume", nil, 409, nil)
	c.api("DELETE", fmt.Sprintf("/api/v1/silences/%d", sil.ID), nil, 200, nil)
	c.api("DELETE", "/api/v1/silences/999999", nil, 404, nil)
	c.api("POST", "/api/v1/config/reload", nil, 200, nil)
	var made struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "responder", "expires_in": "720h"}, 201, &made)
	c.api("POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "root"}, 400, nil)
	c.api("GET", "/api/v1/tokens", nil, 200, nil)
	c.api("DELETE", fmt.Sprintf("/api/v1/tokens/%d", made.ID), nil, 200, nil)
	c.api("DELETE", "/api/v1/tokens/999999", nil, 404, nil)

	// People: a password, an invite, the setup link, logins.
	c.api("PUT", "/api/v1/users/ana/password", map[string]string{"password": "correct horse battery"}, 200, nil)
	c.api("PUT", "/api/v1/users/nobody/password", map[string]string{"password": "correct horse battery"}, 404, nil)
	var invite struct {
		URL string `json:"url"`
	}
	c.api("POST", "/api/v1/users/ana/invite", nil, 200, &invite)
	c.call("GET", invite.URL[strings.Index(invite.URL, "/invite/"):], "", "", nil)
	c.call("GET", "/invite/not-a-token", "", "", nil)
	setup := r.app.SetupURL()
	if setup == "" {
		t.Fatal("no setup link while no admin can log in")
	}
	c.call("GET", setup[strings.Index(setup, "/setup/"):], "", "", nil)
	if code, _ := c.call("POST", "/login", "", "application/json", []byte(`{"user": "ana", "password": "wrong password"}`)); code != 401 {
		t.Errorf("login with a wrong password: %d, want 401", code)
	}
	if code, _ := c.call("POST", "/login", "", "application/json", []byte(`{"user": "ana", "password": "correct horse battery"}`)); code != 200 {
		t.Errorf("login: %d, want 200", code)
	}
	c.api("GET", "/api/v1/session", nil, 200, nil)
	// Single sign-on is not set up here (internal/web's TestOIDCLogin
	// drives it against a provider): both routes say so.
	for _, path := range []string{"/login/oidc", "/login/oidc/callback?state=s&code=c"} {
		if code, _ := c.call("GET", path, "", "", nil); code != 404 {
			t.Errorf("GET %s without sso.oidc: %d, want 404", path, code)
		}
	}
	c.api("DELETE", "/api/v1/users/ana/sessions", nil, 200, nil)
	c.api("GET", "/api/v1/audit", nil, 200, nil)
	c.api("GET", fmt.Sprintf("/api/v1/incidents/%d", checkIncident), nil, 200, nil)

	// Status pages: a draft incident linked to the check's, its updates
	// and publication, an override, a maintenance.
	var public struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/status-pages/public/incidents", map[string]any{"name": "Nightly backup late", "components": []string{"api"},
		"body": "We are looking into it.", "incidents": []int64{checkIncident}}, 201, &public)
	c.api("POST", "/api/v1/status-pages/public/incidents", map[string]any{"name": "x", "components": []string{"nope"}, "body": "b"}, 400, nil)
	sp := fmt.Sprintf("/api/v1/status-pages/public/incidents/%d", public.ID)
	c.api("PATCH", sp, map[string]any{"name": "Backups late", "impact": "major"}, 200, nil)
	c.api("POST", sp+"/updates", map[string]any{"status": "identified", "body": "Found it."}, 200, nil)
	c.api("POST", sp+"/publish", nil, 200, nil)
	c.api("POST", sp+"/publish", nil, 409, nil)
	c.api("POST", sp+"/updates", map[string]any{"status": "resolved", "body": "Fixed.", "components": []string{"api"}}, 200, nil)
	c.api("POST", sp+"/updates", map[string]any{"status": "monitoring", "body": "Again?"}, 409, nil)
	now := r.app.clock.Now().UTC()
	c.api("PUT", "/api/v1/status-pages/public/components/api/override", map[string]any{"status": "degraded_performance",
		"until": now.Add(time.Hour).Format(time.RFC3339), "reason": "slow database"}, 200, nil)
	c.api("GET", "/api/v1/status-pages", nil, 200, nil)
	c.api("DELETE", "/api/v1/status-pages/public/components/api/override", nil, 200, nil)
	c.api("DELETE", "/api/v1/status-pages/public/components/api/override", nil, 404, nil)
	var maint struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/status-pages/public/maintenances", map[string]any{"name": "Database upgrade", "body": "Writes pause.",
		"components": []string{"api"}, "scheduled_for": now.Add(24 * time.Hour).Format(time.RFC3339),
		"scheduled_until": now.Add(25 * time.Hour).Format(time.RFC3339)}, 201, &maint)
	mp := fmt.Sprintf("/api/v1/status-pages/public/maintenances/%d", maint.ID)
	c.api("PATCH", mp, map[string]any{"scheduled_until": now.Add(26 * time.Hour).Format(time.RFC3339)}, 200, nil)
	c.api("GET", "/api/v1/status-pages/public", nil, 200, nil)
	c.api("POST", mp+"/cancel", map[string]any{"body": "Postponed."}, 200, nil)
	c.api("PATCH", mp, map[string]any{"body": "Starting.", "status": "in_progress"}, 409, nil)
	c.api("GET", sp, nil, 200, nil)
	c.api("GET", "/api/v1/status-pages/nope", nil, 404, nil)
	c.api("GET", "/api/v1/status-pages/public/incidents/999999", nil, 404, nil)
	// Subscriptions to status pages: a webhook made, listed and ended; the
	// public form refuses email without a mail server, and a made-up
	// token finds nothing.
	var webhook struct {
		ID int64 `json:"id"`
	}
	c.api("POST", "/api/v1/status-pages/public/subscribers", map[string]string{"url": "https://hooks.example.com/status"}, 201, &webhook)
	c.api("GET", "/api/v1/status-pages/public/subscribers", nil, 200, nil)
	c.api("DELETE", fmt.Sprintf("/api/v1/status-pages/public/subscribers/%d", webhook.ID), nil, 200, nil)
	c.api("GET", "/api/v1/status-pages/nope/subscribers", nil, 404, nil)
	for _, call := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/status/public/subscribe", "email=ana%40example.com", 503},
		{"POST", "/status/nope/subscribe", "email=ana%40example.com", 404},
		{"GET", "/status/public/subscriptions/not-a-token", "", 404},
		{"POST", "/status/public/subscriptions/not-a-token/confirm", "", 404},
		{"POST", "/status/public/subscriptions/not-a-token/unsubscribe", "List-Unsubscribe=One-Click", 404},
	} {
		if code, _ := c.call(call.method, call.path, "", "application/x-www-form-urlencoded", []byte(call.body)); code != call.want {
			t.Errorf("%s %s: %d, want %d", call.method, call.path, code, call.want)
		}
	}

	// The public documents of the page, and a page that is not there.
	for _, p := range []string{"", "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json",
		"/api/v2/incidents.json", "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json", "/history.atom",
		"/badge.svg", "/components/api/badge.svg"} {
		if code, body := c.call("GET", "/status/public"+p, "", "", nil); code != 200 {
			t.Errorf("GET /status/public%s: %d %s", p, code, body)
		}
	}
	if code, _ := c.call("GET", "/status/nope/api/v2/summary.json", "", "", nil); code != 404 {
		t.Errorf("GET the summary of no page: %d, want 404", code)
	}

	// Healthchecks' Management API, with the token in X-Api-Key.
	hcCheck := `{"name": "hc-etl", "timeout": 3600, "grace": 60, "channels": "*"}`
	code, raw := c.call("POST", "/api/v3/checks/", "tok", "application/json", []byte(hcCheck))
	var hcMade struct {
		PingURL string `json:"ping_url"`
	}
	if json.Unmarshal(raw, &hcMade); code != 201 || hcMade.PingURL == "" {
		t.Fatalf("create through /api/v3: %d %s", code, raw)
	}
	hc := "/api/v3/checks/" + hcMade.PingURL[strings.LastIndex(hcMade.PingURL, "/")+1:]
	c.call("POST", "/ping/"+hc[len("/api/v3/checks/"):], "", "text/plain", []byte("loaded"))
	for _, call := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v3/checks/?tag=nope", "", 200},
		{"GET", "/api/v3/checks/", "", 200},
		{"POST", "/api/v3/checks/", `{"name": "hc-etl", "grace": 120, "unique": ["name"]}`, 200},
		{"POST", "/api/v3/checks/", `{"timeout": 1}`, 400},
		{"GET", hc, "", 200},
		{"POST", hc, `{"desc": "nightly load"}`, 200},
		{"GET", "/api/v3/checks/" + web, "", 200},
		{"POST", hc + "/pause", "", 200},
		{"POST", hc + "/resume", "", 200},
		{"POST", hc + "/resume", "", 409},
		{"GET", hc + "/pings/", "", 200},
		{"GET", hc + "/pings/1/body", "", 200},
		{"GET", hc + "/pings/9/body", "", 404},
		{"GET", hc + "/flips/", "", 200},
		{"GET", "/api/v3/channels/", "", 200},
		{"DELETE", hc, "", 200},
		{"GET", hc, "", 404},
	} {
		var body []byte
		if call.body != "" {
			body = []byte(call.body)
		}
		if code, raw := c.call(call.method, call.path, "tok", "application/json", body); code != call.want {
			t.Errorf("%s %s: %d, want %d: %s", call.method, call.path, code, call.want, raw)
		}
	}
	if code, _ := c.call("GET", "/api/v3/checks/", "", "", nil); code != 401 {
		t.Errorf("/api/v3 without a key: %d", code)
	}
	// Healthchecks' badges: the list, then a tag's badge and every check's.
	c.call("POST", "/api/v3/checks/", "tok", "application/json", []byte(`{"name": "hc-tagged", "tags": "etl"}`))
	code, raw = c.call("GET", "/api/v3/badges/", "tok", "", nil)
	var badges struct {
		Badges map[string]map[string]string `json:"badges"`
	}
	if json.Unmarshal(raw, &badges); code != 200 || badges.Badges["etl"]["svg"] == "" || badges.Badges["*"]["svg3"] == "" {
		t.Fatalf("GET /api/v3/badges/: %d %s", code, raw)
	}
	for _, u := range []string{badges.Badges["etl"]["svg"], badges.Badges["*"]["svg3"]} {
		path := u[strings.Index(u, "/badge/"):]
		if code, raw := c.call("GET", path, "", "", nil); code != 200 {
			t.Errorf("GET %s: %d %s", path, code, raw)
		}
	}

	// Every GET of the description was called.
	for path, item := range doc.Paths.Map() {
		if op := item.Get; op != nil && !c.called["GET "+fmt.Sprint(op.Extensions["x-tocsin-route"])] {
			t.Errorf("GET %s (route %v) is not called by this test", path, op.Extensions["x-tocsin-route"])
		}
	}

	// The validation bites: an answer with a field the description lacks,
	// or a field of another type, is refused.
	req, _ := http.NewRequest("GET", r.base+"/api/v1/checks/"+nightly, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	_, body := c.call("GET", "/api/v1/checks/"+nightly, "tok", "", nil)
	var check map[string]any
	if err := json.Unmarshal(body, &check); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(map[string]any){
		"an unknown field":   func(m map[string]any) { m["surprise"] = true },
		"a number as a name": func(m map[string]any) { m["name"] = 5 },
		"a missing field":    func(m map[string]any) { delete(m, "state") },
		"a state not listed": func(m map[string]any) { m["state"] = "sleepy" },
	} {
		m := map[string]any{}
		for k, v := range check {
			m[k] = v
		}
		change(m)
		doctored, _ := json.Marshal(m)
		h := http.Header{"Content-Type": {"application/json"}}
		if err := c.validate(in, 200, h, doctored); err == nil {
			t.Errorf("a check with %s passes validation", name)
		}
	}
}

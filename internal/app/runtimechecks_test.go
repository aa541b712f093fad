package app

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/tocsinhq/tocsin/internal/clock"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Checks made through the API live beside the config's: created with the
// UUID given, named uniquely across both kinds, their channels checked by
// name, kept across a reload (which does not count them), changed and
// deleted with audit entries; the config's refuse every change with 409
// naming the file and line.
func TestChecksManagedAtRuntime(t *testing.T) {
	hook, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	config := fmt.Sprintf(`channels:
  - {name: ops, type: webhook, url: %q}
checks:
  - {name: backup, uuid: 2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d, schedule: {every: 1h}, notify: [ops]}
`, hookURL)
	writeFile(t, path, config)
	r, clk := startOnFakeClock(t, path)
	const uuid = "7a0d3f1e-5b6c-4d2e-8f9a-0b1c2d3e4f5a"

	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		says                     string
	}{
		{"unknown channel", "POST", "/api/v1/checks", `{"name": "etl", "schedule": {"every": "1h"}, "notify": ["nope"]}`, 400, `no channel named "nope"`},
		{"no schedule", "POST", "/api/v1/checks", `{"name": "etl"}`, 400, "schedule: required"},
		{"bad cron", "POST", "/api/v1/checks", `{"name": "etl", "schedule": {"cron": "61 * * * *"}}`, 400, "etl"},
		{"name of a config check", "POST", "/api/v1/checks", `{"name": "backup", "schedule": {"every": "1h"}}`, 409, `a check named "backup" exists`},
		{"created", "POST", "/api/v1/checks", `{"uuid": "` + uuid + `", "name": "ETL run", "schedule": {"cron": "0 3 * * *", "tz": "Europe/Paris"},
			"grace": "10m", "notify": ["ops"], "tags": ["batch"]}`, 201, `"managed_by": "api"`},
		{"uuid taken", "POST", "/api/v1/checks", `{"uuid": "` + uuid + `", "name": "other", "schedule": {"every": "1h"}}`, 409, "exists"},
		{"config check edited", "PATCH", "/api/v1/checks/2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d", `{"grace": "5m"}`, 409,
			`check "backup" is defined in the config file ` + path + ` at line 4`},
		{"config check deleted", "DELETE", "/api/v1/checks/2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d", "", 409, path + " at line 4"},
		{"unknown field", "PATCH", "/api/v1/checks/" + uuid, `{"graze": "5m"}`, 400, "graze"},
		{"renamed", "PATCH", "/api/v1/checks/" + uuid, `{"name": "etl", "description": "nightly load"}`, 200, `"slug": "etl"`},
	} {
		code, body := r.send(t, tc.method, tc.path, tc.body)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %s %s: %d %s; want %d saying %q", tc.name, tc.method, tc.path, code, body, tc.code, tc.says)
		}
	}
	var list struct {
		Checks []struct {
			Name      string
			ManagedBy string `json:"managed_by"`
		} `json:"checks"`
	}
	show := func() string {
		r.get(t, "/api/v1/checks", &list)
		var out []string
		for _, c := range list.Checks {
			out = append(out, c.Name+":"+c.ManagedBy)
		}
		return strings.Join(out, " ")
	}
	if got := show(); got != "backup:config etl:api" {
		t.Fatalf("checks %s", got)
	}
	// A reload keeps the API's check and counts only the config's.
	var reload struct{ Summary string }
	if code := r.do(t, "POST", "/api/v1/config/reload", &reload); code != 200 || !strings.HasPrefix(reload.Summary, "1 checks") {
		t.Fatalf("reload: %d %+v", code, reload)
	}
	if got := show(); got != "backup:config etl:api" {
		t.Fatalf("checks after reload %s", got)
	}

	// A changed schedule reaches the engine at once: pinged, then given a
	// one-minute period, the check goes down two minutes on.
	resp, err := http.Get(r.base + "/ping/" + uuid)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, body := r.send(t, "PATCH", "/api/v1/checks/"+uuid, `{"schedule": {"every": "1m"}, "grace": "1m"}`); code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	stepClock(clk, 2*time.Minute+time.Second)
	testkit.Eventually(t, "etl paged", func() bool { return hook.find("incident.triggered", "etl is down") != nil })

	// Deleted: gone, its incident resolved, and the name free again.
	if code, body := r.send(t, "DELETE", "/api/v1/checks/"+uuid, ""); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if got := show(); got != "backup:config" {
		t.Fatalf("checks after delete %s", got)
	}
	var open incidentList
	r.get(t, "/api/v1/incidents?status=open", &open)
	if len(open.Incidents) != 0 {
		t.Errorf("open incidents after delete: %+v", open)
	}
	if code, body := r.send(t, "POST", "/api/v1/checks", `{"uuid": "`+uuid+`", "name": "etl", "schedule": {"every": "1h"}}`); code != 201 {
		t.Fatalf("create again: %d %s", code, body)
	}
	var audit struct{ Entries []store.AuditEntry }
	r.get(t, "/api/v1/audit?actor=api:admin", &audit)
	var actions []string
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Action, "check.") {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, " "); got != "check.create check.delete check.update check.update check.create" {
		t.Errorf("audit %s", got)
	}
}

// /ping/<ping-key>/<slug>?create=1 makes the missing check, managed
// through the API, and answers 201 Created; the next ping is a ping.
// Without create=1, or with a wrong key, a missing slug is not found.
func TestPingCreatesCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "ping_key: k3y-for-pings-0123456789\nchecks:\n  - {name: backup, schedule: {every: 1h}}\n")
	r := start(t, path, nil)
	ping := func(p string) (int, string) {
		resp, err := http.Get(r.base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		path string
		code int
		body string
	}{
		{"/ping/k3y-for-pings-0123456789/nightly-etl", 404, "not found"},
		{"/ping/wrong-key-0123456789/nightly-etl?create=1", 404, "not found"},
		{"/ping/k3y-for-pings-0123456789/nightly-etl?create=1", 201, "Created"},
		{"/ping/k3y-for-pings-0123456789/nightly-etl?create=1", 200, "OK"},
		{"/ping/k3y-for-pings-0123456789/nightly-etl/fail", 200, "OK"},
		{"/ping/k3y-for-pings-0123456789/backup?create=1", 200, "OK"},
	} {
		if code, body := ping(tc.path); code != tc.code || body != tc.body {
			t.Errorf("GET %s: %d %q, want %d %q", tc.path, code, body, tc.code, tc.body)
		}
	}
	var c struct {
		Name      string
		ManagedBy string `json:"managed_by"`
		State     string
		Pings     int
	}
	var list struct{ Checks []json.RawMessage }
	r.get(t, "/api/v1/checks", &list)
	if len(list.Checks) != 2 {
		t.Fatalf("checks %s", list.Checks)
	}
	json.Unmarshal(list.Checks[1], &c)
	if c.Name != "nightly-etl" || c.ManagedBy != "api" || c.State != "down" || c.Pings != 3 {
		t.Fatalf("provisioned check %+v", c)
	}
}

// A check made through the API is still there after a restart on the
// same database, managed by the API, while the config's are synced again.
func TestRuntimeCheckSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path, dbPath := filepath.Join(dir, "tocsin.yaml"), filepath.Join(dir, "t.db")
	writeFile(t, path, "checks:\n  - {name: backup, schedule: {every: 1h}}\n")
	run := func(do func(r *running)) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		a, err := New(ctx, Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: dbPath, AdminToken: "tok", Version: "test",
			Clock: clock.Real{}, Log: testkit.Logger()})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		r := &running{app: a, base: "http://" + a.Addr(), done: make(chan error, 1)}
		go func() { r.done <- a.Run(ctx) }()
		do(r)
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Fatal("app did not stop")
		}
	}
	run(func(r *running) {
		if code, body := r.send(t, "POST", "/api/v1/checks", `{"name": "etl", "schedule": {"every": "1h"}}`); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
	})
	run(func(r *running) {
		if got := checkNames(t, r); got != "backup,etl" {
			t.Fatalf("checks after a restart: %s", got)
		}
	})
}

// A check made through the API takes a keyword filter as the config
// file's keywords block, checked by the same rules; GET shows it, a
// body holding a failure keyword fails the check, and PATCH with null
// turns the filter off.
func TestRuntimeCheckKeywords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "checks: []\n")
	r, _ := startOnFakeClock(t, path)
	const uuid = "5c2b8e0a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"
	for _, tc := range []struct {
		body, says string
	}{
		{`{"keywords": {}}`, "keywords: set at least one keyword"},
		{`{"keywords": {"failure": [" "]}}`, "keywords.failure[0]: must not be empty"},
		{`{"keywords": {"success": ["OK"], "no_match": "maybe"}}`, "keywords.no_match: must be ignore (default) or fail"},
		{`{"keywords": {"succes": ["OK"]}}`, "keywords: must be an object"},
	} {
		body := `{"name": "etl", "schedule": {"every": "1h"}, ` + tc.body[1:]
		if code, got := r.send(t, "POST", "/api/v1/checks", body); code != 400 || !strings.Contains(got, tc.says) {
			t.Errorf("%s: %d %s; want 400 saying %q", tc.body, code, got, tc.says)
		}
	}
	code, body := r.send(t, "POST", "/api/v1/checks", `{"uuid": "`+uuid+`", "name": "etl", "schedule": {"every": "1h"},
		"keywords": {"failure": ["ERROR"], "success": ["DONE"], "no_match": "fail"}}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	type shown struct {
		State    string
		Keywords *struct {
			Failure, Success, Start []string
			NoMatch                 string `json:"no_match"`
		}
	}
	var c shown
	r.get(t, "/api/v1/checks/"+uuid, &c)
	if k := c.Keywords; k == nil || strings.Join(k.Failure, ",") != "ERROR" || strings.Join(k.Success, ",") != "DONE" ||
		len(k.Start) != 0 || k.NoMatch != "fail" {
		t.Fatalf("shown keywords %+v", c.Keywords)
	}
	resp, err := http.Post(r.base+"/ping/"+uuid, "text/plain", strings.NewReader("backup ERROR: disk full"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	testkit.Eventually(t, "etl down on a failure keyword", func() bool {
		r.get(t, "/api/v1/checks/"+uuid, &c)
		return c.State == "down"
	})
	// A change of another field keeps the filter; null turns it off.
	if code, body := r.send(t, "PATCH", "/api/v1/checks/"+uuid, `{"grace": "5m"}`); code != 200 || !strings.Contains(body, `"ERROR"`) {
		t.Fatalf("patch grace: %d %s", code, body)
	}
	if code, body := r.send(t, "PATCH", "/api/v1/checks/"+uuid, `{"keywords": null}`); code != 200 || strings.Contains(body, "keywords") {
		t.Fatalf("patch keywords null: %d %s", code, body)
	}
}

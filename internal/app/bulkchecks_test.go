package app

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// POST /api/v1/checks/bulk makes many checks at once, all or none: a
// viewer may not, a bad definition is 400 naming its index and field and a
// taken name 409, with no check made; made, they are listed, audited once
// and page when they go late like any other check.
func TestBulkCreateChecks(t *testing.T) {
	hook, hookURL := newHook(t)
	sum := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	const rw, ro = "responder-token-0123456789abcdef", "viewer-token-0123456789abcdefgh"
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(`api_tokens:
  - {name: rw, token_sha256: %s, role: responder}
  - {name: ro, token_sha256: %s, role: viewer}
channels:
  - {name: ops, type: webhook, url: %q}
checks:
  - {name: backup, schedule: {every: 1h}}
`, sum(rw), sum(ro), hookURL))
	r, clk := startOnFakeClock(t, path)
	post := func(token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", r.base+"/api/v1/checks/bulk", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Error string }
		if resp.StatusCode >= 400 && json.Unmarshal(b, &e) == nil {
			return resp.StatusCode, e.Error // unescaped, to compare
		}
		return resp.StatusCode, string(b)
	}
	check := func(name, extra string) string {
		return `{"name": "` + name + `", "schedule": {"every": "1m"}, "grace": "1m", "notify": ["ops"]` + extra + `}`
	}
	list := func(items ...string) string { return `{"checks": [` + strings.Join(items, ", ") + `]}` }
	many := make([]string, 1001)
	for i := range many {
		many[i] = check(fmt.Sprintf("job-%d", i), "")
	}
	good := list(check("etl", `, "uuid": "7a0d3f1e-5b6c-4d2e-8f9a-0b1c2d3e4f5a"`), check("reports", `, "tags": ["batch"]`),
		check("sync", ""))

	for _, tc := range []struct {
		name, token, body string
		code              int
		says              string
	}{
		{"no token", "", good, 401, ""},
		{"viewer", ro, good, 403, ""},
		{"not a list", rw, `[{"name": "etl"}]`, 400, "body:"},
		{"unknown field", rw, list(check("etl", `, "graze": "1m"`)), 400, "graze"},
		{"none", rw, `{"checks": []}`, 400, "at least one"},
		{"too many", rw, list(many...), 400, "at most 1000 checks"},
		{"no schedule", rw, list(check("etl", ""), `{"name": "etl2"}`), 400, "checks[1].schedule: required"},
		{"bad grace", rw, list(check("etl", ""), check("a", ""), check("b", `, "grace": "soon"`)), 400, "checks[2].grace:"},
		{"bad cron", rw, list(`{"name": "etl", "schedule": {"cron": "61 * * * *"}}`), 400, "checks[0].schedule:"},
		{"unknown channel", rw, list(check("etl", ""), check("x", `, "notify": ["pager"]`)), 400, `checks[1].notify: no channel named "pager"`},
		{"same name twice", rw, list(check("etl", ""), check("etl", "")), 400, `checks[1].name: "etl" is also the name of checks[0]`},
		{"name of a config check", rw, list(check("etl", ""), check("backup", "")), 409, `checks[1].name: a check named "backup" exists`},
		{"created", rw, good, 201, `"managed_by": "api"`},
		{"again", rw, good, 409, `checks[0].name: a check named "etl" exists`},
	} {
		code, body := post(tc.token, tc.body)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %.300s; want %d saying %q", tc.name, code, body, tc.code, tc.says)
		}
		if tc.name == "created" {
			var made struct {
				Checks []struct{ Name, UUID string }
			}
			if err := json.Unmarshal([]byte(body), &made); err != nil || len(made.Checks) != 3 || made.Checks[0].Name != "etl" ||
				made.Checks[0].UUID != "7a0d3f1e-5b6c-4d2e-8f9a-0b1c2d3e4f5a" || made.Checks[2].Name != "sync" {
				t.Errorf("created %s, %v", body, err)
			}
		}
	}
	if got := checkNames(t, r); got != "backup,etl,reports,sync" {
		t.Fatalf("checks %s: the refused requests must make none", got)
	}
	var audit struct{ Entries []store.AuditEntry }
	r.get(t, "/api/v1/audit?actor=api:rw", &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Action != "check.create_many" || audit.Entries[0].Message != "3 checks created" {
		t.Errorf("audit %+v", audit.Entries)
	}

	// They page: pinged, then late, each is sent down.
	var all struct{ Checks []struct{ Name, UUID string } }
	r.get(t, "/api/v1/checks", &all)
	for _, c := range all.Checks {
		if c.Name == "backup" {
			continue
		}
		resp, err := http.Get(r.base + "/ping/" + c.UUID)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	stepClock(clk, 2*time.Minute+time.Second)
	for _, name := range []string{"etl", "reports", "sync"} {
		testkit.Eventually(t, name+" paged", func() bool { return hook.find("incident.triggered", name+" is down") != nil })
	}
}

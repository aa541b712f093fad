package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Healthchecks' own tests of its Management API (hc/api/tests/test_*.py),
// replayed case for case over HTTP against Tocsin's /api/v3/. Each subtest
// is named after the Healthchecks test case it replays. A case Tocsin
// answers differently is skipped with the reason, and listed in
// docs/compatibility.md. The tests' keys: "X"*32 is the read-write key (a
// responder token), "R"*32 the read-only key (a viewer token).

var (
	rwKey = strings.Repeat("X", 32)
	roKey = strings.Repeat("R", 32)
)

// hcConfig has the two keys and two channels; the second is named like a
// UUID, as in test_it_sets_channel_by_name_formatted_as_uuid.
func hcConfig(hookURL string) string {
	sum := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	return fmt.Sprintf(`public_url: "http://tocsin.example"
api_tokens:
  - {name: rw, token_sha256: %s, role: responder}
  - {name: ro, token_sha256: %s, role: viewer}
channels:
  - {name: alerts, type: webhook, url: %q}
  - {name: 102eaa82-a274-4b15-a499-c1bb6bbcd7b6, type: webhook, url: %q}
`, sum(rwKey), sum(roKey), hookURL, hookURL)
}

// hcClient talks to one running Tocsin as Healthchecks' clients do.
type hcClient struct {
	t   *testing.T
	r   *running
	clk *clock.Fake
}

func startHCAPI(t *testing.T) *hcClient {
	t.Helper()
	_, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, hcConfig(hookURL))
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	return &hcClient{t: t, r: startWith(t, path, clk, testkit.Logger(), nil), clk: clk}
}

// apiHcAnswer is an answer: status, headers, body, and the body as JSON.
type apiHcAnswer struct {
	code int
	h    http.Header
	raw  []byte
	doc  map[string]any
}

func (a apiHcAnswer) str(key string) string { s, _ := a.doc[key].(string); return s }
func (a apiHcAnswer) num(key string) float64 {
	n, _ := a.doc[key].(float64)
	return n
}
func (a apiHcAnswer) errorText() string { return a.str("error") }

// send makes a request with key in X-Api-Key ("" for none) and body (a
// string as is, else JSON).
func (c *hcClient) send(method, path, key string, body any) apiHcAnswer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.r.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	a := apiHcAnswer{code: resp.StatusCode, h: resp.Header}
	a.raw, _ = io.ReadAll(resp.Body)
	json.Unmarshal(a.raw, &a.doc)
	return a
}

// post is Healthchecks' CreateCheckTestCase.post: the read-write key in
// the body unless one is given, and, with a fragment, a 400 whose error
// holds it.
func (c *hcClient) post(path string, data map[string]any, fragment string) apiHcAnswer {
	c.t.Helper()
	if _, ok := data["api_key"]; !ok {
		data["api_key"] = rwKey
	}
	a := c.send("POST", path, "", data)
	if fragment != "" && (a.code != 400 || !strings.Contains(a.errorText(), fragment)) {
		c.t.Errorf("POST %s %v: %d %s; want 400 with %q", path, data, a.code, a.raw, fragment)
	}
	return a
}

// create makes a check through the API and answers its document.
func (c *hcClient) create(data map[string]any) apiHcAnswer {
	c.t.Helper()
	a := c.send("POST", "/api/v3/checks/", rwKey, data)
	if a.code != 201 {
		c.t.Fatalf("create %v: %d %s", data, a.code, a.raw)
	}
	return a
}

// uuid of a check document, from its ping URL.
func (a apiHcAnswer) uuid() string {
	u := a.str("ping_url")
	return u[strings.LastIndex(u, "/")+1:]
}

// reset deletes every check, so that each case starts from none.
func (c *hcClient) reset() {
	c.t.Helper()
	list := c.send("GET", "/api/v3/checks/", rwKey, nil)
	checks, _ := list.doc["checks"].([]any)
	for _, x := range checks {
		u := x.(map[string]any)["ping_url"].(string)
		if a := c.send("DELETE", "/api/v3/checks/"+u[strings.LastIndex(u, "/")+1:], rwKey, nil); a.code != 200 {
			c.t.Fatalf("reset: %d %s", a.code, a.raw)
		}
	}
}

func (c *hcClient) count() int {
	c.t.Helper()
	list := c.send("GET", "/api/v3/checks/", rwKey, nil)
	checks, _ := list.doc["checks"].([]any)
	return len(checks)
}

func (c *hcClient) get(uuid string) apiHcAnswer {
	c.t.Helper()
	return c.send("GET", "/api/v3/checks/"+uuid, rwKey, nil)
}

// ping sends a ping (signal "" for success) and wants 200.
func (c *hcClient) ping(uuid, signal string, body []byte) {
	c.t.Helper()
	path := "/ping/" + uuid
	if signal != "" {
		path += "/" + signal
	}
	req, _ := http.NewRequest("POST", c.r.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("ping %s: %d", path, resp.StatusCode)
	}
}

// cases runs each Healthchecks test case as a subtest, from no checks.
func (c *hcClient) cases(t *testing.T, cases map[string]func(t *testing.T)) {
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.reset()
			run(t)
		})
	}
}

func wantCode(t *testing.T, a apiHcAnswer, code int) {
	t.Helper()
	if a.code != code {
		t.Fatalf("status %d, want %d: %s", a.code, code, a.raw)
	}
}

func wantCORS(t *testing.T, a apiHcAnswer) {
	t.Helper()
	if a.h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("Access-Control-Allow-Origin %q", a.h.Get("Access-Control-Allow-Origin"))
	}
}

func wantOptions(t *testing.T, c *hcClient, path, method string) {
	t.Helper()
	a := c.send("OPTIONS", path, "", nil)
	if a.code != 204 || !strings.Contains(a.h.Get("Access-Control-Allow-Methods"), method) {
		t.Fatalf("OPTIONS %s: %d, methods %q", path, a.code, a.h.Get("Access-Control-Allow-Methods"))
	}
}

const missingCheck = "07c2f548-9850-4b27-af5d-6c9dc157ec02"

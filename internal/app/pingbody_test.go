package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// A check that goes down on a failing ping pages with that ping's body
// (Healthchecks includes the last ping's log): the webhook carries it as
// check.last_ping_body, bounded and marked when cut, and not twice.
func TestFailedPingBodyIsInTheNotification(t *testing.T) {
	var mu sync.Mutex
	var events []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, `channels:
  - {name: ops, type: webhook, url: "`+hook.URL+`"}
checks:
  - {name: short, uuid: 11111111-1111-4111-8111-111111111111, schedule: {every: 1h}, notify: [ops]}
  - {name: long, uuid: 22222222-2222-4222-8222-222222222222, schedule: {every: 1h}, notify: [ops]}
  - {name: quiet, uuid: 33333333-3333-4333-8333-333333333333, schedule: {every: 1h}, notify: [ops]}
`)
	r := start(t, path, nil)
	ping := func(suffix, body string) {
		t.Helper()
		resp, err := http.Post(r.base+"/ping/"+suffix, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("ping %s: %d", suffix, resp.StatusCode)
		}
	}
	ping("11111111-1111-4111-8111-111111111111/fail", "pg_dump: error: connection refused\nexit 1\n")
	// 30,000 bytes of two-byte characters: cut at 10,000 bytes, not inside one.
	ping("22222222-2222-4222-8222-222222222222/3", strings.Repeat("é", 15000))
	ping("33333333-3333-4333-8333-333333333333/fail", "")

	byCheck := map[string]map[string]any{}
	testkit.Eventually(t, "three incident.triggered webhooks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range events {
			if c, ok := ev["check"].(map[string]any); ok && ev["event"] == "incident.triggered" {
				byCheck[c["name"].(string)] = ev
			}
		}
		return len(byCheck) == 3
	})
	check := func(name string) map[string]any { return byCheck[name]["check"].(map[string]any) }

	if got := check("short")["last_ping_body"]; got != "pg_dump: error: connection refused\nexit 1\n" {
		t.Errorf("short: last_ping_body = %q", got)
	}
	if _, cut := check("short")["last_ping_body_truncated"]; cut {
		t.Error("short: marked truncated")
	}
	if ev, _ := byCheck["short"]["evidence"].(map[string]any); ev == nil || ev["kind"] != "fail" || ev[incident.KeyLastPingBody] != nil {
		t.Errorf("short: evidence should keep the ping's data without its body: %v", byCheck["short"]["evidence"])
	}

	long, _ := check("long")["last_ping_body"].(string)
	if len(long) > incident.MaxPingBodyInEvent || len(long) < incident.MaxPingBodyInEvent-4 || !utf8.ValidString(long) ||
		strings.Trim(long, "é") != "" {
		t.Errorf("long: last_ping_body is %d bytes (valid UTF-8: %v), want the first %d bytes cut between characters",
			len(long), utf8.ValidString(long), incident.MaxPingBodyInEvent)
	}
	if check("long")["last_ping_body_truncated"] != true {
		t.Error("long: not marked truncated")
	}

	if _, ok := check("quiet")["last_ping_body"]; ok {
		t.Errorf("quiet: an empty body is shown: %v", check("quiet"))
	}
}

package email

import (
	"encoding/json"
	"strings"
	"testing"
)

// The failed ping's body shows under the check, its lines kept, escaped in
// HTML, bounded, and marked when it is not the whole body.
func TestFailedPingBodyShown(t *testing.T) {
	body := "pg_dump: error: <connection> refused\nexit 1"
	payload, _ := json.Marshal(map[string]any{"event": "incident.triggered",
		"incident": map[string]any{"id": 4, "title": "backup is down", "status": "triggered"},
		"check":    map[string]any{"name": "backup", "state": "down", "last_ping_body": body}})
	_, text, html := build(t, string(payload))
	if !strings.Contains(text, "Output of the failed ping:\npg_dump: error: <connection> refused\nexit 1\n") {
		t.Errorf("text part lacks the body:\n%s", text)
	}
	if !strings.Contains(html, "pg_dump: error: &lt;connection&gt; refused") || !strings.Contains(html, "exit 1</pre>") {
		t.Errorf("html part lacks the escaped body:\n%s", html)
	}

	long := strings.Repeat("x", 9000)
	payload, _ = json.Marshal(map[string]any{"event": "incident.triggered",
		"incident": map[string]any{"id": 5, "title": "backup is down", "status": "triggered"},
		"check": map[string]any{"name": "backup", "state": "down", "last_ping_body": long[:20] + "\nend",
			"last_ping_body_truncated": true}})
	if _, text, _ := build(t, string(payload)); !strings.Contains(text, long[:20]+"\nend\n…\n") {
		t.Errorf("a cut body is not marked:\n%s", text)
	}
	payload, _ = json.Marshal(map[string]any{"event": "incident.triggered",
		"incident": map[string]any{"id": 6, "title": "backup is down", "status": "triggered"},
		"check":    map[string]any{"name": "backup", "state": "down", "last_ping_body": long}})
	if _, text, _ := build(t, string(payload)); strings.Contains(text, long[:maxText]) || !strings.Contains(text, "x…") {
		t.Errorf("a body over %d characters is not cut and marked", maxText)
	}
}

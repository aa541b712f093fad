package chat

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// The failed ping's body is one "Output" line of the message, after the
// check: cleaned to one line, bounded, marked when cut.
func TestRenderFailedPingBody(t *testing.T) {
	ev := incident.Event{Event: tocsin.EventTriggered,
		Incident: incident.EventIncident{ID: 9, Title: "db-backup is down", Status: tocsin.IncidentTriggered, URL: incURL},
		Check: &incident.EventCheck{Name: "db-backup", State: tocsin.StateDown,
			LastPingBody: "pg_dump: error:\tconnection refused\n\x1b[31mexit 1\x1b[0m\n"}}
	m := Render(notification(t, ev).Payload)
	if m.Output != "pg_dump: error: connection refused [31mexit 1 [0m" {
		t.Errorf("Output = %q", m.Output)
	}
	body := m.Body()
	if len(body) < 2 || body[len(body)-2].Label != "Check" || body[len(body)-1] != (Line{Label: "Output", Text: m.Output}) {
		t.Errorf("Body = %+v", body)
	}

	ev.Check.LastPingBody, ev.Check.LastPingBodyTruncated = "short start", true
	if m := Render(notification(t, ev).Payload); m.Output != "short start…" {
		t.Errorf("cut body: Output = %q", m.Output)
	}
	ev.Check.LastPingBody, ev.Check.LastPingBodyTruncated = strings.Repeat("日本", 5000), false
	m = Render(notification(t, ev).Payload)
	if n := utf8.RuneCountInString(m.Output); n > maxOutputText || !strings.HasSuffix(m.Output, "…") {
		t.Errorf("long body: %d runes, ends %q", n, m.Output[len(m.Output)-6:])
	}
	// Every sender shows it, within its own limits.
	for _, p := range []any{slackMessage(&m), discordMessage(&m), telegramMessage(&m, "1", false)} {
		js, _ := json.Marshal(p)
		if s := string(js); !strings.Contains(s, "Output") || !strings.Contains(s, "日本") {
			t.Errorf("rendered message lacks the output: %.300s", s)
		}
	}
	for _, s := range []string{ntfyBody(&m)} {
		if !strings.Contains(s, "Output") || !strings.Contains(s, "日本") {
			t.Errorf("rendered message lacks the output: %.200s", s)
		}
	}
}

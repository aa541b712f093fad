package chat

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func TestTeamsRequest(t *testing.T) {
	for _, status := range []int{202, 200} {
		srv := serve(t, reply{status: status})
		s := &Teams{Client: srv.Client(), UserAgent: "Tocsin/1.2.3"}
		ch := tocsin.Channel{Type: "teams", URL: srv.URL + "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s"}
		if retry, err := s.Send(context.Background(), ch, notification(t, page())); err != nil || retry {
			t.Fatalf("HTTP %d: Send = %v, %v", status, retry, err)
		}
		r := srv.only(t)
		if r.Path != "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=s" ||
			r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %v", r.Path, r.Header)
		}
		run := func(text string, bold bool) map[string]any {
			m := map[string]any{"type": "TextRun", "text": text}
			if bold {
				m["weight"] = "Bolder"
			}
			return m
		}
		line := func(label, text string) map[string]any {
			return map[string]any{"type": "RichTextBlock", "inlines": []any{run(label+": ", true), run(text, false)}}
		}
		item := func(text string) map[string]any {
			return map[string]any{"type": "RichTextBlock", "spacing": "None", "inlines": []any{run("• "+text, false)}}
		}
		var got any
		json.Unmarshal(r.Body, &got)
		want := map[string]any{
			"type": "message",
			"attachments": []any{map[string]any{
				"contentType": "application/vnd.microsoft.card.adaptive",
				"content": map[string]any{
					"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
					"type":    "AdaptiveCard",
					"version": "1.4",
					"msteams": map[string]any{"width": "Full"},
					"body": []any{
						map[string]any{"type": "RichTextBlock", "inlines": []any{map[string]any{"type": "TextRun",
							"text": "[P1] TRIGGERED: [payments] checkout down", "weight": "Bolder", "size": "Medium",
							"color": "Attention"}}},
						line("Reason", "not acknowledged in time"),
						line("Paging", "ana: on call in schedule primary (policy default, level 1, round 1)"),
						line("Alerts", "2"),
						item("[critical] error rate 12%"),
						item("[warning] SlowCheckout"),
						line("Service", "payments"),
						line("Priority", "P1"),
					},
					"actions": []any{
						map[string]any{"type": "Action.OpenUrl", "title": "Acknowledge", "url": ackURL},
						map[string]any{"type": "Action.OpenUrl", "title": "Resolve", "url": resolveURL},
						map[string]any{"type": "Action.OpenUrl", "title": "View incident", "url": incURL},
					},
				},
			}},
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			t.Fatalf("body =\n%s", g)
		}
	}
}

// TestTeamsPlainText checks that payload text only ever lands in TextRuns,
// which Adaptive Cards never parse as Markdown, and arrives as written.
func TestTeamsPlainText(t *testing.T) {
	srv := serve(t, reply{status: 202})
	if _, err := (&Teams{Client: srv.Client()}).Send(context.Background(), tocsin.Channel{URL: srv.URL},
		notification(t, hostilePage())); err != nil {
		t.Fatal(err)
	}
	var p teamsPayload
	if err := json.Unmarshal(srv.only(t).Body, &p); err != nil {
		t.Fatal(err)
	}
	card := p.Attachments[0].Content
	found := false
	for _, b := range card.Body {
		if b.Type != "RichTextBlock" {
			t.Errorf("element of type %s", b.Type)
		}
		for _, r := range b.Inlines {
			if r.Type != "TextRun" {
				t.Errorf("inline of type %s", r.Type)
			}
			found = found || strings.Contains(r.Text, hostile)
		}
	}
	if !found {
		t.Error("hostile text not shown as written")
	}
	if !strings.Contains(card.Body[0].Inlines[0].Text, "[pay<ments>] <script>") {
		t.Errorf("title %q", card.Body[0].Inlines[0].Text)
	}
}

func TestTeamsLimits(t *testing.T) {
	ev := page()
	ev.Incident.Title = strings.Repeat("😀", 1000)
	ev.Reason = strings.Repeat("é", 5000)
	var alerts []map[string]any
	for range 5 {
		alerts = append(alerts, map[string]any{"summary": strings.Repeat("x", 2000)})
	}
	ev.Evidence = map[string]any{"alerts": alerts}
	m := Render(notification(t, ev).Payload)
	card := teamsMessage(&m).Attachments[0].Content
	total := 0
	for i, b := range card.Body {
		for _, r := range b.Inlines {
			if !utf8.ValidString(r.Text) {
				t.Errorf("invalid UTF-8 %q", r.Text)
			}
			if i > 0 {
				total += utf16Len(r.Text)
			}
		}
	}
	if title := card.Body[0].Inlines[0].Text; utf16Len(title) > teamsTitleMax {
		t.Errorf("title of %d units", utf16Len(title))
	}
	if total > teamsTextMax {
		t.Errorf("text of %d units", total)
	}
	b, _ := json.Marshal(teamsMessage(&m))
	if len(b) > 28<<10 {
		t.Errorf("message of %d bytes", len(b))
	}
}

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

func TestSlackRequest(t *testing.T) {
	srv := serve(t, reply{status: 200, body: "ok"})
	s := &Slack{Client: srv.Client(), UserAgent: "Tocsin/1.2.3"}
	ch := tocsin.Channel{Name: "ops", Type: "slack", URL: srv.URL + "/services/T1/B1/xyz"}
	if retry, err := s.Send(context.Background(), ch, notification(t, page())); err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	r := srv.only(t)
	if r.Path != "/services/T1/B1/xyz" || r.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		r.Header.Get("User-Agent") != "Tocsin/1.2.3" {
		t.Errorf("request %s %v", r.Path, r.Header)
	}
	var got any
	json.Unmarshal(r.Body, &got)
	want := map[string]any{
		"text":         "[P1] TRIGGERED: [payments] checkout down\nnot acknowledged in time",
		"unfurl_links": false,
		"unfurl_media": false,
		"blocks": []any{
			map[string]any{"type": "header", "text": map[string]any{"type": "plain_text",
				"text": "[P1] TRIGGERED: [payments] checkout down", "emoji": false}},
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "verbatim": true,
				"text": "*Reason:* not acknowledged in time\n" +
					"*Paging:* ana: on call in schedule primary (policy default, level 1, round 1)\n" +
					"*Alerts:* 2\n• [critical] error rate 12%\n• [warning] SlowCheckout"}},
			map[string]any{"type": "context", "elements": []any{
				map[string]any{"type": "plain_text", "text": "Service: payments", "emoji": false},
				map[string]any{"type": "plain_text", "text": "Priority: P1", "emoji": false},
			}},
			map[string]any{"type": "actions", "elements": []any{
				map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "Acknowledge", "emoji": false},
					"url": ackURL, "style": "primary", "action_id": "tocsin-acknowledge"},
				map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "Resolve", "emoji": false},
					"url": resolveURL, "style": "danger", "action_id": "tocsin-resolve"},
				map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "View incident", "emoji": false},
					"url": incURL, "action_id": "tocsin-view-incident"},
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("body =\n%s", g)
	}
}

func TestSlackEscapes(t *testing.T) {
	srv := serve(t, reply{status: 200, body: "ok"})
	s := &Slack{Client: srv.Client()}
	if _, err := s.Send(context.Background(), tocsin.Channel{URL: srv.URL}, notification(t, hostilePage())); err != nil {
		t.Fatal(err)
	}
	body := srv.only(t).json(t)
	blocks := body["blocks"].([]any)
	section := blocks[1].(map[string]any)["text"].(map[string]any)["text"].(string)
	for _, text := range []string{section, body["text"].(string)} {
		if strings.ContainsAny(text, "<>") {
			t.Errorf("mrkdwn holds < or >: %q", text)
		}
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(text, "&amp;", ""), "&lt;", ""), "&gt;", ""), "&") {
			t.Errorf("mrkdwn holds a bare &: %q", text)
		}
		if !strings.Contains(text, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; *bold*") ||
			!strings.Contains(text, "&lt;!channel&gt; &lt;@123&gt;") {
			t.Errorf("mrkdwn not escaped as Slack requires: %q", text)
		}
	}
	// Plain text is shown as written.
	header := blocks[0].(map[string]any)["text"].(map[string]any)["text"].(string)
	if !strings.HasPrefix(header, "[P1] TRIGGERED: [pay<ments>] <script>alert(1)</script>") {
		t.Errorf("header %q", header)
	}
}

func TestSlackLimits(t *testing.T) {
	ev := page()
	ev.Incident.Title = strings.Repeat("😀é", 200)
	ev.Reason = strings.Repeat("<&> ", 2000)
	m := Render(notification(t, ev).Payload)
	p := slackMessage(&m)
	header := p.Blocks[0].Text.Text
	section := p.Blocks[1].Text.Text
	if utf16Len(header) > 150 || !utf8.ValidString(header) || !strings.HasSuffix(header, "…") {
		t.Errorf("header of %d units: %q", utf16Len(header), header)
	}
	if utf16Len(section) > 3000 || !utf8.ValidString(section) || !strings.HasSuffix(section, "…") ||
		strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(section), "&") {
		t.Errorf("section of %d units ends %q", utf16Len(section), section[max(0, len(section)-20):])
	}
	if utf16Len(p.Text) > 3000 {
		t.Errorf("text of %d units", utf16Len(p.Text))
	}
}

func TestSlackNoLinksNoActions(t *testing.T) {
	m := Render([]byte(`{"event":"incident.resolved","incident":{"id":1,"title":"x"}}`))
	p := slackMessage(&m)
	for _, b := range p.Blocks {
		if b.Type == "actions" || b.Type == "context" || b.Type == "section" {
			t.Errorf("unexpected %s block", b.Type)
		}
	}
}

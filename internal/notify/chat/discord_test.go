package chat

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func TestDiscordRequest(t *testing.T) {
	for _, status := range []int{204, 200} {
		srv := serve(t, reply{status: status, body: map[int]string{200: `{"id":"1"}`, 204: ""}[status]})
		s := &Discord{Client: srv.Client(), UserAgent: "Tocsin/1.2.3"}
		ch := tocsin.Channel{Type: "discord", URL: srv.URL + "/api/webhooks/1/tok"}
		if retry, err := s.Send(context.Background(), ch, notification(t, page())); err != nil || retry {
			t.Fatalf("HTTP %d: Send = %v, %v", status, retry, err)
		}
		r := srv.only(t)
		if r.Path != "/api/webhooks/1/tok" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %v", r.Path, r.Header)
		}
		var got any
		json.Unmarshal(r.Body, &got)
		want := map[string]any{
			"content":          `\[P1\] TRIGGERED: \[payments\] checkout down`,
			"allowed_mentions": map[string]any{"parse": []any{}},
			"embeds": []any{map[string]any{
				"title": `\[P1\] TRIGGERED: \[payments\] checkout down`,
				"description": "**Reason:** not acknowledged in time\n" +
					"**Paging:** ana: on call in schedule primary (policy default, level 1, round 1)\n" +
					"**Alerts:** 2\n• \\[critical\\] error rate 12%\n• \\[warning\\] SlowCheckout",
				"url":       incURL,
				"color":     float64(0xE01E5A),
				"timestamp": "2026-11-22T05:37:18Z",
				"footer":    map[string]any{"text": "Tocsin"},
				"fields": []any{
					map[string]any{"name": "Service", "value": "payments", "inline": true},
					map[string]any{"name": "Priority", "value": "P1", "inline": true},
					map[string]any{"name": "Links", "value": "[Acknowledge](" + ackURL + ") · [Resolve](" + resolveURL +
						") · [View incident](" + incURL + ")"},
				},
			}},
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", "  ")
			t.Fatalf("body =\n%s", g)
		}
	}
}

func TestDiscordEscapes(t *testing.T) {
	srv := serve(t, reply{status: 204})
	s := &Discord{Client: srv.Client()}
	if _, err := s.Send(context.Background(), tocsin.Channel{URL: srv.URL}, notification(t, hostilePage())); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if !strings.Contains(string(r.Body), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("no empty allowed_mentions: %s", r.Body)
	}
	var p discordPayload
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	e := p.Embeds[0]
	for _, text := range []string{p.Content, e.Title, e.Description} {
		if strings.Contains(text, "@everyone") || strings.Contains(text, "@here") {
			t.Errorf("pings: %q", text)
		}
		if !strings.Contains(text, `\<script\>alert(1)\</script\> &amp; \*bold\* \_it\_ \~s\~ \`+"`code\\`"+
			` \|spoiler\| \[click\](https://evil.example) \<!channel\> \<@123\> @`+"\u200b"+`everyone @`+"\u200b"+`here`) {
			t.Errorf("not escaped: %q", text)
		}
		checkDiscordMarkup(t, text)
	}
	if e.Fields[0].Value != `pay\<ments\>` {
		t.Errorf("service field %q", e.Fields[0].Value)
	}
}

// checkDiscordMarkup fails if text, with our markup taken out, holds a
// Markdown character that is not escaped.
func checkDiscordMarkup(t *testing.T, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, ":** "); strings.HasPrefix(line, "**") && i > 0 {
			line = line[i+4:]
		}
		line = strings.TrimPrefix(line, "• ")
		for i := 0; i < len(line); i++ {
			if line[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("*_~`|[]<>", line[i]) >= 0 {
				t.Errorf("unescaped %q at %d in %q", line[i], i, line)
				return
			}
		}
	}
}

func TestDiscordRateLimit(t *testing.T) {
	for name, c := range map[string]struct {
		rp   reply
		want time.Duration
	}{
		"body":   {reply{status: 429, body: `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`}, 1500 * time.Millisecond},
		"header": {reply{status: 429, header: map[string]string{"Retry-After": "3"}, body: `{"message":"slow"}`}, 3 * time.Second},
		"body wins": {reply{status: 429, header: map[string]string{"Retry-After": "3"},
			body: `{"message":"slow","retry_after":2.25}`}, 2250 * time.Millisecond},
		"bucket reset": {reply{status: 429, header: map[string]string{"X-RateLimit-Reset-After": "0.8"}}, 800 * time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, c.rp)
			retry, err := (&Discord{Client: srv.Client()}).Send(context.Background(), tocsin.Channel{URL: srv.URL},
				notification(t, page()))
			var ra *tocsin.RetryAfterError
			if !retry || !errors.As(err, &ra) || ra.After != c.want {
				t.Fatalf("Send = %v, %v; want retry after %s", retry, err, c.want)
			}
		})
	}
}

func TestDiscordErrorMessage(t *testing.T) {
	srv := serve(t, reply{status: 400, body: `{"message":"Invalid Form Body","code":50035}`})
	retry, err := (&Discord{Client: srv.Client()}).Send(context.Background(), tocsin.Channel{URL: srv.URL},
		notification(t, page()))
	if retry || err == nil || err.Error() != "discord answered HTTP 400: Invalid Form Body (code 50035)" {
		t.Fatalf("Send = %v, %v", retry, err)
	}
}

func TestDiscordLimits(t *testing.T) {
	ev := page()
	ev.Incident.Title = strings.Repeat("*_", 400)
	ev.Reason = strings.Repeat("😀[x]", 400)
	ev.Escalation.Why = strings.Repeat("<@1>", 400)
	var alerts []map[string]any
	for range 5 {
		alerts = append(alerts, map[string]any{"summary": strings.Repeat("~|", 300), "severity": "critical"})
	}
	ev.Evidence = map[string]any{"alerts": alerts}
	ev.Links.Acknowledge = "https://tocsin.example.com/" + strings.Repeat("a", 1500)
	m := Render(notification(t, ev).Payload)
	p := discordMessage(&m)
	e := p.Embeds[0]
	total := utf16Len(e.Title) + utf16Len(e.Description) + utf16Len(e.Footer.Text)
	for _, f := range e.Fields {
		total += utf16Len(f.Name) + utf16Len(f.Value)
		if utf16Len(f.Value) > 1024 || f.Value == "" {
			t.Errorf("field %s of %d units", f.Name, utf16Len(f.Value))
		}
	}
	if utf16Len(p.Content) > 2000 || utf16Len(e.Title) > 256 || utf16Len(e.Description) > 4096 || total > 6000 {
		t.Errorf("content %d, title %d, description %d, embed %d units", utf16Len(p.Content), utf16Len(e.Title),
			utf16Len(e.Description), total)
	}
	for _, s := range []string{p.Content, e.Title, e.Description} {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s)
		}
		checkDiscordMarkup(t, s)
	}
}

package chat

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// FuzzRender renders arbitrary payloads in every format: nothing panics,
// every text is valid UTF-8 within its service's limits, payload text
// forms no markup, and links are http(s) or absent.
func FuzzRender(f *testing.F) {
	for _, ev := range []incident.Event{page(), hostilePage(), {Event: tocsin.EventResolved, Actor: "bob",
		Incident: incident.EventIncident{ID: 1, Title: "db is down"}, Check: &incident.EventCheck{Name: "db", RunbookURL: "http://rb"}}} {
		b, _ := json.Marshal(ev)
		f.Add(b)
	}
	for _, s := range []string{``, `null`, `[]`, `{"incident":{"id":1e99,"title":"\ud800"}}`,
		`{"event":"incident.triggered","evidence":{"alerts":[{"summary":"` + strings.Repeat("😀", 3000) + `"}],"alerts_total":-5}}`,
		`{"links":{"acknowledge":"https://a/b?c=(d)&e=<f>","resolve":"javascript:x"},"incident":{"url":"//x"}}`,
		"{\"reason\":\"\xff\xfe\u202e@everyone\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkFormats(t, Render(payload))
		// Raw bytes seldom parse as JSON: put them in every text of a page too.
		s := string(payload)
		ev := page()
		ev.Incident.Title, ev.Reason, ev.Actor, ev.Service, ev.Priority, ev.Recipient = s, s, s, s, s, s
		ev.Incident.URL, ev.Links.Acknowledge, ev.Links.Resolve = s, "https://x.example/"+s, "http://"+s
		ev.Escalation.Why, ev.Escalation.Policy = s, s
		ev.Check = &incident.EventCheck{Name: s, State: tocsin.CheckState(s), RunbookURL: s}
		ev.Evidence = map[string]any{"alerts": []map[string]any{{"summary": s, "severity": s}, {"labels": map[string]string{s: s}}}}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		checkFormats(t, Render(b))
	})
}

func checkFormats(t *testing.T, m Message) {
	{
		for name, s := range map[string]string{"Title": m.Title, "Reason": m.Reason, "Paging": m.Paging,
			"Check": m.Check, "Service": m.Service, "Priority": m.Priority, "Actor": m.Actor, "Recipient": m.Recipient} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\x00") {
				t.Fatalf("%s %q", name, s)
			}
		}
		if m.Title == "" || utf16Len(m.Title) > 600 || len(m.Alerts) > MaxAlerts || m.AlertCount < len(m.Alerts) {
			t.Fatalf("message %+v", m)
		}
		for _, a := range m.Alerts {
			if !utf8.ValidString(a) || utf16Len(a) > maxLineText+20 {
				t.Fatalf("alert %q", a)
			}
		}
		for _, l := range m.Links() {
			u, err := url.Parse(l.URL)
			if err != nil || u.Scheme != "http" && u.Scheme != "https" || len(l.URL) > maxURL ||
				strings.ContainsAny(l.URL, " ()<>\"'`|\\") {
				t.Fatalf("link %s %q", l.Label, l.URL)
			}
		}

		// Slack.
		sl := slackMessage(&m)
		mustJSON(t, sl)
		valid(t, "slack header", sl.Blocks[0].Text.Text, slackHeaderMax)
		valid(t, "slack text", sl.Text, slackFallbackMax)
		for _, b := range sl.Blocks[1:] {
			if b.Type == "section" {
				valid(t, "slack section", b.Text.Text, slackSectionMax)
				if strings.ContainsAny(b.Text.Text, "<>") {
					t.Fatalf("slack section %q", b.Text.Text)
				}
			}
		}

		// Discord.
		d := discordMessage(&m)
		mustJSON(t, d)
		e := d.Embeds[0]
		valid(t, "discord content", d.Content, discordContentMax)
		valid(t, "discord title", e.Title, discordTitleMax)
		valid(t, "discord description", e.Description, discordDescriptionMax)
		total := utf16Len(e.Title) + utf16Len(e.Description) + utf16Len(e.Footer.Text)
		for _, fl := range e.Fields {
			valid(t, "discord field", fl.Value, discordFieldMax)
			total += utf16Len(fl.Name) + utf16Len(fl.Value)
		}
		if total > discordEmbedMax {
			t.Fatalf("discord embed of %d units", total)
		}
		for _, s := range []string{d.Content, e.Title, e.Description} {
			if strings.Contains(s, "@everyone") || strings.Contains(s, "@here") {
				t.Fatalf("discord pings: %q", s)
			}
			checkDiscordMarkup(t, s)
		}

		// Teams.
		tm := teamsMessage(&m)
		b := mustJSON(t, tm)
		if len(b) > 28<<10 {
			t.Fatalf("teams message of %d bytes", len(b))
		}
		for _, blk := range tm.Attachments[0].Content.Body {
			for _, r := range blk.Inlines {
				valid(t, "teams run", r.Text, teamsTextMax)
			}
		}

		// ntfy.
		for k, v := range ntfyHeaders(&m) {
			for i := 0; i < len(v); i++ {
				if v[i] < ' ' || v[i] > '~' {
					t.Fatalf("ntfy header %s %q", k, v)
				}
			}
		}
		if body := ntfyBody(&m); !utf8.ValidString(body) || len(body) > ntfyBodyMax || body == "" {
			t.Fatalf("ntfy body of %d bytes", len(body))
		}

		// Telegram.
		for _, buttons := range []bool{true, false} {
			tg := telegramMessage(&m, "1", buttons)
			mustJSON(t, tg)
			valid(t, "telegram text", tg.Text, telegramTextMax)
			if rest := allowedTag.ReplaceAllString(tg.Text, ""); strings.ContainsAny(rest, "<>") {
				t.Fatalf("telegram markup: %q", rest)
			}
		}
	}
}

func valid(t *testing.T, what, s string, max int) {
	t.Helper()
	if !utf8.ValidString(s) || utf16Len(s) > max {
		t.Fatalf("%s of %d units (max %d), valid UTF-8 %v", what, utf16Len(s), max, utf8.ValidString(s))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encodeJSON(v)
	if err != nil || !json.Valid(b) {
		t.Fatalf("encode: %v", err)
	}
	return b
}

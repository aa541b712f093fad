package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tocsinhq/tocsin"
)

// Slack limits, in characters.
const (
	slackHeaderMax   = 150  // header block text
	slackSectionMax  = 3000 // section block text
	slackFallbackMax = 3000 // top-level text (Slack allows more; notifications show little)
	slackContextMax  = 150  // one context element
	slackURLMax      = 3000 // button url
)

// Slack posts notifications to a Slack incoming webhook (the channel URL)
// as Block Kit messages: a header with the title, a section with the body,
// a context line with service and priority, and buttons to acknowledge,
// resolve and view the incident.
//
// Payload text in mrkdwn is escaped (&, <, >) so it forms no link, mention
// or command, and the section is verbatim so Slack links nothing on its
// own. Slack has no escape for its emphasis characters (* _ ~ `): payload
// text can at most change emphasis, never add a link or a ping.
type Slack struct {
	Client    *http.Client
	UserAgent string // "Tocsin/<version>"
}

// Send posts n to the Slack webhook. Slack answers 200 "ok"; 429 carries
// Retry-After; 400, 403, 404 and 410 (invalid_blocks, invalid_token,
// no_service, channel_is_archived) are not retried.
func (s *Slack) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	m := Render(n.Payload)
	body, err := encodeJSON(slackMessage(&m))
	if err != nil {
		return false, fmt.Errorf("slack: encode message: %w", err)
	}
	resp, err := post(ctx, ch, n, request{client: s.Client, userAgent: s.UserAgent, url: ch.URL,
		contentType: "application/json; charset=utf-8", body: body})
	if errors.Is(err, errBadURL) {
		return false, fmt.Errorf("slack: %w", err)
	}
	if err != nil {
		return true, transportError("slack", err, ch.URL, ch.Secret)
	}
	if resp.redirect != nil {
		return false, resp.redirect
	}
	return classify("slack", resp, excerpt(resp.body), 0)
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

type slackText struct {
	Type     string `json:"type"` // plain_text or mrkdwn
	Text     string `json:"text"`
	Emoji    *bool  `json:"emoji,omitempty"`
	Verbatim bool   `json:"verbatim,omitempty"`
}

type slackElement struct {
	Type     string     `json:"type"`
	Text     *slackText `json:"text,omitempty"`
	URL      string     `json:"url,omitempty"`
	Style    string     `json:"style,omitempty"`
	ActionID string     `json:"action_id,omitempty"`
}

type slackBlock struct {
	Type     string     `json:"type"`
	Text     *slackText `json:"text,omitempty"`
	Elements []any      `json:"elements,omitempty"` // slackText (context) or slackElement (actions)
}

type slackPayload struct {
	Text        string       `json:"text"`
	Blocks      []slackBlock `json:"blocks"`
	UnfurlLinks bool         `json:"unfurl_links"`
	UnfurlMedia bool         `json:"unfurl_media"`
}

// slackMessage lays m out as a Block Kit message.
func slackMessage(m *Message) slackPayload {
	no := false
	p := slackPayload{
		Text: fit([]piece{{text: m.Title}, {text: m.Reason}}, "\n", slackFallbackMax, slackEscape, utf16Len),
		Blocks: []slackBlock{{Type: "header",
			Text: &slackText{Type: "plain_text", Text: truncate(m.Title, slackHeaderMax, utf16Len), Emoji: &no}}},
	}
	if body := fit(lines(m, "*", "*", false), "\n", slackSectionMax, slackEscape, utf16Len); body != "" {
		p.Blocks = append(p.Blocks, slackBlock{Type: "section",
			Text: &slackText{Type: "mrkdwn", Text: body, Verbatim: true}})
	}
	var facts []any
	for _, f := range m.Facts() {
		facts = append(facts, slackText{Type: "plain_text", Text: truncate(f.Label+": "+f.Text, slackContextMax, utf16Len),
			Emoji: &no})
	}
	if len(facts) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "context", Elements: facts})
	}
	var buttons []any
	for _, l := range m.Links() {
		if len(l.URL) > slackURLMax {
			continue
		}
		b := slackElement{Type: "button", Text: &slackText{Type: "plain_text", Text: l.Label, Emoji: &no}, URL: l.URL,
			ActionID: "tocsin-" + strings.ReplaceAll(strings.ToLower(l.Label), " ", "-")}
		switch l.Label {
		case "Acknowledge":
			b.Style = "primary"
		case "Resolve":
			b.Style = "danger"
		}
		buttons = append(buttons, b)
	}
	if len(buttons) > 0 {
		p.Blocks = append(p.Blocks, slackBlock{Type: "actions", Elements: buttons})
	}
	return p
}

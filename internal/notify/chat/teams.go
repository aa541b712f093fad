package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tocsinhq/tocsin"
)

// Teams limits, in characters: well inside the 28 KB a Teams message may
// carry.
const (
	teamsTitleMax = 300
	teamsTextMax  = 8000 // the body and facts together
)

// Teams posts notifications to a Microsoft Teams workflow webhook (the
// channel URL, from the "When a Teams webhook request is received" flow)
// as an Adaptive Card: the title, the body, service and priority, and
// buttons to acknowledge, resolve and view the incident.
//
// TextBlock text is Markdown, and Adaptive Cards define no way to escape
// it, so the card carries text in RichTextBlocks of TextRuns, which are
// never parsed as Markdown: payload text shows as written (no link, list
// or emphasis can be slipped in), and only our labels are bold.
type Teams struct {
	Client    *http.Client
	UserAgent string // "Tocsin/<version>"
}

// Send posts n to the workflow webhook, which answers 202 (or 200).
func (s *Teams) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	m := Render(n.Payload)
	body, err := encodeJSON(teamsMessage(&m))
	if err != nil {
		return false, fmt.Errorf("teams: encode message: %w", err)
	}
	resp, err := post(ctx, ch, n, request{client: s.Client, userAgent: s.UserAgent, url: ch.URL,
		contentType: "application/json", body: body})
	if errors.Is(err, errBadURL) {
		return false, fmt.Errorf("teams: %w", err)
	}
	if err != nil {
		return true, transportError("teams", err, ch.URL, ch.Secret)
	}
	if resp.redirect != nil {
		return false, resp.redirect
	}
	return classify("teams", resp, excerpt(resp.body), 0)
}

type teamsRun struct {
	Type     string `json:"type"` // TextRun
	Text     string `json:"text"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Color    string `json:"color,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
}

type teamsBlock struct {
	Type    string     `json:"type"` // RichTextBlock
	Inlines []teamsRun `json:"inlines"`
	Spacing string     `json:"spacing,omitempty"`
}

type teamsAction struct {
	Type  string `json:"type"` // Action.OpenUrl
	Title string `json:"title"`
	URL   string `json:"url"`
}

type teamsCard struct {
	Schema  string            `json:"$schema"`
	Type    string            `json:"type"`
	Version string            `json:"version"`
	Body    []teamsBlock      `json:"body"`
	Actions []teamsAction     `json:"actions,omitempty"`
	MSTeams map[string]string `json:"msteams,omitempty"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	Content     teamsCard `json:"content"`
}

type teamsPayload struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

// teamsColor is the title's colour by state.
func teamsColor(s State) string {
	switch s {
	case StateTriggered:
		return "Attention"
	case StateAcknowledged:
		return "Warning"
	case StateResolved:
		return "Good"
	}
	return "Default"
}

// teamsMessage lays m out as a message with one Adaptive Card.
func teamsMessage(m *Message) teamsPayload {
	card := teamsCard{
		Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
		Type:    "AdaptiveCard",
		Version: "1.4",
		MSTeams: map[string]string{"width": "Full"},
		Body: []teamsBlock{{Type: "RichTextBlock", Inlines: []teamsRun{{Type: "TextRun",
			Text: truncate(m.Title, teamsTitleMax, utf16Len), Weight: "Bolder", Size: "Medium", Color: teamsColor(m.State)}}}},
	}
	budget := teamsTextMax
	for _, l := range append(m.Body(), m.Facts()...) {
		label := ""
		if !l.Item {
			label = l.Label + ": "
		}
		room := budget - utf16Len(label)
		if room < 16 {
			break
		}
		text := truncate(l.Text, room, utf16Len)
		budget -= utf16Len(label) + utf16Len(text)
		b := teamsBlock{Type: "RichTextBlock"}
		if l.Item {
			b.Spacing = "None"
			b.Inlines = []teamsRun{{Type: "TextRun", Text: "• " + text}}
		} else {
			b.Inlines = []teamsRun{{Type: "TextRun", Text: label, Weight: "Bolder"}, {Type: "TextRun", Text: text}}
		}
		card.Body = append(card.Body, b)
	}
	for _, l := range m.Links() {
		card.Actions = append(card.Actions, teamsAction{Type: "Action.OpenUrl", Title: l.Label, URL: l.URL})
	}
	return teamsPayload{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}

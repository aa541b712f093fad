package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Discord limits, in characters.
const (
	discordContentMax     = 2000
	discordTitleMax       = 256
	discordDescriptionMax = 4096
	discordFieldMax       = 1024
	discordEmbedMax       = 6000 // title, description, field names and values, footer together
)

// Discord posts notifications to a Discord webhook (the channel URL) as a
// message whose content is the title, with an embed: the body, service
// and priority, and links to acknowledge, resolve and view the incident.
//
// Payload text is Markdown-escaped (\ * _ ~ ` | > [ ] <) so it forms no
// formatting, masked link, mention or custom emoji; @everyone and @here get
// a zero-width space; and allowed_mentions is empty, so nothing in the
// message can ping anyone.
type Discord struct {
	Client    *http.Client
	UserAgent string // "Tocsin/<version>"
}

// Send posts n to the Discord webhook. Discord answers 204 (200 with
// ?wait=true); 429 says how long to wait in retry_after (seconds) and
// Retry-After.
func (s *Discord) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	m := Render(n.Payload)
	body, err := encodeJSON(discordMessage(&m))
	if err != nil {
		return false, fmt.Errorf("discord: encode message: %w", err)
	}
	resp, err := post(ctx, ch, n, request{client: s.Client, userAgent: s.UserAgent, url: ch.URL,
		contentType: "application/json", body: body})
	if errors.Is(err, errBadURL) {
		return false, fmt.Errorf("discord: %w", err)
	}
	if err != nil {
		return true, transportError("discord", err, ch.URL, ch.Secret)
	}
	if resp.redirect != nil {
		return false, resp.redirect
	}
	if resp.status >= 200 && resp.status < 300 {
		return false, nil
	}
	var e struct {
		Message    string  `json:"message"`
		Code       int     `json:"code"`
		RetryAfter float64 `json:"retry_after"`
	}
	detail := excerpt(resp.body)
	var after time.Duration
	if json.Unmarshal(resp.body, &e) == nil {
		if e.Message != "" {
			detail = excerpt([]byte(e.Message))
			if e.Code != 0 {
				detail += " (code " + strconv.Itoa(e.Code) + ")"
			}
		}
		after = seconds(e.RetryAfter)
	}
	if after <= 0 && resp.header.Get("Retry-After") == "" {
		// Without retry_after or Retry-After, the bucket's reset says it.
		if f, err := strconv.ParseFloat(resp.header.Get("X-RateLimit-Reset-After"), 64); err == nil {
			after = seconds(f)
		}
	}
	return classify("discord", resp, detail, after)
}

// discordEscape backslash-escapes the characters Discord's Markdown gives
// meaning anywhere in a line, and breaks @everyone and @here.
var discordEscape = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "~", `\~`, "`", "\\`", `|`, `\|`, `>`, `\>`,
	`[`, `\[`, `]`, `\]`, `<`, `\<`,
	"@everyone", "@\u200beveryone", "@here", "@\u200bhere",
).Replace

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

type discordFooter struct {
	Text string `json:"text"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields,omitempty"`
	Timestamp   string         `json:"timestamp,omitempty"`
	Footer      *discordFooter `json:"footer,omitempty"`
}

type discordMentions struct {
	Parse []string `json:"parse"`
}

type discordPayload struct {
	Content         string          `json:"content"`
	Embeds          []discordEmbed  `json:"embeds"`
	AllowedMentions discordMentions `json:"allowed_mentions"`
}

// discordColor is the embed's colour: green when resolved, blue when
// acknowledged, by priority when triggered (red for P1 or none).
func discordColor(m *Message) int {
	switch m.State {
	case StateResolved:
		return 0x2EB67D
	case StateAcknowledged:
		return 0x3B82F6
	case StateTriggered:
		switch m.Priority {
		case tocsin.P2:
			return 0xF2711C
		case tocsin.P3:
			return 0xEAB308
		case tocsin.P4:
			return 0x9CA3AF
		}
		return 0xE01E5A
	}
	return 0x9CA3AF
}

// discordMessage lays m out as a webhook message with one embed.
func discordMessage(m *Message) discordPayload {
	e := discordEmbed{
		Title:  fit([]piece{{text: m.Title}}, "", discordTitleMax, discordEscape, utf16Len),
		URL:    m.IncidentURL,
		Color:  discordColor(m),
		Footer: &discordFooter{Text: "Tocsin"},
	}
	if !m.OccurredAt.IsZero() {
		e.Timestamp = m.OccurredAt.UTC().Format(time.RFC3339Nano)
	}
	for _, f := range m.Facts() {
		e.Fields = append(e.Fields, discordField{Name: f.Label, Inline: true,
			Value: fit([]piece{{text: f.Text}}, "", 256, discordEscape, utf16Len)})
	}
	var links []piece
	for _, l := range m.Links() {
		links = append(links, piece{pre: "[" + l.Label + "](" + l.URL + ")"})
	}
	if v := fit(links, " · ", discordFieldMax, discordEscape, utf16Len); v != "" {
		e.Fields = append(e.Fields, discordField{Name: "Links", Value: v})
	}
	used := utf16Len(e.Title) + utf16Len(e.Footer.Text)
	for _, f := range e.Fields {
		used += utf16Len(f.Name) + utf16Len(f.Value)
	}
	e.Description = fit(lines(m, "**", "**", false), "\n", min(discordDescriptionMax, discordEmbedMax-used),
		discordEscape, utf16Len)
	return discordPayload{
		Content:         fit([]piece{{text: m.Title}}, "", discordContentMax, discordEscape, utf16Len),
		Embeds:          []discordEmbed{e},
		AllowedMentions: discordMentions{Parse: []string{}},
	}
}

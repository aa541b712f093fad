package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// ntfy limits.
const (
	ntfyTitleMax = 250  // characters
	ntfyBodyMax  = 4000 // bytes: ntfy turns a message over 4096 bytes into an attachment
)

// Ntfy publishes notifications to an ntfy topic (the channel URL, such as
// https://ntfy.sh/mytopic): the body as plain text (ntfy parses no markup
// unless asked, and is not asked), and the title, priority, tags, click
// link and action buttons in headers.
//
// Header values are ASCII. A value that is not printable ASCII, or that
// holds "=?" (which ntfy would take for the start of an encoded word), is
// sent as RFC 2047 encoded words (=?UTF-8?B?...?=), which ntfy decodes: a
// title in any script arrives as written. Tags and Priority are ours;
// Click and Actions hold links Render made ASCII, encoded only if a link
// holds "=?".
//
// Priority: P1 5 (urgent), P2 4, P3 3, P4 2, triggered without a priority
// 4; acknowledged 3; resolved 2. When the channel has a Secret, it is sent
// as an access token (Authorization: Bearer).
type Ntfy struct {
	Client    *http.Client
	UserAgent string // "Tocsin/<version>"
}

// Send publishes n to the topic.
func (s *Ntfy) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	m := Render(n.Payload)
	header := ntfyHeaders(&m)
	if ch.Secret != "" {
		header["Authorization"] = "Bearer " + ch.Secret
	}
	resp, err := post(ctx, ch, n, request{client: s.Client, userAgent: s.UserAgent, url: ch.URL,
		contentType: "text/plain; charset=utf-8", body: []byte(ntfyBody(&m)), header: header})
	if errors.Is(err, errBadURL) {
		return false, fmt.Errorf("ntfy: %w", err)
	}
	if err != nil {
		return true, transportError("ntfy", err, ch.URL, ch.Secret)
	}
	if resp.redirect != nil {
		return false, resp.redirect
	}
	detail := excerpt(resp.body)
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(resp.body, &e) == nil && e.Error != "" {
		detail = excerpt([]byte(e.Error))
	}
	return classify("ntfy", resp, detail, 0)
}

// ntfyBody is the message: body lines and facts as plain text, or the
// title when there are none (ntfy shows "triggered" for an empty body).
func ntfyBody(m *Message) string {
	body := fit(lines(m, "", "", true), "\n", ntfyBodyMax, func(s string) string { return s }, byteLen)
	if body == "" {
		body = truncate(m.Title, ntfyBodyMax, byteLen)
	}
	return body
}

// ntfyPriority maps a message to ntfy's priorities, 1 (min) to 5 (urgent).
func ntfyPriority(m *Message) string {
	switch m.State {
	case StateResolved:
		return "2"
	case StateAcknowledged:
		return "3"
	case StateTriggered:
		switch m.Priority {
		case tocsin.P1:
			return "5"
		case tocsin.P2:
			return "4"
		case tocsin.P3:
			return "3"
		case tocsin.P4:
			return "2"
		}
		return "4"
	}
	return "3"
}

// ntfyHeaders are the publishing headers of m.
func ntfyHeaders(m *Message) map[string]string {
	h := map[string]string{
		"Title":    headerValue(truncate(m.Title, ntfyTitleMax, utf16Len)),
		"Priority": ntfyPriority(m),
	}
	switch m.State {
	case StateTriggered:
		h["Tags"] = "rotating_light"
	case StateAcknowledged:
		h["Tags"] = "eyes"
	case StateResolved:
		h["Tags"] = "white_check_mark"
	}
	if m.IncidentURL != "" {
		h["Click"] = headerValue(m.IncidentURL)
	}
	var actions []string
	for _, l := range []Link{{"Acknowledge", m.AcknowledgeURL}, {"Resolve", m.ResolveURL}} {
		if l.URL == "" {
			continue
		}
		u := l.URL
		if strings.ContainsAny(u, ",;") { // the separators of ntfy's simple format; quoted, they are text
			u = `"` + u + `"`
		}
		actions = append(actions, "view, "+l.Label+", "+u)
	}
	if len(actions) > 0 {
		h["Actions"] = headerValue(strings.Join(actions, "; "))
	}
	return h
}

// headerValue is s as an ASCII header value: s itself when it is printable
// ASCII without "=?", otherwise RFC 2047 B-encoded words of at most 75
// characters, separated by spaces (which decoders drop between words).
func headerValue(s string) string {
	plain := !strings.Contains(s, "=?")
	for i := 0; plain && i < len(s); i++ {
		plain = s[i] >= ' ' && s[i] <= '~'
	}
	if plain {
		return s
	}
	const chunk = 45 // 45 bytes are 60 base64 characters: 72 with =?UTF-8?B?...?=
	var words []string
	for s != "" {
		end := min(chunk, len(s))
		for end < len(s) && end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		if end == 0 { // not UTF-8 at all: Render never gives that, but never loop
			end = min(chunk, len(s))
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:end]))+"?=")
		s = s[end:]
	}
	return strings.Join(words, " ")
}

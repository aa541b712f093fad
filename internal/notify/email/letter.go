package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Letter is a message written whole by whoever queued it, for a reader
// outside the team (a status page's subscriber), rather than rendered
// here from an incident event. Its payload is {"letter": {...}}.
type Letter struct {
	Subject string    `json:"subject"`
	Text    string    `json:"text"` // the body, plain text; the HTML part shows it as it is
	Date    time.Time `json:"date"`
	// Link, when set, is shown under the text in the HTML part.
	Link     string `json:"link,omitempty"`
	LinkText string `json:"link_text,omitempty"`
	// Unsubscribe, when set, is the URL that ends the subscription the
	// letter is sent for: sent as List-Unsubscribe, with
	// List-Unsubscribe-Post for a one-click POST (RFC 8058), and shown at
	// the foot of the HTML part.
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Thread, when set, names the conversation the letter belongs to
	// (a public incident): letters of the same thread refer to it.
	Thread string `json:"thread,omitempty"`
}

// LetterPayload is the outbox payload of a letter.
func LetterPayload(l Letter) ([]byte, error) {
	return json.Marshal(struct {
		Letter Letter `json:"letter"`
	}{l})
}

// letterOf reads a letter payload; false when the payload is an event.
func letterOf(payload []byte) (*Letter, bool) {
	var doc struct {
		Letter *Letter `json:"letter"`
	}
	if json.Unmarshal(payload, &doc) != nil || doc.Letter == nil {
		return nil, false
	}
	return doc.Letter, true
}

// buildLetter renders a letter: its subject and text as written (cleaned of
// control characters and cut to size), the text again in a plain HTML part.
func buildLetter(from, to *mail.Address, n *tocsin.Notification, l *Letter) (*Message, error) {
	subject := oneLine(l.Subject, maxSubject)
	text := multiLine(l.Text, 4*maxText)
	if subject == "" || text == "" {
		return nil, errors.New("email: a letter needs a subject and a text")
	}
	unsubscribe := oneLine(l.Unsubscribe, 2000)
	if strings.ContainsAny(unsubscribe, "<> ") {
		return nil, errors.New("email: the unsubscribe URL contains <, > or a space")
	}
	date := l.Date
	if date.IsZero() {
		date = n.CreatedAt
	}
	key := n.IdempotencyKey
	if key == "" {
		sum := sha256.Sum256(n.Payload)
		key = "sha256-" + hex.EncodeToString(sum[:16])
	}
	sum := sha256.Sum256(append([]byte(key+"\x00"), n.Payload...))
	boundary := "=_tocsin_" + hex.EncodeToString(sum[:12])

	var b bytes.Buffer
	h := headerWriter{b: &b}
	h.add("From", from.String())
	h.add("To", to.String())
	h.add("Subject", encodeHeaderText(subject))
	h.add("Date", date.Format(time.RFC1123Z))
	h.add("Message-ID", "<"+messageIDLeft(key)+"@tocsin>")
	if t := oneLine(l.Thread, 200); t != "" {
		h.add("References", "<"+messageIDLeft(t)+"@tocsin>")
	}
	if unsubscribe != "" {
		h.add("List-Unsubscribe", "<"+unsubscribe+">")
		h.add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	h.add("MIME-Version", "1.0")
	h.add("Auto-Submitted", "auto-generated")
	h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	if h.err != nil {
		return nil, h.err
	}
	b.WriteString("\r\n")
	var html strings.Builder
	err := letterHTML.Execute(&html, map[string]string{"Subject": subject, "Text": text,
		"Link": oneLine(l.Link, 2000), "LinkText": oneLine(l.LinkText, maxLine), "Unsubscribe": unsubscribe})
	if err != nil {
		return nil, fmt.Errorf("email: render letter: %w", err)
	}
	if err := writeParts(&b, boundary, text+"\n", html.String()); err != nil {
		return nil, err
	}
	return &Message{From: from.Address, To: to.Address, Data: b.Bytes()}, nil
}

// letterHTML shows a letter's text as written, in a readable width.
var letterHTML = template.Must(template.New("letter").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;font-family:system-ui,sans-serif;color:#18181b">
<div style="max-width:600px;margin:0 auto">
<pre style="white-space:pre-wrap;font-family:inherit;font-size:15px;line-height:1.5">{{.Text}}</pre>
{{if .Link}}<p><a href="{{.Link}}">{{if .LinkText}}{{.LinkText}}{{else}}{{.Link}}{{end}}</a></p>{{end}}
{{if .Unsubscribe}}<p style="font-size:12px;color:#52525b"><a href="{{.Unsubscribe}}" style="color:#52525b">Unsubscribe</a></p>{{end}}
</div></body></html>
`))

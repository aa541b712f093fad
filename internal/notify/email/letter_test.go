package email

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

// TestLetter: a letter is sent as written, with List-Unsubscribe for a
// one-click unsubscribe (RFC 8058), a stable Message-ID, and no way for
// its fields to add a header.
func TestLetter(t *testing.T) {
	payload, err := LetterPayload(Letter{Subject: "[Status] Slow API: Identified — naïve", Text: "The API is slow.\r\nWe are on it.",
		Date: time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC), Link: "https://status.example.com/status/public",
		Unsubscribe: "https://status.example.com/status/public/subscriptions/tok/unsubscribe", Thread: "status:public:incident:7"})
	if err != nil {
		t.Fatal(err)
	}
	n := &tocsin.Notification{IdempotencyKey: "status:public:update:1:subscriber:2", Payload: payload}
	msg, err := Build("Status <status@example.com>", "ana@example.com", n)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Build("Status <status@example.com>", "ana@example.com", n)
	if !bytes.Equal(msg.Data, again.Data) {
		t.Error("the same letter built twice differs: a retry would not send the same bytes")
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	for name, want := range map[string]string{
		"List-Unsubscribe":      "<https://status.example.com/status/public/subscriptions/tok/unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Date":                  "Mon, 07 Dec 2026 09:30:00 +0000",
		"Auto-Submitted":        "auto-generated",
	} {
		if got := m.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if subject != "[Status] Slow API: Identified — naïve" || !strings.HasPrefix(m.Header.Get("Message-ID"), "<status=3Apublic") ||
		m.Header.Get("References") == "" {
		t.Errorf("subject %q, Message-ID %q, References %q", subject, m.Header.Get("Message-ID"), m.Header.Get("References"))
	}
	if !bytes.Contains(msg.Data, []byte("We are on it.")) {
		t.Error("the text is not in the message")
	}

	for _, bad := range []Letter{
		{Subject: "s", Text: "t", Unsubscribe: "https://example.com/x>\r\nBcc: evil@example.com"},
		{Subject: "", Text: "t"},
		{Subject: "s", Text: " "},
	} {
		p, _ := LetterPayload(bad)
		if _, err := Build("status@example.com", "ana@example.com", &tocsin.Notification{Payload: p}); err == nil {
			t.Errorf("%+v: built, want an error", bad)
		}
	}
	// A subject with a line break stays one header.
	p, _ := LetterPayload(Letter{Subject: "a\r\nBcc: evil@example.com", Text: "t"})
	msg, err = Build("status@example.com", "ana@example.com", &tocsin.Notification{Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := mail.ReadMessage(bytes.NewReader(msg.Data)); m.Header.Get("Bcc") != "" {
		t.Error("a subject added a header")
	}
}

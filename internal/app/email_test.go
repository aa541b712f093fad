package app

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// mailbox is a real SMTP server (go-smtp) that keeps the messages it gets.
type mailbox struct {
	mu   sync.Mutex
	msgs [][]byte
}

type mailSession struct{ box *mailbox }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, b)
	s.box.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func (m *mailbox) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box}, nil }))
	srv.Domain, srv.ErrorLog = "mx.test", log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return box, l.Addr().(*net.TCPAddr).Port
}

// TestEmailPage: a page to a user's email contact goes through the
// configured SMTP server, with the signed links in it.
func TestEmailPage(t *testing.T) {
	box, port := startMailbox(t)
	cfg := fmt.Sprintf(`
links_secret: "0123456789abcdef0123456789abcdef-test"
smtp: {host: 127.0.0.1, port: %d, from: "Tocsin <tocsin@example.com>", tls: none}
users:
  - {name: ana, tz: Europe/Berlin, contacts: [{type: email, to: ana@example.com}]}
schedules:
  - {name: primary, tz: Europe/Berlin, rotations: [{participants: [ana], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]}
escalation_policies:
  - {name: default, levels: [{targets: ["schedule:primary"], timeout: 5m}]}
services:
  - {name: payments, escalation_policy: default, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`, port)
	r, _, _ := startEscalation(t, cfg)
	var ans map[string]any
	r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(`{"key":"db","summary":"primary database down","severity":"critical"}`), &ans)
	testkit.Eventually(t, "the email", func() bool { return box.count() == 1 })
	box.mu.Lock()
	raw := box.msgs[0]
	box.mu.Unlock()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if msg.Header.Get("To") == "" || !bytes.Contains([]byte(subject), []byte("primary database down")) ||
		!bytes.Contains(raw, []byte("/act/")) {
		t.Fatalf("message:\n%s", raw)
	}
}

// TestChatPages: pages to Slack and Telegram contacts reach local
// receivers speaking those APIs, with the signed links as buttons.
func TestChatPages(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = b
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/bot") {
			io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	token := "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	cfg := fmt.Sprintf(`
links_secret: "0123456789abcdef0123456789abcdef-test"
telegram: {bot_token: "%[2]s", api_base: "%[1]s"}
users:
  - {name: ana, tz: Europe/Berlin, contacts: [{type: slack, to: "%[1]s/services/T0/B0/x"}, {type: telegram, to: "-100123"}]}
schedules:
  - {name: primary, tz: Europe/Berlin, rotations: [{participants: [ana], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]}
escalation_policies:
  - {name: default, levels: [{targets: ["schedule:primary"], timeout: 5m}]}
services:
  - {name: payments, escalation_policy: default, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`, srv.URL, token)
	r, _, _ := startEscalation(t, cfg)
	var ans map[string]any
	r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(`{"key":"db","summary":"primary database down","severity":"critical"}`), &ans)
	testkit.Eventually(t, "both pages", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 2 })
	mu.Lock()
	defer mu.Unlock()
	slack, tg := got["/services/T0/B0/x"], got["/bot"+token+"/sendMessage"]
	if !bytes.Contains(slack, []byte(`"blocks"`)) || !bytes.Contains(slack, []byte("/act/")) ||
		!bytes.Contains(slack, []byte("primary database down")) {
		t.Fatalf("slack body %s", slack)
	}
	if !bytes.Contains(tg, []byte(`"chat_id":"-100123"`)) || !bytes.Contains(tg, []byte("inline_keyboard")) {
		t.Fatalf("telegram body %s", tg)
	}
}

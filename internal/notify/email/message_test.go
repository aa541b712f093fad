package email

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

func build(t *testing.T, payload string) (*mail.Message, string, string) {
	t.Helper()
	msg, err := Build("Tocsin <tocsin@example.com>", "ana@example.com",
		&tocsin.Notification{IdempotencyKey: "k-1", Event: "incident.resolved", Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msg.Data))
	if err != nil {
		t.Fatal(err)
	}
	text, html := parts(t, m)
	return m, text, html
}

func TestCheckIncidentWithOtherEvidence(t *testing.T) {
	m, text, html := build(t, `{"event":"incident.resolved","actor":"ana","incident":{"id":3,"title":"nightly backup is down",
		"status":"resolved","url":"https://tocsin.example/incidents/3","opened_at":"2026-03-01T09:58:00Z"},
		"check":{"name":"nightly backup","uuid":"u","state":"up","last_ping_at":null,"runbook_url":"https://wiki.example/backup"},
		"evidence":{"condition":"HTTP 503 <b>","recent_runs":[{"ok":false}]}}`)
	if got := m.Header.Get("Subject"); got != "RESOLVED: nightly backup is down" {
		t.Errorf("Subject = %q", got)
	}
	for _, want := range []string{"By:       ana", "Check nightly backup: up, last ping never", "Runbook: https://wiki.example/backup",
		`"condition": "HTTP 503 <b>"`} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, "HTTP 503 &lt;b&gt;") || anchors(t, html)["Runbook"] != "https://wiki.example/backup" {
		t.Errorf("html part:\n%s", html)
	}
	if strings.Contains(text, "Acknowledge") || strings.Contains(html, ">Acknowledge<") {
		t.Error("a resolved notification without links offers to acknowledge")
	}
}

func TestWatchdogReport(t *testing.T) {
	m, text, _ := build(t, `{"idempotency_key":"tocsin-watchdog-outbox-stalled-1","event":"tocsin.loop_stalled",
		"occurred_at":"2026-03-01T10:00:00Z","loop":"outbox","message":"Tocsin's outbox loop stalled (no progress for 2m0s)"}`)
	if got := m.Header.Get("Subject"); got != "LOOP STALLED: Tocsin's outbox loop stalled (no progress for 2m0s)" {
		t.Errorf("Subject = %q", got)
	}
	if m.Header.Get("X-Tocsin-Incident") != "" {
		t.Error("X-Tocsin-Incident without an incident")
	}
	if !strings.Contains(text, "Tocsin's outbox loop stalled") {
		t.Errorf("text:\n%s", text)
	}
}

func TestBuildRefuses(t *testing.T) {
	n := &tocsin.Notification{IdempotencyKey: "k", Payload: []byte(`{"event":"incident.triggered"}`)}
	for _, tc := range []struct{ from, to string }{
		{"tocsin@example.com", "ana@example.com\nBcc: x@example.com"},
		{"tocsin@example.com", "ana@example.com\r"},
		{"tocsin@example.com\r\nX: y", "ana@example.com"},
		{"tocsin@example.com", "\"Ana\r\n\" <ana@example.com>"},
		{"tocsin@example.com", "anaïs@example.com"},
		{"tocsin@example.com", ""},
		{"", "ana@example.com"},
	} {
		if _, err := Build(tc.from, tc.to, n); err == nil {
			t.Errorf("Build(%q, %q) accepted", tc.from, tc.to)
		}
	}
	if _, err := Build("tocsin@example.com", "ana@example.com", &tocsin.Notification{Payload: []byte("not json")}); err == nil {
		t.Error("Build accepted a payload that is not an event")
	}
	if msg, err := Build("Tocsin <tocsin@example.com>", "mailto:ana@example.com", n); err != nil || msg.To != "ana@example.com" {
		t.Errorf("mailto: recipient: %v, %v", msg, err)
	}
}

func TestMessageIDLeft(t *testing.T) {
	for key, want := range map[string]string{
		"tocsin-incident-42-incident.triggered-ops": "tocsin-incident-42-incident.triggered-ops",
		"a b<c>@d":       "a=20b=3Cc=3E=40d",
		".lead..dots.":   "=2Elead.=2Edots=2E",
		"x=y":            "x=3Dy",
		"p\r\nBcc: evil": "p=0D=0ABcc=3A=20evil",
	} {
		if got := messageIDLeft(key); got != want {
			t.Errorf("messageIDLeft(%q) = %q, want %q", key, got, want)
		}
	}
	if got := messageIDLeft(strings.Repeat("k", 300)); !strings.HasPrefix(got, "sha256-") || len(got) != 7+64 {
		t.Errorf("messageIDLeft(long) = %q", got)
	}
}

func TestLongSubjectIsFolded(t *testing.T) {
	title := strings.Repeat("très long titre ", 40)
	payload, _ := json.Marshal(map[string]any{"event": "incident.triggered", "incident": map[string]any{"id": 1, "title": title}})
	msg, err := Build("tocsin@example.com", "ana@example.com", &tocsin.Notification{IdempotencyKey: "k", Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	head := string(msg.Data[:bytes.Index(msg.Data, []byte("\r\n\r\n"))])
	for _, l := range strings.Split(head, "\r\n") {
		if len(l) > 998 {
			t.Fatalf("header line of %d bytes", len(l))
		}
	}
	m, _ := mail.ReadMessage(bytes.NewReader(msg.Data))
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || !strings.HasPrefix(subject, "TRIGGERED: très long titre très") || !strings.HasSuffix(subject, "…") {
		t.Fatalf("Subject = %q (%v)", subject, err)
	}
}

var (
	headerName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*: `)
	wantHeaders = map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"References": true, "X-Tocsin-Incident": true, "X-Tocsin-Event": true, "Mime-Version": true,
		"Auto-Submitted": true, "X-Auto-Response-Suppress": true, "Content-Type": true}
)

// FuzzMessage builds messages from arbitrary payloads and keys: Build
// never panics, and a message it builds has only CRLF line ends, only the
// headers it means to write, and two parts.
func FuzzMessage(f *testing.F) {
	f.Add(pagePayload(f), "tocsin-incident-42-page-payments-l1-r1-mail-ana")
	f.Add([]byte(`{"event":"incident.acknowledged","actor":"a\r\nBcc: x","incident":{"id":1,"title":"t\r\nX: y"}}`), "k\r\nX: y")
	f.Add([]byte(`{"event":"x\ny","incident":{"title":"=?utf-8?q?fake?="},"evidence":[1,2,{"alerts":3}]}`), "")
	f.Add([]byte(`{"evidence":{"alerts":[{"summary":"\u0000\u2028","labels":{"a\r":"b\n"},"links":[{"href":"javascript:x"}]}]}}`), ".")
	f.Add([]byte(`{"message":"\r\r\n.\r\n","links":{"acknowledge":"http://x/\r\n"}}`), "=")
	f.Add([]byte("not json"), "k")
	f.Fuzz(func(t *testing.T, payload []byte, key string) {
		msg, err := Build("Tocsin <tocsin@example.com>", "ana@example.com",
			&tocsin.Notification{IdempotencyKey: key, Event: tocsin.EventTriggered, Payload: payload})
		if err != nil {
			return
		}
		data := string(msg.Data)
		if rest := strings.ReplaceAll(data, "\r\n", ""); strings.ContainsAny(rest, "\r\n") {
			t.Fatal("bare CR or LF in the message")
		}
		end := strings.Index(data, "\r\n\r\n")
		if end < 0 {
			t.Fatal("no end of header")
		}
		for i, l := range strings.Split(data[:end], "\r\n") {
			if len(l) > 998 || !isPrintableASCII(strings.ReplaceAll(l, "\t", " ")) {
				t.Fatalf("bad header line %q", l)
			}
			if l[0] == ' ' || l[0] == '\t' {
				if i == 0 || strings.TrimSpace(l) == "" {
					t.Fatalf("bad continuation line %q", l)
				}
				continue
			}
			m := headerName.FindString(l)
			if m == "" {
				t.Fatalf("not a header line: %q", l)
			}
		}
		m, err := mail.ReadMessage(strings.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range m.Header {
			if !wantHeaders[k] || len(v) != 1 {
				t.Fatalf("header %s %q", k, v)
			}
		}
		if !regexp.MustCompile(`^<[!#$%&'*+/=?^_` + "`" + `{|}~0-9A-Za-z-]+(\.[!#$%&'*+/=?^_` + "`" + `{|}~0-9A-Za-z-]+)*@tocsin>$`).
			MatchString(m.Header.Get("Message-Id")) {
			t.Fatalf("Message-ID %q is not a msg-id", m.Header.Get("Message-Id"))
		}
		if _, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
			t.Fatalf("Subject %q: %v", m.Header.Get("Subject"), err)
		}
		_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		r := multipart.NewReader(m.Body, params["boundary"])
		n := 0
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadAll(p); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 2 {
			t.Fatalf("%d parts", n)
		}
	})
}

// TestOverdueActionItem: the notice of an overdue action item says so in
// its subject, whatever its incident's state, and names the item.
func TestOverdueActionItem(t *testing.T) {
	m, text, _ := build(t, `{"event":"action_item.overdue","reason":"Action item #3 (Alert on disk) was due 2026-03-09 and is still open",
		"recipient":"ana","incident":{"id":4,"title":"disk 95% on db1","status":"resolved","url":"https://tocsin.example/i/4"},
		"action_item":{"id":3,"title":"Alert on disk","owner":"ana","due":"2026-03-09"}}`)
	if got := m.Header.Get("Subject"); !strings.Contains(got, "ACTION ITEM OVERDUE: disk 95% on db1") {
		t.Errorf("Subject = %q", got)
	}
	if !strings.Contains(text, "was due 2026-03-09") {
		t.Errorf("text:\n%s", text)
	}
}

// TestFollowUpsToThosePaged: a priority rise and an alert joining an
// acknowledged incident name themselves in the subject and offer the links.
func TestFollowUpsToThosePaged(t *testing.T) {
	for event, subject := range map[string]string{
		"incident.priority_raised": "PRIORITY RAISED: [payments] disk 95% on db1",
		"incident.alert_joined":    "ALERT JOINED: [payments] disk 95% on db1",
	} {
		m, text, html := build(t, `{"event":"`+event+`","reason":"a critical alert joined: disk full on db1","service":"payments",
			"priority":"P1","incident":{"id":4,"title":"disk 95% on db1","status":"acknowledged","url":"https://tocsin.example/i/4"},
			"links":{"acknowledge":"https://tocsin.example/act/a","resolve":"https://tocsin.example/act/r"}}`)
		if got := m.Header.Get("Subject"); !strings.Contains(got, subject) {
			t.Errorf("%s: Subject = %q, want it to contain %q", event, got, subject)
		}
		if !strings.Contains(text, "disk full on db1") || anchors(t, html)["Acknowledge"] != "https://tocsin.example/act/a" {
			t.Errorf("%s: text:\n%s\nhtml:\n%s", event, text, html)
		}
	}
}

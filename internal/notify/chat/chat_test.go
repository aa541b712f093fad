package chat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// hostile is payload text that must never become markup anywhere.
const hostile = "<script>alert(1)</script> &amp; *bold* _it_ ~s~ `code` |spoiler| [click](https://evil.example) " +
	"<!channel> <@123> @everyone @here <b>x</b>"

const (
	ackURL     = "https://tocsin.example.com/p/ack?t=tok-1&sig=abc"
	resolveURL = "https://tocsin.example.com/p/resolve?t=tok-2&sig=def"
	incURL     = "https://tocsin.example.com/incidents/42"
)

var opened = time.Date(2026, 11, 22, 5, 36, 18, 0, time.UTC)

// page is an escalation page of an alert incident, as the engine queues it.
func page() incident.Event {
	return incident.Event{
		IdempotencyKey: "tocsin-incident-42-page-default-l1-r1-pager",
		Event:          tocsin.EventTriggered,
		OccurredAt:     opened.Add(time.Minute),
		Reason:         "not acknowledged in time",
		Incident: incident.EventIncident{ID: 42, Title: "checkout down", Status: tocsin.IncidentTriggered,
			URL: incURL, OpenedAt: opened},
		Service:  "payments",
		Priority: tocsin.P1,
		Evidence: map[string]any{"alerts": []map[string]any{
			{"summary": "error rate 12%", "severity": "critical", "labels": map[string]string{"alertname": "HighErrors"}},
			{"summary": "", "severity": "warning", "labels": map[string]string{"alertname": "SlowCheckout"}},
		}, "alerts_total": 2},
		Recipient:  "ana",
		Escalation: &incident.EventEscalation{Policy: "default", Level: 1, Round: 1, Why: "on call in schedule primary"},
		Links:      &incident.EventLinks{Acknowledge: ackURL, Resolve: resolveURL},
	}
}

func notification(t testing.TB, ev incident.Event) *tocsin.Notification {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return &tocsin.Notification{ID: 7, IdempotencyKey: ev.IdempotencyKey, Channel: "chat", Event: ev.Event,
		IncidentID: ev.Incident.ID, Payload: b}
}

// hostilePage is page with hostile text in every field people see.
func hostilePage() incident.Event {
	ev := page()
	ev.Incident.Title = hostile
	ev.Reason = hostile
	ev.Service = "pay<ments>"
	ev.Evidence = map[string]any{"alerts": []map[string]any{{"summary": hostile, "severity": "critical"}}, "alerts_total": 1}
	ev.Escalation.Why = hostile
	return ev
}

// captured is one request a test server received.
type captured struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

func (c captured) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("request body is not JSON: %v\n%s", err, c.Body)
	}
	return m
}

// reply is what a test server answers.
type reply struct {
	status int
	header map[string]string
	body   string
}

// server is a real HTTP server on 127.0.0.1 answering replies in turn (the
// last one again once they run out) and keeping what it received.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []captured
}

func serve(t testing.TB, replies ...reply) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, captured{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
		rp := replies[min(len(s.reqs), len(replies))-1]
		s.mu.Unlock()
		for k, v := range rp.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rp.status)
		io.WriteString(w, rp.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]captured(nil), s.reqs...)
}

func (s *server) only(t testing.TB) captured {
	t.Helper()
	rs := s.requests()
	if len(rs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(rs))
	}
	return rs[0]
}

// hung is a server that never answers until the client gives up.
func hung(t testing.TB) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); s.Close() })
	return s
}

// kind is one sender under test: how to make it and its channel for a
// server, and how it wants to be answered.
type kind struct {
	name string
	make func(base string) (tocsin.Sender, tocsin.Channel)
	ok   reply
}

const telegramToken = "123456789:AAH-secret_Token-value"

var kinds = []kind{
	{"slack", func(base string) (tocsin.Sender, tocsin.Channel) {
		return &Slack{Client: &http.Client{}, UserAgent: "Tocsin/test"},
			tocsin.Channel{Name: "s", Type: "slack", URL: base + "/services/T000/B000/slacksecret"}
	}, reply{status: 200, body: "ok"}},
	{"discord", func(base string) (tocsin.Sender, tocsin.Channel) {
		return &Discord{Client: &http.Client{}, UserAgent: "Tocsin/test"},
			tocsin.Channel{Name: "d", Type: "discord", URL: base + "/api/webhooks/1/discordsecret"}
	}, reply{status: 204}},
	{"teams", func(base string) (tocsin.Sender, tocsin.Channel) {
		return &Teams{Client: &http.Client{}, UserAgent: "Tocsin/test"},
			tocsin.Channel{Name: "t", Type: "teams", URL: base + "/workflows/1/triggers/manual?sig=teamssecret"}
	}, reply{status: 202}},
	{"ntfy", func(base string) (tocsin.Sender, tocsin.Channel) {
		return &Ntfy{Client: &http.Client{}, UserAgent: "Tocsin/test"},
			tocsin.Channel{Name: "n", Type: "ntfy", URL: base + "/ntfysecrettopic"}
	}, reply{status: 200, body: `{"id":"x","event":"message"}`}},
	{"telegram", func(base string) (tocsin.Sender, tocsin.Channel) {
		return &Telegram{Client: &http.Client{}, UserAgent: "Tocsin/test", APIBase: base, Token: telegramToken},
			tocsin.Channel{Name: "tg", Type: "telegram", URL: "-1001234567890"}
	}, reply{status: 200, body: `{"ok":true,"result":{"message_id":1}}`}},
}

// secrets are the parts of channel URLs and tokens no error may quote.
var secrets = []string{"slacksecret", "discordsecret", "teamssecret", "ntfysecrettopic", telegramToken, "AAH-secret"}

func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range secrets {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error %q quotes the secret %q", e.Error(), s)
			}
		}
	}
}

func send(t *testing.T, k kind, base string) (bool, error) {
	t.Helper()
	s, ch := k.make(base)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Send(ctx, ch, notification(t, page()))
}

func TestSendCommonRequest(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			srv := serve(t, k.ok)
			s, ch := k.make(srv.URL)
			ch.Headers = map[string]string{"X-Proxy-Auth": "p1"}
			retry, err := s.Send(context.Background(), ch, notification(t, page()))
			if err != nil || retry {
				t.Fatalf("Send = %v, %v; want success", retry, err)
			}
			r := srv.only(t)
			if r.Method != http.MethodPost {
				t.Errorf("method %s", r.Method)
			}
			for h, want := range map[string]string{"User-Agent": "Tocsin/test", "X-Proxy-Auth": "p1",
				"Idempotency-Key": "tocsin-incident-42-page-default-l1-r1-pager"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestSendStatuses(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Run("server error retries", func(t *testing.T) {
				srv := serve(t, reply{status: 502, body: "bad gateway"})
				retry, err := send(t, k, srv.URL)
				if !retry || err == nil || !strings.Contains(err.Error(), "502") {
					t.Fatalf("Send = %v, %v; want retry with HTTP 502", retry, err)
				}
				checkNoSecret(t, err)
			})
			t.Run("429 with Retry-After", func(t *testing.T) {
				srv := serve(t, reply{status: 429, header: map[string]string{"Retry-After": "7"}, body: "slow down"})
				retry, err := send(t, k, srv.URL)
				var ra *tocsin.RetryAfterError
				if !retry || !errors.As(err, &ra) || ra.After != 7*time.Second {
					t.Fatalf("Send = %v, %v; want retry after 7s", retry, err)
				}
			})
			t.Run("400 does not retry and quotes the service", func(t *testing.T) {
				srv := serve(t, reply{status: 400, body: "invalid_payload: the service explains"})
				retry, err := send(t, k, srv.URL)
				if retry || err == nil || !strings.Contains(err.Error(), "the service explains") ||
					!strings.Contains(err.Error(), "400") {
					t.Fatalf("Send = %v, %v; want no retry, HTTP 400 and the service's words", retry, err)
				}
				checkNoSecret(t, err)
			})
			t.Run("long answer is cut", func(t *testing.T) {
				srv := serve(t, reply{status: 403, body: strings.Repeat("é", 100<<10)})
				retry, err := send(t, k, srv.URL)
				if retry || err == nil || len(err.Error()) > 2*maxDetail+100 || !utf8.ValidString(err.Error()) {
					t.Fatalf("Send = %v, error of %d bytes; want no retry, a short valid error", retry, len(err.Error()))
				}
			})
			t.Run("hung server gives up at the deadline", func(t *testing.T) {
				srv := hung(t)
				s, ch := k.make(srv.URL)
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				start := time.Now()
				retry, err := s.Send(ctx, ch, notification(t, page()))
				if el := time.Since(start); el > 3*time.Second {
					t.Fatalf("Send returned after %s", el)
				}
				if !retry || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Send = %v, %v; want retry, deadline exceeded", retry, err)
				}
				checkNoSecret(t, err)
			})
			t.Run("unreachable retries without quoting the URL", func(t *testing.T) {
				srv := httptest.NewServer(http.NotFoundHandler())
				base := srv.URL
				srv.Close()
				retry, err := send(t, k, base)
				if !retry || err == nil {
					t.Fatalf("Send = %v, %v; want retry", retry, err)
				}
				checkNoSecret(t, err)
				if strings.Contains(err.Error(), base) {
					t.Errorf("error %q quotes the URL", err)
				}
			})
		})
	}
}

func TestRender(t *testing.T) {
	m := Render(notification(t, page()).Payload)
	want := Message{
		Event: tocsin.EventTriggered, State: StateTriggered,
		Title:     "[P1] TRIGGERED: [payments] checkout down",
		Reason:    "not acknowledged in time",
		Recipient: "ana",
		Paging:    "ana: on call in schedule primary (policy default, level 1, round 1)",
		Service:   "payments", Priority: "P1",
		Alerts:      []string{"[critical] error rate 12%", "[warning] SlowCheckout"},
		AlertCount:  2,
		OccurredAt:  opened.Add(time.Minute),
		IncidentURL: incURL, AcknowledgeURL: ackURL, ResolveURL: resolveURL,
	}
	gotJSON, _ := json.Marshal(m)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("Render =\n%s\nwant\n%s", gotJSON, wantJSON)
	}

	ack := incident.Event{Event: tocsin.EventAcknowledged, Actor: "ana",
		Incident: incident.EventIncident{ID: 9, Title: "db-backup is down", Status: tocsin.IncidentAcknowledged, URL: incURL},
		Check:    &incident.EventCheck{Name: "db-backup", State: tocsin.StateDown, RunbookURL: "https://wiki.example/rb"}}
	m = Render(notification(t, ack).Payload)
	if m.Title != "ACKNOWLEDGED by ana: db-backup is down" || m.Check != "db-backup (down)" ||
		m.RunbookURL != "https://wiki.example/rb" || m.State != StateAcknowledged {
		t.Errorf("acknowledged: %+v", m)
	}

	res := incident.Event{Event: tocsin.EventResolved, Actor: "tocsin", Reason: "check recovered",
		Incident: incident.EventIncident{ID: 9, Title: "db-backup is down", Status: tocsin.IncidentResolved}}
	if m := Render(notification(t, res).Payload); m.Title != "RESOLVED: db-backup is down" || m.Reason != "check recovered" {
		t.Errorf("resolved by tocsin: %+v", m)
	}
	res.Actor, res.Priority, res.Service = "bob", "P2", "api"
	if m := Render(notification(t, res).Payload); m.Title != "[P2] RESOLVED by bob: [api] db-backup is down" {
		t.Errorf("resolved by bob: %q", m.Title)
	}
}

// TestRenderFollowUps: a priority rise and an alert joining an
// acknowledged incident say so in the title, with the links to act.
func TestRenderFollowUps(t *testing.T) {
	inc := incident.EventIncident{ID: 9, Title: "disk 95% on db1", Status: tocsin.IncidentAcknowledged, URL: incURL}
	joined := incident.Event{Event: tocsin.EventAlertJoined, Reason: "Alert joined the incident: disk 96% on db2", Priority: "P3",
		Incident: inc, Links: &incident.EventLinks{Acknowledge: ackURL, Resolve: resolveURL}}
	m := Render(notification(t, joined).Payload)
	if m.Title != "[P3] ALERT JOINED: disk 95% on db1" || m.State != StateAcknowledged || m.AcknowledgeURL != ackURL {
		t.Errorf("alert joined: %+v", m)
	}
	inc.Status = tocsin.IncidentTriggered
	raised := incident.Event{Event: tocsin.EventPriorityRaised, Reason: "Priority raised from P3 to P1", Priority: "P1", Incident: inc}
	if m := Render(notification(t, raised).Payload); m.Title != "[P1] PRIORITY RAISED: disk 95% on db1" || m.State != StateTriggered {
		t.Errorf("priority raised: %+v", m)
	}
	// An overdue action item of a resolved incident is not a resolution.
	inc.Status = tocsin.IncidentResolved
	overdue := incident.Event{Event: tocsin.EventActionItemOverdue, Reason: "Action item #3 (Alert on disk) was due 2026-03-09 and is still open",
		Recipient: "ana", Incident: inc}
	if m := Render(notification(t, overdue).Payload); m.Title != "ACTION ITEM OVERDUE: disk 95% on db1" ||
		!strings.Contains(m.Reason, "was due 2026-03-09") {
		t.Errorf("action item overdue: %+v", m)
	}
}

func TestRenderAlertsCapped(t *testing.T) {
	var alerts []map[string]any
	for i := range 9 {
		alerts = append(alerts, map[string]any{"summary": "alert " + string(rune('A'+i)), "severity": "error"})
	}
	ev := page()
	ev.Evidence = map[string]any{"alerts": alerts, "alerts_total": 31}
	m := Render(notification(t, ev).Payload)
	if len(m.Alerts) != MaxAlerts || m.AlertCount != 31 || m.Alerts[4] != "[error] alert E" {
		t.Fatalf("alerts %q of %d", m.Alerts, m.AlertCount)
	}
	body := m.Body()
	if got := body[2]; got.Label != "Alerts" || got.Text != "31 (5 shown)" {
		t.Errorf("alerts line %+v", got)
	}
}

func TestRenderDefensive(t *testing.T) {
	for name, payload := range map[string]string{
		"not JSON":        `{{{`,
		"array":           `[1,2]`,
		"wrong types":     `{"event":7,"incident":"x","links":[1],"evidence":"a string","escalation":5,"priority":{"a":1}}`,
		"other evidence":  `{"event":"incident.triggered","incident":{"id":3},"evidence":{"condition":"late","results":[1,2]}}`,
		"alerts not list": `{"event":"incident.triggered","incident":{"id":3,"title":"t"},"evidence":{"alerts":{"a":1},"alerts_total":"x"}}`,
		"null":            `null`,
	} {
		t.Run(name, func(t *testing.T) {
			m := Render([]byte(payload))
			if m.Title == "" || len(m.Alerts) != 0 {
				t.Fatalf("Render = %+v", m)
			}
		})
	}
	if m := Render([]byte(`{"incident":{"id":3}}`)); m.Title != "UPDATE: incident #3" {
		t.Errorf("title %q", m.Title)
	}
}

func TestRenderCleansText(t *testing.T) {
	ev := page()
	ev.Incident.Title = "line1\nline2\r\n\tx\u202Eevil\u2066 \x00 z"
	ev.Reason = "bad utf8 \xff\xfe here"
	ev.Incident.URL = "javascript:alert(1)"
	ev.Links.Acknowledge = "https://user:pw@evil.example/"
	ev.Links.Resolve = "https://tocsin.example.com/p/r?t=a b\"c<d>(e)"
	m := Render(notification(t, ev).Payload)
	if m.Title != "[P1] TRIGGERED: [payments] line1 line2 xevil z" {
		t.Errorf("title %q", m.Title)
	}
	if !utf8.ValidString(m.Reason) || !strings.Contains(m.Reason, "\uFFFD") {
		t.Errorf("reason %q", m.Reason)
	}
	if m.IncidentURL != "" || m.AcknowledgeURL != "" {
		t.Errorf("unsafe links kept: %q %q", m.IncidentURL, m.AcknowledgeURL)
	}
	if m.ResolveURL != "https://tocsin.example.com/p/r?t=a%20b%22c%3Cd%3E%28e%29" {
		t.Errorf("resolve link %q", m.ResolveURL)
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 5, "hello"},
		{"hello world", 8, "hello w…"},
		{"héllo wörld", 5, "héll…"},
		{"😀😀😀😀", 5, "😀😀…"}, // two UTF-16 units each
		{"ab   cd", 5, "ab…"},
		{"abc", 0, ""},
	} {
		if got := truncate(c.in, c.max, utf16Len); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
	if got := truncate("ééé", 5, byteLen); got != "é…" {
		t.Errorf("truncate by bytes = %q", got)
	}
}

func TestFitKeepsEscapesWhole(t *testing.T) {
	got := fit([]piece{{pre: "*A:* ", text: strings.Repeat("<", 100)}}, "\n", 40, slackEscape, utf16Len)
	if utf16Len(got) > 40 || !strings.HasPrefix(got, "*A:* &lt;") || !strings.HasSuffix(got, "&lt;…") {
		t.Fatalf("fit = %q", got)
	}
}

func TestBadChannelURLNotRetried(t *testing.T) {
	for _, k := range kinds[:4] { // Telegram's URL is a chat id; see TestTelegramBadConfig
		for _, u := range []string{"hooks.example.com/services/slacksecret", "ftp://x/discordsecret", "http://[::1/teamssecret"} {
			s, ch := k.make("")
			ch.URL = u
			retry, err := s.Send(context.Background(), ch, notification(t, page()))
			if retry || err == nil {
				t.Errorf("%s %q: Send = %v, %v; want a configuration error", k.name, u, retry, err)
			}
			checkNoSecret(t, err)
		}
	}
}

// The alerts' images (PagerDuty's images[]) become links after the
// actions: to their href, else the image; script or relative URLs never;
// at most MaxImages.
func TestRenderImages(t *testing.T) {
	ev := page()
	ev.Evidence = map[string]any{"alerts": []map[string]any{
		{"summary": "a", "images": []map[string]string{
			{"src": "https://img.example.com/cpu.png", "href": "https://grafana.example.com/d/1", "alt": "CPU graph"},
			{"src": "https://img.example.com/mem.png"},
			{"src": "javascript:alert(1)"},
		}},
		{"summary": "b", "images": []map[string]string{{"src": "/relative.png"}, {"src": "https://img.example.com/disk.png", "alt": "Disk"},
			{"src": "https://img.example.com/net.png"}}},
	}, "alerts_total": 2}
	m := Render(notification(t, ev).Payload)
	want := []Link{{"CPU graph", "https://grafana.example.com/d/1"}, {"Image", "https://img.example.com/mem.png"}, {"Disk", "https://img.example.com/disk.png"}}
	if !reflect.DeepEqual(m.Images, want) {
		t.Fatalf("images %+v, want %+v", m.Images, want)
	}
	links := m.Links()
	if len(links) < 3 || !reflect.DeepEqual(links[len(links)-3:], want) || links[0].Label != "Acknowledge" {
		t.Errorf("links %+v", links)
	}
}

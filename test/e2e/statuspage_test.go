package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mmcdole/gofeed"
)

// TestStatusPageFollowsAProbe: a probe's target stops, and the component
// bound to it turns major_outage; Tocsin opens a public incident that the
// HTML page, summary.json and the Atom feed show, and that a webhook
// subscriber and a confirmed email subscriber each hear of once per
// update. A responder posts "identified" and "monitoring" through the
// API; the target recovers, Tocsin resolves the incident, and all three
// views are operational again. The probe's own incident, linked to the
// public one, has each public update on its timeline.
func TestStatusPageFollowsAProbe(t *testing.T) {
	target := newSwitchableTarget(t)
	mx := startMailServer(t)
	hooks := newHookRecorder(t)

	in := newInstance(t, fmt.Sprintf(`
links_secret: "e2e-links-secret-0123456789abcdef-0123"
smtp: {host: 127.0.0.1, port: %d, from: "Status <status@example.com>", tls: none}
checks:
  - name: api-probe
    probe: {type: http, url: "%s/health", timeout: 1s}
    interval: 2s
    failures_before_down: 1
status_pages:
  - slug: public
    title: Example Inc. status
    time_zone: Europe/Berlin
    hostname: status.example.test
    components:
      - {name: API, checks: [api-probe]}
`, mx.port, target.url()))
	srv := in.start()
	page := srv.base + "/status/public"

	// The page is up, and everything is operational.
	eventually(t, 20*time.Second, 100*time.Millisecond, "the API operational", func() (bool, string) {
		sum := readSummary(t, page)
		return sum.status("API") == "operational" && sum.Status.Indicator == "none", fmt.Sprintf("%+v", sum)
	})
	apiID := readSummary(t, page).id("API")

	// On its own hostname the page is at the root.
	req, _ := http.NewRequest("GET", srv.base+"/api/v2/summary.json", nil)
	req.Host = "status.example.test"
	if resp, err := apiClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("summary.json at the root of the page's hostname: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Subscribers: a webhook through the API, an address through the
	// page's form, confirmed from the mail (double opt-in).
	var hook struct {
		ID int64 `json:"id"`
	}
	srv.mustJSON("POST", "/api/v1/status-pages/public/subscribers", map[string]string{"url": hooks.srv.URL + "/status"}, &hook)
	code, body := post(t, page+"/subscribe", "application/x-www-form-urlencoded", url.Values{"email": {"ana@example.com"}}.Encode())
	if code != http.StatusOK {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	confirm := mx.await(t, 1)[0]
	if !strings.Contains(confirm.text, "confirm") {
		t.Fatalf("the first mail is not the confirmation:\n%s", confirm.text)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(page) + `/subscriptions/[A-Za-z0-9_-]+`).FindString(confirm.text)
	if link == "" {
		t.Fatalf("no subscription link in the confirmation:\n%s", confirm.text)
	}
	if code, body := post(t, link+"/confirm", "application/x-www-form-urlencoded", ""); code != http.StatusOK {
		t.Fatalf("confirm: %d %s", code, body)
	}

	// The target stops: major outage, and a public incident.
	target.set(false)
	var name string
	eventually(t, 30*time.Second, 100*time.Millisecond, "a major outage with an incident", func() (bool, string) {
		sum := readSummary(t, page)
		if sum.status("API") != "major_outage" || len(sum.Incidents) != 1 {
			return false, fmt.Sprintf("%+v", sum)
		}
		name = sum.Incidents[0].Name
		return sum.Incidents[0].Status == "investigating" && sum.Status.Indicator != "none", fmt.Sprintf("%+v", sum)
	})
	html := get(t, page)
	if !strings.Contains(html, name) || !strings.Contains(html, "Investigating") {
		t.Errorf("the HTML page does not show the incident %q:\n%.2000s", name, html)
	}
	feed := readFeed(t, page+"/history.atom")
	if len(feed.Items) == 0 || !strings.Contains(feed.Items[0].Title, name) {
		t.Errorf("the feed's newest entry is not the incident %q: %+v", name, feed.Items)
	}
	// The public views name no check and show no UUID.
	var checks struct {
		Checks []apiCheck `json:"checks"`
	}
	srv.mustAPI("GET", "/api/v1/checks", &checks)
	for _, doc := range []string{page, page + "/api/v2/summary.json", page + "/api/v2/incidents.json", page + "/history.atom"} {
		body := get(t, doc)
		for _, secret := range []string{"api-probe", checks.Checks[0].UUID, "/health"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q", doc, secret)
			}
		}
	}
	var id string
	if sum := readSummary(t, page); len(sum.Incidents) == 1 {
		id = sum.Incidents[0].ID
		if len(sum.Incidents[0].Components) != 1 || sum.Incidents[0].Components[0].ID != apiID {
			t.Errorf("the incident's components: %+v, want the API (%s)", sum.Incidents[0].Components, apiID)
		}
	}
	hooks.await(t, 1)
	mx.await(t, 2) // the confirmation, and the incident

	// The probe's own incident opens once the probe guard has looked
	// twice (probes.guard.settle); Tocsin links it to the public incident,
	// and its timeline records what the public was told.
	var internal int64
	eventually(t, 30*time.Second, 100*time.Millisecond, "the internal incident linked", func() (bool, string) {
		open := srv.incidents("status=open")
		if len(open) != 1 {
			return false, fmt.Sprintf("open incidents: %+v", open)
		}
		internal = open[0].ID
		return publicUpdates(srv.incident(internal)) == 1, fmt.Sprintf("timeline: %v", srv.incident(internal).kinds())
	})

	// A responder speaks: identified, then monitoring.
	for _, st := range []string{"identified", "monitoring"} {
		srv.mustJSON("POST", "/api/v1/status-pages/public/incidents/"+id+"/updates",
			map[string]string{"status": st, "body": "Update: " + st + "."}, nil)
	}
	hooks.await(t, 3)
	mx.await(t, 4)

	// The target recovers: Tocsin resolves its incident.
	target.set(true)
	eventually(t, 30*time.Second, 100*time.Millisecond, "operational, the incident resolved", func() (bool, string) {
		sum := readSummary(t, page)
		return sum.status("API") == "operational" && sum.Status.Indicator == "none" && len(sum.Incidents) == 0,
			fmt.Sprintf("%+v", sum)
	})
	var all struct {
		Incidents []spIncident `json:"incidents"`
	}
	getJSON(t, page+"/api/v2/incidents.json", &all)
	if len(all.Incidents) != 1 || all.Incidents[0].Status != "resolved" || len(all.Incidents[0].Updates) != 4 {
		t.Fatalf("incidents.json after recovery: %+v", all.Incidents)
	}
	if html := get(t, page); !strings.Contains(html, "All Systems Operational") {
		t.Errorf("the HTML page is not operational after recovery:\n%.2000s", html)
	}
	feed = readFeed(t, page+"/history.atom")
	if len(feed.Items) == 0 || !strings.Contains(strings.ToLower(feed.Items[0].Title+feed.Items[0].Content+feed.Items[0].Description), "resolved") {
		t.Errorf("the feed's newest entry is not the resolution: %+v", feed.Items[0])
	}

	// Each subscriber heard of each of the four updates exactly once, the
	// webhook as Statuspage sends it, and every mail can unsubscribe.
	got := hooks.await(t, 4)
	mails := mx.await(t, 5)[1:]
	time.Sleep(2 * time.Second) // let a duplicate, were there one, arrive
	if n := len(hooks.all()); n != 4 {
		t.Errorf("webhook deliveries: %d, want 4 (one per update)", n)
	}
	if n := len(mx.all()); n != 5 {
		t.Errorf("mails: %d, want 5 (the confirmation and one per update)", n)
	}
	var statuses []string
	for _, h := range got {
		var p struct {
			Meta struct {
				Unsubscribe string `json:"unsubscribe"`
			} `json:"meta"`
			Page struct {
				ID        string `json:"id"`
				Indicator string `json:"status_indicator"`
			} `json:"page"`
			Incident struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				Updates []struct {
					Status string `json:"status"`
				} `json:"incident_updates"`
			} `json:"incident"`
		}
		if err := json.Unmarshal(h, &p); err != nil {
			t.Fatalf("webhook body: %v: %s", err, h)
		}
		if p.Incident.ID != id || p.Meta.Unsubscribe == "" || p.Page.ID == "" {
			t.Errorf("webhook body: %s", h)
		}
		statuses = append(statuses, p.Incident.Status+"/"+p.Page.Indicator)
	}
	// The page's status as each update left it: a major outage of the
	// one component is critical until it recovers.
	if want := []string{"investigating/critical", "identified/critical", "monitoring/critical", "resolved/none"}; strings.Join(statuses, " ") != strings.Join(want, " ") {
		t.Errorf("webhook incident status/page indicator %v, want %v", statuses, want)
	}
	for i, m := range mails {
		if !strings.Contains(m.text, "/subscriptions/") || m.header.Get("List-Unsubscribe") == "" {
			t.Errorf("mail %d has no unsubscribe link:\n%s", i, m.text)
		}
		if !strings.Contains(m.subject, name) {
			t.Errorf("mail %d subject %q does not name the incident %q", i, m.subject, name)
		}
	}

	// The internal incident's timeline records each public update.
	if n := publicUpdates(srv.incident(internal)); n != 4 {
		t.Errorf("the internal incident's timeline has %d public updates, want 4: %v", n, srv.incident(internal).kinds())
	}
}

// publicUpdates counts the public updates on an incident's timeline.
func publicUpdates(in apiIncident) int {
	n := 0
	for _, e := range in.Timeline {
		if e.Kind == "status_page.update" {
			n++
		}
	}
	return n
}

// mustJSON sends body as JSON with the admin token, and decodes a 2xx
// answer into out (if not nil).
func (s *server) mustJSON(method, path string, body, out any) {
	s.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := apiClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			s.t.Fatalf("%s %s: %v: %s", method, path, err, rb)
		}
	}
}

// Statuspage's documents, as the test reads them.
type (
	spSummary struct {
		Status struct {
			Indicator   string `json:"indicator"`
			Description string `json:"description"`
		} `json:"status"`
		Components []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"components"`
		Incidents []spIncident `json:"incidents"`
	}
	spIncident struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Status     string `json:"status"`
		Components []struct {
			ID string `json:"id"`
		} `json:"components"`
		Updates []struct {
			Status string `json:"status"`
			Body   string `json:"body"`
		} `json:"incident_updates"`
	}
)

func (s spSummary) status(name string) string {
	for _, c := range s.Components {
		if c.Name == name {
			return c.Status
		}
	}
	return ""
}

func (s spSummary) id(name string) string {
	for _, c := range s.Components {
		if c.Name == name {
			return c.ID
		}
	}
	return ""
}

func readSummary(t *testing.T, page string) spSummary {
	t.Helper()
	var s spSummary
	getJSON(t, page+"/api/v2/summary.json", &s)
	return s
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := apiClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", u, resp.StatusCode, err, b)
	}
	return string(b)
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, u)), out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// readFeed parses the Atom feed at u with gofeed, as feed readers do.
func readFeed(t *testing.T, u string) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(get(t, u))
	if err != nil {
		t.Fatalf("parse %s: %v", u, err)
	}
	return f
}

// switchableTarget is a probe's target that answers 200 or 503.
type switchableTarget struct {
	mu  sync.Mutex
	up  bool
	srv *httptest.Server
}

func newSwitchableTarget(t *testing.T) *switchableTarget {
	tg := &switchableTarget{up: true}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.mu.Lock()
		up := tg.up
		tg.mu.Unlock()
		if !up {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *switchableTarget) url() string { return tg.srv.URL }

func (tg *switchableTarget) set(up bool) {
	tg.mu.Lock()
	tg.up = up
	tg.mu.Unlock()
}

// hookRecorder records the bodies POSTed to it.
type hookRecorder struct {
	mu     sync.Mutex
	bodies [][]byte
	srv    *httptest.Server
}

func newHookRecorder(t *testing.T) *hookRecorder {
	h := &hookRecorder{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookRecorder) all() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

func (h *hookRecorder) await(t *testing.T, n int) [][]byte {
	t.Helper()
	eventually(t, 30*time.Second, 50*time.Millisecond, fmt.Sprintf("%d webhook deliveries", n), func() (bool, string) {
		got := h.all()
		return len(got) >= n, fmt.Sprintf("%d so far", len(got))
	})
	return h.all()
}

// mailServer is a real SMTP server (go-smtp) that keeps what it is sent.
type mailServer struct {
	port  int
	mu    sync.Mutex
	mails []receivedMail
}

type receivedMail struct {
	header  mail.Header
	subject string
	text    string // the text/plain part, decoded
}

func startMailServer(t *testing.T) *mailServer {
	m := &mailServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: m}, nil }))
	s.Domain = "mx.test"
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.port = l.Addr().(*net.TCPAddr).Port
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return m
}

func (m *mailServer) all() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.mails...)
}

func (m *mailServer) await(t *testing.T, n int) []receivedMail {
	t.Helper()
	eventually(t, 30*time.Second, 50*time.Millisecond, fmt.Sprintf("%d mails", n), func() (bool, string) {
		got := m.all()
		return len(got) >= n, fmt.Sprintf("%d so far", len(got))
	})
	return m.all()
}

type mailSession struct{ srv *mailServer }

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }

func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	text, err := plainText(msg.Header.Get("Content-Type"), msg.Body)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, receivedMail{header: msg.Header, subject: subject, text: text})
	s.srv.mu.Unlock()
	return nil
}

// plainText returns the text/plain part of a message body, decoded.
func plainText(contentType string, body io.Reader) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(body)
		return string(b), err
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			return "", fmt.Errorf("no text/plain part: %w", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(p)
			return string(b), err
		}
	}
}

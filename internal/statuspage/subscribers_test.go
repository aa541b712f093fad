package statuspage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
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

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/outbox"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// mailbox is a real SMTP server (go-smtp) that keeps what it gets, by
// recipient.
type mailbox struct {
	mu   sync.Mutex
	msgs map[string][][]byte
}

type mailSession struct {
	box *mailbox
	to  []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	for _, to := range s.to {
		s.box.msgs[to] = append(s.box.msgs[to], b)
	}
	s.box.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	box := &mailbox{msgs: map[string][][]byte{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: box}, nil }))
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

func (m *mailbox) of(to string) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]byte(nil), m.msgs[to]...)
}

// letter is a received mail: its header and its text part.
type letter struct {
	header mail.Header
	text   string
}

func readLetter(t *testing.T, raw []byte) letter {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(quotedprintable.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			return letter{header: msg.Header, text: string(b)}
		}
	}
}

// hooks is a webhook receiver on 127.0.0.1.
type hooks struct {
	mu   sync.Mutex
	got  []map[string]any
	keys []string
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc map[string]any
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, doc)
	h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
	h.mu.Unlock()
}

func (h *hooks) all() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.got...)
}

// subsFixture is a status page with subscribers: a real store, the real
// outbox delivering through a real SMTP server and to a real webhook
// receiver, and the handlers served over HTTP.
type subsFixture struct {
	db   *store.DB
	subs *Subscribers
	box  *mailbox
	srv  *httptest.Server
	page SubscriberPage
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newSubsFixture(t *testing.T, clk clock.Clock) *subsFixture {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, port := startMailbox(t)
	f := &subsFixture{db: db, box: box}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f.subs = &Subscribers{DB: db, Clock: clk, Log: testkit.Logger(), Key: func() []byte { return testKey },
		ClientAddr: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /status/{slug}/subscribe", f.subs.Subscribe)
	mux.HandleFunc("GET /status/{slug}/subscriptions/{token}", f.subs.ShowSubscription)
	mux.HandleFunc("POST /status/{slug}/subscriptions/{token}/confirm", f.subs.ConfirmSubscription)
	mux.HandleFunc("POST /status/{slug}/subscriptions/{token}/unsubscribe", f.subs.Unsubscribe)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.page = SubscriberPage{Page: Page{ID: "pg1", Slug: "public", Name: "Example status", URL: f.srv.URL + "/status/public",
		Location: berlin}, Components: []Component{{ID: "api", Name: "API"}, {ID: "regions", Name: "Regions", Group: true, Members: []string{"eu"}},
		{ID: "eu", Name: "EU", GroupID: "regions"}}, Email: true}
	f.subs.Pages = func(slug string) (SubscriberPage, bool) {
		switch slug {
		case "public":
			return f.page, true
		case "nomail":
			p := f.page
			p.Slug, p.Email = "nomail", false
			return p, true
		}
		return SubscriberPage{}, false
	}

	senders := notify.Default(http.DefaultClient, "test", notify.Settings{SMTP: func() kind.SMTP {
		return kind.SMTP{Host: "127.0.0.1", Port: port, From: "Status <status@example.com>", TLS: "none"}
	}})
	d := outbox.New(db, clock.Real{}, testkit.Logger(), senders, SubscriberChannel,
		func() outbox.Config {
			return outbox.Config{PerChannel: 2, MaxAttempts: 3, BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}
		}, "test")
	f.subs.Queued = d.Poke
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { (&job.Runner{Clock: clock.Real{}, Log: testkit.Logger()}).Run(ctx, d.Job()); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// post sends a form as the client addr and returns the status and body.
func (f *subsFixture) post(t *testing.T, path, addr string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Client", addr)
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var manageLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+/status/public/subscriptions/[A-Za-z0-9_-]+`)

// subscribe subscribes addr through the form and returns the link of
// the mail asking to confirm.
func (f *subsFixture) subscribe(t *testing.T, addr, component string) string {
	t.Helper()
	before := len(f.box.of(addr))
	resp, body := f.post(t, "/status/public/subscribe", "192.0.2.1", url.Values{"email": {addr}, "component": {component}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("subscribe %s: %d %s", addr, resp.StatusCode, body)
	}
	testkit.Eventually(t, "the mail asking "+addr+" to confirm", func() bool { return len(f.box.of(addr)) == before+1 })
	l := readLetter(t, f.box.of(addr)[before])
	link := manageLink.FindString(l.text)
	if link == "" || !strings.Contains(l.header.Get("Subject"), "Confirm your subscription to Example status") {
		t.Fatalf("confirm mail: %s\n%s", l.header.Get("Subject"), l.text)
	}
	if got := l.header.Get("List-Unsubscribe"); got != "<"+link+"/unsubscribe>" {
		t.Fatalf("List-Unsubscribe %q, want the unsubscribe link of %s", got, link)
	}
	return link
}

func (f *subsFixture) publish(t *testing.T, n Notice) int {
	t.Helper()
	var added int
	if err := f.db.Write(context.Background(), func(tx *store.Tx) (err error) {
		added, err = f.subs.EnqueueUpdate(context.Background(), tx, n)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.subs.Queued()
	return added
}

func notice(f *subsFixture, id, status, body string, components ...string) Notice {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	u := Update{ID: id, IncidentID: "inc1", Status: IncidentStatus(status), Body: body, CreatedAt: at, DisplayAt: at}
	return Notice{Page: f.page.Page, Components: f.page.Components, Indicator: "major", Description: "Partial System Outage",
		Incident: Incident{ID: "inc1", Name: "Slow " + strings.Join(components, "+"), Status: IncidentStatus(status),
			Impact: ImpactMajor, CreatedAt: at, UpdatedAt: at, Components: components, Updates: []Update{u}},
		Update: u}
}

// TestSubscribersHearOfUpdates: double opt-in through the form and the
// mail's link; only confirmed subscribers of the page or of a touched
// component (or its group) hear of an update, once each however often it
// is queued, and an address subscribed twice once; every mail's
// unsubscribe link works, and ends the mail.
func TestSubscribersHearOfUpdates(t *testing.T) {
	f := newSubsFixture(t, clock.Real{})
	ctx := context.Background()
	receiver := &hooks{}
	hookSrv := httptest.NewServer(receiver)
	defer hookSrv.Close()

	anaLink := f.subscribe(t, "ana@example.com", "")
	boLink := f.subscribe(t, "bo@example.com", "eu")
	f.subscribe(t, "cy@example.com", "") // never confirms
	anaEULink := f.subscribe(t, "ana@example.com", "eu")
	danLink := f.subscribe(t, "dan@example.com", "regions")

	// The link's page changes nothing; its button confirms.
	resp, body := send(t, mustRequest(t, "GET", anaLink))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/confirm") || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("GET link: %d %s", resp.StatusCode, body)
	}
	if list, _ := f.db.StatusSubscribers(ctx, "public"); !list[0].ConfirmedAt.IsZero() {
		t.Fatal("GET of the link confirmed the subscription")
	}
	for _, link := range []string{anaLink, boLink, anaEULink, danLink} {
		if resp, body := send(t, mustRequest(t, "POST", link+"/confirm")); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Subscribed") {
			t.Fatalf("confirm: %d %s", resp.StatusCode, body)
		}
	}
	var hook store.StatusSubscriber
	if err := f.db.Write(ctx, func(tx *store.Tx) (err error) {
		hook, _, err = f.subs.AddWebhook(ctx, tx, "public", "api", hookSrv.URL+"/statuspage")
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// An incident of api: ana (the whole page) and the webhook of api
	// hear of it; bo (eu) and cy (unconfirmed) do not. Queued twice, it
	// is sent once.
	n := notice(f, "u1", "investigating", "The API answers slowly.", "api")
	if added := f.publish(t, n); added != 2 {
		t.Fatalf("queued %d notifications, want 2 (ana and the webhook)", added)
	}
	if added := f.publish(t, n); added != 0 {
		t.Fatalf("queued %d on the second call, want none", added)
	}
	testkit.Eventually(t, "ana's mail and the webhook", func() bool {
		return len(f.box.of("ana@example.com")) == 3 && len(receiver.all()) == 1
	})
	l := readLetter(t, f.box.of("ana@example.com")[2])
	for _, want := range []string{"Slow api", "Status: Investigating", "The API answers slowly.", "Affected: API",
		"2026-12-07 10:30 CET (2026-12-07 09:30 UTC)", "Status page: " + f.page.URL, "Unsubscribe: " + anaLink} {
		if !strings.Contains(l.text, want) {
			t.Errorf("the update mail lacks %q:\n%s", want, l.text)
		}
	}
	if got := l.header.Get("Subject"); got != "[Example status] Slow api: Investigating" {
		t.Errorf("subject %q", got)
	}
	doc := receiver.all()[0]
	meta, _ := doc["meta"].(map[string]any)
	incident, _ := doc["incident"].(map[string]any)
	page, _ := doc["page"].(map[string]any)
	updates, _ := incident["incident_updates"].([]any)
	if meta["unsubscribe"] == nil || !strings.HasPrefix(meta["unsubscribe"].(string), f.page.URL+"/subscriptions/") ||
		page["id"] != "pg1" || page["status_indicator"] != "major" || incident["name"] != "Slow api" ||
		incident["status"] != "investigating" || len(updates) != 1 || updates[0].(map[string]any)["body"] != "The API answers slowly." {
		t.Fatalf("webhook payload %v", doc)
	}
	receiver.mu.Lock()
	if key := receiver.keys[0]; key != fmt.Sprintf("status:public:update:u1:subscriber:%d", hook.ID) {
		t.Errorf("Idempotency-Key %q", key)
	}
	receiver.mu.Unlock()

	// An incident of eu: ana (once, though subscribed to the page and to
	// eu), bo (eu) and dan (its group).
	if added := f.publish(t, notice(f, "u2", "identified", "A region is down.", "eu")); added != 3 {
		t.Fatalf("queued %d notifications of eu, want 3 (ana, bo, dan)", added)
	}
	testkit.Eventually(t, "ana's, bo's and dan's mails", func() bool {
		return len(f.box.of("ana@example.com")) == 4 && len(f.box.of("bo@example.com")) == 2 && len(f.box.of("dan@example.com")) == 2
	})
	boMail := readLetter(t, f.box.of("bo@example.com")[1])
	if !strings.Contains(boMail.text, "A region is down.") || !strings.Contains(boMail.text, "subscribed to Example status (EU)") {
		t.Fatalf("bo's mail:\n%s", boMail.text)
	}

	// Every update mail's one-click unsubscribe works (RFC 8058).
	unsub := strings.Trim(boMail.header.Get("List-Unsubscribe"), "<>")
	req := mustRequest(t, "POST", unsub)
	req.Body = io.NopCloser(strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := send(t, req); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Unsubscribed") {
		t.Fatalf("one-click unsubscribe: %d %s", resp.StatusCode, body)
	}
	// And the link in ana's text.
	if resp, _ := send(t, mustRequest(t, "POST", manageLink.FindString(l.text)+"/unsubscribe")); resp.StatusCode != http.StatusOK {
		t.Fatalf("unsubscribe: %d", resp.StatusCode)
	}
	if resp, _ := send(t, mustRequest(t, "GET", anaLink)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the link of an ended subscription: %d, want 404", resp.StatusCode)
	}

	// After that, only the webhook hears of api.
	if added := f.publish(t, notice(f, "u3", "resolved", "All good.", "api")); added != 1 {
		t.Fatalf("queued %d after unsubscribing, want the webhook's only", added)
	}
	testkit.Eventually(t, "the webhook's second post", func() bool { return len(receiver.all()) == 2 })
	all, err := f.db.Notifications(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	perTarget := map[string]int{}
	for _, n := range all {
		if n.Event == EventSubscriberUpdate {
			perTarget[n.Target]++
		}
	}
	want := map[string]int{"ana@example.com": 2, "bo@example.com": 1, "dan@example.com": 1, hookSrv.URL + "/statuspage": 2}
	if fmt.Sprint(perTarget) != fmt.Sprint(want) {
		t.Fatalf("update notifications by target %v, want %v (none for cy, who never confirmed)", perTarget, want)
	}
	if got := len(f.box.of("cy@example.com")); got != 1 {
		t.Fatalf("cy got %d mails, want the confirmation only", got)
	}
	// Every mail, of every kind, can unsubscribe.
	f.box.mu.Lock()
	defer f.box.mu.Unlock()
	for to, msgs := range f.box.msgs {
		for i, raw := range msgs {
			l := readLetter(t, raw)
			if !strings.HasPrefix(l.header.Get("List-Unsubscribe"), "<"+f.page.URL+"/subscriptions/") ||
				!strings.Contains(l.text, f.page.URL+"/subscriptions/") {
				t.Errorf("mail %d to %s has no unsubscribe link:\n%s", i, to, l.text)
			}
		}
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSubscribeForm: the same answer for an address already subscribed;
// clear refusals of bad input, of an unknown component and of a page
// without mail; 429 with Retry-After past the limits, per client and per
// address.
func TestSubscribeForm(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	f := newSubsFixture(t, clk)
	link := f.subscribe(t, "ana@example.com", "")
	if resp, _ := send(t, mustRequest(t, "POST", link+"/confirm")); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	form := url.Values{"email": {"ana@example.com"}}
	_, first := f.post(t, "/status/public/subscribe", "192.0.2.2", url.Values{"email": {"new@example.com"}})
	resp, again := f.post(t, "/status/public/subscribe", "192.0.2.2", form)
	if resp.StatusCode != http.StatusOK || again != strings.ReplaceAll(first, "new@example.com", "ana@example.com") {
		t.Fatalf("subscribing a subscribed address: %d\n%s\nwant the answer of a new one:\n%s", resp.StatusCode, again, first)
	}

	for _, c := range []struct {
		path  string
		form  url.Values
		code  int
		words string
	}{
		{"/status/public/subscribe", url.Values{"email": {"not an address"}}, 400, "one email address"},
		{"/status/public/subscribe", url.Values{"email": {"Ana <ana@example.com>"}}, 400, "one email address"},
		{"/status/public/subscribe", url.Values{}, 400, "give an email address"},
		{"/status/public/subscribe", url.Values{"email": {"ana@localhost"}}, 400, "full domain"},
		{"/status/public/subscribe", url.Values{"email": {"ana@example.com"}, "component": {"nope"}}, 400, "no such component"},
		{"/status/nomail/subscribe", form, 503, "no mail server is configured"},
		{"/status/nope/subscribe", form, 404, "No such status page"},
	} {
		resp, body := f.post(t, c.path, "192.0.2.3", c.form)
		if resp.StatusCode != c.code || !strings.Contains(body, c.words) {
			t.Errorf("%s %v: %d %s, want %d with %q", c.path, c.form, resp.StatusCode, body, c.code, c.words)
		}
		clk.Advance(time.Minute) // one client, but not too fast
	}
	if resp, _ := send(t, mustRequest(t, "POST", f.srv.URL+"/status/public/subscriptions/forged/confirm")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("confirming with a forged token: %d, want 404", resp.StatusCode)
	}

	// Per client: a burst, then 429 until a token is back.
	var last *http.Response
	for i := 0; i < int(clientLimit.burst)+1; i++ {
		last, _ = f.post(t, "/status/public/subscribe", "198.51.100.7", url.Values{"email": {fmt.Sprintf("x%d@example.com", i)}})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") != "60" {
		t.Fatalf("past the client's burst: %d, Retry-After %q; want 429 and 60", last.StatusCode, last.Header.Get("Retry-After"))
	}
	clk.Advance(clientLimit.every)
	if resp, _ := f.post(t, "/status/public/subscribe", "198.51.100.7", url.Values{"email": {"later@example.com"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("a minute later: %d", resp.StatusCode)
	}

	// Per address: whoever asks, a few mails, then 429.
	for i := 0; i < int(addressLimit.burst)+1; i++ {
		last, _ = f.post(t, "/status/public/subscribe", fmt.Sprintf("203.0.113.%d", i), url.Values{"email": {"Target@Example.com"}})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("past the address's burst: %d", last.StatusCode)
	}
}

// TestBucketsAreBounded: a flood of keys keeps at most capacity buckets,
// refusing new keys while every bucket is in use, and makes room again
// once they refill.
func TestBucketsAreBounded(t *testing.T) {
	var b buckets
	l := bucketLimit{burst: 2, every: time.Minute, capacity: 3}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if _, ok := b.take(fmt.Sprint(i), now, l); !ok {
			t.Fatalf("key %d refused", i)
		}
	}
	if _, ok := b.take("3", now, l); ok {
		t.Fatal("a fourth key was let in while three buckets are in use")
	}
	if _, ok := b.take("3", now.Add(time.Minute), l); !ok || len(b.m) != 1 {
		t.Fatalf("after the buckets refilled: %v, %d buckets kept", ok, len(b.m))
	}
}

// TestSubscriberChannel: the outbox lanes of subscribers resolve to the
// sender types, and nothing else does.
func TestSubscriberChannel(t *testing.T) {
	for name, typ := range map[string]string{"status:public:email": "email", "status:public:webhook:7": "webhook", "status:public:sms": "",
		"ops": "", "contact:ana:0": ""} {
		ch, ok := SubscriberChannel(name)
		if ok != (typ != "") || ch.Type != typ || (ok && (ch.Timeout <= 0 || ch.Name != name)) {
			t.Errorf("%s: %+v %v, want type %q", name, ch, ok, typ)
		}
	}
}

// TestNewKeyKeepsMailedLinksWorking: after the key of the links changes
// (links_secret was replaced), the links mailed before work until the
// next mail, whose links work from then on.
func TestNewKeyKeepsMailedLinksWorking(t *testing.T) {
	f := newSubsFixture(t, clock.Real{})
	link := f.subscribe(t, "ana@example.com", "")
	if resp, _ := send(t, mustRequest(t, "POST", link+"/confirm")); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	newKey := []byte("another key, of 32 characters...")
	f.subs.Key = func() []byte { return newKey }
	if resp, _ := send(t, mustRequest(t, "GET", link)); resp.StatusCode != http.StatusOK {
		t.Fatalf("the old link before a mail with the new key: %d, want it working still", resp.StatusCode)
	}
	f.publish(t, notice(f, "u1", "investigating", "Slow.", "api"))
	testkit.Eventually(t, "the update mail", func() bool { return len(f.box.of("ana@example.com")) == 2 })
	fresh := manageLink.FindString(readLetter(t, f.box.of("ana@example.com")[1]).text)
	if fresh == link || fresh == "" {
		t.Fatalf("the mail's link %q, want a new one", fresh)
	}
	if resp, body := send(t, mustRequest(t, "GET", fresh)); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Unsubscribe") {
		t.Fatalf("the new link: %d %s", resp.StatusCode, body)
	}
}

package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/net/html"

	"github.com/tocsinhq/tocsin"
)

// --- a real SMTP server (go-smtp) that records what it is told ---

type testServer struct {
	srv  *smtp.Server
	host string
	port int

	users   map[string]string // AUTH accepts these
	mechs   []string          // offered mechanisms; nil: PLAIN
	rcptErr error             // returned for every RCPT TO

	mu       sync.Mutex
	sessions []*recSession
}

type recSession struct {
	srv      *testServer
	helo     string
	tls      bool
	authTry  string // mechanism tried, if any
	authUser string // authenticated user
	from     string
	to       []string
	data     []byte
}

type serverOpts struct {
	tls               bool // offer STARTTLS
	implicit          bool // TLS from the first byte
	allowInsecureAuth bool
	users             map[string]string
	mechs             []string
	rcptErr           error
}

func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	ts := &testServer{users: o.users, mechs: o.mechs, rcptErr: o.rcptErr}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s := &recSession{srv: ts, helo: c.Hostname()}
		_, s.tls = c.TLSConnectionState()
		ts.mu.Lock()
		ts.sessions = append(ts.sessions, s)
		ts.mu.Unlock()
		return s, nil
	})
	ts.srv = smtp.NewServer(be)
	ts.srv.Domain = "mx.test"
	ts.srv.AllowInsecureAuth = o.allowInsecureAuth
	ts.srv.ErrorLog = log.New(io.Discard, "", 0)
	ts.srv.ReadTimeout = 10 * time.Second
	ts.srv.WriteTimeout = 10 * time.Second
	serverTLS, _ := testPKI(t)
	if o.tls || o.implicit {
		ts.srv.TLSConfig = serverTLS
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		l = tls.NewListener(l, serverTLS)
	}
	ts.host, ts.port = "127.0.0.1", l.Addr().(*net.TCPAddr).Port
	go ts.srv.Serve(l)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

func (ts *testServer) all() []*recSession {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]*recSession(nil), ts.sessions...)
}

// delivered returns the sessions that carried a message.
func (ts *testServer) delivered() []*recSession {
	var out []*recSession
	for _, s := range ts.all() {
		ts.mu.Lock()
		if s.data != nil {
			out = append(out, s)
		}
		ts.mu.Unlock()
	}
	return out
}

func (s *recSession) AuthMechanisms() []string {
	if s.srv.mechs != nil {
		return s.srv.mechs
	}
	return []string{sasl.Plain}
}

func (s *recSession) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.authTry = mech
	s.srv.mu.Unlock()
	check := func(user, pass string) error {
		if want, ok := s.srv.users[user]; !ok || want != pass {
			return smtp.ErrAuthFailed
		}
		s.srv.mu.Lock()
		s.authUser = user
		s.srv.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil { // an initial response is the username
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("unexpected LOGIN step")
}

func (s *recSession) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.users != nil && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *recSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.rcptErr != nil {
		return s.srv.rcptErr
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.to = append(s.to, to)
	return nil
}

func (s *recSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.data = b
	return nil
}

func (s *recSession) Reset()        {}
func (s *recSession) Logout() error { return nil }

// --- a test CA and a leaf for 127.0.0.1 ---

var (
	pkiOnce   sync.Once
	pkiServer *tls.Config
	pkiRoots  *x509.CertPool
	pkiErr    error
)

func testPKI(t *testing.T) (server *tls.Config, roots *x509.CertPool) {
	t.Helper()
	pkiOnce.Do(func() { pkiServer, pkiRoots, pkiErr = makePKI() })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiServer, pkiRoots
}

func makePKI() (*tls.Config, *x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Tocsin test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}}},
		roots, nil
}

// --- payloads ---

const (
	ackURL     = "https://tocsin.example/a/ack?incident=42&user=ana&exp=1767225600&sig=q1w2e3_r4-t5y6"
	resolveURL = "https://tocsin.example/a/resolve?incident=42&user=ana&exp=1767225600&sig=z9x8c7_v6-b5n4"
	incURL     = "https://tocsin.example/incidents/42"
	password   = "correct horse battery staple"
)

// pagePayload is an escalation page of an alert incident with hostile
// text and twelve alerts, as incident.PageRecipients writes it.
func pagePayload(t testing.TB) []byte {
	var alerts []map[string]any
	for i := range 12 {
		a := map[string]any{"integration": "alertmanager", "summary": "disk full on db-" + string(rune('a'+i)),
			"severity": "critical", "labels": map[string]string{"alertname": "DiskFull", "instance": "db-" + string(rune('a'+i))},
			"links": []map[string]string{{"href": "https://grafana.example/d/disk?var-host=db&from=now-1h", "text": "Dashboard"}}}
		if i == 0 {
			a["summary"] = `<script>alert("pwned")</script> & friends`
			a["links"] = []map[string]string{{"href": "javascript:alert(1)", "text": "<b>click</b>"}}
		}
		alerts = append(alerts, a)
	}
	ev := map[string]any{
		"idempotency_key": "tocsin-incident-42-page-payments-l1-r1-mail-ana",
		"event":           tocsin.EventTriggered,
		"occurred_at":     "2026-03-01T10:00:00.123Z",
		"reason":          "12 alerts firing\n.\n..dots at the start of lines\n.",
		"incident": map[string]any{"id": 42, "title": "checkout down — caisse <script>x()</script>", "status": "triggered",
			"url": incURL, "opened_at": "2026-03-01T09:58:00Z"},
		"service":    "payments",
		"priority":   "P1",
		"evidence":   map[string]any{"alerts": alerts, "alerts_total": 12},
		"recipient":  "ana",
		"escalation": map[string]any{"policy": "payments", "level": 1, "round": 1, "why": "on call in schedule primary"},
		"links":      map[string]any{"acknowledge": ackURL, "resolve": resolveURL},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pageNotification(t testing.TB) *tocsin.Notification {
	return &tocsin.Notification{ID: 7, IdempotencyKey: "tocsin-incident-42-page-payments-l1-r1-mail-ana",
		Channel: "mail-ana", Event: tocsin.EventTriggered, IncidentID: 42, Payload: pagePayload(t)}
}

func settingsFor(t *testing.T, ts *testServer, mode string) Settings {
	_, roots := testPKI(t)
	return Settings{Host: ts.host, Port: ts.port, Username: "tocsin", Password: password,
		From: "Tocsin <tocsin@example.com>", TLS: mode, HeloName: "tocsin-test.example",
		TLSConfig: &tls.Config{RootCAs: roots}}
}

func fixed(s Settings) *Sender { return &Sender{Settings: func() Settings { return s }} }

var anaChannel = tocsin.Channel{Name: "mail-ana", Type: "email", URL: "Ana <ana@example.com>"}

func send(t *testing.T, s *Sender, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, ch, n)
}

// --- tests ---

func TestSendStartTLSAuthPlain(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	retry, err := send(t, fixed(settingsFor(t, ts, "")), anaChannel, pageNotification(t))
	if err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	got := ts.delivered()
	if len(got) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(got))
	}
	s := got[0]
	if !s.tls || s.authUser != "tocsin" || s.authTry != "PLAIN" || s.helo != "tocsin-test.example" {
		t.Errorf("session tls=%v auth=%q/%q helo=%q", s.tls, s.authTry, s.authUser, s.helo)
	}
	if s.from != "tocsin@example.com" || len(s.to) != 1 || s.to[0] != "ana@example.com" {
		t.Errorf("envelope %q -> %q", s.from, s.to)
	}

	m, err := mail.ReadMessage(bytes.NewReader(s.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[P1] TRIGGERED: [payments] checkout down — caisse <script>x()</script>"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if raw := m.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?") {
		t.Errorf("non-ASCII Subject not RFC 2047 encoded: %q", raw)
	}
	if id := m.Header.Get("Message-ID"); id != "<tocsin-incident-42-page-payments-l1-r1-mail-ana@tocsin>" {
		t.Errorf("Message-ID = %q", id)
	}
	from, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil || from.Name != "Tocsin" || from.Address != "tocsin@example.com" {
		t.Errorf("From = %q (%v)", m.Header.Get("From"), err)
	}
	to, err := mail.ParseAddress(m.Header.Get("To"))
	if err != nil || to.Name != "Ana" || to.Address != "ana@example.com" {
		t.Errorf("To = %q (%v)", m.Header.Get("To"), err)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("Date = %q (%v)", m.Header.Get("Date"), err)
	}
	for k, want := range map[string]string{"MIME-Version": "1.0", "Auto-Submitted": "auto-generated", "X-Tocsin-Incident": "42",
		"X-Tocsin-Event": "incident.triggered"} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	text, htmlPart := parts(t, m)
	for _, want := range []string{
		"Paging ana: level 1, round 1 of escalation policy payments (on call in schedule primary).",
		"Alerts (10 of 12):", "disk full on db-j", "Acknowledge: " + ackURL, "Resolve:     " + resolveURL,
		"Incident:    " + incURL, `<script>alert("pwned")</script> & friends`,
		// Lines that start with dots survive dot-stuffing.
		"Reason: 12 alerts firing\n.\n..dots at the start of lines\n.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "db-k") {
		t.Error("text part lists more than 10 alerts")
	}

	if strings.Contains(htmlPart, "<script>") {
		t.Error("html part has a raw <script>")
	}
	if !strings.Contains(htmlPart, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; friends") {
		t.Error("html part lacks the escaped hostile summary")
	}
	links := anchors(t, htmlPart)
	want := map[string]string{"Acknowledge": ackURL, "Resolve": resolveURL, "Open the incident in Tocsin": incURL}
	for text, href := range want {
		if links[text] != href {
			t.Errorf("html link %q = %q, want exactly %q", text, links[text], href)
		}
	}
	if links["<b>click</b>"] != "#ZgotmplZ" {
		t.Errorf("javascript: link = %q, want it neutralised", links["<b>click</b>"])
	}
	if strings.Contains(htmlPart, "javascript:") {
		t.Error("html part carries a javascript: URL")
	}
}

// parts returns the decoded text/plain and text/html parts of m.
func parts(t *testing.T, m *mail.Message) (text, htmlPart string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", m.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var types []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if cp["charset"] != "utf-8" {
			t.Errorf("part %s charset %q", ct, cp["charset"])
		}
		types = append(types, ct)
		switch ct {
		case "text/plain":
			text = strings.ReplaceAll(string(body), "\r\n", "\n")
		case "text/html":
			htmlPart = string(body)
		}
	}
	if len(types) != 2 || types[0] != "text/plain" || types[1] != "text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	return text, htmlPart
}

// anchors maps the text of every link of an HTML document to its href, as
// a browser reads them.
func anchors(t *testing.T, doc string) map[string]string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var textOf func(*html.Node) string
	textOf = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(textOf(c))
		}
		return b.String()
	}
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					out[textOf(n)] = a.Val
				}
			}
		}
	}
	return out
}

func TestRetryIsTheSameMessage(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	s := fixed(settingsFor(t, ts, TLSStartTLS))
	for range 2 {
		if _, err := send(t, s, anaChannel, pageNotification(t)); err != nil {
			t.Fatal(err)
		}
	}
	got := ts.delivered()
	if len(got) != 2 || !bytes.Equal(got[0].data, got[1].data) {
		t.Fatal("a retried notification was not byte for byte the same message")
	}
}

func TestAuthLogin(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}, mechs: []string{sasl.Login}})
	if retry, err := send(t, fixed(settingsFor(t, ts, TLSStartTLS)), anaChannel, pageNotification(t)); err != nil {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	got := ts.delivered()
	if len(got) != 1 || got[0].authTry != "LOGIN" || got[0].authUser != "tocsin" {
		t.Fatalf("delivered %d, auth %+v", len(got), got)
	}
}

func TestAuthFailureIsFinalAndHidesThePassword(t *testing.T) {
	for _, mech := range []string{sasl.Plain, sasl.Login} {
		t.Run(mech, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": "another password"}, mechs: []string{mech}})
			retry, err := send(t, fixed(settingsFor(t, ts, TLSStartTLS)), anaChannel, pageNotification(t))
			if err == nil || retry {
				t.Fatalf("Send = %v, %v; want a final error", retry, err)
			}
			if !strings.Contains(err.Error(), "535") || !strings.Contains(err.Error(), "Authentication failed") {
				t.Errorf("error %q lacks the server's reply", err)
			}
			if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "correct horse") {
				t.Errorf("error %q shows the password", err)
			}
			if n := len(ts.delivered()); n != 0 {
				t.Errorf("%d messages delivered", n)
			}
		})
	}
}

func TestStartTLSRequiredButMissing(t *testing.T) {
	// The server offers no STARTTLS but would take AUTH and mail in plaintext.
	ts := startServer(t, serverOpts{allowInsecureAuth: true})
	set := settingsFor(t, ts, TLSStartTLS)
	set.Username, set.Password = "", ""
	retry, err := send(t, fixed(set), anaChannel, pageNotification(t))
	if err == nil || retry || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, %v; want a final STARTTLS error", retry, err)
	}
	for _, s := range ts.all() {
		if s.from != "" || s.data != nil {
			t.Fatalf("mail went out in plaintext: %+v", s)
		}
	}

	// Opportunistic STARTTLS sends in plaintext, without credentials.
	set.TLS = TLSStartTLSOptional
	if retry, err := send(t, fixed(set), anaChannel, pageNotification(t)); err != nil {
		t.Fatalf("starttls-optional: Send = %v, %v", retry, err)
	}
	if got := ts.delivered(); len(got) != 1 || got[0].tls {
		t.Fatalf("starttls-optional: delivered %+v", got)
	}
}

func TestNoCredentialsWithoutTLS(t *testing.T) {
	ts := startServer(t, serverOpts{allowInsecureAuth: true, users: map[string]string{"tocsin": password}})
	for _, mode := range []string{TLSNone, TLSStartTLSOptional} {
		retry, err := send(t, fixed(settingsFor(t, ts, mode)), anaChannel, pageNotification(t))
		if err == nil || retry || !strings.Contains(err.Error(), "without TLS") {
			t.Fatalf("%s: Send = %v, %v; want a refusal", mode, retry, err)
		}
	}
	for _, s := range ts.all() {
		if s.authTry != "" {
			t.Fatalf("credentials were offered in plaintext (%s)", s.authTry)
		}
	}

	// Allowed explicitly, to a loopback host.
	set := settingsFor(t, ts, TLSNone)
	set.AllowInsecureAuth = true
	if retry, err := send(t, fixed(set), anaChannel, pageNotification(t)); err != nil {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	if got := ts.delivered(); len(got) != 1 || got[0].authUser != "tocsin" || got[0].tls {
		t.Fatalf("delivered %+v", got)
	}
}

func TestImplicitTLS(t *testing.T) {
	ts := startServer(t, serverOpts{implicit: true, users: map[string]string{"tocsin": password}})
	if retry, err := send(t, fixed(settingsFor(t, ts, TLSImplicit)), anaChannel, pageNotification(t)); err != nil {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	if got := ts.delivered(); len(got) != 1 || !got[0].tls || got[0].authUser != "tocsin" {
		t.Fatalf("delivered %+v", got)
	}
}

func TestUntrustedCertificateIsFinal(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	set := settingsFor(t, ts, TLSStartTLS)
	set.TLSConfig = nil // system roots do not know the test CA
	retry, err := send(t, fixed(set), anaChannel, pageNotification(t))
	if err == nil || retry || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, %v; want a final certificate error", retry, err)
	}
	if n := len(ts.delivered()); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}

func TestReplies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		retry bool
		text  string
	}{
		{"451", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}, true, "451 4.3.0 Try again later"},
		{"550", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}, false, "550 5.1.1 No such user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}, rcptErr: tc.err})
			retry, err := send(t, fixed(settingsFor(t, ts, TLSStartTLS)), anaChannel, pageNotification(t))
			if err == nil || retry != tc.retry || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Send = %v, %v; want retry=%v and %q", retry, err, tc.retry, tc.text)
			}
		})
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	retry, err := send(t, fixed(Settings{Host: "127.0.0.1", Port: port, From: "tocsin@example.com", TLS: TLSNone}),
		anaChannel, pageNotification(t))
	if err == nil || !retry {
		t.Fatalf("Send = %v, %v; want a retryable error", retry, err)
	}
}

// silentServer accepts connections and, after greeting if told to, never
// says anything.
func silentServer(t *testing.T, greet bool) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if greet {
				c.Write([]byte("220 mx.test ESMTP\r\n"))
			}
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestHungServerIsBoundedByTheContext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		greet  bool
		mode   string
		cancel bool // end ctx by cancelling, not by its deadline
	}{
		{"no greeting", false, TLSNone, false},
		{"no EHLO reply", true, TLSNone, false},
		{"no TLS handshake", false, TLSImplicit, false},
		{"cancelled", true, TLSNone, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := silentServer(t, tc.greet)
			s := fixed(Settings{Host: "127.0.0.1", Port: port, From: "tocsin@example.com", TLS: tc.mode})
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			if tc.cancel {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			defer cancel()
			start := time.Now()
			done := make(chan struct{})
			var (
				retry bool
				err   error
			)
			go func() {
				defer close(done)
				retry, err = s.Send(ctx, anaChannel, pageNotification(t))
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Send still blocked 5s after a 300ms deadline")
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %s", elapsed)
			}
			want := "no answer in time"
			if tc.cancel {
				want = "send interrupted"
			}
			if err == nil || !retry || !strings.Contains(err.Error(), want) {
				t.Fatalf("Send = %v, %v; want a retryable %q", retry, err, want)
			}
		})
	}
}

func TestSettingsAreReadAtEachSend(t *testing.T) {
	a := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	b := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	var cur atomic.Pointer[Settings]
	sa, sb := settingsFor(t, a, TLSStartTLS), settingsFor(t, b, TLSStartTLS)
	cur.Store(&sa)
	s := &Sender{Settings: func() Settings { return *cur.Load() }}
	if _, err := send(t, s, anaChannel, pageNotification(t)); err != nil {
		t.Fatal(err)
	}
	cur.Store(&sb)
	if _, err := send(t, s, anaChannel, pageNotification(t)); err != nil {
		t.Fatal(err)
	}
	if len(a.delivered()) != 1 || len(b.delivered()) != 1 {
		t.Fatalf("delivered %d and %d, want 1 and 1", len(a.delivered()), len(b.delivered()))
	}
}

func TestInjectionIsRefusedBeforeConnecting(t *testing.T) {
	ts := startServer(t, serverOpts{tls: true, users: map[string]string{"tocsin": password}})
	for name, mut := range map[string]func(*Settings, *tocsin.Channel){
		"recipient": func(_ *Settings, ch *tocsin.Channel) { ch.URL = "ana@example.com\r\nBcc: mallory@example.com" },
		"sender":    func(s *Settings, _ *tocsin.Channel) { s.From = "Tocsin <tocsin@example.com>\nBcc: mallory@example.com" },
		"helo":      func(s *Settings, _ *tocsin.Channel) { s.HeloName = "tocsin\r\nRSET" },
		"not an address": func(_ *Settings, ch *tocsin.Channel) {
			ch.URL = "https://example.com/"
		},
		"two addresses": func(_ *Settings, ch *tocsin.Channel) { ch.URL = "ana@example.com, mallory@example.com" },
		"tls mode":      func(s *Settings, _ *tocsin.Channel) { s.TLS = "maybe" },
	} {
		set, ch := settingsFor(t, ts, TLSStartTLS), anaChannel
		mut(&set, &ch)
		retry, err := send(t, fixed(set), ch, pageNotification(t))
		if err == nil || retry {
			t.Errorf("%s: Send = %v, %v; want a final error", name, retry, err)
		}
	}
	if n := len(ts.all()); n != 0 {
		t.Fatalf("%d sessions opened", n)
	}

	// A hostile title is one line of the subject, not a header of its own.
	n := pageNotification(t)
	var ev map[string]any
	json.Unmarshal(n.Payload, &ev)
	ev["incident"].(map[string]any)["title"] = "down\r\nBcc: mallory@example.com\r\n\r\nfake body"
	n.Payload, _ = json.Marshal(ev)
	if _, err := send(t, fixed(settingsFor(t, ts, TLSStartTLS)), anaChannel, n); err != nil {
		t.Fatal(err)
	}
	got := ts.delivered()
	if len(got) != 1 {
		t.Fatalf("%d delivered", len(got))
	}
	m, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Bcc") != "" || len(got[0].to) != 1 {
		t.Fatalf("header injected: Bcc %q, recipients %q", m.Header.Get("Bcc"), got[0].to)
	}
	if subj := m.Header.Get("Subject"); subj != "[P1] TRIGGERED: [payments] down Bcc: mallory@example.com fake body" {
		t.Fatalf("Subject = %q", subj)
	}
}

package httpprobe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/probetest"
)

const (
	healthy = probetest.Healthy
	slack   = probetest.Slack
)

func newProber(t *testing.T, cfg Config) *Prober {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = healthy
	}
	p, err := New(cfg, clock.Real{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func run(t *testing.T, p *Prober) probe.Result {
	t.Helper()
	return probetest.Run(t, p, p.cfg.Timeout)
}

func expectClass(t *testing.T, r probe.Result, class string) {
	t.Helper()
	probetest.ExpectClass(t, r, class)
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// hang returns a handler that sends the status line and headers, then says
// nothing more until the test ends or the client goes away. entered, if not
// nil, is signalled once the headers are out.
func hang(t *testing.T, entered chan<- struct{}) http.HandlerFunc {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for handlers
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		if entered != nil {
			entered <- struct{}{}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
}

// silentListener accepts connections and never reads or writes. accepted, if
// not nil, is signalled for each connection.
func silentListener(t *testing.T, accepted chan<- struct{}) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			if accepted != nil {
				select {
				case accepted <- struct{}{}:
				case <-stop:
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestStatus(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/"), &code)
		w.WriteHeader(code)
	})
	tests := []struct {
		path   string
		expect []int
		class  string
		msg    string
	}{
		{"/200", nil, "", ""},
		{"/204", nil, "", ""},
		{"/500", nil, probe.ClassStatus, "HTTP 500, expected 2xx"},
		{"/500", []int{200}, probe.ClassStatus, "HTTP 500, expected 200"},
		{"/404", []int{200, 201, 204}, probe.ClassStatus, "HTTP 404, expected 200, 201 or 204"},
		{"/503", []int{200, 503}, "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.path, tt.expect), func(t *testing.T) {
			r := run(t, newProber(t, Config{URL: srv.URL + tt.path, ExpectStatus: tt.expect}))
			expectClass(t, r, tt.class)
			if r.Message != tt.msg {
				t.Errorf("message %q, want %q", r.Message, tt.msg)
			}
			if r.Latency <= 0 {
				t.Errorf("latency %s, want > 0", r.Latency)
			}
		})
	}
}

func TestHungPeerTimesOut(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tests := []struct {
		name  string
		url   func(t *testing.T) string
		stage string
	}{
		{"headers then silence", func(t *testing.T) string { return serve(t, hang(t, nil)).URL }, "reading the body"},
		{"no answer", func(t *testing.T) string { return "http://" + silentListener(t, nil) }, "waiting for the response"},
		{"no TLS handshake", func(t *testing.T) string { return "https://" + silentListener(t, nil) }, "in the TLS handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			p := newProber(t, Config{URL: tt.url(t), Timeout: timeout})
			r := p.Probe(ctx)
			if ctx.Err() != nil {
				t.Fatal("the probe needed the caller's context to stop")
			}
			expectClass(t, r, probe.ClassTimeout)
			if r.Latency > timeout+slack {
				t.Errorf("latency %s, timeout %s", r.Latency, timeout)
			}
			if !strings.Contains(r.Message, tt.stage) {
				t.Errorf("message %q does not name the stage %q", r.Message, tt.stage)
			}
		})
	}
}

func TestCallerCancel(t *testing.T) {
	p := newProber(t, Config{URL: serve(t, hang(t, nil)).URL, Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	expectClass(t, p.Probe(ctx), probe.ClassTimeout)
}

const doc = `{"status":"ok","data":{"items":[{"name":"a<b"},{"name":"b"}],"count":2,"ratio":1.0,"on":true,"none":null,"tags":["x"]}}`

func TestBodyChecks(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/text" {
			io.WriteString(w, "hello <world> "+strings.Repeat("z", 1000))
			return
		}
		io.WriteString(w, doc)
	})
	tests := []struct {
		name  string
		path  string
		cfg   Config
		class string
		msg   string
	}{
		{"contains", "/text", Config{BodyContains: "<world>"}, "", ""},
		{"contains fails", "/text", Config{BodyContains: "planet"}, probe.ClassContent, `body does not contain "planet"`},
		{"regex", "/text", Config{BodyRegex: `^hello <\w+>`}, "", ""},
		{"regex fails", "/text", Config{BodyRegex: `^bye`}, probe.ClassContent, "body does not match /^bye/"},
		{"contains and regex, regex fails", "/text", Config{BodyContains: "hello", BodyRegex: `\d`}, probe.ClassContent, `body does not match /\d/`},
		{"json key", "/", Config{JSONPath: "status", JSONEquals: "ok"}, "", ""},
		{"json quoted string", "/", Config{JSONPath: "status", JSONEquals: `"ok"`}, "", ""},
		{"json array index", "/", Config{JSONPath: "data.items.0.name", JSONEquals: "a<b"}, "", ""},
		{"json number", "/", Config{JSONPath: "data.count", JSONEquals: "2"}, "", ""},
		{"json number by value", "/", Config{JSONPath: "data.ratio", JSONEquals: "1"}, "", ""},
		{"json bool", "/", Config{JSONPath: "data.on", JSONEquals: "true"}, "", ""},
		{"json null", "/", Config{JSONPath: "data.none", JSONEquals: "null"}, "", ""},
		{"json array", "/", Config{JSONPath: "data.tags", JSONEquals: `["x"]`}, "", ""},
		{"json exists", "/", Config{JSONPath: "data.items.1"}, "", ""},
		{"json differs", "/", Config{JSONPath: "status", JSONEquals: "down"}, probe.ClassContent, `status is "ok", expected "down"`},
		{"json object differs", "/", Config{JSONPath: "data.items.1", JSONEquals: "b"}, probe.ClassContent, `data.items.1 is {"name":"b"}, expected "b"`},
		{"json missing key", "/", Config{JSONPath: "data.missing"}, probe.ClassContent, `data has no key "missing"`},
		{"json index out of range", "/", Config{JSONPath: "data.items.2.name"}, probe.ClassContent, `data.items has no index "2" (an array of 2)`},
		{"json into a string", "/", Config{JSONPath: "status.x"}, probe.ClassContent, `status is a string, not an object or array`},
		{"not json", "/text", Config{JSONPath: "status"}, probe.ClassContent, "body is not JSON: invalid character 'h' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.URL = srv.URL + tt.path
			r := run(t, newProber(t, cfg))
			expectClass(t, r, tt.class)
			if r.Message != tt.msg {
				t.Errorf("message %q, want %q", r.Message, tt.msg)
			}
		})
	}
}

func TestContentMessageIsShort(t *testing.T) {
	long := strings.Repeat("v", 10_000)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"status":%q}`, long)
	})
	r := run(t, newProber(t, Config{URL: srv.URL, JSONPath: "status", JSONEquals: "ok"}))
	expectClass(t, r, probe.ClassContent)
	if len(r.Message) > 300 {
		t.Errorf("message is %d bytes; it should not echo the body", len(r.Message))
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /old", http.RedirectHandler("/new", http.StatusFound))
	mux.HandleFunc("GET /new", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "moved here") })
	mux.Handle("GET /loop", http.RedirectHandler("/loop", http.StatusFound))
	srv := serve(t, mux.ServeHTTP)

	tests := []struct {
		name  string
		cfg   Config
		class string
	}{
		{"not followed: the 3xx is the status", Config{URL: srv.URL + "/old"}, probe.ClassStatus},
		{"not followed, 302 expected", Config{URL: srv.URL + "/old", ExpectStatus: []int{302}}, ""},
		{"not followed, body is the redirect's", Config{URL: srv.URL + "/old", ExpectStatus: []int{302}, BodyContains: "moved here"}, probe.ClassContent},
		{"followed", Config{URL: srv.URL + "/old", FollowRedirects: true, BodyContains: "moved here"}, ""},
		{"followed, 302 expected", Config{URL: srv.URL + "/old", FollowRedirects: true, ExpectStatus: []int{302}}, probe.ClassStatus},
		{"loop", Config{URL: srv.URL + "/loop", FollowRedirects: true}, probe.ClassProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectClass(t, run(t, newProber(t, tt.cfg)), tt.class)
		})
	}
}

func TestTLSVerify(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secure")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)

	no, yes := false, true
	expectClass(t, run(t, newProber(t, Config{URL: srv.URL, TLSVerify: &no, BodyContains: "secure"})), "")
	expectClass(t, run(t, newProber(t, Config{URL: srv.URL, TLSVerify: &yes})), probe.ClassTLS)
	expectClass(t, run(t, newProber(t, Config{URL: srv.URL})), probe.ClassTLS)
}

// selfSigned makes a certificate for 127.0.0.1 valid from notBefore to
// notAfter.
func selfSigned(t *testing.T, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func tlsServer(t *testing.T, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestCertExpiry(t *testing.T) {
	now := time.Now()
	soon := tlsServer(t, selfSigned(t, now.Add(-time.Hour), now.Add(3*24*time.Hour)))
	expired := tlsServer(t, selfSigned(t, now.Add(-10*24*time.Hour), now.Add(-24*time.Hour)))
	no, yes := false, true

	t.Run("expires in 3 days, warn at 7", func(t *testing.T) {
		r := run(t, newProber(t, Config{URL: soon.URL, TLSVerify: &no, CertExpiryWarningDays: 7}))
		expectClass(t, r, "")
		if !strings.Contains(r.Warning, "certificate expires on") || !strings.Contains(r.Warning, "in 2 days") {
			t.Errorf("warning %q", r.Warning)
		}
	})
	t.Run("expires in 3 days, warn at 2", func(t *testing.T) {
		r := run(t, newProber(t, Config{URL: soon.URL, TLSVerify: &no, CertExpiryWarningDays: 2}))
		expectClass(t, r, "")
		if r.Warning != "" {
			t.Errorf("warning %q, want none", r.Warning)
		}
	})
	t.Run("warning kept on a failed status", func(t *testing.T) {
		r := run(t, newProber(t, Config{URL: soon.URL, TLSVerify: &no, CertExpiryWarningDays: 7, ExpectStatus: []int{500}}))
		expectClass(t, r, probe.ClassStatus)
		if r.Warning == "" {
			t.Error("no warning")
		}
	})
	t.Run("expired, no verification", func(t *testing.T) {
		r := run(t, newProber(t, Config{URL: expired.URL, TLSVerify: &no, CertExpiryWarningDays: 7}))
		expectClass(t, r, probe.ClassCert)
		if !strings.Contains(r.Message, "certificate expired on") {
			t.Errorf("message %q", r.Message)
		}
	})
	t.Run("expired, verification", func(t *testing.T) {
		expectClass(t, run(t, newProber(t, Config{URL: expired.URL, TLSVerify: &yes})), probe.ClassCert)
	})
}

func TestEndlessBodyIsCapped(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// With a healthy timeout, only a capped read can finish without
	// timing out.
	expectClass(t, run(t, newProber(t, Config{URL: srv.URL})), "")
	r := run(t, newProber(t, Config{URL: srv.URL, BodyContains: "needle"}))
	expectClass(t, r, probe.ClassContent)
	if !strings.Contains(r.Message, fmt.Sprintf("first %d bytes", probe.MaxBody)) {
		t.Errorf("message %q does not say the body was cut", r.Message)
	}
}

func TestSlow(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	r := run(t, newProber(t, Config{URL: srv.URL, MaxResponseTime: time.Nanosecond}))
	expectClass(t, r, probe.ClassSlow)
	if !strings.HasPrefix(r.Message, "answered in ") {
		t.Errorf("message %q", r.Message)
	}
	expectClass(t, run(t, newProber(t, Config{URL: srv.URL, MaxResponseTime: healthy})), "")
}

func TestRefused(t *testing.T) {
	r := run(t, newProber(t, Config{URL: "http://" + refusedAddr(t)}))
	expectClass(t, r, probe.ClassConnect)
	if !strings.Contains(r.Message, "refused") || strings.Contains(r.Message, "Get ") {
		t.Errorf("message %q", r.Message)
	}
}

func TestRequestAsConfigured(t *testing.T) {
	type seen struct{ method, host, auth, ua, body string }
	got := make(chan seen, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.Host, r.Header.Get("Authorization"), r.Header.Get("User-Agent"), string(b)}
	})
	p := newProber(t, Config{
		URL:     srv.URL,
		Method:  http.MethodPost,
		Headers: map[string]string{"Authorization": "Bearer t", "Host": "status.example"},
		Body:    `{"ping":1}`,
	})
	for range 2 { // a second run sends the body again
		expectClass(t, run(t, p), "")
		want := seen{"POST", "status.example", "Bearer t", "Tocsin-Probe/1", `{"ping":1}`}
		if s := <-got; s != want {
			t.Errorf("server saw %+v, want %+v", s, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := Config{URL: "http://example.com", Timeout: time.Second}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"empty url", func(c *Config) { c.URL = "" }, "url: required"},
		{"bad scheme", func(c *Config) { c.URL = "ftp://example.com" }, `scheme "ftp"`},
		{"no scheme", func(c *Config) { c.URL = "example.com" }, `scheme ""`},
		{"no host", func(c *Config) { c.URL = "http:///path" }, "no host"},
		{"unparsable url", func(c *Config) { c.URL = "http://[::1" }, "url:"},
		{"bad method", func(c *Config) { c.Method = "GE T" }, "method"},
		{"bad header name", func(c *Config) { c.Headers = map[string]string{"X Bad": "v"} }, "header name"},
		{"bad header value", func(c *Config) { c.Headers = map[string]string{"X-Ok": "a\r\nb"} }, "control characters"},
		{"bad status", func(c *Config) { c.ExpectStatus = []int{200, 99} }, "expect_status[1]"},
		{"bad regex", func(c *Config) { c.BodyRegex = "(" }, "body_regex"},
		{"bad json path", func(c *Config) { c.JSONPath = "data..name" }, "json_path"},
		{"equals without path", func(c *Config) { c.JSONEquals = "ok" }, "json_equals"},
		{"negative max response time", func(c *Config) { c.MaxResponseTime = -time.Second }, "max_response_time"},
		{"negative warning days", func(c *Config) { c.CertExpiryWarningDays = -1 }, "cert_expiry_warning_days"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := New(cfg, clock.Real{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(ok, clock.Real{}); err != nil {
		t.Fatalf("New(valid): %v", err)
	}
	if _, err := New(ok, nil); err == nil {
		t.Fatal("New with a nil clock: no error")
	}
}

// TestHungProbesDoNotDelayOthers starts probes of peers that never finish
// answering, waits until each is stuck, then probes a healthy server: its
// result must come first. The stuck ones end when their context does.
func TestHungProbesDoNotDelayOthers(t *testing.T) {
	entered := make(chan struct{})
	hungServer := serve(t, hang(t, entered))
	hungURLs := []string{
		hungServer.URL,
		hungServer.URL,
		"http://" + silentListener(t, entered),
		"https://" + silentListener(t, entered),
	}
	ok := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fine") })

	type result struct {
		name string
		probe.Result
	}
	results := make(chan result, len(hungURLs)+1)
	hungCtx, stopHung := context.WithCancel(t.Context())
	defer stopHung()
	var wg sync.WaitGroup
	for i, u := range hungURLs {
		p := newProber(t, Config{URL: u, Timeout: time.Hour})
		wg.Go(func() { results <- result{fmt.Sprint("hung ", i), p.Probe(hungCtx)} })
	}
	for range hungURLs {
		<-entered
	}

	p := newProber(t, Config{URL: ok.URL, BodyContains: "fine"})
	wg.Go(func() { results <- result{"healthy", p.Probe(t.Context())} })

	first := <-results
	if first.name != "healthy" {
		t.Fatalf("%s finished first (%+v)", first.name, first.Result)
	}
	expectClass(t, first.Result, "")

	stopHung()
	wg.Wait()
	close(results)
	for r := range results {
		expectClass(t, r.Result, probe.ClassTimeout)
	}
}

// TestProbersShareATransport: probers alike share one transport, those
// that differ in verification or timeout do not, and every run still opens
// a connection of its own and sends the default User-Agent.
func TestProbersShareATransport(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	agents := map[string]int{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.Header.Get("User-Agent")]++
		mu.Unlock()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	no := false
	a := newProber(t, Config{URL: srv.URL + "/a"})
	b := newProber(t, Config{URL: srv.URL + "/b", ExpectStatus: []int{200}})
	unverified := newProber(t, Config{URL: srv.URL, TLSVerify: &no})
	longer := newProber(t, Config{URL: srv.URL, Timeout: 2 * healthy})
	if a.client.Transport != b.client.Transport {
		t.Error("two probers alike have transports of their own")
	}
	if unverified.client.Transport == a.client.Transport || longer.client.Transport == a.client.Transport {
		t.Error("probers with other verification or timeout share a transport")
	}
	for range 2 {
		expectClass(t, run(t, a), "")
		expectClass(t, run(t, b), "")
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 4 {
		t.Errorf("4 runs opened %d connections, want one each", conns)
	}
	if agents["Tocsin-Probe/1"] != 4 {
		t.Errorf("User-Agents seen: %v, want Tocsin-Probe/1 on all 4 runs", agents)
	}
}

// funcClock is a clock that cannot be a map key.
type funcClock struct{ now func() time.Time }

func (c funcClock) Now() time.Time { return c.now() }

// TestUnhashableClock: a prober whose clock cannot key the shared
// transports gets a transport of its own, and probes.
func TestUnhashableClock(t *testing.T) {
	srv := serve(t, func(http.ResponseWriter, *http.Request) {})
	p, err := New(Config{URL: srv.URL, Timeout: healthy}, funcClock{clock.Real{}.Now})
	if err != nil {
		t.Fatal(err)
	}
	q := newProber(t, Config{URL: srv.URL})
	if p.client.Transport == q.client.Transport {
		t.Error("the prober with a func clock shares a transport")
	}
	expectClass(t, run(t, p), "")
}

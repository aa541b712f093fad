// Package httpprobe checks a URL. Each probe sends one request over a fresh
// connection and judges what comes back: the status, the body (a substring, a
// regular expression or a value at a JSON path), the response time and how
// long the server certificate has left.
//
// The whole probe (name resolution, connect, TLS handshake, request and
// reading at most probe.MaxBody bytes of the body) runs under Config.Timeout,
// so a peer that stalls at any step costs its own probe that long and no more.
package httpprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Config describes one HTTP check.
type Config struct {
	URL     string            `yaml:"url" json:"url,omitempty"`       // http or https
	Method  string            `yaml:"method" json:"method,omitempty"` // GET when empty
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	Body    string            `yaml:"body" json:"body,omitempty"` // sent as the request body when not empty

	// ExpectStatus lists the statuses that pass; any 2xx when empty.
	ExpectStatus []int `yaml:"expect_status" json:"expect_status,omitempty"`

	// Body checks; each one that is set must hold.
	BodyContains string `yaml:"body_contains" json:"body_contains,omitempty"`
	BodyRegex    string `yaml:"body_regex" json:"body_regex,omitempty"`
	// JSONPath names a value in a JSON body by dot-separated object keys and
	// array indexes ("status", "data.items.0.name"); keys containing a dot
	// cannot be named. With JSONEquals empty the value must only exist;
	// otherwise its plain text (a string without quotes) or its JSON text
	// must equal JSONEquals, and numbers also compare by value ("1" = "1.0").
	JSONPath   string `yaml:"json_path" json:"json_path,omitempty"`
	JSONEquals string `yaml:"json_equals" json:"json_equals,omitempty"`

	// MaxResponseTime fails a probe that answered, but slower than this
	// (measured to the end of the body); no limit when zero.
	MaxResponseTime time.Duration `yaml:"max_response_time" json:"max_response_time,omitempty"`
	// FollowRedirects follows up to 10 redirects; when false a 3xx is the
	// status that is judged.
	FollowRedirects bool `yaml:"follow_redirects" json:"follow_redirects,omitempty"`
	// TLSVerify checks the server certificate chain and name; true when nil.
	TLSVerify *bool `yaml:"tls_verify" json:"tls_verify,omitempty"`
	// CertExpiryWarningDays, when positive, sets Result.Warning if the server
	// certificate expires within that many days and fails the probe if it
	// has expired (with verification on, an expired certificate fails the
	// handshake with the same class).
	CertExpiryWarningDays int `yaml:"cert_expiry_warning_days" json:"cert_expiry_warning_days,omitempty"`

	// Timeout bounds the whole probe; required.
	Timeout time.Duration `yaml:"-" json:"-"`
}

// Prober runs one configured HTTP check. It is safe for concurrent use.
type Prober struct {
	cfg     Config
	url     string
	method  string
	header  http.Header // read only: each request gets a copy
	host    string      // a Host header, which net/http takes from Request.Host
	expect  []int
	re      *regexp.Regexp
	path    []string
	client  http.Client
	now     func() time.Time
	hasJSON bool
}

const maxRedirects = 10

var errTooManyRedirects = errors.New("stopped after 10 redirects")

// defaultHeader is the header of every probe that sets none of its own,
// shared rather than one map a probe.
var defaultHeader = http.Header{"User-Agent": {"Tocsin-Probe/1"}}

// New validates cfg and returns a prober. clock is Tocsin's clock; it times
// each probe and is the "now" for certificate checks.
func New(cfg Config, clock interface{ Now() time.Time }) (*Prober, error) {
	if clock == nil {
		return nil, errors.New("http probe: clock is required")
	}
	p := &Prober{cfg: cfg, now: clock.Now, method: cfg.Method}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("http probe: %w", err)
	}
	p.client = http.Client{Transport: transportFor(clock, cfg.TLSVerify == nil || *cfg.TLSVerify, cfg.Timeout),
		CheckRedirect: stopAtRedirect}
	if cfg.FollowRedirects {
		p.client.CheckRedirect = followRedirects
	}
	return p, nil
}

func stopAtRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func followRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	return nil
}

// transportKey is what tells transports apart: probes alike in these
// share one.
type transportKey struct {
	clock   any
	verify  bool
	timeout time.Duration
}

// transports are the transports of every prober made so far, one for each
// clock, verification setting and timeout in use; they hold no connection
// between probes, so there are as few as the distinct settings.
var transports = struct {
	sync.Mutex
	m map[transportKey]*http.Transport
}{m: map[transportKey]*http.Transport{}}

// transportFor returns the transport for probes with these settings. A
// transport with its TLS config and dialer is about 1.5 KB, and keeps
// half a kilobyte more once used (its map of requests to cancel, its last
// wanted connection), so a thousand probes share one rather than each
// having its own: without keep-alives every request still opens a
// connection of its own, so nothing but that memory is shared. A clock
// that cannot be a map key (never Tocsin's) gets a transport of its own.
func transportFor(clock interface{ Now() time.Time }, verify bool, timeout time.Duration) *http.Transport {
	if !reflect.ValueOf(clock).Comparable() {
		return newTransport(clock, verify, timeout)
	}
	k := transportKey{clock: clock, verify: verify, timeout: timeout}
	transports.Lock()
	defer transports.Unlock()
	t := transports.m[k]
	if t == nil {
		t = newTransport(clock, verify, timeout)
		transports.m[k] = t
	}
	return t
}

// newTransport is a transport without keep-alives: every probe measures a
// new connection (DNS, connect, handshake) and no idle connections are left
// open between probes. Proxy is nil on purpose: a probe measures the
// target, not a proxy picked up from the environment. The timeouts back up
// the probe's context deadline, which bounds the whole request.
func newTransport(clock interface{ Now() time.Time }, verify bool, timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout}
	return &http.Transport{
		Proxy:       nil,
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			InsecureSkipVerify: !verify,
			Time:               clock.Now,
		},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: probe.MaxBody,
	}
}

func (p *Prober) validate() error {
	cfg := p.cfg
	if cfg.URL == "" {
		return errors.New("url: required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("url: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("url %q: no host", cfg.URL)
	}
	p.url = u.String()

	if p.method == "" {
		p.method = http.MethodGet
	}
	if !isToken(p.method) {
		return fmt.Errorf("method %q: not a valid HTTP method", cfg.Method)
	}
	if p.header, p.host, err = buildHeader(cfg.Headers); err != nil {
		return err
	}

	for i, code := range cfg.ExpectStatus {
		if code < 100 || code > 599 {
			return fmt.Errorf("expect_status[%d]: %d is not an HTTP status", i, code)
		}
	}
	p.expect = slices.Clone(cfg.ExpectStatus)

	if cfg.BodyRegex != "" {
		re, err := regexp.Compile(cfg.BodyRegex)
		if err != nil {
			return fmt.Errorf("body_regex: %w", err)
		}
		p.re = re
	}
	if cfg.JSONPath != "" {
		path, err := parsePath(cfg.JSONPath)
		if err != nil {
			return fmt.Errorf("json_path: %w", err)
		}
		p.path = path
		p.hasJSON = true
	} else if cfg.JSONEquals != "" {
		return errors.New("json_equals: set without json_path")
	}

	switch {
	case cfg.MaxResponseTime < 0:
		return fmt.Errorf("max_response_time: %s is negative", cfg.MaxResponseTime)
	case cfg.CertExpiryWarningDays < 0:
		return fmt.Errorf("cert_expiry_warning_days: %d is negative", cfg.CertExpiryWarningDays)
	case cfg.Timeout <= 0:
		return fmt.Errorf("timeout: must be positive, got %s", cfg.Timeout)
	}
	return nil
}

// buildHeader checks the configured headers and returns the header of
// every request (the shared defaultHeader when none is configured) and the
// Host header, if one is set.
func buildHeader(headers map[string]string) (http.Header, string, error) {
	if len(headers) == 0 {
		return defaultHeader, "", nil
	}
	h, host := make(http.Header), ""
	for k, v := range headers {
		if !isToken(k) {
			return nil, "", fmt.Errorf("headers: %q is not a valid header name", k)
		}
		if !validHeaderValue(v) {
			return nil, "", fmt.Errorf("headers.%s: control characters in value", k)
		}
		if strings.EqualFold(k, "Host") {
			host = v
			continue
		}
		h.Set(k, v)
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", "Tocsin-Probe/1")
	}
	return h, host, nil
}

// Stages of a request, for saying where a probe ran out of time.
const (
	stageConnect int32 = iota
	stageDNS
	stageTLS
	stageWaiting
	stageBody
)

var stageText = [...]string{
	stageConnect: "connecting",
	stageDNS:     "resolving the name",
	stageTLS:     "in the TLS handshake",
	stageWaiting: "waiting for the response",
	stageBody:    "reading the body",
}

// Probe runs the check once. It returns within Config.Timeout (or sooner, if
// ctx ends first), whatever the server does.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	since := func() time.Duration { return p.now().Sub(start) }

	// The trace hooks run on transport goroutines, hence the atomic.
	var stage atomic.Int32
	trace := &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { stage.Store(stageDNS) },
		ConnectStart:      func(string, string) { stage.Store(stageConnect) },
		TLSHandshakeStart: func() { stage.Store(stageTLS) },
		WroteRequest:      func(httptrace.WroteRequestInfo) { stage.Store(stageWaiting) },
	}
	var body io.Reader
	if p.cfg.Body != "" {
		body = strings.NewReader(p.cfg.Body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), p.method, p.url, body)
	if err != nil {
		// New checked the URL and method, so this does not happen.
		return probe.Fail(probe.ClassProtocol, "build request: "+err.Error(), since())
	}
	req.Header = p.header.Clone()
	if p.host != "" {
		req.Host = p.host
	}

	resp, err := p.client.Do(req)
	if err != nil {
		return p.failed(ctx, err, stageText[stage.Load()], since())
	}
	defer resp.Body.Close()
	stage.Store(stageBody)
	data, err := io.ReadAll(io.LimitReader(resp.Body, probe.MaxBody+1))
	latency := since()
	if err != nil {
		return p.failed(ctx, err, stageText[stageBody], latency)
	}
	truncated := len(data) > probe.MaxBody
	if truncated {
		data = data[:probe.MaxBody]
	}

	var warning string
	if resp.TLS != nil && p.cfg.CertExpiryWarningDays > 0 && len(resp.TLS.PeerCertificates) > 0 {
		var r probe.Result
		warning, r = p.checkCert(resp.TLS.PeerCertificates[0], latency)
		if r.Class != "" {
			return r
		}
	}
	r := p.judge(resp.StatusCode, data, truncated, latency)
	r.Warning = warning
	return r
}

// failed turns a transport error into a result.
func (p *Prober) failed(ctx context.Context, err error, stage string, latency time.Duration) probe.Result {
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		return probe.Fail(probe.ClassCert, invalid.Error(), latency)
	}
	if errors.Is(err, errTooManyRedirects) {
		return probe.Fail(probe.ClassProtocol, errTooManyRedirects.Error(), latency)
	}
	class := probe.Classify(ctx, err)
	if class == probe.ClassTimeout {
		return probe.Fail(class, fmt.Sprintf("timed out after %s %s", latency.Round(time.Millisecond), stage), latency)
	}
	// The url.Error wrapper repeats the method and URL, which the check
	// already names.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return probe.Fail(class, err.Error(), latency)
}

// checkCert fails on an expired certificate and warns about one expiring
// within CertExpiryWarningDays.
func (p *Prober) checkCert(leaf *x509.Certificate, latency time.Duration) (string, probe.Result) {
	now := p.now()
	left := leaf.NotAfter.Sub(now)
	when := leaf.NotAfter.UTC().Format("2006-01-02 15:04 UTC")
	if left <= 0 {
		return "", probe.Fail(probe.ClassCert, "certificate expired on "+when, latency)
	}
	if left < time.Duration(p.cfg.CertExpiryWarningDays)*24*time.Hour {
		days := int(left / (24 * time.Hour))
		in := "less than a day"
		switch days {
		case 0:
		case 1:
			in = "1 day"
		default:
			in = strconv.Itoa(days) + " days"
		}
		return fmt.Sprintf("certificate expires on %s, in %s", when, in), probe.Result{}
	}
	return "", probe.Result{}
}

// judge checks the status, the body and the response time, in that order.
func (p *Prober) judge(status int, body []byte, truncated bool, latency time.Duration) probe.Result {
	if !p.statusOK(status) {
		return probe.Fail(probe.ClassStatus, fmt.Sprintf("HTTP %d, expected %s", status, expectText(p.expect)), latency)
	}
	if msg := p.checkBody(body); msg != "" {
		if truncated {
			msg += fmt.Sprintf(" (read the first %d bytes only)", probe.MaxBody)
		}
		return probe.Fail(probe.ClassContent, msg, latency)
	}
	if p.cfg.MaxResponseTime > 0 && latency > p.cfg.MaxResponseTime {
		return probe.Fail(probe.ClassSlow, fmt.Sprintf("answered in %s, limit %s",
			latency.Round(time.Millisecond), p.cfg.MaxResponseTime), latency)
	}
	return probe.Result{OK: true, Latency: latency}
}

func (p *Prober) statusOK(status int) bool {
	if len(p.expect) == 0 {
		return status >= 200 && status <= 299
	}
	for _, code := range p.expect {
		if code == status {
			return true
		}
	}
	return false
}

func expectText(codes []int) string {
	if len(codes) == 0 {
		return "2xx"
	}
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// checkBody returns what is wrong with body, or "".
func (p *Prober) checkBody(body []byte) string {
	if p.cfg.BodyContains != "" && !strings.Contains(string(body), p.cfg.BodyContains) {
		return fmt.Sprintf("body does not contain %q", clip(p.cfg.BodyContains, 100))
	}
	if p.re != nil && !p.re.Match(body) {
		return fmt.Sprintf("body does not match /%s/", clip(p.re.String(), 100))
	}
	if p.hasJSON {
		return checkJSON(body, p.path, p.cfg.JSONPath, p.cfg.JSONEquals)
	}
	return ""
}

// maxShown bounds how much of a response a message repeats.
const maxShown = 200

// clip shortens s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

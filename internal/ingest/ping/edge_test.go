package ping

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// watchedBody counts the bytes read from a request body.
type watchedBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}
func (b *watchedBody) Close() error { return nil }

// TestUnknownTargetBodyNotRead: a ping to no check is answered 404 without
// a byte of its body read, and the connection is not kept for a body that
// nobody wants; a ping to a known check reads its body as before.
func TestUnknownTargetBodyNotRead(t *testing.T) {
	f := setup(t)
	for _, target := range []string{"/ping/6ba7b810-9dad-11d1-80b4-00c04fd430c8", "/ping/6ba7b810-9dad-11d1-80b4-00c04fd430c8/fail",
		"/ping/s3cret-key/missing", "/ping/s3cret-key/missing/log"} {
		body := &watchedBody{r: strings.NewReader(strings.Repeat("x", 900))}
		req := httptest.NewRequest("POST", target, nil)
		req.Body, req.ContentLength = body, 10_000_000
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		if w.Code != 404 || body.read.Load() != 0 || w.Header().Get("Connection") != "close" {
			t.Errorf("%s: %d, %d bytes of the body read, Connection %q; want 404, none read, close", target, w.Code,
				body.read.Load(), w.Header().Get("Connection"))
		}
	}
	body := &watchedBody{r: strings.NewReader("log line")}
	req := httptest.NewRequest("POST", "/ping/"+uuid+"/log", nil)
	req.Body, req.ContentLength = body, 8
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	if w.Code != 200 || body.read.Load() != 8 {
		t.Fatalf("known check: %d, %d bytes read", w.Code, body.read.Load())
	}
}

// TestBodyBudgetBoundsBodiesInFlight: while the budget is taken by a body
// being read, another ping with a body waits, then gets 503 with
// Retry-After; a ping without a body still passes; and once the first is
// done the budget is free again.
func TestBodyBudgetBoundsBodiesInFlight(t *testing.T) {
	f := setup(t)
	f.handler.BodyBudget = 1500 // room for one body of the limit (1000 bytes + 1)
	f.handler.BodyWait = 50 * time.Millisecond
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		req := httptest.NewRequest("POST", "/ping/"+uuid+"/log", pr)
		req.ContentLength = -1
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		first <- w.Code
	}()
	// The first ping holds the budget once it is reading its body.
	if _, err := pw.Write([]byte("half a log")); err != nil {
		t.Fatal(err)
	}
	w := f.do("POST", "/ping/"+uuid+"/log", strings.Repeat("y", 600))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second body while the budget is taken: %d %q, Retry-After %q", w.Code, w.Body.String(), w.Header().Get("Retry-After"))
	}
	if w := f.do("GET", "/ping/"+uuid, ""); w.Code != 200 {
		t.Fatalf("ping without a body while the budget is taken: %d", w.Code)
	}
	pw.Close()
	select {
	case code := <-first:
		if code != 200 {
			t.Fatalf("first ping: %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("first ping never answered")
	}
	if w := f.do("POST", "/ping/"+uuid+"/log", strings.Repeat("y", 600)); w.Code != 200 {
		t.Fatalf("body after the budget was given back: %d", w.Code)
	}
}

// TestClientAddress: X-Forwarded-For and X-Forwarded-Proto count only from
// a trusted proxy, and then the client is the nearest hop that is not one.
func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	for _, tc := range []struct {
		peer, xff, want string
		trusted         []netip.Prefix
	}{
		{"198.51.100.7:5000", "", "198.51.100.7", nil},
		{"198.51.100.7:5000", "203.0.113.9", "198.51.100.7", nil},     // no proxy trusted: ignored
		{"198.51.100.7:5000", "203.0.113.9", "198.51.100.7", trusted}, // an untrusted peer: ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9", trusted},
		{"10.1.2.3:5000", "203.0.113.9:4711", "203.0.113.9", trusted},
		{"10.1.2.3:5000", "1.1.1.1, 203.0.113.9, 10.9.9.9", "203.0.113.9", trusted}, // the client cannot prepend
		{"10.1.2.3:5000", "10.7.7.7, 10.9.9.9", "10.7.7.7", trusted},
		{"10.1.2.3:5000", "203.0.113.9, not-an-ip", "10.1.2.3", trusted},
		{"10.1.2.3:5000", "\xff\x00evil", "10.1.2.3", trusted},
		{"[2001:db8::1]:5000", "[2001:db8:1::5]:80, 2a00::1", "2a00::1", trusted},
		{"[::ffff:10.1.2.3]:5000", "203.0.113.9", "203.0.113.9", trusted},
	} {
		req := httptest.NewRequest("GET", "/ping/"+uuid, nil)
		req.RemoteAddr = tc.peer
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(req, tc.trusted); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q, trusted %v: %q, want %q", tc.peer, tc.xff, tc.trusted, got, tc.want)
		}
	}

	// End to end: what is stored.
	f := setup(t)
	settings := f.handler.Settings
	f.handler.Settings = func() Settings { s := settings(); s.TrustedProxies = trusted; return s }
	for _, peer := range []string{"198.51.100.7:5000", "10.1.2.3:5000"} {
		req := httptest.NewRequest("GET", "/ping/"+uuid, nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%s: %d", peer, w.Code)
		}
	}
	c, _ := f.db.CheckByUUID(context.Background(), uuid)
	pings, _ := f.db.Pings(context.Background(), c.ID, 2)
	byPeer := map[string]tocsin.Ping{}
	for _, p := range pings {
		byPeer[p.RemoteAddr] = p
	}
	if p, ok := byPeer["198.51.100.7"]; !ok || p.Scheme != "http" {
		t.Errorf("untrusted peer: stored %+v", pings)
	}
	if p, ok := byPeer["203.0.113.9"]; !ok || p.Scheme != "https" {
		t.Errorf("trusted proxy: stored %+v", pings)
	}
}

// TestUserAgentCleaned: a User-Agent of bytes that are not UTF-8, or with
// control characters, is stored as valid text, cut to 200 characters.
func TestUserAgentCleaned(t *testing.T) {
	f := setup(t)
	for _, ua := range []string{"curl/8\xff\xfe", "nul\x00byte", "\x1b[31mred", strings.Repeat("é", 300)} {
		req := httptest.NewRequest("GET", "/ping/"+uuid, nil)
		req.Header.Set("User-Agent", ua)
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("%q: %d", ua, w.Code)
		}
		c, _ := f.db.CheckByUUID(context.Background(), uuid)
		pings, _ := f.db.Pings(context.Background(), c.ID, 1)
		got := pings[0].UserAgent
		if !utf8.ValidString(got) || strings.ContainsAny(got, "\x00\x1b") || utf8.RuneCountInString(got) > 200 {
			t.Errorf("User-Agent %q stored as %q", ua, got)
		}
	}
	if got := cleanText("curl/8\xffx", 200); got != "curl/8\uFFFDx" {
		t.Errorf("cleanText = %q", got)
	}
}

package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// TestRedirectIsAFailedAttempt: a receiver answering 301, 302, 303, 307 or
// 308 fails the attempt (not retried), with a message naming the status
// and the redirect, and the redirect target sees no request at all, even
// with a client that would follow redirects.
func TestRedirectIsAFailedAttempt(t *testing.T) {
	var atTarget atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atTarget.Add(1)
	}))
	defer target.Close()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			var atReceiver atomic.Int32
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				atReceiver.Add(1)
				http.Redirect(w, r, target.URL+"/elsewhere?token=SECRET", code)
			}))
			defer recv.Close()
			s := &Sender{Client: &http.Client{}, UserAgent: "Tocsin/test"} // Go's default policy: follows
			ch := tocsin.Channel{Type: "webhook", URL: recv.URL + "/hook?token=SECRET", Secret: "s"}
			retry, err := s.Send(context.Background(), ch, &tocsin.Notification{IdempotencyKey: "k", Event: "e", Payload: []byte(`{}`)})
			if err == nil {
				t.Fatal("a redirect counted as delivered")
			}
			if retry {
				t.Fatalf("a redirect is retried: %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, http.StatusText(code)) || !strings.Contains(msg, "redirect") || strings.Contains(msg, "SECRET") {
				t.Fatalf("message %q: want the status, the word redirect, and no secret", msg)
			}
			if atReceiver.Load() != 1 || atTarget.Load() != 0 {
				t.Fatalf("requests: %d at the receiver, %d at the redirect target; want 1 and 0", atReceiver.Load(), atTarget.Load())
			}
		})
	}
}

// TestTransportErrorHidesURL: a failed round trip (refused connection,
// deadline) never quotes the URL, its query token or its userinfo.
func TestTransportErrorHidesURL(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://user:PASSWORD@" + l.Addr().String() + "/hook?token=SECRET"
	l.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	s := &Sender{Client: &http.Client{}}
	for _, c := range []struct {
		name, url string
		timeout   time.Duration
	}{
		{"refused", refused, 5 * time.Second},
		{"timeout", strings.Replace(slow.URL, "http://", "http://user:PASSWORD@", 1) + "/hook?token=SECRET", 100 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			retry, err := s.Send(ctx, tocsin.Channel{URL: c.url}, &tocsin.Notification{Payload: []byte(`{}`)})
			if err == nil || !retry {
				t.Fatalf("retry %v, err %v: want a retried failure", retry, err)
			}
			for _, secret := range []string{"SECRET", "PASSWORD", "token=", "/hook"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q quotes %q", err, secret)
				}
			}
			if c.name == "timeout" && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a deadline is no longer told: %v", err)
			}
		})
	}
	if _, err := s.Send(context.Background(), tocsin.Channel{URL: "http://x y/?token=SECRET"}, &tocsin.Notification{}); err == nil ||
		strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("an invalid URL: %v", err)
	}
}

// TestSignatures: each attempt carries both signatures; V2 verifies, with
// its time from the sender's clock, and refuses staleness and tampering.
func TestSignatures(t *testing.T) {
	at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	var got http.Header
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer recv.Close()
	body := []byte(`{"event":"incident.triggered"}`)
	s := &Sender{Client: http.DefaultClient, Clock: clock.NewFake(at)}
	if _, err := s.Send(context.Background(), tocsin.Channel{URL: recv.URL, Secret: "k"}, &tocsin.Notification{Payload: body}); err != nil {
		t.Fatal(err)
	}
	if got.Get(SignatureHeader) != Sign("k", body) {
		t.Fatalf("old signature %q", got.Get(SignatureHeader))
	}
	v2 := got.Get(SignatureV2Header)
	if !strings.HasPrefix(v2, "t=1796605200,v1=") {
		t.Fatalf("v2 signature %q", v2)
	}
	for _, c := range []struct {
		name string
		body string
		now  time.Time
		want error
	}{
		{"fresh", string(body), at.Add(4 * time.Minute), nil},
		{"stale", string(body), at.Add(6 * time.Minute), ErrStale},
		{"early", string(body), at.Add(-6 * time.Minute), ErrStale},
		{"tampered", `{"event":"incident.resolved"}`, at, ErrMismatch},
	} {
		if err := VerifyV2("k", v2, []byte(c.body), c.now, DefaultTolerance); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := VerifyV2("k", "", body, at, DefaultTolerance); !errors.Is(err, ErrUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
	for _, h := range []string{"v1=00", "t=1796605200", "t=x,v1=00", "garbage", "t=1796605200,v1=zz"} {
		if err := VerifyV2("k", h, body, at, DefaultTolerance); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%q: %v, want malformed", h, err)
		}
	}
	// Several v1 entries: any may match (a secret being rotated).
	if err := VerifyV2("k", "t=1796605200,v1=00,"+strings.Split(v2, ",")[1], body, at, DefaultTolerance); err != nil {
		t.Errorf("second v1 entry: %v", err)
	}
}

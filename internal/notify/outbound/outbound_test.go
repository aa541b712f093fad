package outbound

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tocsinhq/tocsin"
)

func TestNoRedirects(t *testing.T) {
	var atTarget atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { atTarget.Add(1) }))
	defer target.Close()
	from := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer from.Close()
	orig := &http.Client{}
	c := NoRedirects(orig)
	resp, err := c.Get(from.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || atTarget.Load() != 0 {
		t.Fatalf("status %d, %d requests at the target", resp.StatusCode, atTarget.Load())
	}
	if orig.CheckRedirect != nil {
		t.Fatal("NoRedirects changed the client it was given")
	}
	if NoRedirects(nil).CheckRedirect == nil {
		t.Fatal("NoRedirects(nil) follows redirects")
	}
}

func TestRedirectError(t *testing.T) {
	for loc, want := range map[string]string{
		"https://other.example.com/x?token=s": "a redirect to another host",
		"https://hook.example.com/x":          "a redirect to https on the same host",
		"http://hook.example.com:8080/x":      "a redirect to another port on the same host",
		"/elsewhere":                          "a redirect to another path on the same host",
		"":                                    "(a redirect;",
	} {
		u, _ := url.Parse("http://hook.example.com/hook?token=SECRET")
		resp := &http.Response{StatusCode: http.StatusMovedPermanently, Header: http.Header{}, Request: &http.Request{URL: u}}
		if loc != "" {
			resp.Header.Set("Location", loc)
		}
		msg := RedirectError("webhook", resp).Error()
		if !strings.Contains(msg, "webhook: receiver answered 301 Moved Permanently") || !strings.Contains(msg, want) ||
			!strings.Contains(msg, "fix the channel URL") || strings.Contains(msg, "SECRET") || strings.Contains(msg, "token") {
			t.Errorf("Location %q: %q, want %q", loc, msg, want)
		}
	}
}

func TestTransportError(t *testing.T) {
	raw := "https://user:PASSWORD@hook.example.com/p/PATHTOKEN-0123456789?token=QUERYTOKEN&x=SECOND%2FPART"
	inner := fmt.Errorf("proxyconnect tcp: something about %s and SECOND/PART", "PATHTOKEN-0123456789")
	err := TransportError("webhook", &url.Error{Op: "Post", URL: raw, Err: &url.Error{Op: "Get", URL: raw, Err: inner}}, raw)
	for _, s := range []string{"PASSWORD", "PATHTOKEN", "QUERYTOKEN", "SECOND"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("%q shows %q", err, s)
		}
	}
	if !strings.HasPrefix(err.Error(), "webhook: post: proxyconnect tcp") {
		t.Errorf("%q", err)
	}
	deadline := TransportError("slack", &url.Error{Op: "Post", URL: raw, Err: context.DeadlineExceeded}, raw)
	if !errors.Is(deadline, context.DeadlineExceeded) || deadline.Error() != "slack: post: context deadline exceeded" {
		t.Errorf("%q loses the deadline", deadline)
	}
}

func TestScrubError(t *testing.T) {
	ra := &tocsin.RetryAfterError{Err: errors.New("answered 429 at https://x.example.com/h?token=SECRETVALUE"), After: 5}
	err := ScrubError(fmt.Errorf("send: %w", ra), "https://x.example.com/h?token=SECRETVALUE")
	if strings.Contains(err.Error(), "SECRETVALUE") {
		t.Fatalf("%q", err)
	}
	var got *tocsin.RetryAfterError
	if !errors.As(err, &got) || got.After != 5 {
		t.Fatal("ScrubError hides the RetryAfterError")
	}
	plain := errors.New("answered 500")
	if ScrubError(plain, "https://x.example.com/h?token=SECRETVALUE") != plain || ScrubError(nil) != nil {
		t.Fatal("ScrubError changed an error without secrets")
	}
	// Short parts are no secrets: "/" and "1" stay.
	if got := Scrub("answered 1 / 2", "https://x.example.com/?a=1"); got != "answered 1 / 2" {
		t.Fatalf("%q", got)
	}
}

func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"https://hc-ping.com/5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b": "https://hc-ping.com/…",
		"https://user:pw@hc.example.com:8443/ping?k=v":             "https://hc.example.com:8443/…",
		"https://hc.example.com":                                   "https://hc.example.com",
		"hc.example.com/ping/uuid":                                 "<secret>",
		"":                                                         "<secret>",
	} {
		if got := Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReceiveRefusesUnsignedAndStale: with --secret, tocsin receive
// answers 401 to a request that is unsigned, tampered, signed too long ago
// (a replay) or signed only the old way, and 200 to one Tocsin's webhook
// sender signed now.
func TestReceiveRefusesUnsignedAndStale(t *testing.T) {
	now := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	var out syncBuffer
	srv := httptest.NewServer(receiver("s3cret", 5*time.Minute, clk, &out))
	defer srv.Close()
	body := []byte(`{"event":"incident.triggered","idempotency_key":"k1"}`)

	post := func(t *testing.T, body []byte, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", bytes.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	v2 := func(at time.Time, body []byte) map[string]string {
		return map[string]string{webhook.SignatureV2Header: webhook.SignV2("s3cret", at, body),
			webhook.SignatureHeader: webhook.Sign("s3cret", body)}
	}
	for _, c := range []struct {
		name   string
		body   []byte
		header map[string]string
		want   int
	}{
		{"unsigned", body, nil, http.StatusUnauthorized},
		{"good", body, v2(now, body), http.StatusOK},
		{"a little ahead (clock drift)", body, v2(now.Add(time.Minute), body), http.StatusOK},
		{"stale", body, v2(now.Add(-6*time.Minute), body), http.StatusUnauthorized},
		{"from the future", body, v2(now.Add(6*time.Minute), body), http.StatusUnauthorized},
		{"tampered body", []byte(`{"event":"incident.resolved","idempotency_key":"k1"}`), v2(now, body), http.StatusUnauthorized},
		{"time changed", body, map[string]string{webhook.SignatureV2Header: strings.Replace(webhook.SignV2("s3cret", now.Add(-time.Hour), body),
			"t="+itoa(now.Add(-time.Hour).Unix()), "t="+itoa(now.Unix()), 1)}, http.StatusUnauthorized},
		{"wrong secret", body, map[string]string{webhook.SignatureV2Header: webhook.SignV2("other", now, body)}, http.StatusUnauthorized},
		{"malformed", body, map[string]string{webhook.SignatureV2Header: "t=abc,v1=zz"}, http.StatusUnauthorized},
		{"old signature only", body, map[string]string{webhook.SignatureHeader: webhook.Sign("s3cret", body)}, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := post(t, c.body, c.header); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
		})
	}

	// What Tocsin's sender sends passes, and a replay of it later does not.
	var captured http.Header
	var capturedBody []byte
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		captured = r.Header.Clone()
		capturedBody = readAll(r)
		receiver("s3cret", 5*time.Minute, clk, &out).ServeHTTP(w, r.Clone(context.Background()))
	}))
	defer capture.Close()
	s := &webhook.Sender{Client: http.DefaultClient, UserAgent: "Tocsin/test", Clock: clk}
	n := &tocsin.Notification{IdempotencyKey: "k2", Event: "incident.triggered", Payload: body}
	if _, err := s.Send(context.Background(), tocsin.Channel{Type: "webhook", URL: capture.URL, Secret: "s3cret"}, n); err != nil {
		t.Fatalf("a request Tocsin signed now is refused: %v", err)
	}
	clk.Advance(10 * time.Minute)
	header := map[string]string{}
	for k := range captured {
		header[k] = captured.Get(k)
	}
	if got := post(t, capturedBody, header); got != http.StatusUnauthorized {
		t.Fatalf("a replay 10 minutes later answered %d, want 401", got)
	}
	if !strings.Contains(out.String(), "REFUSED: unsigned") || !strings.Contains(out.String(), "signature OK") {
		t.Fatalf("output does not say why:\n%s", out.String())
	}
}

// TestReceiveWithoutSecret: without --secret nothing is checked, and the
// output says so.
func TestReceiveWithoutSecret(t *testing.T) {
	var out syncBuffer
	srv := httptest.NewServer(receiver("", 5*time.Minute, clock.NewFake(time.Unix(0, 0)), &out))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(out.String(), "not checked") {
		t.Fatalf("status %d, output %q", resp.StatusCode, out.String())
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func readAll(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

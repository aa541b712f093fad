// Package webhook delivers notifications as signed JSON POSTs.
//
// The body is the event document fixed when the notification was queued, so
// a retry carries the same bytes. Tocsin-Signature is
// "sha256=" + hex(HMAC-SHA256(secret, body)); receivers should compare it in
// constant time and de-duplicate on idempotency_key (also sent as the
// Idempotency-Key header).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Sender posts notifications to webhook URLs.
type Sender struct {
	Client    *http.Client
	UserAgent string
}

// RetryAfter reads the Retry-After of a response: seconds, or an HTTP
// date measured from the response's own Date (the receiver's clock, not
// ours).
func RetryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second, true
	}
	at, err1 := http.ParseTime(v)
	date, err2 := http.ParseTime(h.Get("Date"))
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return max(at.Sub(date), 0), true
}

// Sign returns the Tocsin-Signature value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send posts n's payload to the channel URL. 2xx is success; 408, 429 and
// 5xx and transport errors are worth retrying; other statuses are not.
func (s *Sender) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(n.Payload))
	if err != nil {
		return false, fmt.Errorf("webhook request: %w", err)
	}
	for k, v := range ch.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set("Idempotency-Key", n.IdempotencyKey)
	req.Header.Set("Tocsin-Event", n.Event)
	if ch.Secret != "" {
		req.Header.Set("Tocsin-Signature", Sign(ch.Secret, n.Payload))
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("webhook post: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		err := fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
		if after, ok := RetryAfter(resp.Header); ok {
			return true, &tocsin.RetryAfterError{Err: err, After: after}
		}
		return true, err
	default:
		return false, fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
}

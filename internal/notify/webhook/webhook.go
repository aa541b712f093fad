// Package webhook delivers notifications as signed JSON POSTs.
//
// The body is the event document fixed when the notification was queued, so
// a retry carries the same bytes. With a channel secret, each attempt is
// signed twice:
//
//   - Tocsin-Signature-V2: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
//     "<t>.<body>">": the time is signed with the body, so a receiver that
//     refuses a t more than a few minutes from its clock refuses replays.
//   - Tocsin-Signature: "sha256=<hex HMAC-SHA256 of body>", the old,
//     replayable form, kept for one release so receivers can move over.
//
// Receivers should compare in constant time and de-duplicate on
// idempotency_key (also sent as the Idempotency-Key header). A 3xx answer
// is never followed: it fails the attempt, not retried (a redirect is a
// wrong channel URL, and following it would send the page elsewhere).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
)

// Header names of the signatures.
const (
	SignatureHeader   = "Tocsin-Signature"    // old form, "sha256=<hex>"; removed in the next release
	SignatureV2Header = "Tocsin-Signature-V2" // "t=<unix>,v1=<hex>"
)

// Sender posts notifications to webhook URLs. It never follows a redirect,
// whatever Client's policy.
type Sender struct {
	Client    *http.Client
	UserAgent string
	Clock     clock.Clock // stamps Tocsin-Signature-V2; the real clock when nil
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

// Sign returns the old Tocsin-Signature value for body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignV2 returns the Tocsin-Signature-V2 value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>." + body)>".
func SignV2(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(macV2(secret, ts, body))
}

func macV2(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// DefaultTolerance is how far from a receiver's clock a signed time may
// be: the freshness window of VerifyV2, and of tocsin receive.
const DefaultTolerance = 5 * time.Minute

// Errors of VerifyV2.
var (
	ErrUnsigned     = errors.New("no Tocsin-Signature-V2 header")
	ErrBadSignature = errors.New("malformed Tocsin-Signature-V2 header")
	ErrMismatch     = errors.New("signature mismatch")
	ErrStale        = errors.New("signed time outside the freshness window")
)

// VerifyV2 checks a Tocsin-Signature-V2 header value against body and the
// secret: the HMAC (compared in constant time; any of several v1 entries
// may match, so a secret can be rotated) and the freshness of t, which
// must lie within tolerance of now, either way (clocks drift).
func VerifyV2(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if strings.TrimSpace(header) == "" {
		return ErrUnsigned
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrBadSignature
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil {
				return ErrBadSignature
			}
			sigs = append(sigs, sig)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	want := macV2(secret, ts, body)
	match := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			match = true
		}
	}
	if !match {
		return ErrMismatch
	}
	if age := now.Sub(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed %s ago, the window is %s", ErrStale, age.Round(time.Second), tolerance)
	}
	return nil
}

// Send posts n's payload to the channel URL. 2xx is success; 408, 429 and
// 5xx and transport errors are worth retrying; other statuses, 3xx
// included, are not. No error quotes the URL.
func (s *Sender) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ch.URL, bytes.NewReader(n.Payload))
	if err != nil || req.URL.Scheme != "http" && req.URL.Scheme != "https" || req.URL.Host == "" {
		return false, errors.New("webhook: the channel URL is not a valid http(s) URL")
	}
	for k, v := range ch.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.UserAgent)
	req.Header.Set("Idempotency-Key", n.IdempotencyKey)
	req.Header.Set("Tocsin-Event", n.Event)
	if ch.Secret != "" {
		var clk clock.Clock = clock.Real{}
		if s.Clock != nil {
			clk = s.Clock
		}
		req.Header.Set(SignatureV2Header, SignV2(ch.Secret, clk.Now(), n.Payload))
		req.Header.Set(SignatureHeader, Sign(ch.Secret, n.Payload))
	}
	resp, err := outbound.NoRedirects(s.Client).Do(req)
	if err != nil {
		return true, outbound.TransportError("webhook", err, ch.URL)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case outbound.IsRedirect(resp.StatusCode):
		return false, outbound.RedirectError("webhook", resp)
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

package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// maxResponse bounds how much of an answer is read.
const maxResponse = 64 << 10

// maxDetail bounds the service's words quoted in an error.
const maxDetail = 300

// errBadURL is the error of a URL that is not an absolute http(s) URL:
// a configuration error, not worth retrying.
var errBadURL = errors.New("the channel URL is not a valid http(s) URL")

// response is what a service answered, its body cut at maxResponse.
type response struct {
	status   int
	header   http.Header
	body     []byte
	redirect error // the failure of a 3xx answer, never followed
}

// request is one POST to a service.
type request struct {
	client      *http.Client
	userAgent   string
	url         string
	contentType string
	body        []byte
	header      map[string]string // set after the channel's headers and ours
}

// post sends r with the channel's headers, then ours (Content-Type,
// User-Agent, Idempotency-Key), under ctx's deadline. A body that fails
// to read after the status arrived is cut short, not an error: the status
// decides.
func post(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification, r request) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil || req.URL.Scheme != "http" && req.URL.Scheme != "https" || req.URL.Host == "" {
		return nil, errBadURL // never quote the URL: it is a secret
	}
	for k, v := range ch.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", r.contentType)
	ua := r.userAgent
	if ua == "" {
		ua = "Tocsin"
	}
	req.Header.Set("User-Agent", ua)
	if n.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", n.IdempotencyKey)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	// Never follow a redirect, whatever the client's policy: see
	// outbound.NoRedirects.
	resp, err := outbound.NoRedirects(r.client).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	out := &response{status: resp.StatusCode, header: resp.Header, body: body}
	if outbound.IsRedirect(resp.StatusCode) {
		out.redirect = outbound.RedirectError(serviceName(ch), resp)
	}
	return out, nil
}

// serviceName names the service of ch in errors.
func serviceName(ch tocsin.Channel) string {
	if ch.Type != "" {
		return ch.Type
	}
	return "receiver"
}

// encodeJSON encodes v without HTML escaping (<, > and & stay one byte
// each; the services read JSON, not HTML).
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// classify turns a status into the outcome of a send: 2xx is success; 408,
// 429 and 5xx are worth retrying, as a *tocsin.RetryAfterError when after
// (or else the Retry-After header) says how long to wait; the rest are
// not. detail is the service's explanation, quoted in the error.
func classify(service string, r *response, detail string, after time.Duration) (bool, error) {
	if r.status >= 200 && r.status < 300 {
		return false, nil
	}
	if r.redirect != nil {
		return false, r.redirect // a wrong channel URL: retrying cannot help
	}
	msg := fmt.Sprintf("%s answered HTTP %d", service, r.status)
	if detail != "" {
		msg += ": " + detail
	}
	err := errors.New(msg)
	switch {
	case r.status == http.StatusRequestTimeout, r.status == http.StatusTooManyRequests, r.status >= 500:
		if after <= 0 {
			after, _ = webhook.RetryAfter(r.header)
		}
		if after > 0 {
			return true, &tocsin.RetryAfterError{Err: err, After: after}
		}
		return true, err
	}
	return false, err
}

// seconds converts a service's retry_after (seconds, maybe fractional) to
// a duration; nonsense is zero.
func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	return time.Duration(math.Min(s, 7*24*3600) * float64(time.Second)).Round(time.Millisecond)
}

// excerpt is a short, one-line, valid UTF-8 quote of what a service said.
func excerpt(b []byte) string {
	if len(b) > 4*maxDetail {
		b = b[:4*maxDetail]
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isFormatting(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "\uFFFD"))
	return truncate(strings.Join(strings.Fields(s), " "), maxDetail, utf16Len)
}

// transportError describes a failed round trip without quoting the URL
// (see outbound.TransportError): a chat webhook URL is a secret (Slack,
// Discord and Teams URLs hold their token, a Telegram URL the bot token,
// an ntfy topic is its own password). secrets are the texts to hide, the
// URL among them.
func transportError(service string, err error, secrets ...string) error {
	return outbound.TransportError(service, err, secrets...)
}

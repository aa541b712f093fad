// Package outbound holds what every sender of notifications shares about
// outbound HTTP: a client that never follows a redirect, the error of a
// receiver that answered one, and errors that never quote a URL.
//
// A channel URL is a credential: chat webhook URLs carry their token in the
// path, generic webhooks often carry one in the query or the userinfo. So
// no error that reaches a timeline, a log or an API answer may hold it.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Mark replaces secrets in messages.
const Mark = "<secret>"

// NoRedirects returns a copy of c (http.DefaultClient when nil) that never
// follows a redirect: the 3xx answer itself is returned. Following one
// turns a POST into an empty GET on 301, 302 and 303, recorded as
// delivered, and re-sends the body, signature and secret headers to
// wherever Location points on 307 and 308.
func NoRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// IsRedirect reports whether status is a 3xx: never a delivery.
func IsRedirect(status int) bool { return status >= 300 && status < 400 }

// RedirectError is the failure of a send answered with a 3xx (resp's
// status and Location). It names the status and where the redirect leads
// (another host, https, another path) without quoting either URL. A
// redirect is a configuration problem: senders do not retry it.
func RedirectError(service string, resp *http.Response) error {
	where := ""
	if loc := resp.Header.Get("Location"); loc != "" && resp.Request != nil && resp.Request.URL != nil {
		from := resp.Request.URL
		if to, err := from.Parse(loc); err == nil {
			switch {
			case !strings.EqualFold(to.Hostname(), from.Hostname()):
				where = "a redirect to another host"
			case to.Scheme != from.Scheme:
				where = "a redirect to " + to.Scheme + " on the same host"
			case to.Port() != from.Port():
				where = "a redirect to another port on the same host"
			default:
				where = "a redirect to another path on the same host"
			}
		}
	}
	if where == "" {
		where = "a redirect"
	}
	return fmt.Errorf("%s: receiver answered %s (%s; Tocsin does not follow redirects: fix the channel URL)",
		service, statusText(resp.StatusCode), where)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}

// TransportError describes a failed round trip without quoting the URL
// (a *url.Error does) and with every secret, and every secret part of a
// URL among them (see Secrets), replaced by Mark. It unwraps only to the
// context's error, if that was the cause, so that errors.Is still tells
// a deadline.
func TransportError(service string, err error, secrets ...string) error {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		for {
			var next *url.Error
			if !errors.As(inner, &next) {
				break
			}
			inner = next.Err
		}
		msg = strings.ToLower(ue.Op) + ": " + inner.Error()
	}
	e := &safeError{msg: service + ": " + Scrub(msg, secrets...)}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.cause = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		e.cause = context.Canceled
	}
	return e
}

// safeError is an error whose text is safe to log. It unwraps to cause:
// the context's error for a transport error, the original error (so that
// errors.Is and As still see it) for a scrubbed one.
type safeError struct {
	msg   string
	cause error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.cause }

// minSecret is the shortest text Scrub replaces: shorter parts (a path of
// "/", a query value "1") are not secrets and would garble the message.
const minSecret = 4

// Secrets returns the texts of s that are secret: s itself and, when s is
// a URL, its userinfo (user name and password), its query and each query
// value, and its path and its long segments (a chat webhook's token). Callers add the channel's
// secret and header values.
func Secrets(s string) []string {
	out := []string{s}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return out
	}
	if u.User != nil {
		out = append(out, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
		for _, vs := range u.Query() {
			out = append(out, vs...)
		}
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if _, v, ok := strings.Cut(kv, "="); ok {
				out = append(out, v)
			}
		}
	}
	if u.Path != "" && u.Path != "/" {
		out = append(out, u.EscapedPath(), u.Path)
		// A segment as long as a token may be one, quoted alone; short
		// ones ("hook", "api") are words that messages need.
		for _, seg := range strings.Split(u.Path, "/") {
			if len(seg) >= minPathSecret {
				out = append(out, seg)
			}
		}
	}
	return out
}

// minPathSecret is the shortest path segment Secrets counts as a secret.
const minPathSecret = 12

// Scrub replaces in msg every secret text (see Secrets) of each of
// secrets with Mark, longest first so that a URL goes whole.
func Scrub(msg string, secrets ...string) string {
	var all []string
	for _, s := range secrets {
		all = append(all, Secrets(s)...)
	}
	// Longest first: the whole URL before its parts.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && len(all[j]) > len(all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	for _, s := range all {
		if len(s) >= minSecret {
			msg = strings.ReplaceAll(msg, s, Mark)
		}
	}
	return msg
}

// ScrubError returns err with secrets scrubbed from its text (see Scrub),
// or err itself when its text holds none. The scrubbed error unwraps to
// err, so errors.As still finds a *tocsin.RetryAfterError.
func ScrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := Scrub(msg, secrets...); clean != msg {
		return &safeError{msg: clean, cause: err}
	}
	return err
}

// Redacted shows a URL that is a credential in a log line: its scheme and
// host (port included) and "/…" for anything after; a text that is not
// such a URL is "<secret>" whole.
func Redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return Mark
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}

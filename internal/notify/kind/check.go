package kind

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The checks and the shown forms below are shared by channels and
// contacts of every type, and by the rest of the config.

// SecretMark replaces secrets in printed configs and messages.
const SecretMark = "<secret>"

// CheckHTTPURL checks that s is an absolute http or https URL with a host.
// Its errors show s without userinfo and query (see ShownURL).
func CheckHTTPURL(s string) error { return CheckURLShown(s, ShownURL(s)) }

// CheckURLShown is CheckHTTPURL with errors that show s as shown.
func CheckURLShown(s, shown string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("must be an absolute http or https URL, got %s", Quote(shown))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an absolute http or https URL, got %s", Quote(shown))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("must have a host, got %s", Quote(shown))
	}
	return nil
}

// IsLocalHost reports whether host, as in a URL without brackets, names
// this machine: localhost, 127.0.0.1 or ::1.
func IsLocalHost(host string) bool {
	return strings.EqualFold(host, "localhost") || host == "127.0.0.1" || host == "::1"
}

// ValidHeaderValue reports whether s can be sent as an HTTP header value.
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// CheckBareAddress checks that s is an email address alone, like
// ops@example.com: no display name, no angle brackets.
func CheckBareAddress(s string) error {
	a, err := mail.ParseAddress(s)
	switch {
	case err == nil && a.Address == s:
		return nil
	case err == nil && a.Name != "":
		return fmt.Errorf("must be an email address alone, like ops@example.com, without a display name, got %s", Quote(s))
	}
	return fmt.Errorf("must be an email address like ops@example.com, got %s", Quote(s))
}

// CheckEmail checks that s looks like an email address: one @ with
// something on each side, no spaces or control characters.
func CheckEmail(s string) error {
	local, domain, _ := strings.Cut(s, "@")
	if strings.Count(s, "@") != 1 || local == "" || domain == "" ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("must be an email address like ana@example.com, got %s", Quote(s))
	}
	return nil
}

// Quote quotes s for an error message, shortening it if long, without a
// URL's credentials.
func Quote(s string) string {
	const max = 60
	// Messages go to logs and API answers: a URL's credentials stay out.
	s = HideURLSecrets(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// HideURLSecrets hides, in a text quoted by an error message, the userinfo
// and the query of a URL, even one that does not parse (a config error is
// often about such a one): "https://<secret>@host/path?<secret>". Texts
// that do not look like URLs are returned as they are.
func HideURLSecrets(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(strings.ToLower(s), "http") {
		return s
	}
	return ShownURL(s)
}

// ShownTokenURL is a URL that carries a token in its path as an error
// message shows it: its scheme and host, and <secret> for the rest, if
// there is a rest. Unlike RedactTokenURL it shows as much of a text that
// does not parse: the part before the first "/" after the scheme.
func ShownTokenURL(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := strings.IndexAny(s[start:], "/?#")
	if end < 0 {
		return HideURLSecrets(s)
	}
	head, rest := s[:start+end], s[start+end:]
	if rest == "/" {
		return HideURLSecrets(s)
	}
	return HideURLSecrets(head) + "/" + SecretMark
}

// ShownURL is a URL as an error message shows it: without its userinfo
// and its query, even when it does not parse or lacks its scheme.
func ShownURL(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	rest := s[start:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = SecretMark + auth[at:]
	}
	if q := strings.IndexByte(tail, '?'); q >= 0 && q < len(tail)-1 {
		tail = tail[:q] + "?" + SecretMark
	}
	return s[:start] + auth + tail
}

// RedactTokenURL hides all of a URL but its scheme and host (port
// included): "https://hooks.slack.com/<secret>". A URL that cannot be read
// is hidden whole.
func RedactTokenURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return SecretMark
	}
	return u.Scheme + "://" + u.Host + "/" + SecretMark
}

// CheckTokenURL checks the URL of a service whose webhook URLs carry their
// token in the path, shown without it: https, or http to this machine (a
// local relay, tests). hint says what the URL is.
func CheckTokenURL(s, hint, service string) error {
	shown := Quote(RedactTokenURL(s))
	if CheckHTTPURL(s) != nil {
		return fmt.Errorf("must be %s, got %s", hint, shown)
	}
	if u, _ := url.Parse(s); u.Scheme != "https" && !IsLocalHost(u.Hostname()) {
		return fmt.Errorf("must be https: the URL carries the %s token in its path (http is only allowed to localhost, 127.0.0.1 or ::1), got %s", service, shown)
	}
	return nil
}

package ping

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxUserAgent is how many characters of a User-Agent are kept, as in
// Healthchecks.
const maxUserAgent = 200

// clientAddr is the address of the client that sent the ping. Only a
// trusted proxy may name another one, in X-Forwarded-For: the list is read
// from the right (the hop nearest to Tocsin) and the first address that is
// not a trusted proxy is the client's. Anyone else's X-Forwarded-For is
// ignored, so that a client cannot put what it likes in the ping's record.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return cleanText(r.RemoteAddr, 64)
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	client := peer
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break // what is left of it cannot be believed
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

// ClientAddr is the address of the client that sent r, read as a ping's
// is (see clientAddr): the API's audit log and token records name the
// same address the ping log would.
func ClientAddr(r *http.Request, trusted []netip.Prefix) string { return clientAddr(r, trusted) }

// forwardedProto reports whether the peer may tell the scheme.
func fromTrustedProxy(r *http.Request, trusted []netip.Prefix) bool {
	peer, ok := parseAddr(r.RemoteAddr)
	return ok && isTrusted(peer, trusted)
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseAddr parses an address with or without a port ("192.0.2.1",
// "192.0.2.1:5000", "[2001:db8::1]:5000", "2001:db8::1").
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// cleanText makes a header value fit for the store and for people: bytes
// that are not UTF-8 and control characters (NUL among them) become
// U+FFFD, and it is cut to max characters.
func cleanText(s string, max int) string {
	var b strings.Builder
	n := 0
	for len(s) > 0 && n < max {
		c, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if c == utf8.RuneError || unicode.IsControl(c) {
			c = utf8.RuneError
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// Scheme is the scheme the client used: X-Forwarded-Proto when a trusted
// proxy sends it, else https when r came over TLS.
func Scheme(r *http.Request, trusted []netip.Prefix) string {
	return scheme(r, fromTrustedProxy(r, trusted))
}

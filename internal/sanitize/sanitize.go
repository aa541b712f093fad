// Package sanitize makes strings from the outside storable: the one rule
// for text Tocsin keeps, applied at the edge of every ingest path and
// again at the store's edge, so that no string can fail an insert.
//
// PostgreSQL's text type refuses invalid UTF-8 and the NUL character,
// while SQLite keeps both; one rule for both stores keeps what is read
// back the same whichever store holds it. The rule: every byte that is not
// part of valid UTF-8, and every NUL, becomes U+FFFD, the replacement character. NUL is
// replaced rather than dropped so that the text still shows that
// something unprintable was there, and so that "a\x00b" does not become
// the different, plausible "ab".
//
// Identities (alert keys, dedup keys) are not sanitized but checked with
// Exact: replacing bytes there would merge distinct keys into one alert.
package sanitize

import (
	"strings"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// Replacement is what an invalid sequence or a NUL becomes.
const Replacement = "\uFFFD"

// Clean reports whether s is storable as it is: valid UTF-8 without NUL.
func Clean(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// Text returns s with every byte that is not part of valid UTF-8, and
// every NUL, replaced by U+FFFD: byte by byte, as encoding/json and Go's
// range over a string do, so that text decoded from JSON and text
// sanitized here agree. Clean strings, nearly all of them, are returned
// as they are without copying.
func Text(s string) string {
	if Clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == utf8.RuneError && n == 1 {
			b.WriteString(Replacement)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Alert sanitizes every string of a in place: its texts, labels and
// annotations (names and values), links, and the strings inside its
// details. The key is left alone: check it with Exact at the edge. When
// two label names differ only in what was replaced, the one sorting last
// wins.
func Alert(a *tocsin.Alert) {
	a.Summary, a.Source, a.Severity = Text(a.Summary), Text(a.Source), Text(a.Severity)
	a.GeneratorURL = Text(a.GeneratorURL)
	a.Labels, a.Annotations = stringMap(a.Labels), stringMap(a.Annotations)
	for i := range a.Links {
		a.Links[i].Href, a.Links[i].Text = Text(a.Links[i].Href), Text(a.Links[i].Text)
	}
	for i := range a.Images {
		im := &a.Images[i]
		im.Src, im.Href, im.Alt = Text(im.Src), Text(im.Href), Text(im.Alt)
	}
	if len(a.Details) > 0 {
		// In valid JSON, invalid UTF-8 can only sit inside strings, and a
		// NUL only as the escape \u0000, which text columns keep as six
		// characters: replacing the bytes keeps the JSON valid.
		if d := Text(string(a.Details)); d != string(a.Details) {
			a.Details = []byte(d)
		}
	}
}

// stringMap returns m with its names and values sanitized; m itself when
// nothing needed it.
func stringMap(m map[string]string) map[string]string {
	dirty := false
	for k, v := range m {
		if !Clean(k) || !Clean(v) {
			dirty = true
			break
		}
	}
	if !dirty {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		ck := Text(k)
		if old, dup := out[ck]; dup && old > v {
			continue // deterministic whatever the map's order
		}
		out[ck] = Text(v)
	}
	return out
}

// Exact reports whether raw, a JSON string literal as sent (quotes
// included), decodes to exactly what was sent: valid UTF-8, no NUL, and no
// escaped lone surrogate. encoding/json replaces what is not, so two keys
// that differ only there would decode equal. Use it on identities.
func Exact(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		i++ // the escaped character
		if raw[i] != 'u' || i+4 >= len(raw) {
			continue
		}
		r := hex4(raw[i+1 : i+5])
		i += 4
		switch {
		case r == 0:
			return false
		case 0xD800 <= r && r < 0xDC00: // a high surrogate must be followed by a low one
			if i+6 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return false
			}
			if lo := hex4(raw[i+3 : i+7]); lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		case 0xDC00 <= r && r <= 0xDFFF:
			return false
		}
	}
	return true
}

// hex4 decodes four hex digits; -1 if they are not.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

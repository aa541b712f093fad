package sanitize

import (
	"encoding/json"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"café ✓", "café ✓"},
		{"a\x00b", "a\uFFFDb"},
		{"a\xffb", "a\uFFFDb"},
		{"\xff\xfe", "\uFFFD\uFFFD"},           // one replacement per byte, as encoding/json does
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // an encoded surrogate is three bad bytes
		{"\x00\x00", "\uFFFD\uFFFD"},
		{"ok\uFFFD", "ok\uFFFD"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a\x00", "\xff", "é", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if !Clean(got) {
			t.Fatalf("Text(%q) = %q, not clean", s, got)
		}
		if Clean(s) && got != s {
			t.Fatalf("Text changed clean %q to %q", s, got)
		}
		if Text(got) != got {
			t.Fatalf("Text is not idempotent on %q", s)
		}
		// It agrees with encoding/json on what is not NUL.
		if strings.IndexByte(s, 0) < 0 {
			var dec string
			if err := json.Unmarshal([]byte(testkit.JSONString(s)), &dec); err == nil && dec != got {
				t.Fatalf("json decodes %q to %q, Text gives %q", s, dec, got)
			}
		}
	})
}

func TestExact(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want bool
	}{
		{`"abc"`, true},
		{`"caf\u00e9"`, true},
		{`"\ud83d\ude00"`, true}, // a surrogate pair
		{`"\\ud800"`, true},      // an escaped backslash, then text
		{`"\ufffd"`, true},       // U+FFFD sent on purpose is exact
		{"\"a\xffb\"", false},
		{`"\ud800"`, false},
		{`"\ud800x"`, false},
		{`"\ude00"`, false},
		{`"\ud800\u0041"`, false},
		{`"a\u0000"`, false},
	} {
		if got := Exact([]byte(c.raw)); got != c.want {
			t.Errorf("Exact(%s) = %v, want %v", c.raw, got, c.want)
		}
	}
}

// FuzzExact checks Exact against its definition: a literal is exact when
// decoding it changes nothing the sender could mean, that is when it
// decodes to a clean string and re-encoding that string decodes the same.
func FuzzExact(f *testing.F) {
	for _, s := range []string{`"a"`, `"\ud800"`, "\"\xff\"", `"\u0000"`, `"\ud83d\ude00"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		if Exact(raw) && (!utf8.ValidString(s) || !Clean(s)) {
			t.Fatalf("Exact(%q) but it decodes to unclean %q", raw, s)
		}
	})
}

func TestAlert(t *testing.T) {
	a := tocsin.Alert{Key: "k\xff", Summary: "disk\x00full", Labels: map[string]string{"a\x00": "v\xff", "b": "ok"},
		Annotations: map[string]string{"d": "x"}, Links: []tocsin.Link{{Href: "http://h/\xff", Text: "t\x00"}},
		Details: json.RawMessage("{\"x\":\"\xff\"}")}
	Alert(&a)
	if a.Key != "k\xff" {
		t.Errorf("key changed: %q", a.Key)
	}
	if a.Summary != "disk\uFFFDfull" || a.Labels["a\uFFFD"] != "v\uFFFD" || a.Labels["b"] != "ok" ||
		a.Links[0].Href != "http://h/\uFFFD" || a.Links[0].Text != "t\uFFFD" || string(a.Details) != "{\"x\":\"\uFFFD\"}" {
		t.Errorf("not sanitized: %+v", a)
	}
	if !json.Valid(a.Details) {
		t.Errorf("details no longer JSON: %s", a.Details)
	}
}

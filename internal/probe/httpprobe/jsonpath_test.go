package httpprobe

import (
	"strings"
	"testing"
)

func FuzzJSONPath(f *testing.F) {
	seeds := []struct{ body, path, equals string }{
		{`{"status":"ok"}`, "status", "ok"},
		{`{"data":{"items":[{"name":"a"}]}}`, "data.items.0.name", "a"},
		{`{"data":{"items":[]}}`, "data.items.0", ""},
		{`[1,2,3]`, "2", "3"},
		{`[1,2,3]`, "-1", ""},
		{`[1,2,3]`, "99999999999999999999", ""},
		{`{"a":1.5e300}`, "a", "1.5e300"},
		{`{"a":null}`, "a.b", ""},
		{`{"a":{"":1}}`, "a.", ""},
		{`"just a string"`, "x", ""},
		{`{"a":1} trailing`, "a", "1"},
		{`{"a":`, "a", ""},
		{``, "a", ""},
		{`{"a":"\u003c\ud800"}`, "a", `"<"`},
		{`[[[[[[[[[[0]]]]]]]]]]`, "0.0.0.0.0.0.0.0.0.0", "0"},
	}
	for _, s := range seeds {
		f.Add(s.body, s.path, s.equals)
	}
	f.Fuzz(func(t *testing.T, body, path, equals string) {
		steps, err := parsePath(path)
		if err != nil {
			return
		}
		msg := checkJSON([]byte(body), steps, path, equals)
		if len(msg) > 3*maxShown {
			t.Errorf("message of %d bytes", len(msg))
		}
		if msg == "" {
			// A pass means the value is there and, when asked, equal.
			doc, err := decodeJSON([]byte(body))
			if err != nil {
				t.Fatalf("passed on a body that does not decode: %v", err)
			}
			v, err := lookup(doc, steps)
			if err != nil {
				t.Fatalf("passed on a missing path: %v", err)
			}
			if equals != "" && !jsonEquals(v, equals) {
				t.Fatal("passed on a different value")
			}
		}
	})
}

func TestParsePath(t *testing.T) {
	for _, bad := range []string{"", ".", "a.", ".a", "a..b"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q): no error", bad)
		}
	}
	steps, err := parsePath("data.items.0.name")
	if err != nil || strings.Join(steps, "|") != "data|items|0|name" {
		t.Errorf("parsePath: %q, %v", steps, err)
	}
}

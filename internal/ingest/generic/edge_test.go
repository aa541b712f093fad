package generic

import (
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

// TestNULAndBadUTF8AreStorable: NUL and bytes that are not UTF-8 in
// texts become U+FFFD; a key that decoding would alter is refused.
func TestNULAndBadUTF8AreStorable(t *testing.T) {
	body := `{"key":"k","summary":"disk\u0000full","source":"s` + "\xff" + `","annotations":{"n":"v\u0000"}}`
	alerts, err := Parse(strings.NewReader(body), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if a := alerts[0]; a.Summary != "disk\uFFFDfull" || a.Source != "s\uFFFD" || a.Annotations["n"] != "v\uFFFD" {
		t.Errorf("not sanitized: %+v", a)
	}
	for _, key := range []string{`"k\udc00"`, "\"k\xff\"", "\"k\xfe\""} {
		_, err := Parse(strings.NewReader(`{"key":`+key+`,"summary":"s"}`), 1<<20)
		if tocsin.ErrorCode(err) != tocsin.EInvalid || !strings.HasPrefix(tocsin.ErrorMessage(err), "key: ") {
			t.Errorf("key %s: got %v, want EInvalid naming key", key, err)
		}
	}
}

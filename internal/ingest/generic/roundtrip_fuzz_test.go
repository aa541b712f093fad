package generic_test

import (
	"fmt"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting/alertingtest"
	"github.com/tocsinhq/tocsin/internal/ingest/generic"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// FuzzRoundTrip puts random bytes (NUL, invalid UTF-8, escapes that
// decode to neither) in every string field of a generic alert, takes what
// Parse accepts through the processor into SQLite and PostgreSQL, and
// reads it back: no panic, no store error, and what is read back equal to
// what Parse made of it, itself the input sanitized. A key decoding would
// alter is refused, never merged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("k", "disk full", "db1", "v", "team", "ops", "https://h/", "runbook", "d")
	f.Add("k2", "disk\x00full", "db\xff", "\xfe", "note", "v\x00\xff", "https://h/", "t\x00", "\x00")
	f.Add("k\xff", "s", "", "", "a", "b", "", "", "")
	f.Add("k\\ud800", "s", "", "", "a", "b", "", "", "")
	stores := alertingtest.Stores(f)
	f.Fuzz(func(t *testing.T, key, summary, source, label, annName, annValue, href, linkText, detail string) {
		q := testkit.JSONString
		body := fmt.Sprintf(`{"key":%s,"summary":%s,"source":%s,"labels":{"l":%s},"annotations":{%s:%s},
			"links":[{"href":%s,"text":%s}],"details":{"d":%s}}`,
			q(key), q(summary), q(source), q(label), q(annName), q(annValue), q(href), q(linkText), q(detail))
		alerts, err := generic.Parse(strings.NewReader(body), 1<<20)
		if err != nil {
			if tocsin.ErrorCode(err) != tocsin.EInvalid {
				t.Fatalf("Parse: %v, want EInvalid or nothing", err)
			}
			return
		}
		a := alerts[0]
		if !sanitize.Clean(a.Key) {
			t.Fatalf("key %q kept though not exact", a.Key)
		}
		if got, want := a.Labels["l"], sanitize.Text(label); strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Fatalf("label = %q, want %q", got, want)
		}
		alertingtest.RoundTrip(t, stores, alerts)
	})
}

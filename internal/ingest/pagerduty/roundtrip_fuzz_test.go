package pagerduty_test

import (
	"fmt"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting/alertingtest"
	"github.com/tocsinhq/tocsin/internal/ingest/pagerduty"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// FuzzRoundTrip puts random bytes (NUL, invalid UTF-8, escapes that
// decode to neither) in every string field of a PagerDuty event, takes
// what Parse accepts through the processor into SQLite and PostgreSQL,
// and reads it back: no panic, no store error, and what is read back
// equal to what Parse made of it, itself the input sanitized. A dedup_key
// decoding would alter is refused, never merged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("d", "disk full", "db1", "comp", "grp", "cls", "client", "https://h/", "https://l/", "link", "alt", "x")
	f.Add("d2", "disk\x00full", "db\xff", "c\x00", "\xfe", "", "cl\x00", "https://h/\xff", "https://l/", "t\x00", "\xff", "\x00")
	f.Add("d\xff", "s", "src", "", "", "", "", "", "", "", "", "")
	f.Add("d\\u0000", "s", "src", "", "", "", "", "", "", "", "", "")
	stores := alertingtest.Stores(f)
	f.Fuzz(func(t *testing.T, dedup, summary, source, component, group, class, client, clientURL, linkHref, linkText,
		imageAlt, detail string) {
		q := testkit.JSONString
		body := fmt.Sprintf(`{"routing_key":"r","event_action":"trigger","dedup_key":%s,"client":%s,"client_url":%s,
			"payload":{"summary":%s,"source":%s,"severity":"error","component":%s,"group":%s,"class":%s,
			"custom_details":{"d":%s}},"links":[{"href":%s,"text":%s}],"images":[{"src":"https://i/","alt":%s}]}`,
			q(dedup), q(client), q(clientURL), q(summary), q(source), q(component), q(group), q(class), q(detail),
			q(linkHref), q(linkText), q(imageAlt))
		e, err := pagerduty.Parse(strings.NewReader(body), 0)
		if err != nil {
			var inv *pagerduty.InvalidError
			if !asInvalid(err, &inv) {
				t.Fatalf("Parse: %v, want an InvalidError or nothing", err)
			}
			return
		}
		a := e.Alert(func() string { return "generated" })
		if !sanitize.Clean(a.Key) {
			t.Fatalf("key %q kept though not exact", a.Key)
		}
		if a.Summary != sanitize.Text(summary) {
			t.Fatalf("summary = %q, want %q", a.Summary, sanitize.Text(summary))
		}
		alertingtest.RoundTrip(t, stores, []tocsin.Alert{a})
	})
}

func asInvalid(err error, target **pagerduty.InvalidError) bool {
	e, ok := err.(*pagerduty.InvalidError)
	*target = e
	return ok
}

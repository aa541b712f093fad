package alertmanager_test

import (
	"fmt"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting/alertingtest"
	"github.com/tocsinhq/tocsin/internal/ingest/alertmanager"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// FuzzRoundTrip puts random bytes (NUL, invalid UTF-8, escapes that
// decode to neither) in every string field of an Alertmanager delivery,
// takes what Parse accepts through the processor into SQLite and
// PostgreSQL, and reads it back: no panic, no store error, and labels and
// annotations equal to the input sanitized. A groupKey decoding would
// alter is refused, never merged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("{}:{}", "A", "x", "v", "s", "d", "r", "http://h/")
	f.Add("g1", "A\x00", "x", "\xff", "disk\x00full", "\xfe\xff", "\\u0000", "http://h/\xff")
	f.Add("g\xff", "A", "\xff", "v", "\\ud800", "", "", "")
	f.Add("g\x00", "A", "l", "v", "s", "", "", "")
	stores := alertingtest.Stores(f)
	f.Fuzz(func(t *testing.T, groupKey, alertname, labelName, labelValue, summary, description, runbook, generator string) {
		q := testkit.JSONString
		body := fmt.Sprintf(`{"version":"4","groupKey":%s,"status":"firing","alerts":[{"status":"firing",
			"labels":{"alertname":%s,%s:%s},"annotations":{"summary":%s,"description":%s,"runbook_url":%s},
			"startsAt":"2026-01-01T00:00:00Z","generatorURL":%s,"fingerprint":"0123abcd"}]}`,
			q(groupKey), q(alertname), q(labelName), q(labelValue), q(summary), q(description), q(runbook), q(generator))
		_, alerts, err := alertmanager.Parse(strings.NewReader(body), 1<<20)
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
		want := map[string]string{"summary": sanitize.Text(summary), "description": sanitize.Text(description),
			"runbook_url": sanitize.Text(runbook)}
		for k, v := range want {
			if a.Annotations[k] != v {
				t.Fatalf("annotation %s = %q, want %q", k, a.Annotations[k], v)
			}
		}
		if name := sanitize.Text(labelName); name != "alertname" && a.Labels[name] != sanitize.Text(labelValue) {
			t.Fatalf("label %q = %q, want %q", name, a.Labels[name], sanitize.Text(labelValue))
		}
		alertingtest.RoundTrip(t, stores, alerts)
	})
}

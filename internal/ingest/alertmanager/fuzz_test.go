package alertmanager

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

func FuzzParse(f *testing.F) {
	f.Add(readSample(f, "firing"))
	f.Add(readSample(f, "resolved"))
	f.Add([]byte(valid))
	for _, tc := range badCases(f) {
		if len(tc.body) < 4096 { // the oversized ones only slow the fuzzer
			f.Add([]byte(tc.body))
		}
	}
	const fuzzLimit = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		p, alerts, err := Parse(bytes.NewReader(data), fuzzLimit)
		if err != nil {
			if p != nil || alerts != nil {
				t.Fatal("payload or alerts returned with an error")
			}
			if code := tocsin.ErrorCode(err); code != tocsin.EInvalid {
				t.Fatalf("code %q for %v", code, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(alerts) == 0 || len(alerts) != len(p.Alerts) || len(alerts) > MaxAlerts {
			t.Fatalf("%d alerts from %d sent", len(alerts), len(p.Alerts))
		}
		keys := map[string]bool{}
		for i, a := range alerts {
			if a.Key == "" || !strings.HasPrefix(a.Key, p.GroupKey+"/") || keys[a.Key] {
				t.Fatalf("alerts[%d]: bad or repeated key %q", i, a.Key)
			}
			keys[a.Key] = true
			if a.Status != tocsin.AlertFiring && a.Status != tocsin.AlertResolved {
				t.Fatalf("alerts[%d]: status %q", i, a.Status)
			}
			switch a.Severity {
			case "critical", "error", "warning", "info":
			default:
				t.Fatalf("alerts[%d]: severity %q", i, a.Severity)
			}
			if a.Summary == "" || a.StartsAt.IsZero() || a.Labels["alertname"] == "" {
				t.Fatalf("alerts[%d]: incomplete %+v", i, a)
			}
			for _, l := range a.Links {
				if !webURL(l.Href) {
					t.Fatalf("alerts[%d]: link %q", i, l.Href)
				}
			}
		}
	})
}

package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

func FuzzParse(f *testing.F) {
	for _, tc := range goodCases {
		f.Add([]byte(tc.body))
	}
	for _, tc := range badCases() {
		if len(tc.body) < 4096 { // the oversized ones only slow the fuzzer
			f.Add([]byte(tc.body))
		}
	}
	const fuzzLimit = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		alerts, err := Parse(bytes.NewReader(data), fuzzLimit)
		if err != nil {
			if alerts != nil {
				t.Fatal("alerts returned with an error")
			}
			var e *tocsin.Error
			if !errors.As(err, &e) || e.Code != tocsin.EInvalid {
				t.Fatalf("error %v (%T) is not a tocsin.EInvalid error", err, err)
			}
			if _, ok := err.(*tocsin.Error); !ok && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v (%T) is neither a *tocsin.Error nor ErrTooLarge", err, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if len(alerts) == 0 || len(alerts) > MaxAlerts {
			t.Fatalf("%d alerts", len(alerts))
		}
		keys := map[string]bool{}
		for i, a := range alerts {
			if a.Key == "" || a.Key != strings.TrimSpace(a.Key) || len(a.Key) > MaxKey ||
				strings.ContainsFunc(a.Key, unicode.IsControl) || keys[a.Key] {
				t.Fatalf("alerts[%d]: bad or repeated key %q", i, a.Key)
			}
			keys[a.Key] = true
			switch a.Status {
			case tocsin.AlertFiring:
				if a.Summary == "" {
					t.Fatalf("alerts[%d]: firing without a summary", i)
				}
			case tocsin.AlertResolved:
			default:
				t.Fatalf("alerts[%d]: status %q", i, a.Status)
			}
			if !slices.Contains(severities, a.Severity) {
				t.Fatalf("alerts[%d]: severity %q", i, a.Severity)
			}
			if _, ok := a.Labels["severity"]; !ok {
				t.Fatalf("alerts[%d]: no severity label in %v", i, a.Labels)
			}
			for name := range a.Labels {
				if !labelName.MatchString(name) {
					t.Fatalf("alerts[%d]: label name %q", i, name)
				}
			}
			for _, l := range a.Links {
				if !webURL(l.Href) {
					t.Fatalf("alerts[%d]: link %q", i, l.Href)
				}
			}
			if a.Details != nil && (!json.Valid(a.Details) || !utf8.Valid(a.Details)) {
				t.Fatalf("alerts[%d]: details %q", i, a.Details)
			}
		}

		// What Parse returns, written back in the form, reads the same.
		out := encode(t, alerts)
		again, err := Parse(bytes.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatalf("reparse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(compactDetails(t, again), compactDetails(t, alerts)) {
			t.Fatalf("round trip\n got %+v\nwant %+v", again, alerts)
		}
	})
}

// encode writes alerts as a batch body of the generic form. A severity
// label equal to the severity is left out, as Parse adds it back: it may
// be the one Parse added beside MaxEntries labels of the sender's.
func encode(t *testing.T, alerts []tocsin.Alert) []byte {
	items := make([]map[string]any, len(alerts))
	for i, a := range alerts {
		labels := maps.Clone(a.Labels)
		if labels["severity"] == a.Severity {
			delete(labels, "severity")
		}
		m := map[string]any{"key": a.Key, "status": a.Status, "severity": a.Severity, "labels": labels}
		set := func(name string, v any, ok bool) {
			if ok {
				m[name] = v
			}
		}
		set("summary", a.Summary, a.Summary != "")
		set("source", a.Source, a.Source != "")
		set("annotations", a.Annotations, a.Annotations != nil)
		set("links", a.Links, a.Links != nil)
		set("details", a.Details, a.Details != nil)
		set("starts_at", a.StartsAt.Format(time.RFC3339Nano), !a.StartsAt.IsZero())
		set("ends_at", a.EndsAt.Format(time.RFC3339Nano), !a.EndsAt.IsZero())
		items[i] = m
	}
	// HTML escaping would turn details' "&" into "\u0026", which reads the
	// same but compares differently.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"alerts": items}); err != nil {
		t.Fatalf("marshal %+v: %v", alerts, err)
	}
	return buf.Bytes()
}

// compactDetails returns a copy of alerts with their details compacted,
// as a round trip through json.Marshal leaves them.
func compactDetails(t *testing.T, alerts []tocsin.Alert) []tocsin.Alert {
	out := slices.Clone(alerts)
	for i := range out {
		if out[i].Details == nil {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, out[i].Details); err != nil {
			t.Fatalf("alerts[%d]: details %q: %v", i, out[i].Details, err)
		}
		out[i].Details = buf.Bytes()
	}
	return out
}

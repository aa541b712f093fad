package pagerduty

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullTrigger,
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}`,
		`{"routing_key":"k","event_action":"acknowledge","dedup_key":"d"}`,
		`{"routing_key":"k","event_action":"trigger","dedup_key":" ","payload":{"summary":"s","source":"h","severity":"info"}}`,
		`{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"custom_details":[1,{"a":null}]}}`,
		`{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"2024-03-31T03:30:00+0200"}}`,
		`{"routing_key":32,"event_action":["trigger"],"payload":"x","links":{},"images":[3]}`,
		`{"routing_key":"k","event_action":"trigger","links":[{"href":"javascript:x"}],"images":[{}]}`,
		`{"routing_key":"k",`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(bytes.NewReader(data), 4096)
		if err != nil {
			if e != nil {
				t.Fatal("event returned with an error")
			}
			var inv *InvalidError
			if !errors.As(err, &inv) || len(inv.Errors) == 0 {
				t.Fatalf("error %v is not an invalid event with reasons", err)
			}
			for _, s := range inv.Errors {
				if s == "" {
					t.Fatal("empty reason")
				}
			}
			return
		}

		// A parsed event validates, and survives a round trip.
		if problems := e.validate(); len(problems) > 0 {
			t.Fatalf("parsed event has problems: %q", problems)
		}
		out, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := Parse(bytes.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatalf("reparse of %s: %v", out, err)
		}
		if !sameEvent(e, again) {
			t.Fatalf("round trip\n got %+v\nwant %+v", again, e)
		}

		a := e.Alert(func() string { return "generated" })
		if strings.TrimSpace(a.Key) == "" {
			t.Fatal("alert without a key")
		}
		if a.Key == "generated" && (strings.TrimSpace(e.DedupKey) != "" || e.EventAction != ActionTrigger) {
			t.Fatalf("key generated for %s with dedup_key %q", e.EventAction, e.DedupKey)
		}
		switch a.Status {
		case tocsin.AlertFiring, tocsin.AlertAcknowledged, tocsin.AlertResolved:
		default:
			t.Fatalf("status %q", a.Status)
		}
	})
}

// sameEvent compares two events, custom details by their compact form.
func sameEvent(a, b *Event) bool {
	ca, cb := compact(a.Payload.CustomDetails), compact(b.Payload.CustomDetails)
	x, y := *a, *b
	x.Payload.CustomDetails, y.Payload.CustomDetails = nil, nil
	return reflect.DeepEqual(x, y) && ca == cb
}

func compact(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "invalid: " + string(raw)
	}
	return buf.String()
}

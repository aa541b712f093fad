package pagerduty

import (
	"errors"
	"strings"
	"testing"
)

// TestNULAndBadUTF8AreStorable: NUL and bytes that are not UTF-8 in
// texts become U+FFFD; a dedup_key that decoding would alter is refused
// the way PagerDuty refuses a bad field.
func TestNULAndBadUTF8AreStorable(t *testing.T) {
	body := `{"routing_key":"r","event_action":"trigger","dedup_key":"d",
		"payload":{"summary":"disk\u0000full","source":"s` + "\xff" + `","severity":"error"}}`
	e, err := Parse(strings.NewReader(body), 0)
	if err != nil {
		t.Fatal(err)
	}
	if a := e.Alert(nil); a.Summary != "disk\uFFFDfull" || a.Source != "s\uFFFD" || a.Key != "d" {
		t.Errorf("not sanitized: %+v", a)
	}
	for _, key := range []string{`"d\ud800"`, "\"d\xff\"", `"d\u0000"`} {
		body := `{"routing_key":"r","event_action":"trigger","dedup_key":` + key +
			`,"payload":{"summary":"s","source":"s","severity":"error"}}`
		_, err := Parse(strings.NewReader(body), 0)
		var inv *InvalidError
		if !errors.As(err, &inv) || !strings.Contains(strings.Join(inv.Errors, "|"), "'dedup_key' is not valid UTF-8") {
			t.Errorf("dedup_key %s: got %v, want it refused", key, err)
		}
	}
}

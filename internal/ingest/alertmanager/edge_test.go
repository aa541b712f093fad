package alertmanager

import (
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

// TestNULAndBadUTF8AreStorable: a NUL or a byte that is not UTF-8 in
// annotations or labels reaches Tocsin as U+FFFD, so that no store refuses
// the alert; a groupKey that decoding would alter is refused, naming the
// field, since it is part of every alert's identity.
func TestNULAndBadUTF8AreStorable(t *testing.T) {
	body := `{"version":"4","groupKey":"g","status":"firing","alerts":[
		{"status":"firing","labels":{"alertname":"A\u0000","x":"` + "\xff" + `"},
		 "annotations":{"summary":"disk\u0000full","description":"d` + "\xfe" + `"},
		 "startsAt":"2026-01-01T00:00:00Z","fingerprint":"aa"}]}`
	_, alerts, err := Parse(strings.NewReader(body), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if a.Summary != "disk\uFFFDfull" || a.Annotations["description"] != "d\uFFFD" || a.Labels["x"] != "\uFFFD" ||
		a.Labels["alertname"] != "A\uFFFD" {
		t.Errorf("not sanitized: %+v", a)
	}
	for _, gk := range []string{`"g\ud800"`, "\"g\xff\"", `"g\u0000"`} {
		body := `{"version":"4","groupKey":` + gk + `,"status":"firing","alerts":[{"status":"firing",
			"labels":{"alertname":"A"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"aa"}]}`
		_, _, err := Parse(strings.NewReader(body), 1<<20)
		if tocsin.ErrorCode(err) != tocsin.EInvalid || !strings.HasPrefix(tocsin.ErrorMessage(err), "groupKey: ") {
			t.Errorf("groupKey %s: got %v, want EInvalid naming groupKey", gk, err)
		}
	}
	// U+FFFD sent on purpose is kept.
	body = `{"version":"4","groupKey":"g\ufffd","status":"firing","alerts":[{"status":"firing",
		"labels":{"alertname":"A"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"aa"}]}`
	if _, alerts, err := Parse(strings.NewReader(body), 1<<20); err != nil || alerts[0].Key != "g\uFFFD/aa" {
		t.Errorf("literal U+FFFD: %v %v", alerts, err)
	}
}

package alerting

import (
	"encoding/json"
	"testing"

	"github.com/tocsinhq/tocsin"
)

// The timeline's alert data reads as it did when it was a map: reports and
// postmortems find alerts by these keys.
func TestAlertDataJSON(t *testing.T) {
	for _, labels := range []map[string]string{nil, {"alertname": "X", "<b>": "a&b"}} {
		a := &tocsin.AlertRecord{ID: 7, Integration: "prom", Alert: tocsin.Alert{Key: "k/1", Severity: "critical", Labels: labels}}
		got, err := json.Marshal(alertData(a))
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(map[string]any{"alert_id": a.ID, "integration": a.Integration, "key": a.Key,
			"severity": a.Severity, "labels": a.Labels})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

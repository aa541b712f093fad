package alerting

import (
	"encoding/json"
	"testing"

	"github.com/tocsinhq/tocsin"
)

// The timeline's alert data reads as it did when it was a map: reports and
// postmortems find alerts by these keys.
func TestAlertDataJSON(t *testing.T) {
	var alerts []*tocsin.AlertRecord
	for _, labels := range []map[string]string{nil, {}, {"alertname": "X", "<b>": "a&b"}, {"é\u2028": "\xff\"\\\n"}} {
		a := &tocsin.AlertRecord{ID: 7, Integration: "prom", Alert: tocsin.Alert{Key: "k/1<", Severity: "critical\x00", Labels: labels}}
		alerts = append(alerts, a)
		note := func(a *tocsin.AlertRecord) map[string]any {
			return map[string]any{"alert_id": a.ID, "integration": a.Integration, "key": a.Key, "severity": a.Severity, "labels": a.Labels}
		}
		want, err := json.Marshal(note(a))
		if err != nil {
			t.Fatal(err)
		}
		if got := alertData(a); string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
		var list []map[string]any
		for _, a := range alerts {
			list = append(list, note(a))
		}
		want, err = json.Marshal(map[string]any{"alerts": list, "count": 25})
		if err != nil {
			t.Fatal(err)
		}
		if got := alertsData(alerts, 25); string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

package alerting

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

// A silence on ServiceLabel holds every alert routed to the service,
// whatever its own labels, and no other; an alert's own label of that
// name does not outweigh its route.
func TestSilenceOnTheService(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sl, err := CompileSilence(&tocsin.Silence{ID: 1, Matchers: []string{ServiceLabel + `="payments"`}, StartsAt: now,
		EndsAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	set := newSilenceSet([]*Silence{sl})
	for _, tc := range []struct {
		alert *tocsin.AlertRecord
		held  bool
	}{
		{&tocsin.AlertRecord{Service: "payments", Alert: tocsin.Alert{Labels: map[string]string{"alertname": "HighErrors"}}}, true},
		{&tocsin.AlertRecord{Service: "payments"}, true},
		{&tocsin.AlertRecord{Service: "search", Alert: tocsin.Alert{Labels: map[string]string{"alertname": "HighErrors"}}}, false},
		{&tocsin.AlertRecord{Service: "search", Alert: tocsin.Alert{Labels: map[string]string{ServiceLabel: "payments"}}}, false},
	} {
		if got := set.silencing(silenceLabels(tc.alert), now) != nil; got != tc.held {
			t.Errorf("alert of %s with %v: held %v, want %v", tc.alert.Service, tc.alert.Labels, got, tc.held)
		}
		if set.silencing(silenceLabels(tc.alert), now.Add(time.Hour)) != nil {
			t.Errorf("alert of %s held after the silence ended", tc.alert.Service)
		}
	}
	a := &tocsin.AlertRecord{Service: "payments", Alert: tocsin.Alert{Labels: map[string]string{"x": "1"}}}
	silenceLabels(a)
	if len(a.Labels) != 1 {
		t.Fatalf("the alert's labels were changed: %v", a.Labels)
	}
}

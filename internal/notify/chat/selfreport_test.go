package chat

import "testing"

// TestSelfReportTitle: a report of Tocsin about itself (no incident) is
// titled by its message, not "UPDATE: incident".
func TestSelfReportTitle(t *testing.T) {
	m := Render([]byte(`{"event":"tocsin.config_refused","message":"Tocsin REFUSED the config /etc/tocsin.yaml: it is empty",
		"reason":"Tocsin REFUSED the config /etc/tocsin.yaml: it is empty"}`))
	if m.Title != "Tocsin REFUSED the config /etc/tocsin.yaml: it is empty" {
		t.Fatalf("title %q", m.Title)
	}
	if m := Render([]byte(`{"message":"x","incident":{"id":3}}`)); m.Title != "UPDATE: incident #3" {
		t.Fatalf("an incident's notification titled by its message: %q", m.Title)
	}
}

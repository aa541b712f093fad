package alerting

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TestAlertLackingGroupByLabelsStandsAlone: alerts without the labels
// their service groups by (PagerDuty events carry none of alertname and
// cluster) are each an incident of their own, keyed by their identity;
// alerts with every label still group.
func TestAlertLackingGroupByLabelsStandsAlone(t *testing.T) {
	f := newFixture(t, payments(0))
	f.deliver("pd", "payments", firing("dedup-disk", "Disk 95% on db1", "component", "db1"))
	f.deliver("pd", "payments", firing("dedup-checkout", "Checkout API is DOWN", "severity", "critical"))
	f.deliver("am", "payments", firing("a1", "only the alertname", "alertname", "Slow"))
	f.deliver("am", "payments", firing("a2", "only the alertname too", "alertname", "Slow"))
	f.deliver("am", "payments", firing("g1", "eu-1 slow", "alertname", "Slow", "cluster", "eu-1"))
	f.deliver("am", "payments", firing("g2", "eu-1 slower", "alertname", "Slow", "cluster", "eu-1"))
	var keys []string
	for _, in := range f.incidents() {
		keys = append(keys, in.GroupKey)
		if got := f.sent(in.ID); len(got) == 0 || got[0] != "incident.triggered/ops" {
			t.Errorf("incident %q not paged: %v", in.Title, got)
		}
	}
	want := []string{`{alertname="Slow",cluster="eu-1"}`, "alert:am/a2", "alert:am/a1", "alert:pd/dedup-checkout", "alert:pd/dedup-disk"}
	equal(t, "groups (newest first)", keys, want)
}

// joinPolicy pages ana through a policy after the service's channel.
func joinPolicy() *Policy {
	pol := payments(0)
	pol.Services["payments"] = Service{Name: "payments", Notify: []string{"ops"}, GroupBy: []string{"alertname"},
		EscalationPolicy: "default"}
	pol.Directory = &escalation.Directory{
		Users: map[string]escalation.User{"ana": {Name: "ana", Contacts: []escalation.Contact{{Type: "webhook", To: "h"}}},
			"bo": {Name: "bo", Contacts: []escalation.Contact{{Type: "webhook", To: "h"}}}},
		Policies: map[string]escalation.Policy{"default": {Name: "default", Levels: []escalation.Level{
			{Targets: []string{"user:ana"}, Timeout: 5 * time.Minute}, {Targets: []string{"user:bo"}, Timeout: 5 * time.Minute}}}},
	}
	return pol
}

func (f *fixture) acknowledge(id int64, actor string) {
	f.t.Helper()
	if err := f.db.Write(f.ctx, func(tx *store.Tx) error {
		_, err := incident.Acknowledge(f.ctx, tx, incident.Env{HasChannel: func(string) bool { return true }}, id, actor, f.clock.Now())
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
}

// TestAlertJoiningAcknowledgedIncident: an alert joining an acknowledged
// incident is announced to everyone paged (incident.alert_joined); one
// more severe sends the incident back to triggered, pages everyone paged
// again (incident.priority_raised) and the escalation goes on from where
// it stopped; the next acknowledgement is sent anew.
func TestAlertJoiningAcknowledgedIncident(t *testing.T) {
	f := newFixture(t, joinPolicy())
	f.deliver("am", "payments", firing("k1", "disk 95% on db1", "alertname", "Disk"))
	id := f.incidents()[0].ID
	paged := []string{"incident.triggered/ops", "incident.triggered/contact:ana:0"}
	equal(t, "first page", f.sent(id), paged)
	f.clock.Advance(time.Minute)
	f.acknowledge(id, "api:ana")
	acked := append(paged, "incident.acknowledged/ops", "incident.acknowledged/contact:ana:0")
	equal(t, "acknowledged", f.sent(id), acked)

	f.deliver("am", "payments", firing("k2", "disk 96% on db2", "alertname", "Disk"))
	joined := append(acked, "incident.alert_joined/ops", "incident.alert_joined/contact:ana:0")
	equal(t, "joined", f.sent(id), joined)
	if in := f.incident(id); in.Status != tocsin.IncidentAcknowledged {
		t.Fatalf("a join of the same severity changed the status to %s", in.Status)
	}
	ns, _ := f.db.Notifications(f.ctx, id)
	var ev incident.Event
	if err := json.Unmarshal(ns[len(ns)-1].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.Reason, "disk 96% on db2") || !strings.Contains(ev.Reason, "acknowledged by api:ana") {
		t.Fatalf("alert_joined reason %q", ev.Reason)
	}

	f.clock.Advance(time.Minute)
	f.deliver("am", "payments", firing("k3", "disk full on db1", "alertname", "Disk", "severity", "critical"))
	raised := append(joined, "incident.priority_raised/ops", "incident.priority_raised/contact:ana:0")
	equal(t, "priority raised", f.sent(id), raised)
	in := f.incident(id)
	if in.Status != tocsin.IncidentTriggered || in.Priority != tocsin.P1 || in.AckedBy != "" {
		t.Fatalf("after a more severe join: %s %s acked by %q", in.Status, in.Priority, in.AckedBy)
	}
	// The escalation goes on: level 2 after level 1's timeout.
	if want := f.clock.Now().Add(5 * time.Minute); !in.EscalateAt.Equal(want) || in.EscalationStep != 1 {
		t.Fatalf("escalation: step %d at %v, want step 1 at %v", in.EscalationStep, in.EscalateAt, want)
	}
	f.advance(5 * time.Minute)
	raised = append(raised, "incident.triggered/contact:bo:0")
	equal(t, "level 2", f.sent(id), raised)
	f.acknowledge(id, "api:bo")
	f.acknowledge(id, "api:bo") // a second acknowledgement sends nothing
	equal(t, "acknowledged again", f.sent(id), append(raised, "incident.acknowledged/ops", "incident.acknowledged/contact:ana:0",
		"incident.acknowledged/contact:bo:0"))
}

// TestExhaustedWithoutFallbackPagesTheLastLevelAgain: with no team
// fallback and no operator.notify, an exhausted policy pages the people of
// its last level again, every fallback_every, and says so.
func TestExhaustedWithoutFallbackPagesTheLastLevelAgain(t *testing.T) {
	pol := joinPolicy()
	p := pol.Directory.Policies["default"]
	p.FallbackEvery = 10 * time.Minute
	pol.Directory.Policies["default"] = p
	f := newFixture(t, pol)
	f.deliver("am", "payments", firing("k1", "disk full", "alertname", "Disk"))
	id := f.incidents()[0].ID
	f.advance(5 * time.Minute) // bo
	f.advance(5 * time.Minute) // exhausted: bo again
	f.advance(10 * time.Minute)
	equal(t, "pages", f.sent(id), []string{"incident.triggered/ops", "incident.triggered/contact:ana:0",
		"incident.triggered/contact:bo:0", "incident.triggered/contact:bo:0", "incident.triggered/contact:bo:0"})
	in := f.incident(id)
	var msgs []string
	for _, e := range in.Timeline {
		if e.Kind == tocsin.TimelineExhausted {
			msgs = append(msgs, e.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "there is no fallback (no team fallback, no operator.notify): paging level 2 again") ||
		!strings.Contains(msgs[1], "fallback page 2") {
		t.Fatalf("exhausted entries %q", msgs)
	}
}

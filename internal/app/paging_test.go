package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

const exhaustedConfig = `
links_secret: "0123456789abcdef0123456789abcdef-test"
channels:
  - {name: ops, type: webhook, url: "%[1]s/ops"}
  - {name: core-pager, type: webhook, url: "%[1]s/core-pager"}
  - {name: ana-hook, type: webhook, url: "%[1]s/ana"}
  - {name: bo-hook, type: webhook, url: "%[1]s/bo"}
  - {name: unpaged, type: webhook, url: "%[1]s/unpaged"}
operator: {notify: [unpaged]}
users:
  - {name: ana, contacts: [{type: webhook, to: ana-hook}]}
  - {name: bo, contacts: [{type: webhook, to: bo-hook}]}
teams:
  - {name: core, members: [ana, bo], fallback: [core-pager]}
escalation_policies:
  - {name: default, fallback_every: 10m, levels: [{targets: ["user:ana"], timeout: 5m}, {targets: ["user:bo"], timeout: 5m}]}
services:
  - {name: payments, notify: [ops], escalation_policy: default, team: core, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`

// events lists the incident messages as "path event", in order (the
// watchdog's messages to the operator are left out: the fake clock stands
// still between steps).
func events(ps []page) []string {
	var out []string
	for _, p := range ps {
		if strings.HasPrefix(p.Event.Event, "incident.") {
			out = append(out, p.Path+" "+p.Event.Event)
		}
	}
	return out
}

// TestEscalationExhaustedPagesFallback: a two-level policy nobody
// acknowledges pages the team's fallback after its last level, with
// signed links and "ESCALATION EXHAUSTED" on the timeline, and again every
// fallback_every; acknowledging by the fallback's link is attributed to
// the channel and is sent to every person and channel paged, once, and to
// nobody else; so is the resolution.
func TestEscalationExhaustedPagesFallback(t *testing.T) {
	pages := &pageLog{}
	hook := httptest.NewServer(pages)
	defer hook.Close()
	r, clk, idle := startEscalation(t, fmt.Sprintf(exhaustedConfig, hook.URL))
	var ans map[string]any
	if code := r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json",
		[]byte(`{"key":"db-down","summary":"primary database down","severity":"critical"}`), &ans); code != 202 {
		t.Fatalf("ingest: %d %v", code, ans)
	}
	wait := func(want ...string) []page {
		t.Helper()
		defer func() {
			if t.Failed() {
				var full struct {
					Timeline []struct{ Kind, Actor, Message string } `json:"timeline"`
				}
				r.get(t, "/api/v1/incidents/1", &full)
				t.Logf("got %q, timeline %+v", events(pages.snapshot()), full)
			}
		}()
		testkit.Eventually(t, fmt.Sprintf("pages %q", want), func() bool {
			got := events(pages.snapshot())
			slices.Sort(got)
			w := slices.Clone(want)
			slices.Sort(w)
			return slices.Equal(got, w)
		})
		return pages.snapshot()
	}
	want := []string{"/ops incident.triggered", "/ana incident.triggered"}
	wait(want...)
	advance(clk, 5*time.Minute+time.Second)
	want = append(want, "/bo incident.triggered")
	wait(want...)
	advance(clk, 5*time.Minute)
	want = append(want, "/core-pager incident.triggered")
	got := wait(want...)
	fb := got[len(got)-1]
	if fb.Path != "/core-pager" || fb.Event.Links == nil || fb.Event.Links.Acknowledge == "" || fb.Event.Links.Resolve == "" {
		t.Fatalf("fallback page without links: %+v", fb)
	}
	var ana page
	for _, p := range got {
		if p.Event.Event == "incident.triggered" && p.Event.Links == nil {
			t.Errorf("page to %s without links", p.Path)
		}
		if p.Path == "/ana" {
			ana = p
		}
	}
	// Nobody acknowledges: the fallback again, 10m later.
	advance(clk, 10*time.Minute)
	want = append(want, "/core-pager incident.triggered")
	wait(want...)

	id := fb.Event.Incident.ID
	ack := fb.Event.Links.Acknowledge
	resp, err := http.Post(r.base+ack[strings.Index(ack, "/act/"):], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST link: %d", resp.StatusCode)
	}
	var in struct {
		Status  string `json:"status"`
		AckedBy string `json:"acknowledged_by"`
	}
	r.get(t, fmt.Sprintf("/api/v1/incidents/%d", id), &in)
	if in.Status != "acknowledged" || in.AckedBy != "link:channel:core-pager" {
		t.Fatalf("after the fallback's link: %+v", in)
	}
	want = append(want, "/ops incident.acknowledged", "/ana incident.acknowledged", "/bo incident.acknowledged",
		"/core-pager incident.acknowledged")
	wait(want...)
	// A second acknowledgement (ana's link) sends nothing; no more pages.
	ackAna := ana.Event.Links.Acknowledge
	resp, err = http.Post(r.base+ackAna[strings.Index(ackAna, "/act/"):], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	queued := notifications(t, r, id)
	advance(clk, time.Hour)
	stepsIdle(t, r, clk, idle, time.Time{})
	if n := notifications(t, r, id); n != queued {
		t.Fatalf("%d notifications an hour after the acknowledgement, want %d", n, queued)
	}
	wait(want...)
	// Resolved: everyone paged hears it, once.
	res := ana.Event.Links.Resolve
	resp, err = http.Post(r.base+res[strings.Index(res, "/act/"):], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want = append(want, "/ops incident.resolved", "/ana incident.resolved", "/bo incident.resolved",
		"/core-pager incident.resolved")
	wait(want...)

	text := r.timeline(t, id)
	for _, want := range []string{
		"escalation.exhausted | tocsin | ESCALATION EXHAUSTED: policy default ran 1 time(s) through its 2 level(s) and nobody acknowledged; paging the fallback of team core: core-pager; again every 10m",
		"ESCALATION EXHAUSTED: still not acknowledged",
		"incident.acknowledged | link:channel:core-pager",
		"incident.acknowledged queued for bo (contact:bo:0)",
		"incident.resolved | link:ana | Resolved: resolved by link:ana",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "NOBODY NOTIFIED") {
		t.Errorf("timeline says NOBODY NOTIFIED:\n%s", text)
	}
}

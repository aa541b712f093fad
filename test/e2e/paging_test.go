package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// pageLinks are the signed links a webhook page carries.
type pageLinks struct {
	Links *struct {
		Acknowledge string `json:"acknowledge"`
		Resolve     string `json:"resolve"`
	} `json:"links"`
	Recipient string `json:"recipient"`
}

func linksOf(t *testing.T, d delivery) pageLinks {
	t.Helper()
	var p pageLinks
	if err := json.Unmarshal(d.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// post sends body to url and returns the status and answer.
func post(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(bytes.TrimSpace(b))
}

// deliveriesOf lists "channel event" of every delivery of incident id.
func deliveriesOf(rcv *receiver, id int64) []string {
	ds, _ := rcv.snapshot()
	var out []string
	for _, d := range ds {
		if d.Event.Incident.ID == id {
			out = append(out, d.Channel+" "+d.Event.Event)
		}
	}
	return out
}

// count is how many of list equal s.
func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestExhaustedEscalationPagesFallbackWithLinks (Must show b): a
// two-level policy nobody acknowledges pages, after its last level, the
// team's fallback (one service) or the operator (another, without a team),
// each page with signed links and "ESCALATION EXHAUSTED" on the timeline.
// Acknowledging by the fallback's link sends the acknowledgement to every
// person and fallback paged, once each, and to nobody who was not paged.
func TestExhaustedEscalationPagesFallbackWithLinks(t *testing.T) {
	names := []string{"ana-hook", "bo-hook", "core-pager", "oper", "ops"}
	secrets := map[string]string{}
	for _, n := range names {
		secrets[n] = "secret-of-" + n
	}
	rcv := newReceiver(t, secrets, nil)
	cfg := `links_secret: "e2e-paging-links-secret-0123456789abcdef"
outbox: {backoff_base: 1s, backoff_max: 2s}
operator: {notify: [oper]}
` + webhookChannels(rcv, names...) + `users:
  - {name: ana, contacts: [{type: webhook, to: ana-hook}]}
  - {name: bo, contacts: [{type: webhook, to: bo-hook}]}
teams:
  - {name: core, members: [ana, bo], fallback: [core-pager]}
escalation_policies:
  - {name: two, fallback_every: 3s, levels: [{targets: ["user:ana"], timeout: 1s}, {targets: ["user:bo"], timeout: 1s}]}
services:
  - {name: payments, escalation_policy: two, team: core, group_wait: 0s}
  - {name: web, escalation_policy: two, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-paging-abcd", service: payments}
  - {name: web-scripts, type: generic, key: "k-gen-web-abcdefgh", service: web}
`
	s := newInstance(t, cfg).start()
	start := time.Now()
	if code, body := post(t, s.base+"/ingest/generic/k-gen-paging-abcd", "application/json",
		`{"key":"db-down","summary":"primary database down","severity":"critical"}`); code != 202 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	if code, body := post(t, s.base+"/ingest/generic/k-gen-web-abcdefgh", "application/json",
		`{"key":"web-down","summary":"web down","severity":"critical"}`); code != 202 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	var core, web int64
	for _, in := range s.incidents("") {
		switch {
		case strings.Contains(in.Title, "primary database down"):
			core = in.ID
		case strings.Contains(in.Title, "web down"):
			web = in.ID
		}
	}
	if core == 0 || web == 0 {
		t.Fatalf("incidents %+v", s.incidents(""))
	}
	for _, ch := range []string{"ana-hook", "bo-hook"} {
		for _, id := range []int64{core, web} {
			p := linksOf(t, rcv.await(t, 20*time.Second, ch, "incident.triggered", id))
			if p.Links == nil || p.Links.Acknowledge == "" {
				t.Fatalf("page to %s of incident %d without links", ch, id)
			}
		}
	}
	// After the last level: the team's fallback, and the operator for the
	// service without a team, with links that name them.
	fb := rcv.await(t, 20*time.Second, "core-pager", "incident.triggered", core)
	op := rcv.await(t, 20*time.Second, "oper", "incident.triggered", web)
	t.Logf("fallbacks paged %s after the alerts", time.Since(start).Round(time.Millisecond))
	for _, d := range []delivery{fb, op} {
		p := linksOf(t, d)
		if p.Links == nil || !strings.Contains(p.Links.Acknowledge, "/act/") || !strings.Contains(p.Links.Resolve, "/act/") {
			t.Fatalf("fallback page to %s without links: %s", d.Channel, d.Body)
		}
		if !strings.Contains(d.Event.Reason, "ESCALATION EXHAUSTED") {
			t.Errorf("fallback page to %s: reason %q", d.Channel, d.Event.Reason)
		}
	}
	for _, id := range []int64{core, web} {
		in := s.incident(id)
		found := false
		for _, e := range in.Timeline {
			if e.Kind == "escalation.exhausted" && strings.Contains(e.Message, "ESCALATION EXHAUSTED") {
				found = true
			}
		}
		if !found {
			t.Fatalf("incident %d: no ESCALATION EXHAUSTED on the timeline: %q", id, in.kinds())
		}
	}

	// The fallback acknowledges from its page.
	ack := linksOf(t, fb).Links.Acknowledge
	if code, body := post(t, ack, "application/x-www-form-urlencoded", ""); code != 200 ||
		!strings.Contains(body, "Acknowledged by channel:core-pager") {
		t.Fatalf("acknowledge by link: %d %s", code, body)
	}
	if in := s.incident(core); in.Status != "acknowledged" || in.AcknowledgedBy != "link:channel:core-pager" {
		t.Fatalf("after the link: %s by %q", in.Status, in.AcknowledgedBy)
	}
	for _, ch := range []string{"ana-hook", "bo-hook", "core-pager"} {
		d := rcv.await(t, 20*time.Second, ch, "incident.acknowledged", core)
		if d.Event.Actor != "link:channel:core-pager" {
			t.Errorf("acknowledgement to %s: actor %q", ch, d.Event.Actor)
		}
	}
	// The operator, by its link, on the other incident: ana and bo hear it too.
	if code, body := post(t, linksOf(t, op).Links.Acknowledge, "application/x-www-form-urlencoded", ""); code != 200 {
		t.Fatalf("acknowledge by the operator's link: %d %s", code, body)
	}
	for _, ch := range []string{"ana-hook", "bo-hook", "oper"} {
		rcv.await(t, 20*time.Second, ch, "incident.acknowledged", web)
	}

	// A second acknowledgement (ana's link) changes and sends nothing; no
	// page follows, and nobody who was not paged heard of either.
	var anaPage delivery
	for _, d := range must(rcv.snapshot()) {
		if d.Channel == "ana-hook" && d.Event.Incident.ID == core && d.Event.Event == "incident.triggered" {
			anaPage = d
		}
	}
	if code, body := post(t, linksOf(t, anaPage).Links.Acknowledge, "application/x-www-form-urlencoded", ""); code != 200 ||
		!strings.Contains(body, "Already acknowledged by channel:core-pager") {
		t.Fatalf("second acknowledgement: %d %s", code, body)
	}
	before := deliveriesOf(rcv, core)
	time.Sleep(4 * time.Second) // longer than fallback_every: no page follows the acknowledgement
	after := deliveriesOf(rcv, core)
	if !slices.Equal(before, after) {
		t.Errorf("sent after the acknowledgement: %q", after[len(before):])
	}
	for _, ch := range []string{"ana-hook", "bo-hook", "core-pager"} {
		if n := count(after, ch+" incident.acknowledged"); n != 1 {
			t.Errorf("%s got %d acknowledgements of incident %d, want 1", ch, n, core)
		}
	}
	for _, ch := range []string{"ops", "oper"} {
		if n := count(after, ch+" incident.acknowledged") + count(after, ch+" incident.triggered"); n != 0 {
			t.Errorf("%s, never paged for incident %d, got %d messages of it", ch, core, n)
		}
	}
	// Idempotency keys are one per event and channel.
	keys := map[string]string{}
	for _, d := range must(rcv.snapshot()) {
		if other, dup := keys[d.Event.IdempotencyKey]; dup && other != d.Channel {
			t.Errorf("key %s sent to %s and %s", d.Event.IdempotencyKey, other, d.Channel)
		}
		keys[d.Event.IdempotencyKey] = d.Channel
	}
	if n := count(deliveriesOf(rcv, web), "oper incident.acknowledged"); n != 1 {
		t.Errorf("operator got %d acknowledgements of incident %d", n, web)
	}
	rcv.checkNoProblems(t)
}

func must(ds []delivery, _ []string) []delivery { return ds }

// TestPagerDutyEventsGroupByDedupKey (Must show e): on the README's
// example service, which groups by alertname and cluster, two PagerDuty
// Events v2 events with different dedup keys (they carry neither label)
// open two incidents, each paged; a repeat of one's dedup key joins it.
func TestPagerDutyEventsGroupByDedupKey(t *testing.T) {
	rcv := newReceiver(t, map[string]string{"ops": "ops-secret"}, nil)
	// The README's example, with a group_wait of 1s instead of the default
	// 30s so that the test is quick.
	cfg := webhookChannels(rcv, "ops") + `services:
  - {name: payments, notify: [ops], group_by: [alertname, cluster], group_wait: 1s}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
  - {name: pd-compat, type: pagerduty, key: "k-pd-123-abcdefgh", service: payments}
`
	s := newInstance(t, cfg).start()
	event := func(dedup, summary, source string) {
		t.Helper()
		body := fmt.Sprintf(`{"routing_key":"k-pd-123-abcdefgh","event_action":"trigger","dedup_key":%q,
			"payload":{"summary":%q,"source":%q,"severity":"critical"}}`, dedup, summary, source)
		if code, ans := post(t, s.base+"/v2/enqueue", "application/json", body); code != 202 {
			t.Fatalf("enqueue: %d %s", code, ans)
		}
	}
	event("disk-db1", "Disk 95% on db1", "db1")
	event("checkout-api", "Checkout API is DOWN", "lb-1")
	event("disk-db1", "Disk 96% on db1", "db1") // the same dedup key: the same alert
	var list []apiIncident
	eventually(t, 10*time.Second, 50*time.Millisecond, "two incidents", func() (bool, string) {
		list = s.incidents("")
		return len(list) == 2, fmt.Sprintf("%d incidents", len(list))
	})
	titles := []string{list[0].Title, list[1].Title}
	slices.Sort(titles)
	if !strings.Contains(titles[0], "Checkout API is DOWN") || !strings.Contains(titles[1], "Disk 95% on db1") {
		t.Fatalf("incidents %q", titles)
	}
	for _, in := range list {
		d := rcv.await(t, 15*time.Second, "ops", "incident.triggered", in.ID)
		if d.Event.Incident.Title != in.Title {
			t.Errorf("page of incident %d: %q", in.ID, d.Event.Incident.Title)
		}
	}
	rcv.checkNoProblems(t)
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// pageLog receives webhook pages and keeps them by path.
type pageLog struct {
	mu    sync.Mutex
	pages []page
}

type page struct {
	Path  string
	Event struct {
		Event      string `json:"event"`
		Recipient  string `json:"recipient"`
		Escalation *struct {
			Level, Round int
			Why          string
		} `json:"escalation"`
		Links *struct {
			Acknowledge string `json:"acknowledge"`
			Resolve     string `json:"resolve"`
		} `json:"links"`
		Incident struct {
			ID int64 `json:"id"`
		} `json:"incident"`
	}
}

func (l *pageLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p page
	p.Path = r.URL.Path
	json.NewDecoder(r.Body).Decode(&p.Event)
	l.mu.Lock()
	l.pages = append(l.pages, p)
	l.mu.Unlock()
}

func (l *pageLog) snapshot() []page {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]page(nil), l.pages...)
}

// TestEscalationEndToEnd: an alert incident on a service with a two-level
// policy pages the person on call, escalates to level 2 when nobody
// acknowledges within the timeout (fake clock), and the acknowledge link
// of the level-2 page stops every further page. The timeline tells it all.
func TestEscalationEndToEnd(t *testing.T) {
	pages := &pageLog{}
	hook := httptest.NewServer(pages)
	defer hook.Close()
	r, clk, idle := startEscalation(t, fmt.Sprintf(escalationConfig, hook.URL))
	escalationScenario(t, r, clk, idle, pages)
}

const escalationConfig = `
links_secret: "0123456789abcdef0123456789abcdef-test"
channels:
  - {name: ana-hook, type: webhook, url: "%[1]s/ana"}
  - {name: bo-hook, type: webhook, url: "%[1]s/bo"}
  - {name: cy-hook, type: webhook, url: "%[1]s/cy"}
users:
  - {name: ana, tz: Europe/Berlin, contacts: [{type: webhook, to: ana-hook}]}
  - {name: bo, tz: Europe/Berlin, contacts: [{type: webhook, to: bo-hook}]}
  - {name: cy, tz: America/New_York, contacts: [{type: webhook, to: cy-hook}]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [ana, bo], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]
escalation_policies:
  - {name: default, repeat: 1, levels: [{targets: ["schedule:primary"], timeout: 5m}, {targets: ["user:cy"], timeout: 10m}]}
services:
  - {name: payments, escalation_policy: default, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`

// startEscalation runs Tocsin with cfg on a fake clock set to a Tuesday
// night of ana's week; the log has the escalation stage's idle reports.
func startEscalation(t *testing.T, cfg string) (*running, *clock.Fake, *testkit.IdleLog) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, cfg)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	clk := clock.NewFake(time.Date(2026, 1, 6, 3, 0, 0, 0, berlin))
	idle := &testkit.IdleLog{}
	r := startWith(t, path, clk, testkit.Logger(), func(a *App) {
		a.runner.OnIdle = func(name string, now, next time.Time) {
			if name == escalation.JobName {
				idle.Report(now, next)
			}
		}
	})
	return r, clk, idle
}

// stepsIdle waits until the escalation stage has looked at the present
// and is next due at next (zero: no step pending), so that every step due
// by now is taken and none other comes before next.
func stepsIdle(t *testing.T, r *running, clk *clock.Fake, idle *testkit.IdleLog, next time.Time) {
	t.Helper()
	idle.Idle(t, clk.Now(), next, r.app.escalation.Wake().Poke)
}

// notifications counts the notifications queued for incident id.
func notifications(t *testing.T, r *running, id int64) int {
	t.Helper()
	ns, err := r.app.DB().Notifications(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return len(ns)
}

// escalateAt is when incident id's next escalation step is due.
func escalateAt(t *testing.T, r *running, id int64) time.Time {
	t.Helper()
	in, err := r.app.DB().Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in.EscalateAt
}

func escalationScenario(t *testing.T, r *running, clk *clock.Fake, idle *testkit.IdleLog, pages *pageLog) {

	var ans map[string]any
	if code := r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json",
		[]byte(`{"key":"db-down","summary":"primary database down","severity":"critical"}`), &ans); code != 202 {
		t.Fatalf("ingest: %d %v", code, ans)
	}
	waitPages := func(n int) []page {
		t.Helper()
		testkit.Eventually(t, fmt.Sprintf("%d pages", n), func() bool { return len(pages.snapshot()) >= n })
		return pages.snapshot()
	}
	got := waitPages(1)
	if got[0].Path != "/ana" || got[0].Event.Recipient != "ana" || got[0].Event.Escalation.Level != 1 ||
		!strings.Contains(got[0].Event.Escalation.Why, "schedule primary") || got[0].Event.Links == nil {
		t.Fatalf("first page %+v", got[0])
	}
	// Until the level-1 timeout: still level 1. At it: level 2, cy.
	id := got[0].Event.Incident.ID
	level2 := escalateAt(t, r, id)
	queued := notifications(t, r, id)
	advance(clk, level2.Add(-time.Second).Sub(clk.Now()))
	stepsIdle(t, r, clk, idle, level2)
	if n := notifications(t, r, id); n != queued || len(pages.snapshot()) != 1 {
		t.Fatalf("%d notifications (%d pages) a second before the level-1 timeout, want %d (1)", n, len(pages.snapshot()), queued)
	}
	advance(clk, time.Second)
	stepsIdle(t, r, clk, idle, level2.Add(10*time.Minute))
	got = waitPages(2)
	if got[1].Path != "/cy" || got[1].Event.Escalation.Level != 2 || got[1].Event.Recipient != "cy" {
		t.Fatalf("second page %+v", got[1])
	}
	// cy acknowledges from the page: the link shows a form on GET, acts on POST.
	ack := got[1].Event.Links.Acknowledge
	link := r.base + ack[strings.Index(ack, "/act/"):]
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<form method="post">`) {
		t.Fatalf("GET link: %d %s", resp.StatusCode, body)
	}
	var in struct {
		Status  string `json:"status"`
		AckedBy string `json:"acknowledged_by"`
	}
	r.get(t, fmt.Sprintf("/api/v1/incidents/%d", id), &in)
	if in.Status != "triggered" {
		t.Fatalf("a GET of the link changed the incident: %+v", in)
	}
	resp, err = http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST link: %d", resp.StatusCode)
	}
	r.get(t, fmt.Sprintf("/api/v1/incidents/%d", id), &in)
	if in.Status != "acknowledged" || in.AckedBy != "link:cy" {
		t.Fatalf("after the link: %+v", in)
	}
	// ana's link, used later, says who was first and changes nothing.
	ackAna := got[0].Event.Links.Acknowledge
	resp, err = http.Post(r.base+ackAna[strings.Index(ackAna, "/act/"):], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Already acknowledged by cy") {
		t.Fatalf("second acknowledgement: %d %s", resp.StatusCode, body)
	}
	// Both people paged hear of the acknowledgement, once; no page after
	// it, however long we wait.
	testkit.Eventually(t, "the acknowledgement to ana and cy", func() bool { return len(pages.snapshot()) >= 4 })
	queued = notifications(t, r, id)
	advance(clk, time.Hour)
	stepsIdle(t, r, clk, idle, time.Time{})
	if n := notifications(t, r, id); n != queued {
		t.Fatalf("%d notifications an hour after the acknowledgement, want %d", n, queued)
	}
	got = pages.snapshot()
	if len(got) != 4 {
		t.Fatalf("%d messages after the acknowledgement, want 4: %q", len(got), events(got))
	}
	acks := events(got[2:])
	slices.Sort(acks)
	if acks[0] != "/ana incident.acknowledged" || acks[1] != "/cy incident.acknowledged" {
		t.Fatalf("acknowledgements %q", acks)
	}
	// The timeline shows every step, with who and why.
	text := r.timeline(t, id)
	for _, want := range []string{
		"Level 1, round 1 of policy default: paging ana (on call in schedule primary) via webhook ana-hook",
		"level 2, round 1 is next",
		"Level 2, round 1 of policy default: paging cy (named in the policy) via webhook cy-hook",
		"incident.acknowledged | link:cy | Acknowledged by link:cy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
}

// advance moves the fake clock in steps of a second, as time passes.
func advance(c *clock.Fake, d time.Duration) {
	for step := time.Second; d > 0; d -= step {
		c.Advance(min(step, d))
		time.Sleep(time.Millisecond)
	}
}

// TestReassignAndEscalateByHand: the API pages another person at once, or
// the next level of the policy without waiting for the timeout.
func TestReassignAndEscalateByHand(t *testing.T) {
	pages := &pageLog{}
	hook := httptest.NewServer(pages)
	defer hook.Close()
	r, _, _ := startEscalation(t, fmt.Sprintf(escalationConfig, hook.URL))
	var ans map[string]any
	r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(`{"key":"q","summary":"queue stuck"}`), &ans)
	testkit.Eventually(t, "the first page", func() bool { return len(pages.snapshot()) == 1 })
	id := pages.snapshot()[0].Event.Incident.ID
	do := func(path, body string) int {
		req, _ := http.NewRequest("POST", r.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do(fmt.Sprintf("/api/v1/incidents/%d/reassign", id), `{"to":"user:bo"}`); code != 200 {
		t.Fatalf("reassign: %d", code)
	}
	testkit.Eventually(t, "bo's page", func() bool { return len(pages.snapshot()) == 2 })
	if p := pages.snapshot()[1]; p.Path != "/bo" || !strings.Contains(p.Event.Escalation.Why, "reassigned by api:admin") {
		t.Fatalf("reassign page %+v", p)
	}
	if code := do(fmt.Sprintf("/api/v1/incidents/%d/reassign", id), `{"to":"user:nobody"}`); code != 400 {
		t.Fatalf("reassign to an unknown user: %d", code)
	}
	if code := do(fmt.Sprintf("/api/v1/incidents/%d/escalate", id), ``); code != 200 {
		t.Fatalf("escalate: %d", code)
	}
	testkit.Eventually(t, "level 2 at once", func() bool { return len(pages.snapshot()) == 3 })
	if p := pages.snapshot()[2]; p.Path != "/cy" || p.Event.Escalation.Level != 2 {
		t.Fatalf("escalated page %+v", p)
	}
}

// TestCheckEscalates: a heartbeat check with an escalation policy pages
// the person on call when it goes down, besides its channels, and the next
// level at its timeout, not before: the escalation stage is woken by the
// engine and waits for the step's time, with no poll.
func TestCheckEscalates(t *testing.T) {
	pages := &pageLog{}
	hook := httptest.NewServer(pages)
	defer hook.Close()
	cfg := fmt.Sprintf(escalationConfig, hook.URL) + `
checks:
  - {name: nightly-backup, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1m}, grace: 30s, escalation_policy: default}
`
	r, clk, idle := startEscalation(t, cfg)
	resp, err := http.Get(r.base + "/ping/0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	advance(clk, 2*time.Minute)
	testkit.Eventually(t, "the page", func() bool { return len(pages.snapshot()) >= 1 })
	p := pages.snapshot()[0]
	if p.Path != "/ana" || p.Event.Escalation == nil || p.Event.Escalation.Level != 1 || p.Event.Links == nil {
		t.Fatalf("page %+v", p)
	}
	id := p.Event.Incident.ID
	level2 := escalateAt(t, r, id)
	queued := notifications(t, r, id)
	advance(clk, level2.Add(-time.Second).Sub(clk.Now()))
	stepsIdle(t, r, clk, idle, level2)
	if n := notifications(t, r, id); n != queued {
		t.Fatalf("%d notifications a second before the level-1 timeout, want %d", n, queued)
	}
	advance(clk, time.Second)
	stepsIdle(t, r, clk, idle, level2.Add(10*time.Minute))
	testkit.Eventually(t, "the level-2 page", func() bool { return len(pages.snapshot()) >= 2 })
	if p := pages.snapshot()[1]; p.Path != "/cy" || p.Event.Escalation == nil || p.Event.Escalation.Level != 2 {
		t.Fatalf("level-2 page %+v", p)
	}
}

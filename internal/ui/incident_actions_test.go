package ui_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// responderConfig has a heartbeat check, two services of alerts (one with
// an escalation policy and a team), people who can be paged and a rota;
// %[1]s is the URL of the webhook that stands for their phones.
const responderConfig = `checks:
  - {name: backup, uuid: ` + checkUUID + `, schedule: {every: 1m}, grace: 30s}
channels:
  - {name: ops, type: webhook, url: "%[1]s/ops"}
  - {name: alice-hook, type: webhook, url: "%[1]s/alice"}
  - {name: bo-hook, type: webhook, url: "%[1]s/bo"}
users:
  - {name: alice, role: responder, tz: Europe/Berlin, contacts: [{type: webhook, to: alice-hook}]}
  - {name: bo, role: responder, contacts: [{type: webhook, to: bo-hook}]}
  - {name: victor, role: viewer}
teams:
  - {name: core, members: [alice, bo], fallback: [ops]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [alice, bo], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]
escalation_policies:
  - {name: default, levels: [{targets: ["user:alice"], timeout: 5m}, {targets: ["user:bo"], timeout: 5m}]}
services:
  - {name: payments, notify: [ops], escalation_policy: default, team: core, group_wait: 0s}
  - {name: web, notify: [ops], group_wait: 0s}
integrations:
  - {name: pay, type: generic, key: "k-pay-123-abcdefgh", service: payments}
  - {name: webhooks, type: generic, key: "k-web-123-abcdefgh", service: web}
`

// startResponders runs Tocsin with responderConfig on a fake clock; the
// webhooks answer 200.
func startResponders(t *testing.T) (*site, *clock.Fake) {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hook.Close)
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	return startSite(t, fmt.Sprintf(responderConfig, hook.URL), clk), clk
}

// alertIncident sends an alert in by integration key and gives the id of
// the incident it opens.
func (s *site) alertIncident(t *testing.T, key, alert, severity string) int64 {
	t.Helper()
	body := fmt.Sprintf(`{"key": %q, "summary": "%s is failing", "severity": %q, "labels": {"alertname": %q, "env": "prod"},
		"annotations": {"runbook_url": "https://runbooks.example.com/%s"}, "links": [{"href": "https://grafana.example.com/d/1", "text": "Dashboard"}]}`,
		alert, alert, severity, alert, alert)
	req, err := http.NewRequest("POST", s.base+"/ingest/generic/"+key, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("ingest %s: %d", alert, resp.StatusCode)
	}
	var id int64
	testkit.Eventually(t, "the incident of alert "+alert, func() bool {
		var list struct {
			Incidents []struct {
				ID    int64
				Title string
			} `json:"incidents"`
		}
		s.api(t, "GET", "/api/v1/incidents?status=open&limit=1000", "", http.StatusOK, &list)
		for _, in := range list.Incidents {
			if strings.Contains(in.Title, alert) {
				id = in.ID
				return true
			}
		}
		return false
	})
	return id
}

// timelineAndAudit are incident id's timeline entries as "kind actor:
// message" and the audit log's entries by actor as "action".
func (s *site) timelineAndAudit(t *testing.T, id int64, actor string) (timeline, audit []string) {
	t.Helper()
	var in struct {
		Timeline []struct{ Kind, Actor, Message string } `json:"timeline"`
	}
	s.api(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", http.StatusOK, &in)
	for _, e := range in.Timeline {
		timeline = append(timeline, e.Kind+" "+e.Actor+": "+e.Message)
	}
	var log struct {
		Entries []struct{ Actor, Action string } `json:"entries"`
	}
	s.api(t, "GET", "/api/v1/audit?actor="+url.QueryEscape(actor), "", http.StatusOK, &log)
	for _, e := range log.Entries {
		audit = append(audit, e.Action)
	}
	return timeline, audit
}

// jsonDecode reads resp's JSON body into out and closes it.
func jsonDecode(resp *http.Response, out any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// A note goes on the timeline with the person's name, through the page's
// form and through the API alike, and into the audit log; an empty or too
// long one is refused with the reason, and nothing is written.
func TestIncidentNotes(t *testing.T) {
	s, _, id := downIncident(t)
	path := fmt.Sprintf("/incidents/%d", id)
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, path)
	if status != http.StatusOK || !strings.Contains(body, `action="`+path+`/notes"`) || !strings.Contains(body, `<label for="note-text">`) {
		t.Fatalf("no note form on the page: %d\n%s", status, body)
	}
	status, loc, body := alice.post(t, path+"/notes", url.Values{"text": {"Disk full on db1;\nclearing old WAL files."}})
	if status != http.StatusSeeOther || loc != path+"?done=noted" {
		t.Fatalf("note through the page: %d to %q: %s", status, loc, body)
	}
	_, _, body = alice.get(t, loc)
	if !strings.Contains(body, `<li class="note">`) || !strings.Contains(body, "Note</strong> by user:alice") ||
		!strings.Contains(body, "clearing old WAL files.") || !strings.Contains(body, "Note added.") {
		t.Errorf("the note is not shown apart on the timeline:\n%s", body)
	}

	// Through the API, with alice's session as a script in her browser would.
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	apiAs := func(text string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.base+"/api/v1"+path+"/notes", strings.NewReader(text))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", sess.CSRF)
		resp, err := alice.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&b)
		return resp.StatusCode, b.String()
	}
	req, _ := http.NewRequest("GET", s.base+"/api/v1/session", nil)
	resp, err := alice.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonDecode(resp, &sess); err != nil || sess.CSRF == "" {
		t.Fatalf("session: %v %+v", err, sess)
	}
	if status, body := apiAs(`{"text": "WAL cleared; watching."}`); status != http.StatusCreated || !strings.Contains(body, `"kind": "incident.note"`) {
		t.Fatalf("note through the API: %d\n%s", status, body)
	}
	timeline, audit := s.timelineAndAudit(t, id, "user:alice")
	if countPrefix(timeline, "incident.note user:alice: Disk full on db1;\nclearing old WAL files.") != 1 ||
		countPrefix(timeline, "incident.note user:alice: WAL cleared; watching.") != 1 {
		t.Errorf("timeline: %q", timeline)
	}
	if countPrefix(audit, "incident.note") != 2 {
		t.Errorf("alice's audit entries: %q", audit)
	}

	// Refused: empty, blank, too long; by the page and by the API.
	long := strings.Repeat("x", 10001)
	for _, bad := range []struct{ text, says string }{
		{"", "the note is empty"},
		{" \n\t ", "the note is empty"},
		{long, "the note is too long: 10001 characters, at most 10000"},
	} {
		alice.get(t, path)
		status, _, body := alice.post(t, path+"/notes", url.Values{"text": {bad.text}})
		if status != http.StatusBadRequest || !strings.Contains(body, bad.says) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("page note %.20q: %d, want 400 saying %q\n%.3000s", bad.text, status, bad.says, body)
		}
		if bad.text == long && !strings.Contains(body, long) {
			t.Error("the refused note's text is not kept in the form")
		}
		if status, body := apiAs(fmt.Sprintf(`{"text": %q}`, bad.text)); status != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("API note %.20q: %d, want 400 saying %q: %s", bad.text, status, bad.says, body)
		}
	}
	if status, body := apiAs(`{"txt": "typo"}`); status != http.StatusBadRequest || !strings.Contains(body, `{\"text\"`) {
		t.Errorf("API note with a wrong field: %d %s", status, body)
	}
	timeline2, audit2 := s.timelineAndAudit(t, id, "user:alice")
	if len(timeline2) != len(timeline) || len(audit2) != len(audit) {
		t.Errorf("refused notes wrote: timeline %d -> %d, audit %d -> %d", len(timeline), len(timeline2), len(audit), len(audit2))
	}

	// A viewer has no form, and a note posted anyway is refused.
	victor := s.login(t, "victor")
	if _, _, body := victor.get(t, path); strings.Contains(body, "note-text") {
		t.Error("the viewer is offered the note form")
	}
	if status, _, _ := victor.post(t, path+"/notes", url.Values{"text": {"hello"}}); status != http.StatusForbidden {
		t.Errorf("viewer's note: %d", status)
	}
	if timeline3, _ := s.timelineAndAudit(t, id, "user:victor"); len(timeline3) != len(timeline) {
		t.Error("the viewer's note was written")
	}
	// Notes are Markdown, rendered safely: raw HTML and script links do
	// not reach the page.
	alice.post(t, path+"/notes", url.Values{"text": {"Rolled back **deploy 42**:\n\n- `db1` ok\n\n<script>alert(1)</script> [x](javascript:alert(2))"}})
	_, _, body = alice.get(t, path)
	if !strings.Contains(body, "<strong>deploy 42</strong>") || !strings.Contains(body, "<li><code>db1</code> ok</li>") ||
		strings.Contains(body, "<script>alert") || strings.Contains(body, "javascript:alert") {
		t.Errorf("the Markdown note on the page:\n%s", body)
	}
}

// Escalate pages the policy's next level, and reassign pages the user or
// rota chosen, through the page's buttons as through the API: on the
// timeline and in the audit log with the person's name.
func TestIncidentEscalateAndReassign(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	path := fmt.Sprintf("/incidents/%d", id)
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, path)
	for _, want := range []string{">Escalate</button>", ">Reassign</button>", "<option>schedule:primary</option>", "<option>user:bo</option>",
		"PaymentsDown", "<code>env=prod</code>", `href="https://runbooks.example.com/PaymentsDown"`, ">Dashboard</a>", "Who was paged",
		`data-live="` + path + `/events"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("%d\n%s", status, body)
	}
	if status, loc, body := alice.post(t, path+"/escalate", nil); status != http.StatusSeeOther || loc != path+"?done=escalated" {
		t.Fatalf("escalate: %d to %q\n%s", status, loc, body)
	}
	if status, loc, body := alice.post(t, path+"/reassign", url.Values{"to": {"schedule:primary"}}); status != http.StatusSeeOther || loc != path+"?done=reassigned" {
		t.Fatalf("reassign: %d to %q\n%s", status, loc, body)
	}
	status, _, body = alice.post(t, path+"/reassign", url.Values{"to": {"user:nobody"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "user:nobody") {
		t.Errorf("reassign to nobody: %d\n%s", status, body)
	}
	timeline, audit := s.timelineAndAudit(t, id, "user:alice")
	if countPrefix(timeline, "escalation.step tocsin: Escalated by hand by user:alice") != 1 ||
		countPrefix(timeline, "escalation.step tocsin: Reassigned by user:alice to schedule:primary") != 1 {
		t.Errorf("timeline: %q", timeline)
	}
	if countPrefix(audit, "incident.escalate") != 1 || countPrefix(audit, "incident.reassign") != 1 {
		t.Errorf("alice's audit entries: %q", audit)
	}
	// Who was paged: bo, by the escalation, as a person, by webhook.
	testkit.Eventually(t, "bo's page on the page", func() bool {
		_, _, body = alice.get(t, path)
		return strings.Contains(body, `<td class="who-paged">bo</td><td data-label="How">webhook</td><td data-label="What">incident.triggered</td>`)
	})

	// A viewer gets neither button, and the forms posted anyway do nothing.
	victor := s.login(t, "victor")
	if _, _, body := victor.get(t, path); strings.Contains(body, ">Escalate</button>") || strings.Contains(body, ">Reassign</button>") {
		t.Error("the viewer is offered escalate or reassign")
	}
	for _, action := range []string{"escalate", "reassign", "acknowledge", "resolve"} {
		if status, _, _ := victor.post(t, path+"/"+action, url.Values{"to": {"user:bo"}}); status != http.StatusForbidden {
			t.Errorf("viewer's %s: %d", action, status)
		}
	}
	if _, audit := s.timelineAndAudit(t, id, "user:victor"); countPrefix(audit, "incident.") != 0 {
		t.Errorf("the viewer's forms wrote %q", audit)
	}
	// Once acknowledged it no longer escalates: the button goes, and a
	// form posted anyway says why.
	alice.post(t, path+"/acknowledge", nil)
	if _, _, body := alice.get(t, path); strings.Contains(body, ">Escalate</button>") {
		t.Error("Escalate offered on an acknowledged incident")
	}
	if status, _, body := alice.post(t, path+"/escalate", nil); status != http.StatusConflict || !strings.Contains(body, "no longer escalates") {
		t.Errorf("escalating an acknowledged incident: %d\n%s", status, body)
	}
}

// The incident page follows its incident over server-sent events: a
// change made elsewhere (here through the API) is announced as "changed".
func TestIncidentLiveUpdates(t *testing.T) {
	s, _, id := downIncident(t)
	alice := s.login(t, "alice")
	path := fmt.Sprintf("/incidents/%d", id)
	req, err := http.NewRequest("GET", s.base+path+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := alice.http.Do(req) // the client's timeout bounds the wait
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		readErr <- sc.Err()
	}()
	// The stream is open once its first comment arrives; then the change.
	if first := <-lines; !strings.HasPrefix(first, "retry:") {
		t.Fatalf("first line %q", first)
	}
	s.api(t, "POST", "/api/v1"+path+"/acknowledge", "", http.StatusOK, nil)
	changed := false
	for line := range lines {
		if line == "event: changed" {
			if data := <-lines; !strings.Contains(data, `"status":"acknowledged"`) {
				t.Errorf("changed event's data: %q", data)
			}
			changed = true
			break
		}
	}
	if !changed {
		t.Fatal("the stream ended without a changed event")
	}
	// Tocsin stopping ends the stream (which would otherwise hold up the
	// graceful shutdown): it ends cleanly, before the client's timeout.
	s.stop()
	for range lines {
	}
	if err := <-readErr; err != nil {
		t.Errorf("the stream did not end with Tocsin: %v", err)
	}
}

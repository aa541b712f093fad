package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// actionItemAPI is what these tests read of an action item through the API.
type actionItemAPI struct {
	ID                      int64
	Incident                int64
	Title, Owner, Team, Due string
	Status, Link            string
	CreatedBy               string `json:"created_by"`
	Overdue                 bool
}

// incidentActionItems reads incident id's action items through the API.
func (s *site) incidentActionItems(t *testing.T, id int64) []actionItemAPI {
	t.Helper()
	var list struct {
		ActionItems []actionItemAPI `json:"action_items"`
	}
	s.api(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/action-items", id), "", http.StatusOK, &list)
	return list.ActionItems
}

// On the postmortem page a responder adds an action item and changes its
// status, owner, due date and link, through the API's own calls (on the
// timeline and in the audit log under their name); bad input is refused
// with the reason and changes nothing; the incident page counts the items
// and links to them; a viewer reads them but has no forms and is refused.
func TestActionItemForms(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	pm := fmt.Sprintf("/incidents/%d/postmortem", id)
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, pm)
	for _, want := range []string{`<h2 id="action-items">Action items <small>(0, 0 open)</small></h2>`, "None yet.",
		`action="/incidents/` + fmt.Sprint(id) + `/action-items"`, `<label for="ai-title">Title</label>`, `<option>bo</option>`,
		`<input id="ai-due" name="due" type="date">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the postmortem page lacks %q", want)
		}
	}
	if status != http.StatusOK || t.Failed() {
		t.Fatalf("%d\n%s", status, body)
	}

	add := url.Values{"title": {"Alert on certificate expiry"}, "owner": {"bo"}, "due": {"2026-05-01"}, "link": {"https://tickets.example.com/OPS-9"}}
	status, loc, body := alice.post(t, fmt.Sprintf("/incidents/%d/action-items", id), add)
	if status != http.StatusSeeOther || loc != pm+"?done=action-item-added#action-items" {
		t.Fatalf("add: %d to %q\n%s", status, loc, body)
	}
	items := s.incidentActionItems(t, id)
	if len(items) != 1 || items[0].Title != "Alert on certificate expiry" || items[0].Owner != "bo" || items[0].Team != "core" ||
		items[0].Due != "2026-05-01" || items[0].Status != "open" || !items[0].Overdue || items[0].CreatedBy != "user:alice" {
		t.Fatalf("after the add: %+v", items)
	}
	item := items[0].ID
	_, _, body = alice.get(t, pm+"?done=action-item-added")
	for _, want := range []string{"Action item added.", "(1, 1 open)", fmt.Sprintf(`<tr id="ai-%d" class="overdue">`, item),
		`<span class="badge ai-overdue">overdue</span>`, `<a href="https://tickets.example.com/OPS-9" rel="noopener noreferrer">`,
		fmt.Sprintf(`action="/action-items/%d"`, item), fmt.Sprintf(`<label for="ai-status-%d">Status</label>`, item),
		`<option value="wont_do">won&#39;t do</option>`, fmt.Sprintf(`id="ai-due-%d" name="due" type="date" value="2026-05-01"`, item)} {
		if !strings.Contains(body, want) {
			t.Errorf("the page after the add lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(body)
	}

	// The incident page counts it and links to the list.
	_, _, body = alice.get(t, fmt.Sprintf("/incidents/%d", id))
	if !strings.Contains(body, fmt.Sprintf(`<a href="%s#action-items">Action items: 1</a>, 1 open, <span class="badge ai-overdue">1 overdue</span>`, pm)) ||
		!strings.Contains(body, "Alert on certificate expiry <small class=\"muted\">bo, due 2026-05-01</small>") {
		t.Errorf("the incident page's action items:\n%s", body)
	}

	// Each field changes through the one form; what it leaves out stays.
	change := fmt.Sprintf("/action-items/%d", item)
	status, loc, body = alice.post(t, change, url.Values{"status": {"open"}, "owner": {"alice"}, "due": {"2026-06-30"}, "link": {""}})
	if status != http.StatusSeeOther || loc != pm+"?done=action-item-changed#action-items" {
		t.Fatalf("change: %d to %q\n%s", status, loc, body)
	}
	if items := s.incidentActionItems(t, id); items[0].Owner != "alice" || items[0].Due != "2026-06-30" || items[0].Link != "" || items[0].Overdue || items[0].Status != "open" {
		t.Fatalf("after the change: %+v", items[0])
	}
	if status, _, body := alice.post(t, change, url.Values{"status": {"done"}}); status != http.StatusSeeOther {
		t.Fatalf("done: %d\n%s", status, body)
	}
	if items := s.incidentActionItems(t, id); items[0].Status != "done" || items[0].Owner != "alice" || items[0].Due != "2026-06-30" {
		t.Fatalf("after done: %+v", items[0])
	}
	_, _, body = alice.get(t, pm)
	if !strings.Contains(body, "(1, 0 open)") || !strings.Contains(body, `<span class="badge ai-done">done</span>`) {
		t.Errorf("the page after done:\n%s", body)
	}

	// Bad input: the reason, and nothing changed.
	before := s.incidentActionItems(t, id)
	for _, bad := range []struct {
		path string
		form url.Values
		says string
	}{
		{fmt.Sprintf("/incidents/%d/action-items", id), url.Values{"title": {" "}, "owner": {"bo"}}, "title: empty"},
		{fmt.Sprintf("/incidents/%d/action-items", id), url.Values{"title": {"x"}, "owner": {"mallory"}}, "owner: no user &#34;mallory&#34; in the config"},
		{fmt.Sprintf("/incidents/%d/action-items", id), url.Values{"title": {"x"}, "owner": {"bo"}, "due": {"30/06/2026"}}, "is not a date"},
		{fmt.Sprintf("/incidents/%d/action-items", id), url.Values{"title": {"x"}, "owner": {"bo"}, "link": {"javascript:alert(1)"}}, "link: must be an http or https URL"},
		{change, url.Values{"status": {"finished"}}, "status must be open, done or wont_do"},
		{change, url.Values{"owner": {""}}, "owner: required"},
		{change, url.Values{"due": {"2026-02-30"}}, "is not a date"},
		{change, url.Values{}, "nothing to change"},
	} {
		if status, _, body := alice.post(t, bad.path, bad.form); status != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("%s %v: %d, want 400 saying %q\n%.3000s", bad.path, bad.form, status, bad.says, body)
		}
	}
	if status, _, _ := alice.post(t, "/action-items/999", url.Values{"status": {"done"}}); status != http.StatusNotFound {
		t.Errorf("no such item: %d", status)
	}
	if status, _, _ := alice.post(t, "/incidents/999/action-items", add); status != http.StatusNotFound {
		t.Errorf("no such incident: %d", status)
	}
	if after := s.incidentActionItems(t, id); len(after) != 1 || after[0] != before[0] {
		t.Errorf("after refused forms: %+v, was %+v", after, before)
	}
	timeline, audit := s.timelineAndAudit(t, id, "user:alice")
	if n := countPrefix(audit, "incident.action_item"); n != 3 {
		t.Errorf("alice's action item audit entries: %d, want 3: %q", n, audit)
	}
	if n := countPrefix(timeline, "incident.action_item user:alice: Action item #"); n != 3 {
		t.Errorf("alice's action item timeline entries: %d, want 3: %q", n, timeline)
	}

	// A viewer reads the items, with no forms, and is refused.
	victor := s.login(t, "victor")
	status, _, body = victor.get(t, pm)
	if status != http.StatusOK || !strings.Contains(body, "Alert on certificate expiry") || strings.Contains(body, "/action-items") ||
		strings.Contains(body, "Add an action item") {
		t.Errorf("the viewer's page: %d\n%s", status, body)
	}
	if status, _, _ := victor.post(t, change, url.Values{"status": {"open"}}); status != http.StatusForbidden {
		t.Errorf("the viewer's change: %d", status)
	}
	if status, _, _ := victor.post(t, fmt.Sprintf("/incidents/%d/action-items", id), add); status != http.StatusForbidden {
		t.Errorf("the viewer's add: %d", status)
	}
	if after := s.incidentActionItems(t, id); len(after) != 1 || after[0] != before[0] {
		t.Errorf("after the viewer: %+v", after)
	}
}

// /actions lists the open action items of every incident per team, the
// overdue ones of each team first, each linking to its postmortem;
// filters by team, owner and status, and "mine", narrow it; a bad status
// is refused with the reason. Viewers read it.
func TestActionsPage(t *testing.T) {
	s, _ := startResponders(t)
	pay := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	web := s.alertIncident(t, "k-web-123-abcdefgh", "WebSlow", "warning")
	add := func(incident int64, body string) int64 {
		t.Helper()
		var a actionItemAPI
		s.api(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/action-items", incident), body, http.StatusCreated, &a)
		return a.ID
	}
	later := add(pay, `{"title": "Rotate the certificates automatically", "owner": "alice", "due": "2026-07-01"}`)
	late := add(pay, `{"title": "Page on expiry in 14 days", "owner": "bo", "due": "2026-05-01"}`)
	orphan := add(web, `{"title": "Give the web service a team", "owner": "victor"}`)
	closed := add(web, `{"title": "Cache the home page", "owner": "alice"}`)
	s.api(t, "PATCH", fmt.Sprintf("/api/v1/action-items/%d", closed), `{"status": "done"}`, http.StatusOK, nil)

	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/actions")
	if status != http.StatusOK {
		t.Fatalf("/actions: %d\n%s", status, body)
	}
	for _, want := range []string{`<a href="/actions" aria-current="page">Action items</a>`, "<h1>Action items</h1>",
		`<h2 id="team-0">Team core <small>(2, 1 overdue)</small></h2>`, `<h2 id="team-1">No team <small>(1)</small></h2>`,
		"3 open, ", `<span class="badge ai-overdue">1 overdue</span>`,
		fmt.Sprintf(`<a href="/incidents/%d/postmortem#ai-%d">#%d postmortem</a>`, pay, late, pay),
		fmt.Sprintf(`<a href="/incidents/%d/postmortem#ai-%d">#%d postmortem</a>`, web, orphan, web),
		`<a class="btn" href="/actions?owner=victor">Mine</a>`, `<option value="open" selected>open</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("/actions lacks %q", want)
		}
	}
	// In team core the overdue item comes first, though made later; the
	// closed item is not listed.
	if i, j := strings.Index(body, "Page on expiry in 14 days"), strings.Index(body, "Rotate the certificates"); i < 0 || j < 0 || i > j ||
		strings.Contains(body, "Cache the home page") || strings.Index(body, "Give the web service a team") < j {
		t.Errorf("/actions order:\n%s", body)
	}
	if t.Failed() {
		t.Fatal(body)
	}

	for _, c := range []struct {
		query     string
		want, not []string
	}{
		{"?team=core", []string{"Page on expiry", "Rotate the certificates", `<option selected>core</option>`}, []string{"Give the web service a team"}},
		{"?owner=alice", []string{"Rotate the certificates"}, []string{"Page on expiry", "Give the web service", "Cache the home page"}},
		{"?owner=alice&status=done", []string{"Cache the home page", `<span class="badge ai-done">done</span>`}, []string{"Rotate the certificates"}},
		{"?status=all", []string{"Cache the home page", "Rotate the certificates", "Page on expiry", "Give the web service"}, nil},
		{"?owner=victor", []string{"Give the web service a team", `href="/actions?owner=victor" aria-current="page">Mine</a>`}, []string{"Rotate the certificates"}},
		{"?status=wont_do", []string{"0 won&#39;t do.", "None."}, []string{"Rotate the certificates"}},
	} {
		status, _, body := victor.get(t, "/actions"+c.query)
		if status != http.StatusOK {
			t.Errorf("%s: %d", c.query, status)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", c.query, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(body, n) {
				t.Errorf("%s lists %q", c.query, n)
			}
		}
	}
	if status, _, body := victor.get(t, "/actions?status=finished"); status != http.StatusBadRequest || !strings.Contains(body, "status must be open, done, wont_do or all") {
		t.Errorf("a bad status: %d\n%.2000s", status, body)
	}

	// Marked done on its postmortem page, an item leaves the open list.
	alice := s.login(t, "alice")
	alice.get(t, fmt.Sprintf("/incidents/%d/postmortem", pay))
	if status, _, body := alice.post(t, fmt.Sprintf("/action-items/%d", late), url.Values{"status": {"done"}}); status != http.StatusSeeOther {
		t.Fatalf("done: %d\n%s", status, body)
	}
	_, _, body = alice.get(t, "/actions")
	if strings.Contains(body, "Page on expiry") || !strings.Contains(body, `<h2 id="team-0">Team core <small>(1)</small></h2>`) ||
		!strings.Contains(body, fmt.Sprintf("#ai-%d", later)) {
		t.Errorf("/actions after done:\n%s", body)
	}
}

package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// incidentFields is what these tests read of an incident through the API.
type incidentFields struct {
	Status     string
	Priority   string
	MergedInto int64 `json:"merged_into"`
	Timeline   []struct {
		ID        int64
		At        time.Time
		Kind      string
		Actor     string
		Message   string
		KeyMoment string `json:"key_moment"`
	}
}

// The incident page's forms set the priority, add a backdated entry,
// mark key moments, merge a duplicate and reopen, through the API's own
// methods: each on the timeline and in the audit log with the person's
// name; bad input is refused with the reason and changes nothing; a viewer
// has none of the forms.
func TestIncidentFieldForms(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	dup := s.alertIncident(t, "k-web-123-abcdefgh", "WebSlow", "warning")
	path := fmt.Sprintf("/incidents/%d", id)
	read := func(id int64) incidentFields {
		t.Helper()
		var in incidentFields
		s.api(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), "", http.StatusOK, &in)
		return in
	}
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, path)
	for _, want := range []string{`action="` + path + `/priority"`, `<option selected>P1</option>`, `action="` + path + `/timeline"`,
		`type="datetime-local"`, `value="2026-05-04T12:00"`, `action="` + path + `/merge"`, "/key-moment", `<option value="cause_identified">Cause identified</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="`+path+`/reopen"`) {
		t.Error("an open incident offers to reopen")
	}
	if t.Failed() {
		t.Fatalf("%d\n%s", status, body)
	}

	// Priority.
	if status, loc, body := alice.post(t, path+"/priority", url.Values{"priority": {"P2"}}); status != http.StatusSeeOther || loc != path+"?done=priority-set" {
		t.Fatalf("priority: %d to %q\n%s", status, loc, body)
	}
	if in := read(id); in.Priority != "P2" {
		t.Fatalf("priority %q after the form", in.Priority)
	}
	if status, _, body := alice.post(t, path+"/priority", url.Values{"priority": {"P9"}}); status != http.StatusBadRequest || !strings.Contains(body, "priority must be P1, P2, P3, P4 or P5") {
		t.Errorf("priority P9: %d\n%.2000s", status, body)
	}

	// A backdated entry, in alice's zone (Berlin, UTC+2 in May), marked
	// as the cause: shown before the incident's opening, with its badge.
	status, loc, body := alice.post(t, path+"/timeline", url.Values{"at": {"2026-05-04T11:50"}, "message": {"Deploy 42 went out"},
		"key_moment": {"cause_identified"}})
	if status != http.StatusSeeOther || loc != path+"?done=entry-added" {
		t.Fatalf("timeline entry: %d to %q\n%s", status, loc, body)
	}
	in := read(id)
	var manual, opened int64
	for _, e := range in.Timeline {
		switch e.Kind {
		case "incident.manual":
			manual = e.ID
			if !e.At.Equal(time.Date(2026, 5, 4, 9, 50, 0, 0, time.UTC)) || e.Actor != "user:alice" || e.KeyMoment != "cause_identified" {
				t.Errorf("manual entry %+v", e)
			}
		case "incident.opened":
			opened = e.ID
		}
	}
	if manual == 0 || opened == 0 {
		t.Fatalf("timeline %+v", in.Timeline)
	}
	_, _, body = alice.get(t, loc)
	entry, open := strings.Index(body, "Deploy 42 went out"), strings.Index(body, "Incident opened")
	if !strings.Contains(body, `<span class="badge km km-cause_identified">Cause identified</span>`) || !strings.Contains(body, "Entry</strong> by user:alice") ||
		entry < 0 || open < 0 || entry > open || !strings.Contains(body, "Added to the timeline.") {
		t.Errorf("the backdated entry is not shown in its place with its badge:\n%s", body)
	}
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"at": {"2026-05-04T13:00"}, "message": {"later"}}, "is in the future"},
		{url.Values{"at": {"noon"}, "message": {"x"}}, "a date and time like"},
		{url.Values{"at": {"2026-05-04T11:00"}, "message": {" "}}, "message is empty"},
		{url.Values{"at": {"2026-05-04T11:00"}, "message": {"x"}, "key_moment": {"lunch"}}, "key moment must be one of"},
	} {
		if status, _, body := alice.post(t, path+"/timeline", bad.form); status != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("entry %v: %d, want 400 saying %q\n%.2000s", bad.form, status, bad.says, body)
		}
	}

	// Key moments: the opening marked detection, then unmarked.
	moment := fmt.Sprintf("%s/timeline/%d/key-moment", path, opened)
	if status, loc, _ := alice.post(t, moment, url.Values{"kind": {"detection"}}); status != http.StatusSeeOther || loc != path+"?done=key-moment" {
		t.Fatalf("mark: %d to %q", status, loc)
	}
	if _, _, body := alice.get(t, path); !strings.Contains(body, `<option value="detection" selected>Detection</option>`) {
		t.Errorf("the mark is not shown:\n%s", body)
	}
	if status, _, _ := alice.post(t, moment, url.Values{"kind": {""}}); status != http.StatusSeeOther {
		t.Fatalf("unmark: %d", status)
	}
	for _, e := range read(id).Timeline {
		if e.ID == opened && e.KeyMoment != "" {
			t.Errorf("still a key moment: %+v", e)
		}
	}
	if status, _, _ := alice.post(t, moment, url.Values{"kind": {"lunch"}}); status != http.StatusBadRequest {
		t.Errorf("mark lunch: %d", status)
	}

	// Merge the duplicate into this one: the page of the target follows.
	dupPath := fmt.Sprintf("/incidents/%d", dup)
	alice.get(t, dupPath)
	if status, _, body := alice.post(t, dupPath+"/merge", url.Values{"into": {fmt.Sprint(dup)}}); status != http.StatusBadRequest || !strings.Contains(body, "cannot be merged into itself") {
		t.Errorf("merge into itself: %d\n%.2000s", status, body)
	}
	if status, loc, body := alice.post(t, dupPath+"/merge", url.Values{"into": {fmt.Sprintf("#%d", id)}}); status != http.StatusSeeOther || loc != path+"?done=merged" {
		t.Fatalf("merge: %d to %q\n%s", status, loc, body)
	}
	if d := read(dup); d.Status != "resolved" || d.MergedInto != id {
		t.Fatalf("the duplicate after the merge: %+v", d)
	}
	_, _, body = alice.get(t, dupPath)
	if !strings.Contains(body, fmt.Sprintf(`<a href="/incidents/%d">#%d</a>`, id, id)) || strings.Contains(body, "priority-form") || strings.Contains(body, "key-moment-form") {
		t.Errorf("the merged duplicate's page:\n%s", body)
	}

	// Resolve, then reopen within the window.
	alice.get(t, path)
	if status, _, _ := alice.post(t, path+"/resolve", nil); status != http.StatusSeeOther {
		t.Fatalf("resolve: %d", status)
	}
	_, _, body = alice.get(t, path)
	if !strings.Contains(body, `action="`+path+`/reopen"`) {
		t.Fatalf("no reopen button on the resolved incident:\n%s", body)
	}
	if status, loc, _ := alice.post(t, path+"/reopen", nil); status != http.StatusSeeOther || loc != path+"?done=reopened" {
		t.Fatalf("reopen: %d to %q", status, loc)
	}
	if in := read(id); in.Status != "triggered" {
		t.Fatalf("status after reopening: %s", in.Status)
	}
	_, audit := s.timelineAndAudit(t, id, "user:alice")
	for _, action := range []string{"incident.fields", "incident.timeline_entry", "incident.key_moment", "incident.merge", "incident.reopen"} {
		if countPrefix(audit, action) == 0 {
			t.Errorf("alice's audit entries lack %s: %q", action, audit)
		}
	}

	// A viewer sees the fields but none of the forms, and is refused.
	victor := s.login(t, "victor")
	_, _, body = victor.get(t, path)
	for _, form := range []string{"priority-form", "entry-form", "key-moment-form", "merge-form", "/reopen"} {
		if strings.Contains(body, form) {
			t.Errorf("the viewer is offered %s", form)
		}
	}
	before := read(id)
	if status, _, _ := victor.post(t, path+"/priority", url.Values{"priority": {"P5"}}); status != http.StatusForbidden {
		t.Errorf("viewer's priority: %d", status)
	}
	if after := read(id); after.Priority != before.Priority {
		t.Error("the viewer changed the priority")
	}
}

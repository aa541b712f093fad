package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// incidentScope is what these tests read of an incident's services,
// roles and links through the API.
type incidentScope struct {
	Services []string
	Roles    []struct{ Role, User string }
	Links    []struct{ Kind, Title, URL string }
}

// The incident page's forms set the services affected, the roles and the
// links through the API's own ChangeIncidentFields: each change on the
// timeline and in the audit log under the person's name; bad input is
// refused with the reason and changes nothing; a viewer has none of the
// forms and is refused.
func TestIncidentScopeForms(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	path := fmt.Sprintf("/incidents/%d", id)
	read := func() incidentScope {
		t.Helper()
		var in incidentScope
		s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &in)
		return in
	}
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, path)
	for _, want := range []string{`action="` + path + `/services"`, `name="service" value="web"`, `action="` + path + `/roles"`,
		`<label for="role-user-0">Commander</label>`, `<label for="role-user-1">Communications</label>`, `<option>bo</option>`,
		`action="` + path + `/links"`, `<option value="status_page">Status page incident</option>`, `href="` + path + `/postmortem"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, `name="service" value="payments"`) {
		t.Error("the incident's own service is offered as affected")
	}
	if t.Failed() {
		t.Fatalf("%d\n%s", status, body)
	}

	// Services affected.
	if status, loc, body := alice.post(t, path+"/services", url.Values{"service": {"web"}}); status != http.StatusSeeOther || loc != path+"?done=services-set" {
		t.Fatalf("services: %d to %q\n%s", status, loc, body)
	}
	if in := read(); !slices.Equal(in.Services, []string{"web"}) {
		t.Fatalf("services %q after the form", in.Services)
	}
	if _, _, body := alice.get(t, path+"?done=services-set"); !strings.Contains(body, `value="web" checked`) || !strings.Contains(body, "Services affected set.") {
		t.Errorf("the page does not show web checked:\n%s", body)
	}
	for _, bad := range []struct{ service, says string }{
		{"payments", "is the incident's own service"},
		{"billing", `no service "billing" in the config`},
	} {
		if status, _, body := alice.post(t, path+"/services", url.Values{"service": {"web", bad.service}}); status != http.StatusBadRequest || !strings.Contains(body, html.EscapeString(bad.says)) {
			t.Errorf("service %s: %d, want 400 saying %q\n%.2000s", bad.service, status, bad.says, body)
		}
	}
	if in := read(); !slices.Equal(in.Services, []string{"web"}) {
		t.Errorf("services %q after refused forms", in.Services)
	}

	// Roles: commander alice, nobody for communications, scribe bo; the
	// empty row is left out.
	roles := url.Values{"role": {"commander", "communications", "scribe", ""}, "user": {"alice", "", "bo", ""}}
	if status, loc, body := alice.post(t, path+"/roles", roles); status != http.StatusSeeOther || loc != path+"?done=roles-set" {
		t.Fatalf("roles: %d to %q\n%s", status, loc, body)
	}
	if in := read(); fmt.Sprint(in.Roles) != "[{commander alice} {scribe bo}]" {
		t.Fatalf("roles %v after the form", in.Roles)
	}
	_, _, body = alice.get(t, path)
	if !strings.Contains(body, `<strong>commander</strong>: alice`) || !strings.Contains(body, `id="role-name-2" name="role" value="scribe"`) {
		t.Errorf("the page does not show the roles:\n%s", body)
	}
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"role": {"commander", "Scribe!"}, "user": {"alice", "bo"}}, "is not a role name"},
		{url.Values{"role": {"commander"}, "user": {"mallory"}}, `no user "mallory" in the config`},
		{url.Values{"role": {"commander", "commander"}, "user": {"alice", "bo"}}, "is listed twice"},
		{url.Values{"role": {"commander", "scribe"}, "user": {"alice"}}, "each role needs its person"},
	} {
		if status, _, body := alice.post(t, path+"/roles", bad.form); status != http.StatusBadRequest || !strings.Contains(body, html.EscapeString(bad.says)) {
			t.Errorf("roles %v: %d, want 400 saying %q\n%.2000s", bad.form, status, bad.says, body)
		}
	}
	if in := read(); len(in.Roles) != 2 {
		t.Errorf("roles %v after refused forms", in.Roles)
	}

	// Links: two added, the first removed; a stale removal is refused.
	for _, l := range []url.Values{
		{"kind": {"status_page"}, "title": {"Status: payments degraded"}, "url": {"https://status.example.com/incidents/7"}},
		{"kind": {"ticket"}, "title": {"OPS-123"}, "url": {"https://tickets.example.com/OPS-123"}},
	} {
		if status, loc, body := alice.post(t, path+"/links", l); status != http.StatusSeeOther || loc != path+"?done=link-added" {
			t.Fatalf("link %v: %d to %q\n%s", l, status, loc, body)
		}
	}
	if in := read(); len(in.Links) != 2 || in.Links[1].Title != "OPS-123" || in.Links[0].Kind != "status_page" {
		t.Fatalf("links %+v after the forms", in.Links)
	}
	_, _, body = alice.get(t, path)
	if !strings.Contains(body, `<a href="https://tickets.example.com/OPS-123" rel="noopener noreferrer">OPS-123</a>`) || !strings.Contains(body, `aria-label="Remove the link OPS-123"`) {
		t.Errorf("the page does not show the links:\n%s", body)
	}
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"kind": {"ticket"}, "title": {"x"}, "url": {"javascript:alert(1)"}}, "must be an http or https URL"},
		{url.Values{"kind": {"ticket"}, "title": {" "}, "url": {"https://t.example.com/1"}}, "title must have 1 to 200 characters"},
		{url.Values{"kind": {"chat"}, "title": {"x"}, "url": {"https://t.example.com/1"}}, "kind must be one of"},
	} {
		if status, _, body := alice.post(t, path+"/links", bad.form); status != http.StatusBadRequest || !strings.Contains(body, html.EscapeString(bad.says)) {
			t.Errorf("link %v: %d, want 400 saying %q\n%.2000s", bad.form, status, bad.says, body)
		}
	}
	remove := url.Values{"index": {"0"}, "url": {"https://status.example.com/incidents/7"}}
	if status, loc, body := alice.post(t, path+"/links/remove", remove); status != http.StatusSeeOther || loc != path+"?done=link-removed" {
		t.Fatalf("remove: %d to %q\n%s", status, loc, body)
	}
	if status, _, body := alice.post(t, path+"/links/remove", remove); status != http.StatusConflict || !strings.Contains(body, "that link is no longer in the incident") {
		t.Errorf("stale remove: %d\n%.2000s", status, body)
	}
	if in := read(); len(in.Links) != 1 || in.Links[0].Title != "OPS-123" {
		t.Fatalf("links %+v after the removal", in.Links)
	}

	// Every change is on the timeline and in the audit log, by alice.
	timeline, audit := s.timelineAndAudit(t, id, "user:alice")
	for _, want := range []string{"incident.services_changed user:alice: Services affected set to web",
		"incident.roles_changed user:alice: Roles set to commander: alice, scribe: bo",
		"incident.links_changed user:alice: Links set to OPS-123 (ticket)"} {
		if countPrefix(timeline, want) != 1 {
			t.Errorf("the timeline lacks %q: %q", want, timeline)
		}
	}
	if n := countPrefix(audit, "incident.fields"); n != 5 {
		t.Errorf("alice's incident.fields audit entries: %d, want 5: %q", n, audit)
	}

	// A viewer sees the fields but none of the forms, and is refused.
	victor := s.login(t, "victor")
	_, _, body = victor.get(t, path)
	for _, form := range []string{"services-form", "roles-form", "link-form", "/links/remove"} {
		if strings.Contains(body, form) {
			t.Errorf("the viewer is offered %s", form)
		}
	}
	before := read()
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{path + "/services", url.Values{}},
		{path + "/roles", url.Values{"role": {"commander"}, "user": {"victor"}}},
		{path + "/links", url.Values{"kind": {"other"}, "title": {"x"}, "url": {"https://x.example.com"}}},
		{path + "/links/remove", url.Values{"index": {"0"}, "url": {"https://tickets.example.com/OPS-123"}}},
	} {
		if status, _, _ := victor.post(t, f.path, f.form); status != http.StatusForbidden {
			t.Errorf("viewer's %s: %d", f.path, status)
		}
	}
	if after := read(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the viewer changed the incident: %+v, was %+v", after, before)
	}
}

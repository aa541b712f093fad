package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

const checkUUID = "2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d"

// heartbeatConfig has one heartbeat check, a responder and a viewer.
const heartbeatConfig = `checks:
  - {name: backup, uuid: ` + checkUUID + `, schedule: {every: 1m}, grace: 30s}
users:
  - {name: alice, role: responder, tz: Europe/Berlin}
  - {name: victor, role: viewer}
`

// downIncident runs Tocsin on a fake clock, lets the check go down and
// gives the id of its incident.
func downIncident(t *testing.T) (*site, *clock.Fake, int64) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	s := startSite(t, heartbeatConfig, clk)
	return s, clk, s.letCheckGoDown(t, clk)
}

// letCheckGoDown pings the check once, moves the fake clock on until it
// is down, and gives the id of its incident.
func (s *site) letCheckGoDown(t *testing.T, clk *clock.Fake) int64 {
	t.Helper()
	resp, err := http.Get(s.base + "/ping/" + checkUUID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var list struct {
		Incidents []struct{ ID int64 } `json:"incidents"`
	}
	testkit.EventuallyAdvancing(t, clk, time.Second, "the check down and its incident open", func() bool {
		s.api(t, "GET", "/api/v1/incidents?status=open", "", http.StatusOK, &list)
		return len(list.Incidents) == 1
	})
	return list.Incidents[0].ID
}

// A responder opens the incident's page, acknowledges and resolves it with
// its buttons; each change is on the timeline and in the audit log with
// the person's name, as a change through the API is.
func TestIncidentPageActs(t *testing.T) {
	s, _, id := downIncident(t)
	alice := s.login(t, "alice")
	path := fmt.Sprintf("/incidents/%d", id)
	status, _, body := alice.get(t, path)
	if status != http.StatusOK || !strings.Contains(body, "backup is down") || !strings.Contains(body, ">Acknowledge</button>") {
		t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	if !strings.Contains(body, "CEST") {
		t.Errorf("times not shown in alice's zone (Europe/Berlin):\n%s", body)
	}
	for _, step := range []struct{ action, notice, state string }{
		{"acknowledge", "acknowledged", "acknowledged"},
		{"resolve", "resolved", "resolved"},
	} {
		status, loc, body := alice.post(t, path+"/"+step.action, nil)
		if status != http.StatusSeeOther || loc != path+"?done="+step.notice {
			t.Fatalf("%s: %d to %q: %s", step.action, status, loc, body)
		}
		_, _, body = alice.get(t, loc)
		if !strings.Contains(body, `class="badge s-`+step.state+`"`) || !strings.Contains(body, `role="status"`) {
			t.Errorf("after %s the page shows:\n%s", step.action, body)
		}
	}
	var in struct {
		Timeline []struct{ Kind, Actor string } `json:"timeline"`
	}
	s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &in)
	var acts []string
	for _, e := range in.Timeline {
		if e.Actor == "user:alice" {
			acts = append(acts, e.Kind)
		}
	}
	if strings.Join(acts, ",") != "incident.acknowledged,incident.resolved" {
		t.Errorf("alice's timeline entries: %v", acts)
	}
	var audit struct {
		Entries []struct{ Actor, Action string } `json:"entries"`
	}
	s.api(t, "GET", "/api/v1/audit?actor=user:alice", "", http.StatusOK, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "incident.acknowledge") || !strings.Contains(got, "incident.resolve") {
		t.Errorf("alice's audit entries: %s", got)
	}
	// The layout's button logs out; the page then asks for a login.
	if status, loc, _ := alice.post(t, "/logout", nil); status != http.StatusSeeOther || loc != "/login" {
		t.Errorf("log out: %d to %q", status, loc)
	}
	if status, loc, _ := alice.get(t, path); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
		t.Errorf("after logging out: %d to %q", status, loc)
	}
}

// A viewer sees the incident without its buttons, and a form posted
// anyway is refused and changes nothing; so is a form without the
// session's CSRF token.
func TestIncidentPageRefuses(t *testing.T) {
	s, _, id := downIncident(t)
	path := fmt.Sprintf("/incidents/%d", id)
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, path)
	if status != http.StatusOK || strings.Contains(body, "Acknowledge</button>") {
		t.Fatalf("viewer's page: %d\n%s", status, body)
	}
	if status, _, body := victor.post(t, path+"/acknowledge", nil); status != http.StatusForbidden || !strings.Contains(body, "responder") {
		t.Errorf("viewer acknowledging: %d\n%s", status, body)
	}
	alice := s.login(t, "alice")
	alice.get(t, path)
	alice.csrf = "forged"
	if status, _, _ := alice.post(t, path+"/acknowledge", nil); status != http.StatusForbidden {
		t.Errorf("acknowledging without the CSRF token: %d", status)
	}
	var in struct{ Status string }
	s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &in)
	if in.Status != "triggered" {
		t.Errorf("incident %s after refused forms", in.Status)
	}
	if status, _, _ := alice.get(t, "/incidents/999"); status != http.StatusNotFound {
		t.Errorf("GET /incidents/999: %d", status)
	}
}

package ui_test

import (
	"net/http"
	"strings"
	"testing"
)

// A heartbeat check's page explains its schedule, lists the next expected
// times in its zone, its pings with body, exit status, duration, run id
// and source, its state history, and the commands that ping it.
func TestCheckPageOfHeartbeat(t *testing.T) {
	s, _ := dashboardSite(t)
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/checks/"+checkUUID)
	if status != http.StatusOK {
		t.Fatalf("GET the check: %d\n%s", status, body)
	}
	for _, want := range []string{
		`<span class="badge s-down">down</span> backup`,
		"every 1m, grace 30s",
		"<h2>Next expected pings</h2>",
		`<span class="badge s-fail">fail</span></td><td data-label="exit">3</td><td data-label="took">2s</td>`, // exit status, duration
		"disk full on /var\nbackup aborted",
		"<code>" + runB + "</code>", "<code>" + runA + "</code>",
		`<span class="badge s-start">start</span>`,
		"POST http 127.0.0.1",
		"<h2>State history</h2>", `</a> <span class="badge s-triggered">triggered</span></td><td>not yet</td>`,
		"curl -fsS -m 10 --retry 5 -o /dev/null " + s.base + "/ping/" + checkUUID + "</pre>",
		`&#34;$url/start&#34;`, `&#34;$url/$status&#34;`,
		`<dt>Tags</dt><dd class="tags"> <a href="/?tag=db" aria-label="Dashboard: checks tagged db">db</a> <a href="/?tag=eu" aria-label="Dashboard: checks tagged eu">eu</a></dd>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, ">Pause</button>") || strings.Contains(body, ">Resume</button>") {
		t.Errorf("a viewer is shown the pause buttons")
	}

	status, _, body = victor.get(t, "/checks/"+nightlyUUID)
	if status != http.StatusOK {
		t.Fatalf("GET nightly: %d", status)
	}
	// 02:30 Berlin on the next five days, from 2026-05-04 10:20 UTC.
	for _, want := range []string{"at 02:30 every day, Europe/Berlin, grace 1h",
		"2026-05-05 02:30:00 CEST", "2026-05-06 02:30:00 CEST", "2026-05-07 02:30:00 CEST",
		"2026-05-08 02:30:00 CEST", "2026-05-09 02:30:00 CEST", "No pings yet.", "It has never been down."} {
		if !strings.Contains(body, want) {
			t.Errorf("nightly's page lacks %q", want)
		}
	}
	if strings.Contains(body, "2026-05-10 02:30") {
		t.Errorf("more than five expected times")
	}
	if strings.Contains(body, "<dt>Tags</dt>") {
		t.Errorf("an untagged check's page shows tags")
	}
}

// A probe's page explains the probe and draws its latency over the last
// day; it has no ping log or ping commands.
func TestCheckPageOfProbe(t *testing.T) {
	s, _ := dashboardSite(t)
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/checks/"+webUUID)
	if status != http.StatusOK {
		t.Fatalf("GET the probe: %d\n%s", status, body)
	}
	for _, want := range []string{"probe http http://127.0.0.1:", "every 1h; down after 2 failed runs, up again after 1 good run",
		`<svg class="chart"`, "slowest run 43 ms, 1 failed runs", `<path class="line" d="M`, `<rect class="bad"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the probe's page lacks %q", want)
		}
	}
	for _, not := range []string{"<h2>Ping log</h2>", "curl "} {
		if strings.Contains(body, not) {
			t.Errorf("the probe's page shows %q", not)
		}
	}
}

// A responder pauses and resumes a check with the page's buttons: the
// same call as the API's, in the audit log with the person's name. A
// viewer is refused and nothing changes; an unknown check is not found.
func TestCheckPagePausesAndResumes(t *testing.T) {
	s, _ := dashboardSite(t)
	path := "/checks/" + nightlyUUID
	victor := s.login(t, "victor")
	victor.get(t, path)
	if status, _, body := victor.post(t, path+"/pause", nil); status != http.StatusForbidden || !strings.Contains(body, "responder") {
		t.Errorf("viewer pausing: %d\n%s", status, body)
	}
	var c struct{ State string }
	s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &c)
	if c.State != "new" {
		t.Fatalf("after a viewer's refused pause the check is %s", c.State)
	}
	alice := s.login(t, "alice")
	_, _, body := alice.get(t, path)
	if !strings.Contains(body, ">Pause</button>") {
		t.Fatalf("no Pause button for a responder:\n%s", body)
	}
	status, loc, _ := alice.post(t, path+"/pause", nil)
	if status != http.StatusSeeOther || loc != path+"?done=paused" {
		t.Fatalf("pause: %d to %q", status, loc)
	}
	_, _, body = alice.get(t, loc)
	if !strings.Contains(body, `s-paused">paused</span> nightly`) || !strings.Contains(body, ">Resume</button>") ||
		!strings.Contains(body, `role="status">Paused`) {
		t.Errorf("after pausing the page shows:\n%s", body)
	}
	if status, _, body := victor.post(t, path+"/resume", nil); status != http.StatusForbidden {
		t.Errorf("viewer resuming: %d\n%s", status, body)
	}
	s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &c)
	if c.State != "paused" {
		t.Fatalf("after a viewer's refused resume the check is %s", c.State)
	}
	status, loc, _ = alice.post(t, path+"/resume", nil)
	if status != http.StatusSeeOther || loc != path+"?done=resumed" {
		t.Fatalf("resume: %d to %q", status, loc)
	}
	s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &c)
	if c.State != "new" {
		t.Errorf("after resuming the check is %s", c.State)
	}
	// Resuming a check that is not paused is refused with words, as the API does.
	if status, _, body := alice.post(t, path+"/resume", nil); status != http.StatusConflict || !strings.Contains(body, "not paused") {
		t.Errorf("resuming again: %d\n%s", status, body)
	}
	var audit struct {
		Entries []struct{ Actor, Action string } `json:"entries"`
	}
	s.api(t, "GET", "/api/v1/audit?actor=user:alice", "", http.StatusOK, &audit)
	var actions []string
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Action, "check.") {
			actions = append(actions, e.Action)
		}
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "check.pause") || !strings.Contains(got, "check.resume") {
		t.Errorf("alice's audit entries: %s", got)
	}
	s.api(t, "GET", "/api/v1/audit?actor=user:victor", "", http.StatusOK, &audit)
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Action, "check.") {
			t.Errorf("victor's refused forms are in the audit log: %+v", e)
		}
	}
	for _, p := range []string{"/checks/00000000-0000-4000-8000-000000000000", "/checks/nope"} {
		if status, _, _ := alice.get(t, p); status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, status)
		}
	}
	if status, _, _ := alice.post(t, "/checks/00000000-0000-4000-8000-000000000000/pause", nil); status != http.StatusNotFound {
		t.Errorf("pausing an unknown check: %d", status)
	}
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

const incidentFieldsConfig = `
channels:
  - {name: ops, type: webhook, url: %q}
users:
  - {name: ana, contacts: [{type: webhook, to: ops}]}
  - {name: bo, contacts: [{type: webhook, to: ops}]}
services:
  - {name: payments, notify: [ops], group_wait: 0s}
  - {name: db, notify: [ops]}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
incidents:
  reopen_window: 5m
`

// fieldsView is what these tests read of an incident through the API.
type fieldsView struct {
	ID         int64
	Status     string
	Priority   string
	Services   []string
	Roles      []struct{ Role, User string }
	Links      []struct{ Kind, Title, URL string }
	MergedInto int64  `json:"merged_into"`
	ResolvedBy string `json:"resolved_by"`
	Alerts     []struct{ Key string }
	Timeline   []struct {
		ID        int64
		At        time.Time
		Kind      string
		Actor     string
		Message   string
		KeyMoment string `json:"key_moment"`
	}
}

// send makes a request with the admin token and a JSON body, and answers
// its status and body.
func (r *running) send(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct{ Error string }
	if resp.StatusCode >= 400 && json.Unmarshal(b, &e) == nil {
		return resp.StatusCode, e.Error
	}
	return resp.StatusCode, string(b)
}

func (r *running) fields(t *testing.T, id int64) (fieldsView, string) {
	t.Helper()
	code, body := r.send(t, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), "")
	if code != 200 {
		t.Fatalf("incident %d: %d %s", id, code, body)
	}
	var in fieldsView
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatal(err)
	}
	return in, body
}

// startIncidentFields runs Tocsin on a fake clock with two incidents
// opened by alerts a and b of service payments, both paged.
func startIncidentFields(t *testing.T) (*running, func(time.Duration), *hookLog, int64, int64) {
	t.Helper()
	hook, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(incidentFieldsConfig, hookURL))
	r, clk := startOnFakeClock(t, path)
	for _, key := range []string{"a", "b"} {
		var ans map[string]any
		if code := r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json",
			[]byte(fmt.Sprintf(`{"key":%q,"summary":"%s is slow"}`, key, key)), &ans); code != 202 {
			t.Fatalf("alert %s: %d %v", key, code, ans)
		}
	}
	testkit.Eventually(t, "both incidents paged", func() bool {
		return hook.find("incident.triggered", "[payments] a is slow") != nil && hook.find("incident.triggered", "[payments] b is slow") != nil
	})
	var list incidentList
	r.get(t, "/api/v1/incidents", &list)
	if len(list.Incidents) != 2 {
		t.Fatalf("incidents %+v", list)
	}
	// Newest first: b, then a.
	return r, func(d time.Duration) { stepClock(clk, d) }, hook, list.Incidents[1].ID, list.Incidents[0].ID
}

func TestIncidentFieldsThroughAPI(t *testing.T) {
	r, _, _, a, _ := startIncidentFields(t)
	path := fmt.Sprintf("/api/v1/incidents/%d", a)
	before, _ := r.fields(t, a)
	if before.Priority != "P3" || before.Services == nil || len(before.Services) != 0 || before.Roles == nil || before.Links == nil {
		t.Fatalf("a new incident: %+v", before)
	}
	code, body := r.send(t, "PATCH", path, `{"priority":"P2","services":["db"],
		"roles":[{"role":"commander","user":"ana"},{"role":"communications","user":"bo"}],
		"links":[{"kind":"ticket","title":"OPS-7","url":"https://tickets.example/OPS-7"}]}`)
	if code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	in, _ := r.fields(t, a)
	if in.Priority != "P2" || strings.Join(in.Services, ",") != "db" || len(in.Roles) != 2 || in.Roles[0].User != "ana" ||
		len(in.Links) != 1 || in.Links[0].URL != "https://tickets.example/OPS-7" {
		t.Fatalf("after the patch: %+v", in)
	}
	text := r.timeline(t, a)
	for _, want := range []string{
		"incident.priority_changed | api:admin | Priority set to P2 (was P3) by api:admin",
		"incident.services_changed | api:admin | Services affected set to db by api:admin",
		"incident.roles_changed | api:admin | Roles set to commander: ana, communications: bo by api:admin",
		"incident.links_changed | api:admin | Links set to OPS-7 (ticket) by api:admin",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q:\n%s", want, text)
		}
	}
	// The same values again change nothing and add nothing.
	r.send(t, "PATCH", path, `{"priority":"P2","services":["db"]}`)
	if again := r.timeline(t, a); again != text {
		t.Errorf("an unchanged patch wrote to the timeline:\n%s", again)
	}
	var audit struct{ Entries []store.AuditEntry }
	r.get(t, "/api/v1/audit?actor=api:admin", &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "incident.fields" {
		t.Fatalf("audit %+v", audit.Entries)
	}

	// Bad input: 400 with a message, and nothing changed.
	_, unchanged := r.fields(t, a)
	for body, want := range map[string]string{
		`{}`:                                 "nothing to change",
		`{"priority":"P6"}`:                  "priority must be P1, P2, P3, P4 or P5",
		`{"priority":"P1","services":["x"]}`: `no service "x" in the config`,
		`{"services":["payments"]}`:          "is the incident's own service",
		`{"services":["db","db"]}`:           "listed twice",
		`{"roles":[{"role":"commander","user":"zed"}]}`:                            `no user "zed" in the config`,
		`{"roles":[{"role":"Big Boss","user":"ana"}]}`:                             "is not a role name",
		`{"roles":[{"role":"scribe","user":"ana"},{"role":"scribe","user":"bo"}]}`: "listed twice",
		`{"links":[{"kind":"chat","title":"x","url":"https://x.example"}]}`:        "links[0].kind must be one of",
		`{"links":[{"kind":"ticket","title":"","url":"https://x.example"}]}`:       "links[0].title",
		`{"links":[{"kind":"ticket","title":"x","url":"javascript:alert(1)"}]}`:    "must be an http or https URL",
		`{"links":[{"kind":"ticket","title":"x","url":"ftp://x.example/f"}]}`:      "must be an http or https URL",
		`{"colour":"red"}`:     "unknown field",
		`{"priority":"P1"} {}`: "one JSON object expected",
		`not json`:             "expected",
	} {
		code, got := r.send(t, "PATCH", path, body)
		if code != 400 || !strings.Contains(got, want) {
			t.Errorf("PATCH %s: %d %s; want 400 saying %q", body, code, got, want)
		}
	}
	if _, now := r.fields(t, a); now != unchanged {
		t.Errorf("bad input changed the incident:\n%s\nwas\n%s", now, unchanged)
	}
	if code, _ := r.send(t, "PATCH", "/api/v1/incidents/999", `{"priority":"P1"}`); code != 404 {
		t.Errorf("patch of no incident: %d", code)
	}
}

func TestTimelineEntriesAndKeyMomentsThroughAPI(t *testing.T) {
	r, _, _, a, b := startIncidentFields(t)
	opened, _ := r.fields(t, a)
	openedAt := opened.Timeline[0].At
	at := openedAt.Add(-20 * time.Minute)
	code, body := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/timeline", a),
		fmt.Sprintf(`{"at":%q,"message":"Customers began to complain","key_moment":"detection"}`, at.Format(time.RFC3339)))
	if code != 201 {
		t.Fatalf("timeline entry: %d %s", code, body)
	}
	in, _ := r.fields(t, a)
	var manual int64
	for _, e := range in.Timeline {
		if e.Kind == "incident.manual" {
			manual = e.ID
			if !e.At.Equal(at) || e.Actor != "api:admin" || e.KeyMoment != "detection" {
				t.Errorf("manual entry %+v", e)
			}
		}
	}
	if manual == 0 {
		t.Fatalf("no manual entry: %+v", in.Timeline)
	}
	// The opening entry takes detection over from the manual one.
	first := in.Timeline[0].ID
	moment := func(entry int64) string { return fmt.Sprintf("/api/v1/incidents/%d/timeline/%d/key-moment", a, entry) }
	if code, body := r.send(t, "PUT", moment(first), `{"kind":"detection"}`); code != 200 {
		t.Fatalf("mark detection: %d %s", code, body)
	}
	in, _ = r.fields(t, a)
	marks := map[int64]string{}
	for _, e := range in.Timeline {
		marks[e.ID] = e.KeyMoment
	}
	if marks[first] != "detection" || marks[manual] != "" {
		t.Fatalf("key moments %v", marks)
	}
	if !strings.Contains(r.timeline(t, a), fmt.Sprintf("marked as the detection by api:admin, in place of entry #%d", manual)) {
		t.Errorf("timeline lacks the move:\n%s", r.timeline(t, a))
	}
	if code, body := r.send(t, "DELETE", moment(first), ""); code != 200 {
		t.Fatalf("unmark: %d %s", code, body)
	}
	if in, _ = r.fields(t, a); in.Timeline[0].KeyMoment != "" {
		t.Fatalf("after unmarking: %+v", in.Timeline[0])
	}

	// Bad input: 400 (404 for what is not there), nothing changed.
	_, unchanged := r.fields(t, a)
	entries := fmt.Sprintf("/api/v1/incidents/%d/timeline", a)
	for _, c := range []struct{ method, path, body, want string }{
		{"POST", entries, fmt.Sprintf(`{"at":%q,"message":"later"}`, openedAt.Add(time.Hour).Format(time.RFC3339)), "is in the future"},
		{"POST", entries, fmt.Sprintf(`{"at":%q,"message":"long ago"}`, openedAt.Add(-8*24*time.Hour).Format(time.RFC3339)), "more than 7d before the incident opened"},
		{"POST", entries, fmt.Sprintf(`{"at":%q,"message":"  "}`, at.Format(time.RFC3339)), "message is empty"},
		{"POST", entries, `{"message":"when?"}`, "at: when it happened is required"},
		{"POST", entries, `{"at":"yesterday","message":"x"}`, "expected"},
		{"POST", entries, fmt.Sprintf(`{"at":%q,"message":"x","key_moment":"lunch"}`, at.Format(time.RFC3339)), "key moment must be one of"},
		{"PUT", moment(first), `{"kind":"lunch"}`, "key moment must be one of"},
		{"PUT", moment(first), `{}`, "key moment must be one of"},
		{"PUT", fmt.Sprintf("/api/v1/incidents/%d/timeline/x/key-moment", a), `{"kind":"detection"}`, "timeline entry id must be a positive number"},
	} {
		code, got := r.send(t, c.method, c.path, c.body)
		if code != 400 || !strings.Contains(got, c.want) {
			t.Errorf("%s %s %s: %d %s; want 400 saying %q", c.method, c.path, c.body, code, got, c.want)
		}
	}
	// An entry of another incident is not found through this one.
	other, _ := r.fields(t, b)
	if code, _ := r.send(t, "PUT", moment(other.Timeline[0].ID), `{"kind":"mitigation"}`); code != 404 {
		t.Errorf("entry of another incident: %d", code)
	}
	if _, now := r.fields(t, a); now != unchanged {
		t.Errorf("bad input changed the incident:\n%s\nwas\n%s", now, unchanged)
	}
}

func TestMergeThroughAPI(t *testing.T) {
	r, _, hook, a, b := startIncidentFields(t)
	bBefore, _ := r.fields(t, b)
	r.send(t, "PUT", fmt.Sprintf("/api/v1/incidents/%d/timeline/%d/key-moment", b, bBefore.Timeline[0].ID), `{"kind":"mitigation"}`)
	notes := func(id int64) int {
		ns, err := r.app.DB().Notifications(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(ns)
	}
	aPages, bPages := notes(a), notes(b)
	if aPages == 0 || bPages == 0 {
		t.Fatalf("notifications before the merge: %d, %d", aPages, bPages)
	}

	merge := func(id int64, body string) (int, string) {
		return r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/merge", id), body)
	}
	for body, want := range map[string]string{
		fmt.Sprintf(`{"into":%d}`, b): "cannot be merged into itself",
		`{"into":0}`:                  "into must be the id",
		`{"into":999}`:                "there is no incident 999",
		`{"to":1}`:                    "unknown field",
	} {
		if code, got := merge(b, body); code != 400 || !strings.Contains(got, want) {
			t.Errorf("merge %s: %d %s; want 400 saying %q", body, code, got, want)
		}
	}
	code, body := merge(b, fmt.Sprintf(`{"into":%d}`, a))
	if code != 200 {
		t.Fatalf("merge: %d %s", code, body)
	}
	in, _ := r.fields(t, a)
	var keys []string
	for _, al := range in.Alerts {
		keys = append(keys, al.Key)
	}
	if strings.Join(keys, ",") != "b,a" && strings.Join(keys, ",") != "a,b" {
		t.Errorf("alerts of the target: %v", keys)
	}
	text := r.timeline(t, a)
	for _, want := range []string{"Incident opened: alert firing: b is slow",
		fmt.Sprintf("incident.merged_in | api:admin | #%d ([payments] b is slow) merged into this incident by api:admin", b)} {
		if !strings.Contains(text, want) {
			t.Errorf("target's timeline lacks %q:\n%s", want, text)
		}
	}
	mitigation := false
	for _, e := range in.Timeline {
		mitigation = mitigation || (e.KeyMoment == "mitigation" && strings.Contains(e.Message, "b is slow"))
	}
	if !mitigation {
		t.Errorf("the duplicate's key moment did not follow its entry: %+v", in.Timeline)
	}
	if got := notes(a); got != aPages+bPages || notes(b) != 0 {
		t.Errorf("notifications after the merge: %d on the target, %d on the duplicate; want %d, 0", got, notes(b), aPages+bPages)
	}
	dup, _ := r.fields(t, b)
	if dup.Status != "resolved" || dup.MergedInto != a || dup.ResolvedBy != "api:admin" || len(dup.Timeline) != 1 ||
		dup.Timeline[0].Message != fmt.Sprintf("Merged into #%d by api:admin", a) {
		t.Fatalf("the duplicate: %+v", dup)
	}
	// Those paged for the duplicate hear the target's resolution.
	if code, body := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", a), ""); code != 200 {
		t.Fatalf("resolve: %d %s", code, body)
	}
	testkit.Eventually(t, "the resolution sent", func() bool { return hook.find("incident.resolved", "[payments] a is slow") != nil })

	if code, got := merge(b, fmt.Sprintf(`{"into":%d}`, a)); code != 409 || !strings.Contains(got, "was merged into") {
		t.Errorf("merging a merged incident: %d %s", code, got)
	}
	if code, got := merge(a, fmt.Sprintf(`{"into":%d}`, b)); code != 400 || !strings.Contains(got, "was itself merged into") {
		t.Errorf("merging into a merged incident: %d %s", code, got)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", fmt.Sprintf("/api/v1/incidents/%d", b), `{"priority":"P1"}`},
		{"POST", fmt.Sprintf("/api/v1/incidents/%d/reopen", b), ``},
	} {
		if code, _ := r.send(t, c.method, c.path, c.body); code != 409 {
			t.Errorf("%s %s of a merged incident: %d", c.method, c.path, code)
		}
	}
}

func TestReopenWithinWindow(t *testing.T) {
	r, step, hook, a, _ := startIncidentFields(t)
	reopen := func() (int, string) {
		return r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/reopen", a), "")
	}
	if code, got := reopen(); code != 409 || !strings.Contains(got, "is not resolved") {
		t.Fatalf("reopening an open incident: %d %s", code, got)
	}
	resolve := func() {
		t.Helper()
		if code, body := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", a), ""); code != 200 {
			t.Fatalf("resolve: %d %s", code, body)
		}
	}
	resolve()
	step(4 * time.Minute)
	code, body := reopen()
	if code != 200 {
		t.Fatalf("reopen 4m after: %d %s", code, body)
	}
	in, _ := r.fields(t, a)
	if in.Status != "triggered" || !strings.Contains(r.timeline(t, a), "incident.reopened | api:admin | Reopened by api:admin") {
		t.Fatalf("after reopening: %s\n%s", in.Status, r.timeline(t, a))
	}
	testkit.Eventually(t, "the reopening paged", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		n := 0
		for _, ev := range hook.events {
			if inc, _ := ev["incident"].(map[string]any); ev["event"] == "incident.triggered" && inc["title"] == "[payments] a is slow" {
				n++
			}
		}
		return n == 2
	})
	var audit struct{ Entries []store.AuditEntry }
	r.get(t, "/api/v1/audit?actor=api:admin", &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "incident.reopen" {
		t.Fatalf("audit %+v", audit.Entries)
	}
	resolve()
	step(5*time.Minute + time.Second)
	if code, got := reopen(); code != 409 || !strings.Contains(got, "longer than incidents.reopen_window (5m)") {
		t.Fatalf("reopen after the window: %d %s", code, got)
	}
	if in, _ := r.fields(t, a); in.Status != "resolved" {
		t.Fatalf("a refused reopen changed the incident: %+v", in)
	}
}

// An incident opened by a check merges like one opened by alerts: its
// timeline follows, and the check recovering later touches neither.
func TestMergeCheckIncident(t *testing.T) {
	hook, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	const uuid = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	writeFile(t, path, fmt.Sprintf(incidentFieldsConfig+`checks:
  - {name: backup, uuid: %s, schedule: {every: 1m}, grace: 30s, notify: [ops]}
`, hookURL, uuid))
	r, clk := startOnFakeClock(t, path)
	ping := func() {
		resp, err := http.Get(r.base + "/ping/" + uuid)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ping()
	stepClock(clk, 91*time.Second)
	testkit.Eventually(t, "backup paged", func() bool { return hook.find("incident.triggered", "backup is down") != nil })
	var ans map[string]any
	r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json", []byte(`{"key":"a","summary":"backups late"}`), &ans)
	var list incidentList
	testkit.Eventually(t, "two incidents", func() bool {
		r.get(t, "/api/v1/incidents", &list)
		return len(list.Incidents) == 2
	})
	alerts, check := list.Incidents[0].ID, list.Incidents[1].ID
	if code, body := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/merge", check), fmt.Sprintf(`{"into":%d}`, alerts)); code != 200 {
		t.Fatalf("merge: %d %s", code, body)
	}
	if text := r.timeline(t, alerts); !strings.Contains(text, "Incident opened: backup is down") {
		t.Errorf("the check's timeline did not follow:\n%s", text)
	}
	ping()
	stepClock(clk, 2*time.Second)
	if dup, _ := r.fields(t, check); dup.Status != "resolved" || dup.MergedInto != alerts || len(dup.Timeline) != 1 {
		t.Errorf("the merged check incident after its check recovered: %+v", dup)
	}
	if in, _ := r.fields(t, alerts); in.Status != "triggered" {
		t.Errorf("the target after the check recovered: %+v", in)
	}
}

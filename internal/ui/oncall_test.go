package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// oncallConfig has a schedule with ana on call all week (a weekday-day
// layer of bob on top, so that nights are ana's), a schedule with holes,
// a policy paging the schedule, and people to page.
const oncallConfig = `links_secret: "0123456789abcdef0123456789abcdef-test"
channels:
  - {name: hook, type: webhook, url: "%[1]s"}
checks:
  - {name: backup, uuid: ` + checkUUID + `, schedule: {every: 1m}, grace: 30s}
users:
  - {name: alice, role: responder, tz: Europe/Berlin}
  - {name: victor, role: viewer}
  - {name: ana, contacts: [{type: webhook, to: hook}]}
  - {name: bob, contacts: [{type: webhook, to: hook}]}
  - {name: dora, disabled: true, contacts: [{type: webhook, to: hook}]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [ana], start: "2026-05-04", length: 1w, handoff: "Mon 00:00"}]
    overrides: [{user: bob, from: "2026-05-20T08:00:00Z", to: "2026-05-20T12:00:00Z"}]
  - name: daytime
    tz: Europe/Berlin
    rotations: [{participants: [bob], start: "2026-05-04", length: 1d, restrictions: [{days: [weekdays], from: "09:00", to: "17:00"}]}]
escalation_policies:
  - {name: default, levels: [{targets: ["schedule:primary"], timeout: 5m}]}
services:
  - {name: payments, escalation_policy: default, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`

// onCallSite runs Tocsin with oncallConfig on a fake clock, Monday
// 2026-05-04 10:00 UTC (12:00 in Berlin).
func onCallSite(t *testing.T) (*site, *clock.Fake) {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	t.Cleanup(hook.Close)
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	return startSite(t, fmt.Sprintf(oncallConfig, hook.URL), clk), clk
}

// apiJSON calls the API with the person's session (and its CSRF token),
// as the page's own script could; it gives the status and the body.
func (p *person) apiJSON(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.site.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", p.csrf)
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

type overrideOut struct {
	ID        int64  `json:"id"`
	User      string `json:"user"`
	Source    string `json:"source"`
	CreatedBy string `json:"created_by"`
	Note      string `json:"note"`
}

func (s *site) overrides(t *testing.T, schedule string) []overrideOut {
	t.Helper()
	var out struct {
		Overrides []overrideOut `json:"overrides"`
	}
	s.api(t, "GET", "/api/v1/schedules/"+schedule+"/overrides", "", http.StatusOK, &out)
	return out.Overrides
}

func (s *site) onCallNow(t *testing.T, schedule string) []string {
	t.Helper()
	var out struct {
		Users []string `json:"users"`
	}
	s.api(t, "GET", "/api/v1/schedules/"+schedule+"/oncall", "", http.StatusOK, &out)
	return out.Users
}

// auditActors are the actors of the audit log's entries of action.
func (s *site) auditActors(t *testing.T, action string) []string {
	t.Helper()
	var out struct {
		Entries []struct{ Actor, Action string } `json:"entries"`
	}
	s.api(t, "GET", "/api/v1/audit?action=schedule", "", http.StatusOK, &out)
	var actors []string
	for _, e := range out.Entries {
		if e.Action == action {
			actors = append(actors, e.Actor)
		}
	}
	return actors
}

// Through the API, a responder's override puts the user on call at once
// (who is on call, shifts, the feeds); removing it puts the rota back.
// Both are in the audit log with the person's name. Bad requests say why
// and store nothing; a viewer is refused.
func TestOverridesThroughTheAPI(t *testing.T) {
	s, clk := onCallSite(t)
	alice := s.login(t, "alice")
	alice.get(t, "/oncall") // a page, for the session's CSRF token
	if got := s.onCallNow(t, "primary"); !slices.Equal(got, []string{"ana"}) {
		t.Fatalf("on call before: %v", got)
	}
	at := func(d time.Duration) string { return clk.Now().Add(d).UTC().Format(time.RFC3339) }
	status, body := alice.apiJSON(t, "POST", "/api/v1/schedules/primary/overrides",
		`{"user": "bob", "start": "`+at(-time.Hour)+`", "end": "`+at(3*time.Hour)+`", "note": "ana at the dentist"}`)
	if status != http.StatusCreated || !strings.Contains(body, `"created_by": "user:alice"`) || !strings.Contains(body, `"source": "runtime"`) {
		t.Fatalf("create: %d %s", status, body)
	}
	if got := s.onCallNow(t, "primary"); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("on call with the override: %v", got)
	}
	var shifts struct {
		Shifts []struct{ Users []string } `json:"shifts"`
	}
	s.api(t, "GET", "/api/v1/schedules/primary/shifts", "", http.StatusOK, &shifts)
	if len(shifts.Shifts) < 2 || !slices.Equal(shifts.Shifts[0].Users, []string{"bob"}) || !slices.Equal(shifts.Shifts[1].Users, []string{"ana"}) {
		t.Errorf("shifts with the override: %+v", shifts.Shifts)
	}
	var users struct {
		Users []struct {
			Name     string   `json:"name"`
			OnCallIn []string `json:"on_call_now_in"`
			ICalURL  string   `json:"ical_url"`
		} `json:"users"`
	}
	s.api(t, "GET", "/api/v1/users", "", http.StatusOK, &users)
	for _, u := range users.Users {
		if u.Name != "bob" {
			continue
		}
		resp, err := http.Get(s.base + u.ICalURL[strings.Index(u.ICalURL, "/ical/"):])
		if err != nil {
			t.Fatal(err)
		}
		feed, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// 2026-05-04 09:00 UTC to 13:00 UTC: the override's span.
		if !strings.Contains(string(feed), "DTSTART:20260504T090000Z") || !slices.Contains(u.OnCallIn, "primary") {
			t.Errorf("bob's feed and schedules miss the override: %v\n%s", u.OnCallIn, feed)
		}
	}
	list := s.overrides(t, "primary")
	if len(list) != 2 || list[0].Source != "runtime" || list[0].Note != "ana at the dentist" || list[1].Source != "config" {
		t.Fatalf("overrides: %+v", list)
	}

	for _, c := range []struct{ body, want string }{
		{`{"user": "nobody", "start": "` + at(0) + `", "end": "` + at(time.Hour) + `"}`, `no user named \"nobody\"`},
		{`{"user": "dora", "start": "` + at(0) + `", "end": "` + at(time.Hour) + `"}`, "dora is disabled"},
		{`{"user": "bob", "start": "` + at(time.Hour) + `", "end": "` + at(time.Hour) + `"}`, "end must be after start"},
		{`{"user": "bob", "start": "` + at(0) + `", "end": "` + at(91*24*time.Hour) + `"}`, "at most 90 days"},
		{`{"user": "bob", "start": "` + at(-3*time.Hour) + `", "end": "` + at(-time.Hour) + `"}`, "ended already"},
		{`{"user": "bob", "start": "tomorrow", "end": "` + at(time.Hour) + `"}`, "not an RFC 3339 time"},
	} {
		status, body := alice.apiJSON(t, "POST", "/api/v1/schedules/primary/overrides", c.body)
		if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.body, status, body, c.want)
		}
	}
	status, body = alice.apiJSON(t, "POST", "/api/v1/schedules/nope/overrides",
		`{"user": "bob", "start": "`+at(0)+`", "end": "`+at(time.Hour)+`"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, `no schedule named \"nope\"`) {
		t.Errorf("unknown schedule: %d %s", status, body)
	}
	victor := s.login(t, "victor")
	victor.get(t, "/oncall")
	if status, body := victor.apiJSON(t, "POST", "/api/v1/schedules/primary/overrides",
		`{"user": "bob", "start": "`+at(0)+`", "end": "`+at(time.Hour)+`"}`); status != http.StatusForbidden {
		t.Errorf("a viewer's override: %d %s", status, body)
	}
	if status, _ := victor.apiJSON(t, "DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", list[0].ID), ""); status != http.StatusForbidden {
		t.Errorf("a viewer's removal: %d", status)
	}
	if got := s.overrides(t, "primary"); len(got) != 2 {
		t.Errorf("refused requests stored something: %+v", got)
	}

	if status, body := alice.apiJSON(t, "DELETE", fmt.Sprintf("/api/v1/schedules/daytime/overrides/%d", list[0].ID), ""); status != http.StatusNotFound {
		t.Errorf("removal through another schedule: %d %s", status, body)
	}
	if status, body := alice.apiJSON(t, "DELETE", fmt.Sprintf("/api/v1/schedules/primary/overrides/%d", list[0].ID), ""); status != http.StatusOK {
		t.Fatalf("remove: %d %s", status, body)
	}
	if got := s.onCallNow(t, "primary"); !slices.Equal(got, []string{"ana"}) {
		t.Errorf("on call after the removal: %v", got)
	}
	for _, action := range []string{"schedule.override.create", "schedule.override.delete"} {
		if got := s.auditActors(t, action); !slices.Equal(got, []string{"user:alice"}) {
			t.Errorf("audit log of %s: %v", action, got)
		}
	}
}

// An incident paging a schedule pages the user a runtime override put on
// call there: the override is read at page time, with no reload.
func TestPageReachesTheOverride(t *testing.T) {
	s, clk := onCallSite(t)
	start := clk.Now().UTC()
	s.api(t, "POST", "/api/v1/schedules/primary/overrides", fmt.Sprintf(`{"user": "bob", "start": %q, "end": %q}`,
		start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)), http.StatusCreated, nil)
	resp, err := http.Post(s.base+"/ingest/generic/k-gen-123-abcdefgh", "application/json",
		strings.NewReader(`{"key":"db-down","summary":"primary database down","severity":"critical"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("alert: %d %s", resp.StatusCode, raw)
	}
	// The alert's incident (the gap warnings of schedule daytime are
	// incidents too).
	var alerts struct {
		Alerts []struct {
			IncidentID int64 `json:"incident_id"`
		} `json:"alerts"`
	}
	var paged []string
	testkit.EventuallyAdvancing(t, clk, time.Second, "the incident paged", func() bool {
		s.api(t, "GET", "/api/v1/alerts", "", http.StatusOK, &alerts)
		if len(alerts.Alerts) != 1 || alerts.Alerts[0].IncidentID == 0 {
			return false
		}
		ns, err := s.app.DB().Notifications(context.Background(), alerts.Alerts[0].IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		paged = paged[:0]
		for _, n := range ns {
			if strings.HasPrefix(n.Channel, "contact:") {
				paged = append(paged, n.Channel)
			}
		}
		return len(paged) > 0
	})
	if !slices.Equal(paged, []string{"contact:bob:0"}) {
		t.Errorf("paged %v, want bob (the override), not ana (the rota)", paged)
	}
}

// The on-call page shows who is on call, the week's shifts with the gaps
// in words, the config's override marked as such; a responder makes and
// removes an override with its forms (audited with the person's name),
// bad input is refused with the reason and stores nothing, and a viewer
// is refused.
func TestOnCallPage(t *testing.T) {
	s, _ := onCallSite(t)
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, "/oncall")
	if status != http.StatusOK {
		t.Fatalf("GET /oncall: %d\n%s", status, body)
	}
	for _, want := range []string{
		`<p class="oc-who">ana</p>`,        // primary now
		"Week of Mon 4 May",                // the week, in alice's zone
		"gap: nobody on call",              // daytime's nights
		"from config",                      // primary's config override
		"Wed 20 May 2026 10:00–14:00 CEST", // ... in alice's zone
		`action="/oncall/overrides"`,       // the form, for a responder
		"alice's calendar feed (iCal)",     // the feeds
		"/ical/users/bob?token=",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if !strings.Contains(body, `Week of Mon 4 May`) || !strings.Contains(body, `<span class="oc-time">00:00–09:00</span> <strong>gap: nobody on call</strong>`) {
		t.Errorf("daytime's night gap is not on the calendar:\n%s", body)
	}
	status, _, month := alice.get(t, "/oncall?view=month")
	if status != http.StatusOK || !strings.Contains(month, "May 2026") || !strings.Contains(month, `href="/oncall?view=month&amp;start=2026-06-01"`) ||
		!strings.Contains(month, "Sun 31 May") {
		t.Errorf("month view: %d", status)
	}

	form := url.Values{"schedule": {"primary"}, "user": {"bob"}, "from": {"2026-05-04T11:00"}, "to": {"2026-05-04T16:00"},
		"note": {"swap"}}
	status, loc, _ := alice.post(t, "/oncall/overrides", form)
	if status != http.StatusSeeOther || loc != "/oncall?done=override-created" {
		t.Fatalf("make an override: %d to %q", status, loc)
	}
	if got := s.onCallNow(t, "primary"); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("on call after the form (11:00 to 16:00 Berlin, now 12:00): %v", got)
	}
	_, _, body = alice.get(t, loc)
	if !strings.Contains(body, `<p class="oc-who">bob</p><p><span class="badge s-started">override</span></p>`) || !strings.Contains(body, "Made by user:alice") ||
		!strings.Contains(body, "Override made") {
		t.Errorf("the page after the override:\n%s", body)
	}
	// The dashboard's "on call now" counts the override too (its content
	// may be up to two seconds old).
	testkit.Eventually(t, "the dashboard naming bob on call for primary", func() bool {
		_, _, body := alice.get(t, "/")
		return strings.Contains(body, "<dt>primary</dt><dd>bob</dd>")
	})

	for _, c := range []struct {
		change url.Values
		want   string
	}{
		{url.Values{"to": {"2026-05-04T10:00"}}, "end must be after start"},
		{url.Values{"user": {"dora"}}, "dora is disabled"},
		{url.Values{"user": {"zed"}}, "no user named &#34;zed&#34;"},
		{url.Values{"schedule": {"nope"}}, "no schedule named &#34;nope&#34;"},
		{url.Values{"to": {"2026-09-04T10:00"}}, "at most 90 days"},
		{url.Values{"from": {"2026-05-01T10:00"}, "to": {"2026-05-02T10:00"}}, "ended already"},
		{url.Values{"from": {"soon"}}, "From: &#34;soon&#34; is not a date and time"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		for k, v := range c.change {
			bad[k] = v
		}
		status, _, body := alice.post(t, "/oncall/overrides", bad)
		if status != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d, want 400 saying %q:\n%.300s", c.change, status, c.want, body)
		}
	}
	list := s.overrides(t, "primary")
	if len(list) != 2 {
		t.Fatalf("bad forms stored overrides: %+v", list)
	}

	victor := s.login(t, "victor")
	_, _, vbody := victor.get(t, "/oncall")
	if strings.Contains(vbody, `action="/oncall/overrides"`) || strings.Contains(vbody, "/remove") {
		t.Error("a viewer is shown the forms")
	}
	if status, _, _ := victor.post(t, "/oncall/overrides", form); status != http.StatusForbidden {
		t.Errorf("a viewer's form: %d", status)
	}
	remove := fmt.Sprintf("/oncall/schedules/primary/overrides/%d/remove", list[0].ID)
	if status, _, _ := victor.post(t, remove, nil); status != http.StatusForbidden {
		t.Errorf("a viewer's removal: %d", status)
	}
	if got := s.overrides(t, "primary"); len(got) != 2 {
		t.Errorf("a viewer changed the overrides: %+v", got)
	}

	if !strings.Contains(body, `action="`+remove+`"`) {
		t.Errorf("no Remove button for the runtime override")
	}
	status, loc, _ = alice.post(t, remove, nil)
	if status != http.StatusSeeOther || loc != "/oncall?done=override-removed" {
		t.Fatalf("remove: %d to %q", status, loc)
	}
	if got := s.onCallNow(t, "primary"); !slices.Equal(got, []string{"ana"}) {
		t.Errorf("on call after the removal: %v", got)
	}
	for _, action := range []string{"schedule.override.create", "schedule.override.delete"} {
		if got := s.auditActors(t, action); !slices.Equal(got, []string{"user:alice"}) {
			t.Errorf("audit log of %s: %v", action, got)
		}
	}
}

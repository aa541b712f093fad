package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// alertsConfig takes Alertmanager's alerts for two services, has a status
// page over one of them, a responder and a viewer. Payments waits before
// its first page, as Alertmanager's group_wait does: a silence made in
// that time holds its alerts.
const alertsConfig = `services:
  - {name: payments, group_by: [alertname], group_wait: 5m}
  - {name: database, group_wait: 0s}
routes:
  - {matchers: ['team="db"'], service: database}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
status_pages:
  - slug: public
    title: Example status
    components:
      - {name: Checkout, id: checkout, services: [payments]}
users:
  - {name: alice, role: responder, tz: Europe/Berlin}
  - {name: victor, role: viewer}
`

// alertmanagerBody is Alertmanager's webhook body (version 4) firing two
// alerts: one of payments, one routed to database by its team label.
const alertmanagerBody = `{"receiver":"tocsin","status":"firing","alerts":[
{"status":"firing","labels":{"alertname":"HeartbeatMissed","instance":"batch-01","service":"billing-cron","severity":"critical"},
 "annotations":{"summary":"billing-cron heartbeat missed for 10m"},"startsAt":"2026-11-22T01:27:34Z","endsAt":"0001-01-01T00:00:00Z",
 "generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"2dfcabef7f39ccd5"},
{"status":"firing","labels":{"alertname":"ReplicationLag","instance":"db-02","team":"db","severity":"warning"},
 "annotations":{"summary":"replica db-02 is 90s behind"},"startsAt":"2026-11-22T01:28:00Z","endsAt":"0001-01-01T00:00:00Z",
 "generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"9a8b7c6d5e4f3a2b"}],
"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093","version":"4",
"groupKey":"{}:{}","truncatedAlerts":0}`

// apiAlert is an alert as the API shows it, what these tests look at.
type apiAlert struct {
	ID           int64             `json:"id"`
	Service      string            `json:"service"`
	Labels       map[string]string `json:"labels"`
	IncidentID   int64             `json:"incident_id"`
	Suppressed   string            `json:"suppressed"`
	SuppressedBy int64             `json:"suppressed_by"`
}

type apiSilence struct {
	ID        int64    `json:"id"`
	Matchers  []string `json:"matchers"`
	CreatedBy string   `json:"created_by"`
	Comment   string   `json:"comment"`
	ActiveNow bool     `json:"active_now"`
}

// firingAlerts starts Tocsin with alertsConfig, pushes alertmanagerBody
// through the real ingest endpoint, waits for both alerts' incidents and
// gives the alerts by alertname.
func firingAlerts(t *testing.T) (*site, *clock.Fake, map[string]apiAlert) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	s := startSite(t, alertsConfig, clk)
	resp, err := http.Post(s.base+"/ingest/alertmanager/k-prom-123-abcdefgh", "application/json", strings.NewReader(alertmanagerBody))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	out := map[string]apiAlert{}
	testkit.Eventually(t, "both alerts in an incident", func() bool {
		list := s.alerts(t)
		for _, a := range list {
			out[a.Labels["alertname"]] = a
		}
		return len(list) == 2 && list[0].IncidentID != 0 && list[1].IncidentID != 0
	})
	return s, clk, out
}

func (s *site) alerts(t *testing.T) []apiAlert {
	t.Helper()
	var list struct{ Alerts []apiAlert }
	s.api(t, "GET", "/api/v1/alerts", "", http.StatusOK, &list)
	return list.Alerts
}

func (s *site) alert(t *testing.T, id int64) apiAlert {
	t.Helper()
	for _, a := range s.alerts(t) {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no alert %d", id)
	return apiAlert{}
}

// silences lists the silences not ended, through the API.
func (s *site) silences(t *testing.T) []apiSilence {
	t.Helper()
	var list struct{ Silences []apiSilence }
	s.api(t, "GET", "/api/v1/silences", "", http.StatusOK, &list)
	return list.Silences
}

// audited reports whether the audit log has an entry of action by actor.
func (s *site) audited(t *testing.T, action, actor string) bool {
	t.Helper()
	var log struct {
		Entries []struct{ Actor, Action string }
	}
	s.api(t, "GET", "/api/v1/audit?action="+url.QueryEscape(action), "", http.StatusOK, &log)
	for _, e := range log.Entries {
		if e.Actor == actor {
			return true
		}
	}
	return false
}

// silenceForm is the form as the new silence page fills it from an alert
// of alertmanagerBody's first alert, with changes.
func silenceForm(alertID int64, change func(url.Values)) url.Values {
	f := url.Values{
		"alert":   {fmt.Sprint(alertID)},
		"name":    {"alertname", "instance", "service", "severity", ""},
		"op":      {"=", "=", "=", "=", "="},
		"value":   {"HeartbeatMissed", "batch-01", "billing-cron", "critical", ""},
		"drop":    {"1"}, // any instance
		"for":     {"1h"},
		"comment": {"fix being deployed"},
		"create":  {"1"},
	}
	if change != nil {
		change(f)
	}
	return f
}

// The alerts page shows the firing alerts by service, each with its
// incident; a responder silences one from it (the form pre-filled with
// its labels), the alert is suppressed and the audit log names the
// person; the silence is listed, and expired from the page.
func TestSilenceFromAlert(t *testing.T) {
	s, clk, alerts := firingAlerts(t)
	hb, lag := alerts["HeartbeatMissed"], alerts["ReplicationLag"]
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, "/alerts")
	if status != http.StatusOK {
		t.Fatalf("GET /alerts: %d\n%s", status, body)
	}
	for _, want := range []string{">payments <small>(1)", ">database <small>(1)", "HeartbeatMissed", "replica db-02 is 90s behind",
		fmt.Sprintf(`href="/incidents/%d"`, hb.IncidentID), fmt.Sprintf(`href="/silences/new?alert=%d"`, hb.ID),
		`<code>team=&#34;db&#34;</code>`, "CEST", "No maintenance is scheduled"} {
		if !strings.Contains(body, want) {
			t.Errorf("the alerts page lacks %q", want)
		}
	}
	if strings.Index(body, ">database <small>") > strings.Index(body, ">payments <small>") {
		t.Error("services not in order")
	}

	status, _, body = alice.get(t, fmt.Sprintf("/silences/new?alert=%d", hb.ID))
	if status != http.StatusOK {
		t.Fatalf("the silence form: %d\n%s", status, body)
	}
	for _, want := range []string{`name="name" value="alertname"`, `name="value" value="HeartbeatMissed"`,
		`name="name" value="instance"`, `name="value" value="batch-01"`, `name="alert" value="` + fmt.Sprint(hb.ID)} {
		if !strings.Contains(body, want) {
			t.Errorf("the silence form is not pre-filled: no %q", want)
		}
	}
	status, loc, body := alice.post(t, "/silences", silenceForm(hb.ID, nil))
	if status != http.StatusSeeOther || loc != "/alerts?done=silenced" {
		t.Fatalf("POST /silences: %d to %q\n%s", status, loc, body)
	}
	list := s.silences(t)
	if len(list) != 1 || list[0].CreatedBy != "user:alice" || list[0].Comment != "fix being deployed" || !list[0].ActiveNow ||
		strings.Join(list[0].Matchers, " ") != `alertname="HeartbeatMissed" service="billing-cron" severity="critical"` {
		t.Fatalf("silences: %+v", list)
	}
	id := list[0].ID
	// It had not paged yet (group_wait): at the end of the wait the
	// silence holds it.
	testkit.EventuallyAdvancing(t, clk, 30*time.Second, "the alert silenced", func() bool {
		a := s.alert(t, hb.ID)
		return a.Suppressed == "silence" && a.SuppressedBy == id
	})
	if a := s.alert(t, lag.ID); a.Suppressed != "" {
		t.Errorf("the other alert is suppressed too: %+v", a)
	}
	if !s.audited(t, "silence.create", "user:alice") {
		t.Error("no audit entry of the silence with alice's name")
	}
	_, _, body = alice.get(t, loc)
	for _, want := range []string{"Silence created.", fmt.Sprintf(`silenced by <a href="#silence-%d">silence %d</a>`, id, id),
		fmt.Sprintf(`id="silence-%d"`, id), "fix being deployed", "user:alice", "<dd>1 alert</dd>",
		fmt.Sprintf(`action="/silences/%d/expire"`, id)} {
		if !strings.Contains(body, want) {
			t.Errorf("after the silence, the alerts page lacks %q", want)
		}
	}

	status, loc, _ = alice.post(t, fmt.Sprintf("/silences/%d/expire", id), nil)
	if status != http.StatusSeeOther || loc != "/alerts?done=silence-expired" {
		t.Fatalf("expire: %d to %q", status, loc)
	}
	if list := s.silences(t); len(list) != 0 {
		t.Errorf("silences after expiring: %+v", list)
	}
	if !s.audited(t, "silence.expire", "user:alice") {
		t.Error("no audit entry of the expiry with alice's name")
	}
	testkit.EventuallyAdvancing(t, clk, time.Second, "the alert no longer silenced", func() bool {
		a := s.alert(t, hb.ID)
		return a.Suppressed == "" && a.IncidentID != 0
	})
	_, _, body = alice.get(t, loc)
	if !strings.Contains(body, "Silence expired.") || !strings.Contains(body, "Ended in the last 24 hours (1)") {
		t.Errorf("after expiring, the page:\n%s", body)
	}
}

// Bad input shows the form again with what is wrong, and makes nothing.
func TestSilenceFormRefusesBadInput(t *testing.T) {
	s, _, alerts := firingAlerts(t)
	hb := alerts["HeartbeatMissed"]
	alice := s.login(t, "alice")
	alice.get(t, fmt.Sprintf("/silences/new?alert=%d", hb.ID))
	for _, tc := range []struct {
		name, want string
		change     func(url.Values)
	}{
		{"no matchers", "at least one matcher", func(f url.Values) { f["drop"] = []string{"0", "1", "2", "3"} }},
		{"a matcher matching everything", "would match every alert", func(f url.Values) {
			f["name"], f["op"], f["value"] = []string{"alertname"}, []string{"=~"}, []string{".*"}
			f.Del("drop")
		}},
		{"a bad regex", "bad regular expression", func(f url.Values) { f["op"][0], f["value"][0] = "=~", "Heartbeat(" }},
		{"a bad operator", "not an operator", func(f url.Values) { f["op"][0] = "==" }},
		{"a value without label", "the label name is empty", func(f url.Values) { f["value"][4] = "x" }},
		{"end before start", "must be after the start", func(f url.Values) {
			f.Set("starts", "2099-01-02T10:00")
			f.Set("for", "until")
			f.Set("ends", "2099-01-02T09:00")
		}},
		{"end in the past", "Ends: must be after the start", func(f url.Values) { f.Set("for", "until"); f.Set("ends", "2020-01-02T09:00") }},
		{"no end", "give the date and time the silence ends", func(f url.Values) { f.Set("for", "until") }},
		{"not a time", "is not a date and time", func(f url.Values) { f.Set("starts", "tomorrow") }},
		{"no length", "choose how long", func(f url.Values) { f.Set("for", "forever") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := alice.post(t, "/silences", silenceForm(hb.ID, tc.change))
			if status != http.StatusBadRequest || !strings.Contains(body, `class="error" role="alert"`) || !strings.Contains(body, tc.want) {
				t.Errorf("%d, want 400 saying %q:\n%s", status, tc.want, body)
			}
			if !strings.Contains(body, `action="/silences"`) || !strings.Contains(body, `value="fix being deployed"`) &&
				!strings.Contains(body, ">fix being deployed</textarea>") {
				t.Errorf("the form is not shown again with what was typed")
			}
		})
	}
	// "Add a matcher row" shows the form again, one row longer, and makes nothing.
	status, _, body := alice.post(t, "/silences", silenceForm(hb.ID, func(f url.Values) { f.Del("create"); f.Set("more", "1") }))
	if status != http.StatusOK || !strings.Contains(body, `id="m5-name"`) {
		t.Errorf("add a row: %d", status)
	}
	if list := s.silences(t); len(list) != 0 {
		t.Errorf("bad input made silences: %+v", list)
	}
}

// A viewer sees the alerts and silences but cannot silence or expire.
func TestViewerCannotSilence(t *testing.T) {
	s, _, alerts := firingAlerts(t)
	hb := alerts["HeartbeatMissed"]
	s.api(t, "POST", "/api/v1/silences", `{"matchers": ["alertname=\"ReplicationLag\""], "ends_at": "2099-01-01T00:00:00Z", "comment": "db work"}`,
		http.StatusCreated, nil)
	id := s.silences(t)[0].ID
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/alerts")
	if status != http.StatusOK || !strings.Contains(body, "HeartbeatMissed") || !strings.Contains(body, "db work") {
		t.Fatalf("GET /alerts as a viewer: %d\n%s", status, body)
	}
	if strings.Contains(body, "/silences/new") || strings.Contains(body, "/expire") {
		t.Error("a viewer is offered to silence or expire")
	}
	if status, _, _ := victor.get(t, fmt.Sprintf("/silences/new?alert=%d", hb.ID)); status != http.StatusForbidden {
		t.Errorf("the form for a viewer: %d", status)
	}
	if status, _, _ := victor.post(t, "/silences", silenceForm(hb.ID, nil)); status != http.StatusForbidden {
		t.Errorf("POST /silences as a viewer: %d", status)
	}
	if status, _, _ := victor.post(t, fmt.Sprintf("/silences/%d/expire", id), nil); status != http.StatusForbidden {
		t.Errorf("expire as a viewer: %d", status)
	}
	if list := s.silences(t); len(list) != 1 || !list[0].ActiveNow {
		t.Errorf("silences after the viewer's tries: %+v", list)
	}
}

// A silence that starts later is scheduled maintenance of alerts, listed
// as such; a status page's scheduled maintenance is listed with its page.
func TestMaintenanceWindows(t *testing.T) {
	s, _, alerts := firingAlerts(t)
	hb := alerts["HeartbeatMissed"]
	alice := s.login(t, "alice")
	alice.get(t, "/silences/new")
	status, _, body := alice.post(t, "/silences", silenceForm(hb.ID, func(f url.Values) {
		f.Set("starts", "2099-03-01T22:00")
		f.Set("for", "4h")
		f.Set("comment", "database upgrade")
	}))
	if status != http.StatusSeeOther {
		t.Fatalf("a later silence: %d\n%s", status, body)
	}
	from := time.Date(2099, 3, 1, 21, 0, 0, 0, time.UTC) // 22:00 in Berlin
	s.api(t, "POST", "/api/v1/status-pages/public/maintenances", fmt.Sprintf(`{"name": "Checkout upgrade", "body": "Upgrading.",
		"components": ["checkout"], "scheduled_for": %q, "scheduled_until": %q}`, from.Format(time.RFC3339),
		from.Add(2*time.Hour).Format(time.RFC3339)), http.StatusCreated, nil)
	_, _, body = alice.get(t, "/alerts")
	for _, want := range []string{"Scheduled (1)", "database upgrade", "2099-03-01 22:00:00 CET", "2099-03-02 02:00:00 CET",
		"Checkout upgrade", `href="/status/public"`, "<dd>Checkout</dd>", "POST /api/v1/status-pages/{slug}/maintenances",
		"1 listed under"} {
		if !strings.Contains(body, want) {
			t.Errorf("the alerts page lacks %q", want)
		}
	}
	if a := s.alert(t, hb.ID); a.Suppressed != "" {
		t.Errorf("a silence to come holds the alert now: %+v", a)
	}
}

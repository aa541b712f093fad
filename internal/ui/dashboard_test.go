package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

const (
	runA        = "11111111-2222-4333-8444-555555555555"
	runB        = "66666666-7777-4888-9999-aaaaaaaaaaaa"
	nightlyUUID = "7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f"
	webUUID     = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// dashboardConfig has a heartbeat check and an HTTP probe of target,
// both tagged eu (and db, web), an untagged cron check in Berlin, a schedule with alice on call, and a service fed by a
// generic integration.
func dashboardConfig(target string) string {
	return `checks:
  - {name: backup, uuid: ` + checkUUID + `, schedule: {every: 1m}, grace: 30s, tags: [db, eu]}
  - {name: nightly, uuid: ` + nightlyUUID + `, schedule: {cron: "30 2 * * *", tz: Europe/Berlin}, grace: 1h}
  - {name: web, uuid: ` + webUUID + `, probe: {type: http, url: "` + target + `", timeout: 1s}, interval: 1h, tags: [web, eu]}
users:
  - {name: alice, role: responder, tz: Europe/Berlin}
  - {name: victor, role: viewer}
schedules:
  - {name: primary, tz: Europe/Berlin, rotations: [{participants: [alice], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]}
services:
  - {name: payments, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`
}

// dashboardSite runs Tocsin on a fake clock with dashboardConfig: backup
// pinged (a success, then a failure with a body, that puts it down), web
// with a day of probe runs, and an alert incident of payments.
func dashboardSite(t *testing.T) (*site, *clock.Fake) {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(target.Close)
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 19, 30, 0, time.UTC))
	s := startSite(t, dashboardConfig(target.URL), clk)
	ping := func(path, body string) {
		resp, err := http.Post(s.base+"/ping/"+checkUUID+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ping %s: %d %s", path, resp.StatusCode, b)
		}
	}
	ping("/start?rid="+runB, "")
	clk.Advance(2 * time.Second) // the run takes 2s
	ping("?rid="+runA, "")
	ping("/3?rid="+runB, "disk full on /var\nbackup aborted")
	// A day of probe runs, written as the probe runner writes them: one
	// failed run two hours ago.
	db := s.app.DB()
	ctx := context.Background()
	web, err := db.CheckByUUID(ctx, webUUID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		for h := 23; h >= 1; h-- {
			r := store.ProbeResult{At: clk.Now().Add(-time.Duration(h) * time.Hour), OK: h != 2,
				Latency: time.Duration(20+h) * time.Millisecond, Class: "http"}
			if err := tx.InsertProbeResult(ctx, web.ID, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.api(t, "POST", "/ingest/generic/k-gen-123-abcdefgh", `{"key":"db","summary":"primary database down","severity":"critical"}`,
		http.StatusAccepted, nil)
	var list struct {
		Incidents []struct{ ID int64 } `json:"incidents"`
	}
	testkit.EventuallyAdvancing(t, clk, 100*time.Millisecond, "two incidents open: backup's and the alert's", func() bool {
		s.api(t, "GET", "/api/v1/incidents?status=open", "", http.StatusOK, &list)
		return len(list.Incidents) == 2
	})
	return s, clk
}

// rowOf is the dashboard's table row of the check named name, "" if none.
func rowOf(page, name string) string {
	m := regexp.MustCompile(`<tr><td><a href="/checks/[^"]+">` + regexp.QuoteMeta(name) + `</a>.*</tr>`).FindString(page)
	return m
}

// The dashboard shows the open incidents first, who is on call, and every
// check and probe with its state, last signal, next expected time and
// its last day.
func TestDashboardShowsChecks(t *testing.T) {
	s, _ := dashboardSite(t)
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/")
	if status != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", status, body)
	}
	incidents, checks, ok := strings.Cut(body, "<h2>Checks and probes</h2>")
	if !ok {
		t.Fatalf("no checks section:\n%s", body)
	}
	for _, want := range []string{"backup is down", "primary database down", "payments", `href="/incidents/`,
		`class="badge s-triggered"`} {
		if !strings.Contains(incidents, want) {
			t.Errorf("open incidents lack %q:\n%s", want, incidents)
		}
	}
	if !regexp.MustCompile(`<dt>primary</dt><dd>alice</dd>`).MatchString(incidents) {
		t.Errorf("alice not shown on call on primary:\n%s", incidents)
	}
	backup := rowOf(checks, "backup")
	for _, want := range []string{`href="/checks/` + checkUUID + `"`, `s-down">down<`, "just now",
		`<small class="tags"> <a href="/?tag=db">db</a> <a href="/?tag=eu">eu</a></small>`,
		`aria-label="last day: 2 pings, 1 failed"`, `class="fail"`} {
		if !strings.Contains(backup, want) {
			t.Errorf("backup's row lacks %q: %s", want, backup)
		}
	}
	nightly := rowOf(checks, "nightly")
	// New, it waits for 02:30 Berlin (00:30 UTC): 14h10m from 10:19:3x UTC.
	for _, want := range []string{`s-new">new<`, "never", "in 14h10m"} {
		if !strings.Contains(nightly, want) {
			t.Errorf("nightly's row lacks %q: %s", want, nightly)
		}
	}
	if strings.Contains(nightly, "tags") {
		t.Errorf("the untagged check's row shows tags: %s", nightly)
	}
	web := rowOf(checks, "web")
	for _, want := range []string{`href="/checks/` + webUUID + `"`, "<small>http</small>", `<a href="/?tag=web">web</a>`, `class="ok" d="M`} {
		if !strings.Contains(web, want) {
			t.Errorf("web's row lacks %q: %s", want, web)
		}
	}
	// The 23 runs written, and the probe's own first run if it has run by
	// now (it is due at start, on the fake clock).
	if !regexp.MustCompile(`last day: 2[34] runs, 1 failed`).MatchString(web) {
		t.Errorf("web's row lacks its day of runs: %s", web)
	}
	if strings.Index(checks, ">backup<") > strings.Index(checks, ">nightly<") {
		t.Errorf("the down check is not listed first")
	}
}

// The filters narrow what is shown, in a GET form that needs no script.
func TestDashboardFilters(t *testing.T) {
	s, _ := dashboardSite(t)
	victor := s.login(t, "victor")
	for query, want := range map[string][]string{
		"state=down":        {"backup"},
		"state=new":         {"nightly", "web"},
		"kind=probe":        {"web"},
		"kind=heartbeat":    {"backup", "nightly"},
		"name=NIGHT":        {"nightly"},
		"state=up&name=zz":  nil,
		"tag=eu":            {"backup", "web"},
		"tag=db":            {"backup"},
		"tag=eu&kind=probe": {"web"},
		"tag=nope":          nil,
	} {
		_, _, body := victor.get(t, "/?"+query)
		_, checks, _ := strings.Cut(body, "<h2>Checks and probes</h2>")
		for _, name := range []string{"backup", "nightly", "web"} {
			shown := rowOf(checks, name) != ""
			if shown != contains(want, name) {
				t.Errorf("?%s: %s shown: %v", query, name, shown)
			}
		}
		if want == nil && !strings.Contains(checks, "No checks match the filter.") {
			t.Errorf("?%s: no word that nothing matches:\n%s", query, checks)
		}
	}
	_, _, body := victor.get(t, "/?service=payments")
	if !strings.Contains(body, "primary database down") || strings.Contains(body, "backup is down") {
		t.Errorf("?service=payments shows the wrong incidents:\n%s", body)
	}
	if !strings.Contains(body, `<option selected>payments</option>`) {
		t.Errorf("the form does not keep the service chosen")
	}
	// The tag menu offers the tags in use, and keeps the one chosen, even
	// one no check has.
	_, _, body = victor.get(t, "/?tag=eu")
	if !strings.Contains(body, `<select id="f-tag" name="tag"><option value="">any</option><option>db</option><option selected>eu</option><option>web</option></select>`) {
		t.Errorf("the tag menu is not the tags in use with eu chosen:\n%s", body)
	}
	_, _, body = victor.get(t, "/?tag=nope")
	if !strings.Contains(body, `<option selected>nope</option>`) || !strings.Contains(body, `<a href="/">Clear</a>`) {
		t.Errorf("the form does not keep the tag chosen")
	}
	for _, q := range []string{"state=" + url.QueryEscape(`"><script>`), "tag=" + url.QueryEscape(`"><script>`)} {
		if _, _, body = victor.get(t, "/?"+q); strings.Contains(body, "<script>") {
			t.Errorf("?%s: a filter's value reaches the page unescaped", q)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A thousand checks: the dashboard lists them all, in a page that stays
// small.
func TestDashboardHoldsAThousandChecks(t *testing.T) {
	var b strings.Builder
	b.WriteString("checks:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {name: job-%04d, schedule: {every: 1h}, grace: 5m}\n", i)
	}
	b.WriteString("users:\n  - {name: victor, role: viewer}\n")
	s := startSite(t, b.String(), clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)))
	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/")
	if status != http.StatusOK || strings.Count(body, `<tr><td><a href="/checks/`) != 1000 {
		t.Fatalf("GET /: %d, %d rows", status, strings.Count(body, `<tr><td><a href="/checks/`))
	}
	if len(body) > 400_000 {
		t.Errorf("the dashboard of 1,000 checks is %d bytes", len(body))
	}
}

package app

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

const postmortemConfig = `
links_secret: "0123456789abcdef0123456789abcdef-test"
channels:
  - {name: core-pager, type: webhook, url: "%[1]s/core-pager"}
  - {name: cy-hook, type: webhook, url: "%[1]s/cy"}
users:
  - {name: opsbot, bot: true, contacts: [{type: webhook, to: core-pager}]}
  - {name: cy, tz: America/New_York, contacts: [{type: webhook, to: cy-hook}]}
teams:
  - {name: core, members: [cy], fallback: [core-pager]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [opsbot, cy], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]
escalation_policies:
  - {name: default, levels: [{targets: ["schedule:primary"], timeout: 5m}, {targets: ["user:cy"], timeout: 10m}]}
services:
  - {name: payments, escalation_policy: default, team: core, group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-gen-123-abcdefgh", service: payments}
`

// TestPostmortemGolden: a scripted incident on a fake clock, through
// Tocsin's real paths: an alert fires; level 1 of the policy is the schedule,
// where a bot is on call, so nobody is reachable and the team's fallback is paged; level 2
// pages cy five minutes later; cy acknowledges by the page's signed link;
// two status updates (timeline entries through the API, the second
// marked as mitigation); a note backdated to the deploy that caused it;
// resolved. The postmortem's Markdown export is exactly the golden file
// (go test ./internal/app/ -run TestPostmortemGolden -update rewrites it).
func TestPostmortemGolden(t *testing.T) {
	pages := &pageLog{}
	hook := httptest.NewServer(pages)
	defer hook.Close()
	r, clk, idle := startEscalation(t, fmt.Sprintf(postmortemConfig, hook.URL))
	opened := clk.Now()

	var ans map[string]any
	if code := r.post(t, "/ingest/generic/k-gen-123-abcdefgh", "application/json",
		[]byte(`{"key":"db-down","summary":"primary database down","severity":"critical","labels":{"alertname":"DatabaseDown"}}`), &ans); code != 202 {
		t.Fatalf("ingest: %d %v", code, ans)
	}
	testkit.Eventually(t, "the fallback's page", func() bool { return len(pages.snapshot()) >= 1 })
	if got := pages.snapshot(); got[0].Path != "/core-pager" {
		t.Fatalf("first page %+v", got[0])
	}
	id := got0Incident(t, pages)
	level2 := escalateAt(t, r, id)
	advance(clk, level2.Sub(clk.Now()))
	stepsIdle(t, r, clk, idle, level2.Add(10*time.Minute))
	testkit.Eventually(t, "cy's page", func() bool { return len(pages.snapshot()) >= 2 })
	cyPage := pages.snapshot()[1]
	if cyPage.Path != "/cy" || cyPage.Event.Links == nil {
		t.Fatalf("second page %+v", cyPage)
	}

	advance(clk, 2*time.Minute+30*time.Second)
	ack := cyPage.Event.Links.Acknowledge
	resp, err := http.Post(r.base+ack[strings.Index(ack, "/act/"):], "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("acknowledge by link: %d", resp.StatusCode)
	}
	entry := func(at time.Time, msg, key string) {
		t.Helper()
		body := fmt.Sprintf(`{"at": %q, "message": %q`, at.UTC().Format(time.RFC3339), msg)
		if key != "" {
			body += fmt.Sprintf(`, "key_moment": %q`, key)
		}
		if code, text := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/timeline", id), body+"}"); code != 201 {
			t.Fatalf("timeline entry %q: %d %s", msg, code, text)
		}
	}
	advance(clk, 2*time.Minute+30*time.Second)
	entry(clk.Now(), "Status: investigating, payments failing", "")
	advance(clk, 15*time.Minute)
	entry(clk.Now(), "Status: deploy 42 rolled back, payments recovering", "mitigation")
	entry(opened.Add(-10*time.Minute), "Deploy 42 went out", "cause_identified")
	advance(clk, 15*time.Minute)
	if code, text := r.send(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), ""); code != 200 {
		t.Fatalf("resolve: %d %s", code, text)
	}

	code, md := r.send(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/postmortem.md?tz=Europe/Berlin", id), "")
	if code != 200 {
		t.Fatalf("postmortem.md: %d %s", code, md)
	}
	path := filepath.Join("testdata", "postmortem.md")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if md != string(want) {
		t.Errorf("postmortem differs from %s (-update rewrites it):\n%s", path, md)
	}
	// The HTML rendering (goldmark, GFM) has the header table and the
	// timeline as tables, with every row and cell.
	code, html := r.send(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/postmortem.html", id), "")
	tables := regexp.MustCompile(`(?s)<table>.*?</table>`).FindAllString(html, -1)
	if code != 200 || len(tables) != 4 {
		t.Fatalf("postmortem.html: %d, %d tables:\n%s", code, len(tables), html)
	}
	for i, want := range []struct{ rows, cells int }{{1 + 10, 2 * 11}, {1 + 9, 5 * 10}} {
		rows := strings.Count(tables[i], "<tr>")
		cells := strings.Count(tables[i], "<th>") + strings.Count(tables[i], "<td>")
		if rows != want.rows || cells != want.cells {
			t.Errorf("table %d: %d rows, %d cells, want %d, %d:\n%s", i, rows, cells, want.rows, want.cells, tables[i])
		}
	}
}

// got0Incident is the incident of the first page.
func got0Incident(t *testing.T, pages *pageLog) int64 {
	t.Helper()
	return pages.snapshot()[0].Event.Incident.ID
}

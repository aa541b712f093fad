package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// The dashboard and the pages of a heartbeat check and a probe in
// Chromium: at 1280 and 375 px they fit, read, and pass axe; the filter
// form works without help, by kind and by tag; Pause acts.
func TestDashboardInChromium(t *testing.T) {
	s, _ := dashboardSite(t)
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", "/")
	s.look(t, b, "/", "dashboard")
	s.look(t, b, "/?state=down", "dashboard-filtered")
	s.look(t, b, "/?tag=eu", "dashboard-tag")
	s.look(t, b, "/checks/"+checkUUID, "check-heartbeat")
	s.look(t, b, "/checks/"+nightlyUUID, "check-cron")
	s.look(t, b, "/checks/"+webUUID, "check-probe")
	var shown string
	b.Open(t, s.base+"/", 1280)
	b.Run(t,
		chromedp.SetValue("#f-kind", "probe", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Filter"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//a[normalize-space()="Clear"]`, chromedp.BySearch), // on the filtered page
		chromedp.Text(`table.dash tbody`, &shown, chromedp.ByQuery),
	)
	if !strings.Contains(shown, "web") || strings.Contains(shown, "backup") {
		t.Errorf("filtered to probes, the table shows %q", shown)
	}
	b.Open(t, s.base+"/", 1280)
	b.Run(t,
		chromedp.SetValue("#f-tag", "db", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Filter"]`, chromedp.BySearch),
		chromedp.WaitVisible(`//a[normalize-space()="Clear"]`, chromedp.BySearch),
		chromedp.Text(`table.dash tbody`, &shown, chromedp.ByQuery),
	)
	if !strings.Contains(shown, "backup") || strings.Contains(shown, "nightly") || strings.Contains(shown, "http") {
		t.Errorf("filtered to tag db, the table shows %q", shown)
	}
	b.Open(t, s.base+"/checks/"+nightlyUUID, 1280)
	var state string
	b.Run(t,
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`//button[normalize-space()="Pause"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`h1 .badge`, &state, chromedp.ByQuery),
	)
	if state != "paused" {
		t.Errorf("after Pause the page says %q", state)
	}
	s.look(t, b, "/checks/"+nightlyUUID+"?done=paused", "check-paused")
}

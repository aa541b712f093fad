package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// A responder's night in Chromium: logged in, they watch a heartbeat check
// go down on the dashboard, open its incident from there, acknowledge it,
// add a note and resolve it; the dashboard, the list and the page at each
// step fit 1280 and 375 px and pass axe.
func TestIncidentFlowInChromium(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	s := startSite(t, heartbeatConfig, clk)
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", "/")

	id := s.letCheckGoDown(t, clk)
	path := fmt.Sprintf("/incidents/%d", id)

	// The dashboard shows the check down and the incident open (its
	// content may be up to two seconds old: reload until it is).
	var state string
	testkit.Eventually(t, "the dashboard showing backup down", func() bool {
		b.Open(t, s.base+"/", 1280)
		b.Run(t, chromedp.Text(`table.dash tbody tr .badge`, &state, chromedp.ByQuery))
		return state == "down"
	})
	s.look(t, b, "/", "dashboard-incident")
	s.look(t, b, "/incidents", "incidents")

	var text string
	b.Open(t, s.base+"/", 375)
	b.Run(t,
		chromedp.Click(fmt.Sprintf(`ul.dash-incidents a[href="%s"]`, path), chromedp.ByQuery),
		chromedp.WaitVisible(`textarea#note-text`, chromedp.ByQuery),
		chromedp.Text(`h1`, &text, chromedp.ByQuery),
	)
	if !strings.Contains(text, "backup is down") || !strings.Contains(text, "triggered") {
		t.Errorf("the incident opened from the dashboard says %q", text)
	}
	s.look(t, b, path, "incident-open")

	b.Open(t, s.base+path, 375)
	b.Run(t,
		chromedp.Click(`//button[normalize-space()="Acknowledge"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`h1 .badge`, &text, chromedp.ByQuery),
	)
	if text != "acknowledged" {
		t.Errorf("after Acknowledge the page says %q", text)
	}
	b.Run(t,
		chromedp.SendKeys(`#note-text`, "Disk of the backup host full; clearing old archives.", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Add note"]`, chromedp.BySearch),
		chromedp.WaitVisible(`ol.timeline li.note`, chromedp.ByQuery),
		chromedp.Text(`ol.timeline li.note`, &text, chromedp.ByQuery),
	)
	if !strings.Contains(text, "by user:alice") || !strings.Contains(text, "clearing old archives") {
		t.Errorf("the note on the timeline: %q", text)
	}
	s.look(t, b, path, "incident-acknowledged-note")

	var live bool
	b.Open(t, s.base+path, 1280)
	b.Run(t,
		chromedp.Click(`//button[normalize-space()="Resolve"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`h1 .badge`, &text, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("[data-live]") !== null`, &live),
	)
	if text != "resolved" || live {
		t.Errorf("after Resolve the page says %q, live %v", text, live)
	}
	s.look(t, b, path, "incident-resolved")
	s.look(t, b, "/incidents", "incidents-resolved")
	b.ColorScheme(t, "dark")
	s.look(t, b, path, "incident-resolved-dark")
}

// An incident of alerts in Chromium: its alerts, who was paged and the
// responder's buttons fit both widths and pass axe.
func TestAlertIncidentInChromium(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	s.alertIncident(t, "k-web-123-abcdefgh", "WebSlow", "warning")
	path := fmt.Sprintf("/incidents/%d", id)
	testkit.Eventually(t, "the first page sent", func() bool {
		var in struct {
			Timeline []struct{ Kind string } `json:"timeline"`
		}
		s.api(t, "GET", "/api/v1"+path, "", http.StatusOK, &in)
		for _, e := range in.Timeline {
			if e.Kind == "notification.sent" {
				return true
			}
		}
		return false
	})
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", path)
	s.look(t, b, path, "incident-alerts")
	s.look(t, b, "/incidents?service=payments", "incidents-filtered")
}

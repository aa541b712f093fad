package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// In Chromium, a responder creates a silence from a firing alert: Silence…
// on the alerts page opens the form with the alert's labels as matchers,
// Create silence lists the silence, and the alert shows as silenced. The
// alerts page and the form fit, read and pass axe at 1280 and 375 px.
func TestSilenceFromAlertInChromium(t *testing.T) {
	s, clk, alerts := firingAlerts(t)
	hb := alerts["HeartbeatMissed"]
	// A maintenance to come on the status page and a silence to come, so
	// that the page shows every part.
	from := clk.Now().Add(48 * time.Hour).Truncate(time.Hour)
	s.api(t, "POST", "/api/v1/status-pages/public/maintenances", fmt.Sprintf(`{"name": "Checkout upgrade", "body": "Upgrading.",
		"components": ["checkout"], "scheduled_for": %q, "scheduled_until": %q}`, from.Format(time.RFC3339),
		from.Add(2*time.Hour).Format(time.RFC3339)), http.StatusCreated, nil)
	s.api(t, "POST", "/api/v1/silences", fmt.Sprintf(`{"matchers": ["team=\"db\""], "starts_at": %q, "ends_at": %q, "comment": "database upgrade"}`,
		from.Format(time.RFC3339), from.Add(4*time.Hour).Format(time.RFC3339)), http.StatusCreated, nil)

	b := browser.Start(t)
	s.browserLogin(t, b, "alice", "/alerts")
	s.look(t, b, "/alerts", "alerts")
	s.look(t, b, fmt.Sprintf("/silences/new?alert=%d", hb.ID), "silence-new")

	// Bad input at 375 px: the form comes back saying what is wrong.
	b.Open(t, s.base+fmt.Sprintf("/silences/new?alert=%d", hb.ID), 375)
	var problem string
	b.Run(t,
		chromedp.Click(`#for-until`, chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Create silence"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#silence-error`, chromedp.ByID),
		chromedp.Text(`#silence-error`, &problem, chromedp.ByID),
	)
	if !strings.Contains(problem, "Ends:") {
		t.Errorf("the form's error says %q", problem)
	}
	b.AssertNoHorizontalScroll(t)
	b.Screenshot(t, "ui-silence-new-error-375")
	b.AssertAccessible(t)

	b.Open(t, s.base+"/alerts", 1280)
	var name, value string
	b.Run(t,
		chromedp.Click(fmt.Sprintf(`a[href="/silences/new?alert=%d"]`, hb.ID), chromedp.ByQuery),
		chromedp.WaitVisible(`form.silence-form`, chromedp.ByQuery),
		chromedp.Value(`#m0-name`, &name, chromedp.ByID),
		chromedp.Value(`#m0-value`, &value, chromedp.ByID),
	)
	if name != "alertname" || value != "HeartbeatMissed" {
		t.Fatalf("the form's first matcher is %s=%q, want alertname=HeartbeatMissed", name, value)
	}
	var notice string
	b.Run(t,
		chromedp.Click(`#m1-drop`, chromedp.ByID), // any instance
		chromedp.SendKeys(`#comment`, "fix being deployed", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Create silence"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`p.notice`, &notice, chromedp.ByQuery),
	)
	if notice != "Silence created." {
		t.Errorf("after Create silence the page says %q", notice)
	}
	var list []apiSilence
	for _, sl := range s.silences(t) {
		if sl.Comment == "fix being deployed" {
			list = append(list, sl)
		}
	}
	if len(list) != 1 || strings.Join(list[0].Matchers, " ") != `alertname="HeartbeatMissed" service="billing-cron" severity="critical"` {
		t.Fatalf("silences made: %+v", list)
	}
	id := list[0].ID
	var listed string
	b.Run(t, chromedp.Text(fmt.Sprintf(`#silence-%d`, id), &listed, chromedp.ByQuery))
	if !strings.Contains(listed, "fix being deployed") || !strings.Contains(listed, "user:alice") {
		t.Errorf("the silence as listed: %q", listed)
	}
	// The alert had not paged yet: at the end of group_wait the silence holds it.
	testkit.EventuallyAdvancing(t, clk, 30*time.Second, "the alert silenced", func() bool {
		return s.alert(t, hb.ID).Suppressed == "silence"
	})
	var shown string
	b.Open(t, s.base+"/alerts", 1280)
	b.Run(t, chromedp.Text(fmt.Sprintf(`#alert-%d`, hb.ID), &shown, chromedp.ByQuery))
	if !strings.Contains(shown, "silenced") || !strings.Contains(shown, fmt.Sprintf("silenced by silence %d", id)) {
		t.Errorf("the alert as shown: %q", shown)
	}
	s.look(t, b, "/alerts", "alerts-silenced")
	b.ColorScheme(t, "dark")
	s.look(t, b, "/alerts", "alerts-dark")
}

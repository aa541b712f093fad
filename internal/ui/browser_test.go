package ui_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// browserLogin opens path in b, which asks for a login, logs in as user
// through the login page as a person does (the password is set through
// the API), and waits for the page it returns to.
func (s *site) browserLogin(t *testing.T, b *browser.Browser, user, path string) {
	t.Helper()
	const password = "correct horse battery"
	s.api(t, "PUT", "/api/v1/users/"+user+"/password", `{"password": "`+password+`"}`, 200, nil)
	b.Open(t, s.base+path, 1280)
	b.Run(t,
		chromedp.SendKeys("#user", user, chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`main#main`, chromedp.ByQuery),
	)
}

// look opens path at 1280 and at 375 px wide, saves a full-page screenshot
// of each as ui-<name>-<width>.png, and checks the page at both widths: no
// sideways scroll, no serious or critical axe-core violation.
func (s *site) look(t *testing.T, b *browser.Browser, path, name string) {
	t.Helper()
	for _, width := range []int64{1280, 375} {
		b.Open(t, s.base+path, width)
		b.AssertNoHorizontalScroll(t)
		b.Screenshot(t, fmt.Sprintf("ui-%s-%d", name, width))
		b.AssertAccessible(t)
	}
}

// The incident page in Chromium: at both widths it fits, reads, and
// passes axe; its Acknowledge button acts.
func TestIncidentPageInChromium(t *testing.T) {
	s, _, id := downIncident(t)
	b := browser.Start(t)
	path := fmt.Sprintf("/incidents/%d", id)
	s.browserLogin(t, b, "alice", path)
	s.look(t, b, path, "incident")
	var status string
	b.Run(t,
		chromedp.Click(`//button[normalize-space()="Acknowledge"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`h1 .badge`, &status, chromedp.ByQuery),
	)
	if status != "acknowledged" {
		t.Errorf("after Acknowledge the page says %q", status)
	}
	s.look(t, b, path, "incident-acknowledged")
	s.look(t, b, "/login", "login")
}

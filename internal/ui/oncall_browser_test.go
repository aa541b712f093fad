package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// The on-call page in Chromium, a week and a month, at both widths, light
// and dark; a responder makes an override with its form and who is on
// call now changes to the override's user.
func TestOnCallPageInChromium(t *testing.T) {
	s, _ := onCallSite(t)
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", "/oncall")
	s.look(t, b, "/oncall", "oncall")
	s.look(t, b, "/oncall?view=month", "oncall-month")

	b.Open(t, s.base+"/oncall", 1280)
	primaryNow := `//ul[contains(@class,"oc-now")]/li[h3[starts-with(normalize-space(),"primary")]]/p[1]`
	var before, after string
	b.Run(t,
		chromedp.Text(primaryNow, &before, chromedp.BySearch),
		chromedp.SetValue("#ov-schedule", "primary", chromedp.ByID),
		chromedp.SetValue("#ov-user", "bob", chromedp.ByID),
		chromedp.SetValue("#ov-from", "2026-05-04T11:00", chromedp.ByID),
		chromedp.SetValue("#ov-to", "2026-05-04T18:00", chromedp.ByID),
		chromedp.SendKeys("#ov-note", "ana is at the dentist", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Make override"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(primaryNow, &after, chromedp.BySearch),
	)
	if before != "ana" || after != "bob" {
		t.Errorf("on call now in primary: %q before the override, %q after, want ana then bob", before, after)
	}
	s.look(t, b, "/oncall", "oncall-override")
	// In dark mode too, the gaps and badges keep their contrast.
	b.ColorScheme(t, "dark")
	s.look(t, b, "/oncall", "oncall-dark")
}

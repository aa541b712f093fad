package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// In Chromium a responder adds an action item on the postmortem page,
// finds it on /actions, marks it done, and sees it leave /actions; the
// pages fit 1280 and 375 px and pass axe, in light and dark.
func TestActionItemsInChromium(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	pm := fmt.Sprintf("/incidents/%d/postmortem", id)
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", pm)

	var table string
	b.Run(t,
		chromedp.SendKeys(`#ai-title`, "Alert on certificate expiry", chromedp.ByID),
		chromedp.SetValue(`#ai-owner`, "bo", chromedp.ByID),
		chromedp.SetValue(`#ai-due`, "2026-05-01", chromedp.ByID),
		chromedp.SendKeys(`#ai-link`, "https://tickets.example.com/OPS-9", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Add"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`table.ai-table`, &table, chromedp.ByQuery),
	)
	if !strings.Contains(table, "Alert on certificate expiry") || !strings.Contains(table, "overdue") || !strings.Contains(table, "bo") {
		t.Fatalf("after Add the table says %q", table)
	}
	s.look(t, b, pm, "action-items")
	s.look(t, b, fmt.Sprintf("/incidents/%d", id), "incident-action-items")

	var list string
	b.Open(t, s.base+"/actions", 1280)
	b.Run(t, chromedp.Text(`main`, &list, chromedp.ByQuery))
	if !strings.Contains(list, "Team core") || !strings.Contains(list, "Alert on certificate expiry") {
		t.Fatalf("/actions says %q", list)
	}
	s.look(t, b, "/actions", "actions")
	b.ColorScheme(t, "dark")
	s.look(t, b, "/actions", "actions-dark")
	s.look(t, b, pm, "action-items-dark")
	b.ColorScheme(t, "light")

	items := s.incidentActionItems(t, id)
	if len(items) != 1 {
		t.Fatalf("items: %+v", items)
	}
	item := items[0].ID
	b.Open(t, s.base+"/actions", 375)
	b.Run(t,
		chromedp.Click(fmt.Sprintf(`a[href="%s#ai-%d"]`, pm, item), chromedp.ByQuery),
		chromedp.WaitVisible(`#action-items`, chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`//summary[starts-with(normalize-space(), "Change #%d")]`, item), chromedp.BySearch),
		chromedp.WaitVisible(fmt.Sprintf(`#ai-status-%d`, item), chromedp.ByID),
	)
	b.AssertNoHorizontalScroll(t)
	b.Screenshot(t, "ui-action-item-change-375")
	b.AssertAccessible(t)
	b.Run(t,
		chromedp.SetValue(fmt.Sprintf(`#ai-status-%d`, item), "done", chromedp.ByID),
		chromedp.Click(fmt.Sprintf(`//button[normalize-space()="Save #%d"]`, item), chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`table.ai-table`, &table, chromedp.ByQuery),
	)
	if !strings.Contains(table, "done") || strings.Contains(table, "overdue") {
		t.Errorf("after done the table says %q", table)
	}
	b.Open(t, s.base+"/actions", 1280)
	b.Run(t, chromedp.Text(`main`, &list, chromedp.ByQuery))
	if strings.Contains(list, "Alert on certificate expiry") || !strings.Contains(list, "None.") {
		t.Errorf("/actions after done says %q", list)
	}
	s.look(t, b, "/actions", "actions-none")
}

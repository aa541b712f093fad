package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// In Chromium a responder names the incident's commander and links its
// ticket on the incident page, opens its postmortem from there, edits and
// saves it, and meets a conflict when someone saved meanwhile; every page
// and state fits 1280 and 375 px and passes axe.
func TestPostmortemInChromium(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	path := fmt.Sprintf("/incidents/%d", id)
	pm := path + "/postmortem"
	b := browser.Start(t)
	s.browserLogin(t, b, "alice", path)

	var facts, links string
	b.Run(t,
		chromedp.SetValue(`#role-user-0`, "alice", chromedp.ByID),
		chromedp.SetValue(`#role-name-2`, "scribe", chromedp.ByID),
		chromedp.SetValue(`#role-user-2`, "bo", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Set roles"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.SetValue(`#link-kind`, "ticket", chromedp.ByID),
		chromedp.SendKeys(`#link-title`, "OPS-123", chromedp.ByID),
		chromedp.SendKeys(`#link-url`, "https://tickets.example.com/OPS-123", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Add link"]`, chromedp.BySearch),
		chromedp.WaitVisible(`ul.link-list`, chromedp.ByQuery),
		chromedp.Text(`dl.facts`, &facts, chromedp.ByQuery),
		chromedp.Text(`ul.link-list`, &links, chromedp.ByQuery),
	)
	if !strings.Contains(facts, "commander: alice") || !strings.Contains(facts, "scribe: bo") || !strings.Contains(links, "OPS-123") {
		t.Errorf("after the forms the facts say %q and the links %q", facts, links)
	}
	s.look(t, b, path, "incident-scope")

	var text string
	b.Open(t, s.base+path, 375)
	b.Run(t,
		chromedp.Click(fmt.Sprintf(`a[href="%s"]`, pm), chromedp.ByQuery),
		chromedp.WaitVisible(`article.postmortem`, chromedp.ByQuery),
		chromedp.Text(`article.postmortem`, &text, chromedp.ByQuery),
	)
	if !strings.Contains(text, "Root cause") || !strings.Contains(text, "alice") {
		t.Errorf("the draft says %q", text)
	}
	s.look(t, b, pm, "postmortem-draft")

	b.Open(t, s.base+pm, 375)
	b.Run(t,
		chromedp.Click(`//a[normalize-space()="Edit"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#pm-markdown`, chromedp.ByID),
	)
	s.look(t, b, pm+"/edit", "postmortem-edit")
	b.Open(t, s.base+pm+"/edit", 375)
	b.Run(t,
		chromedp.SetValue(`#pm-markdown`, "# Payments down\n\n## Root cause\n\nThe payment provider's certificate expired.\n", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Save"]`, chromedp.BySearch),
		chromedp.WaitVisible(`p.notice`, chromedp.ByQuery),
		chromedp.Text(`article.postmortem`, &text, chromedp.ByQuery),
	)
	if !strings.Contains(text, "certificate expired") {
		t.Errorf("after saving the page says %q", text)
	}
	s.look(t, b, pm, "postmortem-saved")
	b.ColorScheme(t, "dark")
	s.look(t, b, pm, "postmortem-saved-dark")
	b.ColorScheme(t, "light")

	// Someone saves through the API while alice edits: her save is
	// refused, her text stays in the editor, theirs is shown below it.
	b.Open(t, s.base+pm+"/edit", 1280)
	s.api(t, "PUT", fmt.Sprintf("/api/v1/incidents/%d/postmortem", id), `{"markdown": "# Payments down\n\nSaved by the API.\n", "base_revision": 1}`, http.StatusOK, nil)
	var kept, msg string
	b.Run(t,
		chromedp.SetValue(`#pm-markdown`, "# Payments down\n\nAlice's second thoughts.\n", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Save"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#pm-error`, chromedp.ByID),
		chromedp.Text(`#pm-error`, &msg, chromedp.ByID),
		chromedp.Value(`#pm-markdown`, &kept, chromedp.ByID),
		chromedp.Text(`article.postmortem`, &text, chromedp.ByQuery),
	)
	if !strings.Contains(msg, "is at revision 2, not 1") || !strings.Contains(kept, "second thoughts") || !strings.Contains(text, "Saved by the API.") {
		t.Errorf("the conflict says %q, keeps %q, shows %q", msg, kept, text)
	}
	b.AssertNoHorizontalScroll(t)
	b.Screenshot(t, "ui-postmortem-conflict-1280")
	b.AssertAccessible(t)
}

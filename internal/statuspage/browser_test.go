package statuspage

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// TestPageInChromium opens the page in real Chromium (Debian's chromium
// package) at a desktop and a phone width, in light and dark mode, saves
// full-page screenshots and pictures of the badges (to $TOCSIN_ARTIFACTS
// when set, else a temporary directory), checks that the phone width needs
// no horizontal scroll and that axe-core finds no serious or critical
// accessibility violation in any of them.
func TestPageInChromium(t *testing.T) {
	srv, _, _ := startServer(t, WithRenderOptions(func(string) RenderOptions {
		return RenderOptions{Subscribe: true, SubscribeMessage: "Get an email whenever an incident is posted, updated or resolved."}
	}))
	b := browser.Start(t)

	for _, tc := range []struct {
		name  string
		width int64
		dark  bool
	}{
		{"desktop-1280", 1280, false},
		{"phone-375", 375, false},
		{"desktop-1280-dark", 1280, true},
		{"phone-375-dark", 375, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scheme := "light"
			if tc.dark {
				scheme = "dark"
			}
			b.ColorScheme(t, scheme)
			b.Open(t, srv.URL+"/status/public", tc.width)
			var banner string
			b.Run(t,
				chromedp.WaitVisible(".banner", chromedp.ByQuery),
				chromedp.Text(".banner", &banner, chromedp.ByQuery),
			)
			if banner != "Partial System Outage" {
				t.Errorf("banner reads %q, want %q", banner, "Partial System Outage")
			}
			b.AssertNoHorizontalScroll(t)
			b.Screenshot(t, "statuspage-"+tc.name)
			b.AssertAccessible(t)
		})
	}
	t.Run("badges", func(t *testing.T) {
		for name, path := range map[string]string{"page": "/badge.svg", "component": "/components/c01/badge.svg"} {
			var png []byte
			b.Run(t,
				chromedp.EmulateViewport(320, 40),
				chromedp.Navigate(srv.URL+"/status/public"+path),
				chromedp.WaitReady("svg", chromedp.ByQuery),
				chromedp.CaptureScreenshot(&png),
			)
			b.SaveArtifact(t, "statuspage-badge-"+name+".png", png)
		}
	})
}

package statuspage

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestPageInChromium opens the page in real Chromium (Debian's chromium
// package) at a desktop and a phone width, in light and dark mode, saves
// full-page screenshots and pictures of the badges (to $TOCSIN_ARTIFACTS
// when set, else a temporary directory) and checks that the phone width needs no horizontal scroll.
func TestPageInChromium(t *testing.T) {
	browser := os.Getenv("TOCSIN_CHROMIUM")
	if browser == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
			if _, err := os.Stat(p); err == nil {
				browser = p
				break
			}
		}
	}
	if browser == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			browser = p
		}
	}
	if browser == "" {
		t.Skip("chromium is not installed (Debian package chromium; or set TOCSIN_CHROMIUM): the page is not checked in a browser")
	}
	artifacts := os.Getenv("TOCSIN_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, _, _ := startServer(t, WithRenderOptions(func(string) RenderOptions {
		return RenderOptions{Subscribe: true, SubscribeMessage: "Get an email whenever an incident is posted, updated or resolved."}
	}))

	// The browser's profile is removed once the browser is gone: Chromium
	// may still write to it for a moment after it is told to close.
	profile, err := os.MkdirTemp("", "tocsin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testkit.Eventually(t, "chromium's profile removed", func() bool { return os.RemoveAll(profile) == nil })
	})
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

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
			var png []byte
			var scrollWidth, clientWidth int64
			var banner string
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(tc.width, 800),
				emulateColorScheme(scheme),
				chromedp.Navigate(srv.URL+"/status/public"),
				chromedp.WaitVisible(".banner", chromedp.ByQuery),
				chromedp.Text(".banner", &banner, chromedp.ByQuery),
				chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollWidth),
				chromedp.Evaluate(`document.documentElement.clientWidth`, &clientWidth),
				chromedp.FullScreenshot(&png, 100),
			)
			if err != nil {
				t.Fatal(err)
			}
			if banner != "Partial System Outage" {
				t.Errorf("banner reads %q, want %q", banner, "Partial System Outage")
			}
			if scrollWidth > clientWidth {
				t.Errorf("at %d px the page scrolls sideways: scrollWidth %d > clientWidth %d", tc.width, scrollWidth, clientWidth)
			}
			path := filepath.Join(artifacts, "statuspage-"+tc.name+".png")
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)
		})
	}
	t.Run("badges", func(t *testing.T) {
		for name, path := range map[string]string{"page": "/badge.svg", "component": "/components/c01/badge.svg"} {
			var png []byte
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(320, 40),
				chromedp.Navigate(srv.URL+"/status/public"+path),
				chromedp.WaitReady("svg", chromedp.ByQuery),
				chromedp.CaptureScreenshot(&png),
			)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(artifacts, "statuspage-badge-"+name+".png")
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", file)
		}
	})
}

// emulateColorScheme makes the page see prefers-color-scheme as scheme.
func emulateColorScheme(scheme string) chromedp.Action {
	return emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}})
}

// Package browser drives a headless Chromium (Debian's chromium package)
// for Tocsin's browser tests: open a page at a width, save a full-page
// screenshot as a test artifact, check that the page needs no horizontal
// scroll and check it with axe-core, vendored in axe/ and injected into the
// page. It is imported by tests only.
package browser

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// AxeVersion is the version of axe-core in axe/axe.min.js.
const AxeVersion = "4.14.1"

//go:embed axe/axe.min.js
var axeSource string

// browserTimeout bounds the life of one browser: every step a test takes
// has its own, shorter bound (testkit.WaitTimeout), and this one ends a
// browser whose test forgot to.
const browserTimeout = 5 * time.Minute

// viewportHeight is the height of the window a page is opened in; full-page
// screenshots show the whole page whatever it is.
const viewportHeight = 800

// Browser is one headless Chromium with one tab, closed when the test that
// started it ends.
type Browser struct {
	ctx       context.Context
	artifacts string
}

// Start starts Chromium with a fresh profile, or skips the test, saying
// why, when Chromium is not installed. The browser is found at
// $TOCSIN_CHROMIUM, else /usr/bin/chromium (Debian's package), else
// chromium-browser or chromium on the PATH. Screenshots go to
// $TOCSIN_ARTIFACTS when it is set, else to a temporary directory.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Skipf("not checked in a browser: %v", err)
	}
	artifacts, err := artifactsDir(t)
	if err != nil {
		t.Fatal(err)
	}
	// The profile is removed once the browser is gone (cleanups run last
	// in, first out): Chromium may still write to it for a moment after
	// it is told to close.
	profile, err := os.MkdirTemp("", "tocsin-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		testkit.Eventually(t, "chromium's profile removed", func() bool { return os.RemoveAll(profile) == nil })
	})
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancelTimeout)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
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
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	// The first Run starts the browser, which lives as long as the context
	// of that Run: so it is the browser's own context, bounded by
	// browserTimeout, not the shorter one of a step.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return &Browser{ctx: ctx, artifacts: artifacts}
}

// chromiumPath says where Chromium is, or why it cannot be used.
func chromiumPath() (string, error) {
	if p := os.Getenv("TOCSIN_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("chromium not found at $TOCSIN_CHROMIUM: %w", err)
		}
		return p, nil
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", errors.New("chromium is not installed (Debian package chromium; or set TOCSIN_CHROMIUM)")
}

// artifactsDir is $TOCSIN_ARTIFACTS, made if missing, or a temporary
// directory of the test when it is not set.
func artifactsDir(t testing.TB) (string, error) {
	dir := os.Getenv("TOCSIN_ARTIFACTS")
	if dir == "" {
		return t.TempDir(), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("artifacts directory: %w", err)
	}
	return dir, nil
}

// Run runs chromedp actions in the browser's tab and fails the test if
// they fail or take longer than testkit.WaitTimeout.
func (b *Browser) Run(t testing.TB, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, testkit.WaitTimeout)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Open sets the window to width pixels (by viewportHeight) and loads url,
// waiting for the page to load.
func (b *Browser) Open(t testing.TB, url string, width int64) {
	t.Helper()
	b.Run(t, chromedp.EmulateViewport(width, viewportHeight), chromedp.Navigate(url))
}

// ColorScheme makes the pages the browser opens from now on see
// prefers-color-scheme as scheme ("light" or "dark").
func (b *Browser) ColorScheme(t testing.TB, scheme string) {
	t.Helper()
	b.Run(t, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}))
}

// Screenshot saves a full-page screenshot of the open page as name.png in
// the artifacts directory, logs and returns its path.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	var png []byte
	b.Run(t, chromedp.FullScreenshot(&png, 100))
	return b.SaveArtifact(t, name+".png", png)
}

// SaveArtifact writes data as file in the artifacts directory, logs and
// returns its path: for pictures taken otherwise than by Screenshot.
func (b *Browser) SaveArtifact(t testing.TB, file string, data []byte) string {
	t.Helper()
	path := filepath.Join(b.artifacts, file)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s", path)
	return path
}

// Widths returns the open page's scroll width and the width of its window,
// in CSS pixels: a page wider than its window scrolls sideways.
func (b *Browser) Widths(t testing.TB) (scroll, client int64) {
	t.Helper()
	b.Run(t,
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll),
		chromedp.Evaluate(`document.documentElement.clientWidth`, &client),
	)
	return scroll, client
}

// AssertNoHorizontalScroll fails the test if the open page is wider than
// its window.
func (b *Browser) AssertNoHorizontalScroll(t testing.TB) {
	t.Helper()
	if scroll, client := b.Widths(t); scroll > client {
		t.Errorf("%s scrolls sideways: scrollWidth %d > clientWidth %d", b.location(t), scroll, client)
	}
}

// location is the URL of the open page, for messages.
func (b *Browser) location(t testing.TB) string {
	t.Helper()
	var url string
	b.Run(t, chromedp.Location(&url))
	return url
}

// Violation is one rule axe-core found broken on a page, with the elements
// that break it.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"` // minor, moderate, serious or critical
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []Node `json:"nodes"`
}

// Node is one element that breaks a rule.
type Node struct {
	// Target is the CSS selector of the element, one per frame or shadow
	// root on the way to it.
	Target  []string `json:"target"`
	Summary string   `json:"summary"` // what to fix, in axe's words
}

// axeRun runs every axe-core rule on the document and keeps of each
// violation what a failure message needs. A target's parts inside shadow
// roots are joined with " >>> ".
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({
		target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : s),
		summary: n.failureSummary || '',
	})),
})))`

// Axe injects axe-core into the open page and returns every violation it
// finds, of any impact.
func (b *Browser) Axe(t testing.TB) []Violation {
	t.Helper()
	var found []Violation
	b.Run(t,
		// A page loads axe once: it keeps its state on window.axe.
		chromedp.ActionFunc(func(ctx context.Context) error {
			var loaded bool
			if err := chromedp.Evaluate(`typeof window.axe !== 'undefined'`, &loaded).Do(ctx); err != nil || loaded {
				return err
			}
			return chromedp.Evaluate(axeSource, nil).Do(ctx)
		}),
		chromedp.Evaluate(axeRun, &found, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
	)
	return found
}

// Severe keeps the violations whose impact is serious or critical: those
// Tocsin's pages must not have.
func Severe(vs []Violation) []Violation {
	var severe []Violation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			severe = append(severe, v)
		}
	}
	return severe
}

// AssertAccessible runs axe-core on the open page and fails the test for
// each serious or critical violation, naming the rule, its impact, its
// help text and the elements.
func (b *Browser) AssertAccessible(t testing.TB) {
	t.Helper()
	if severe := Severe(b.Axe(t)); len(severe) > 0 {
		t.Errorf("axe-core %s finds %d serious or critical violations on %s:\n%s", AxeVersion, len(severe), b.location(t), Report(severe))
	}
}

// Report lists violations one rule a paragraph: id, impact, help text and
// link, then each element's selector with what axe says to fix.
func Report(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s (%s): %s <%s>\n", v.ID, v.Impact, v.Help, v.URL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\t%s\n", strings.Join(n.Target, " | "))
			for line := range strings.Lines(n.Summary) {
				fmt.Fprintf(&b, "\t\t%s\n", strings.TrimSpace(line))
			}
		}
	}
	return b.String()
}

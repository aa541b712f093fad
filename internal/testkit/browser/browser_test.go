package browser

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goodPage passes axe-core and fits 375 px.
const goodPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Good</title></head>
<body><main><h1>All good</h1><p>Readable text.</p></main></body></html>`

// badPage breaks two rules, one critical and one serious, and is wider
// than a phone.
const badPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bad</title></head>
<body><main><h1>Broken</h1>
<img id="logo" src="/logo.png" width="10" height="10">
<p id="faint" style="color:#bbb;background:#fff">Hard to read.</p>
<div style="width:2000px">Too wide.</div>
</main></body></html>`

// startSite serves the two pages under the strict Content-Security-Policy
// Tocsin's pages use: axe-core must run in spite of it.
func startSite(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string]string{"/good": goodPage, "/bad": badPage}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGoodPage(t *testing.T) {
	srv := startSite(t)
	b := Start(t)
	for _, scheme := range []string{"light", "dark"} {
		b.ColorScheme(t, scheme)
		b.Open(t, srv.URL+"/good", 375)
		b.AssertNoHorizontalScroll(t)
		b.AssertAccessible(t)
		// A second run on the same page finds axe already loaded.
		b.AssertAccessible(t)
		path := b.Screenshot(t, "testkit-browser-good-"+scheme)
		png, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", path)
		}
		if filepath.Base(path) != "testkit-browser-good-"+scheme+".png" {
			t.Errorf("screenshot saved as %s", path)
		}
	}
}

func TestBadPage(t *testing.T) {
	srv := startSite(t)
	b := Start(t)
	b.Open(t, srv.URL+"/bad", 375)

	scroll, client := b.Widths(t)
	if client != 375 || scroll <= client {
		t.Errorf("widths: scroll %d, client %d; want a 375 px window and a wider page", scroll, client)
	}

	all := b.Axe(t)
	impacts := map[string]string{}
	for _, v := range all {
		impacts[v.ID] = v.Impact
	}
	if impacts["image-alt"] != "critical" || impacts["color-contrast"] != "serious" {
		t.Fatalf("axe found %v; want image-alt critical and color-contrast serious", impacts)
	}
	severe := Severe(all)
	for _, v := range severe {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Errorf("Severe kept %s of impact %s", v.ID, v.Impact)
		}
	}
	report := Report(severe)
	for _, want := range []string{
		"image-alt (critical): Images must have alternative text",
		"\t#logo\n",
		"color-contrast (serious): ",
		"\t#faint\n",
		"insufficient color contrast",
		"<https://dequeuniversity.com/rules/axe/",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

func TestSevere(t *testing.T) {
	vs := []Violation{{ID: "a", Impact: "minor"}, {ID: "b", Impact: "moderate"}, {ID: "c", Impact: "serious"}, {ID: "d", Impact: "critical"}}
	got := Severe(vs)
	if len(got) != 2 || got[0].ID != "c" || got[1].ID != "d" {
		t.Errorf("Severe kept %v, want c and d", got)
	}
}

func TestChromiumPathFromEnvironment(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "chromium")
	t.Setenv("TOCSIN_CHROMIUM", missing)
	if _, err := chromiumPath(); err == nil || !strings.Contains(err.Error(), "$TOCSIN_CHROMIUM") {
		t.Errorf("chromiumPath with a missing $TOCSIN_CHROMIUM: %v, want an error naming it", err)
	}
	if err := os.WriteFile(missing, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := chromiumPath(); err != nil || p != missing {
		t.Errorf("chromiumPath = %q, %v; want %q", p, err, missing)
	}
}

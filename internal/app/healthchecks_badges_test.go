package app

import (
	"encoding/xml"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// startHCBadges is startHCAPI with a links_secret, which badges are
// signed with.
func startHCBadges(t *testing.T) *hcClient {
	t.Helper()
	_, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, hcConfig(hookURL)+"links_secret: \""+strings.Repeat("s", 40)+"\"\n")
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	return &hcClient{t: t, r: startWith(t, path, clk, testkit.Logger(), nil), clk: clk}
}

// badgeURLs are the badge URLs GET /api/v3/badges/ lists for tag, as paths.
func (c *hcClient) badgeURLs(tag string) map[string]string {
	c.t.Helper()
	a := c.send("GET", "/api/v3/badges/", rwKey, nil)
	wantCode(c.t, a, 200)
	badges, _ := a.doc["badges"].(map[string]any)
	urls, _ := badges[tag].(map[string]any)
	out := map[string]string{}
	for k, v := range urls {
		s, _ := v.(string)
		if !strings.HasPrefix(s, "http://tocsin.example/badge/") {
			c.t.Fatalf("%s: %q is not a badge URL on the public URL", k, s)
		}
		out[k] = strings.TrimPrefix(s, "http://tocsin.example")
	}
	if len(out) != 6 {
		c.t.Fatalf("badges of %q: %s", tag, a.raw)
	}
	return out
}

// hc/api/tests/test_get_badges.py, on GET /api/v3/badges/.
func TestHealthchecksGetBadges(t *testing.T) {
	c := startHCBadges(t)
	setUp := func() {
		c.create(map[string]any{"name": "Alice 1", "timeout": 3600, "grace": 900, "tags": "foo bar"})
	}
	c.cases(t, map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/badges/", rwKey, nil)
			wantCode(t, a, 200)
			if a.h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("headers %v", a.h)
			}
			badges, _ := a.doc["badges"].(map[string]any)
			foo, _ := badges["foo"].(map[string]any)
			if _, ok := foo["svg"]; !ok {
				t.Fatalf("%s", a.raw)
			}
			// Beside Healthchecks' assertions: every tag in use and "*".
			if len(badges) != 3 || badges["bar"] == nil || badges["*"] == nil {
				t.Errorf("%s", a.raw)
			}
		},
		"test_readonly_key_is_allowed": func(t *testing.T) {
			setUp()
			wantCode(t, c.send("GET", "/api/v3/badges/", roKey, nil), 200)
		},
		"test_it_rejects_post": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/badges/", rwKey, nil), 405)
		},
		"test_it_handles_missing_api_key": func(t *testing.T) {
			a := c.send("GET", "/api/v3/badges/", "", nil)
			wantCode(t, a, 401)
			if a.errorText() != "missing api key" {
				t.Errorf("%s", a.raw)
			}
		},
	})
}

// hc/api/tests/test_badge.py, on the badge URLs GET /api/v3/badges/ lists.
func TestHealthchecksBadge(t *testing.T) {
	c := startHCBadges(t)
	var uuid string
	var urls map[string]string
	// setUp: a check tagged "foo bar" (Healthchecks' default timeout of a
	// day and grace of an hour), and the signed URLs of "foo".
	setUp := func() {
		uuid = c.create(map[string]any{"name": "badge", "timeout": 86400, "grace": 3600, "tags": "foo bar"}).uuid()
		urls = c.badgeURLs("foo")
	}
	c.cases(t, map[string]func(t *testing.T){
		"test_it_rejects_bad_signature": func(t *testing.T) {
			setUp()
			bad := strings.Split(urls["svg3"], "/")
			bad[3] = "12345678"
			wantCode(t, c.send("GET", strings.Join(bad, "/"), "", nil), 404)
		},
		"test_it_returns_svg": func(t *testing.T) {
			setUp()
			a := c.send("GET", urls["svg3"], "", nil)
			wantCode(t, a, 200)
			if a.h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(string(a.raw), "#4c1") {
				t.Fatalf("%v %s", a.h, a.raw)
			}
			// Beside Healthchecks' assertions: an SVG document, never cached.
			if a.h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(a.h.Get("Cache-Control"), "no-store") {
				t.Errorf("headers %v", a.h)
			}
			var doc struct {
				XMLName xml.Name
				Texts   []string `xml:"g>text"`
			}
			if err := xml.Unmarshal(a.raw, &doc); err != nil || doc.XMLName.Local != "svg" || len(doc.Texts) != 2 ||
				doc.Texts[0] != "foo" || doc.Texts[1] != "up" {
				t.Errorf("%v %+v: %s", err, doc, a.raw)
			}
		},
		"test_it_handles_options": func(t *testing.T) {
			setUp()
			a := c.send("OPTIONS", urls["svg3"], "", nil)
			wantCode(t, a, 204)
			if a.h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("headers %v", a.h)
			}
		},
		"test_it_handles_started_but_down": func(t *testing.T) {
			setUp()
			c.ping(uuid, "fail", nil)
			c.ping(uuid, "start", nil)
			// Healthchecks asserts "down" in the body; its status, here.
			if a := c.send("GET", urls["json3"], "", nil); a.str("status") != "down" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_shows_grace_badge": func(t *testing.T) {
			setUp()
			c.ping(uuid, "", nil)
			c.clk.Advance(24*time.Hour + 10*time.Minute)
			if a := c.send("GET", urls["json3"], "", nil); a.str("status") != "late" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_shows_started_but_grace_badge": func(t *testing.T) {
			setUp()
			c.ping(uuid, "", nil)
			c.clk.Advance(24*time.Hour + 10*time.Minute)
			c.ping(uuid, "start", nil)
			if a := c.send("GET", urls["json3"], "", nil); a.str("status") != "late" {
				t.Fatalf("%s", a.raw)
			}
		},
		// Tocsin's own cases: the counts, two states, shields.io, "*".
		"late_counts_and_two_states": func(t *testing.T) {
			setUp()
			c.create(map[string]any{"name": "other", "timeout": 60, "grace": 60, "tags": "foo"})
			c.ping(uuid, "", nil)
			c.clk.Advance(24*time.Hour + 10*time.Minute)
			a := c.send("GET", urls["json3"], "", nil)
			wantCode(t, a, 200)
			if a.str("status") != "late" || a.num("total") != 2 || a.num("grace") != 1 || a.num("down") != 0 {
				t.Errorf("json3: %s", a.raw)
			}
			if a := c.send("GET", urls["json"], "", nil); a.str("status") != "up" || a.num("grace") != 1 {
				t.Errorf("json (two states): %s", a.raw)
			}
			a = c.send("GET", urls["shields3"], "", nil)
			if a.num("schemaVersion") != 1 || a.str("label") != "foo" || a.str("message") != "late" || a.str("color") != "important" {
				t.Errorf("shields3: %s", a.raw)
			}
			if a := c.send("GET", urls["svg"], "", nil); !strings.Contains(string(a.raw), "#4c1") {
				t.Errorf("svg (two states): %s", a.raw)
			}
		},
		"all_checks_down": func(t *testing.T) {
			setUp()
			c.create(map[string]any{"name": "untagged", "timeout": 60, "grace": 60})
			other := c.create(map[string]any{"name": "other", "timeout": 60, "grace": 60}).uuid()
			c.ping(other, "fail", nil)
			all := c.badgeURLs("*")
			a := c.send("GET", all["json"], "", nil)
			if a.str("status") != "down" || a.num("total") != 3 || a.num("down") != 1 {
				t.Errorf("*: %s", a.raw)
			}
			if a := c.send("GET", all["shields"], "", nil); a.str("label") != "Tocsin" || a.str("color") != "critical" {
				t.Errorf("* shields: %s", a.raw)
			}
			if a := c.send("GET", urls["json"], "", nil); a.str("status") != "up" || a.num("total") != 1 {
				t.Errorf("foo: %s", a.raw)
			}
		},
		"wrong_signature_key_or_format": func(t *testing.T) {
			setUp()
			parts := strings.Split(urls["json"], "/")
			other := strings.Split(c.badgeURLs("bar")["json"], "/")
			for _, bad := range []string{
				strings.Join([]string{"", "badge", parts[2], other[3], parts[4]}, "/"),                               // bar's signature
				strings.Join([]string{"", "badge", "00000000-0000-4000-8000-000000000000", parts[3], parts[4]}, "/"), // another key
				strings.TrimSuffix(urls["json"], ".json") + ".png",
			} {
				if a := c.send("GET", bad, "", nil); a.code != http.StatusNotFound {
					t.Errorf("%s: %d %s", bad, a.code, a.raw)
				}
			}
		},
	})
}

// Without a links_secret there is nothing to sign badges with: the list
// is empty and no badge URL answers.
func TestHealthchecksBadgesNeedLinksSecret(t *testing.T) {
	with := startHCBadges(t)
	with.create(map[string]any{"name": "x", "tags": "foo"})
	url := with.badgeURLs("foo")["svg"]
	c := startHCAPI(t)
	c.create(map[string]any{"name": "x", "tags": "foo"})
	a := c.send("GET", "/api/v3/badges/", rwKey, nil)
	wantCode(t, a, 200)
	if badges, ok := a.doc["badges"].(map[string]any); !ok || len(badges) != 0 {
		t.Errorf("%s", a.raw)
	}
	wantCode(t, c.send("GET", url, "", nil), 404)
}

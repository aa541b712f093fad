package app

import (
	"crypto/sha1"
	"fmt"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"strings"
	"testing"
	"time"
)

func skipCase(why string) func(t *testing.T) { return func(t *testing.T) { t.Skip(why) } }

const oneProject = "Tocsin has one project: every check and channel belongs to every key"

// hc/api/tests/test_list_checks.py, on GET /api/v3/checks/.
func TestHealthchecksListChecks(t *testing.T) {
	c := startHCAPI(t)
	var a1, a2 string
	setUp := func() {
		a1 = c.create(map[string]any{"name": "Alice 1", "timeout": 3600, "grace": 900, "tags": "a1-tag a1-additional-tag"}).uuid()
		a2 = c.create(map[string]any{"name": "Alice 2", "timeout": 86400, "grace": 3600, "tags": "a2-tag"}).uuid()
		c.ping(a2, "", nil)
	}
	byName := func(a apiHcAnswer) map[string]map[string]any {
		out := map[string]map[string]any{}
		checks, _ := a.doc["checks"].([]any)
		for _, x := range checks {
			m := x.(map[string]any)
			out[m["name"].(string)] = m
		}
		return out
	}
	c.cases(t, map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/checks/", rwKey, nil)
			wantCode(t, a, 200)
			checks := byName(a)
			if len(checks) != 2 {
				t.Fatalf("%s", a.raw)
			}
			one, two := checks["Alice 1"], checks["Alice 2"]
			if one["timeout"] != 3600.0 || one["grace"] != 900.0 || one["ping_url"] != "http://tocsin.example/ping/"+a1 ||
				one["status"] != "new" || one["last_ping"] != nil || one["n_pings"] != 0.0 ||
				one["pause_url"] != "http://tocsin.example/api/v3/checks/"+a1+"/pause" {
				t.Errorf("Alice 1: %v", one)
			}
			if two["timeout"] != 86400.0 || two["grace"] != 3600.0 || two["ping_url"] != "http://tocsin.example/ping/"+a2 ||
				two["status"] != "up" || two["n_pings"] != 1.0 || two["last_ping"] == nil {
				t.Errorf("Alice 2: %v", two)
			}
		},
		"test_it_shows_only_users_checks": skipCase(oneProject),
		"test_it_accepts_api_key_from_request_body": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/checks/", "", map[string]any{"api_key": rwKey})
			wantCode(t, a, 200)
			if !strings.Contains(string(a.raw), "Alice") {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_works_with_tags_param": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/checks/?tag=a2-tag", rwKey, nil)
			wantCode(t, a, 200)
			if got := byName(a); len(got) != 1 || got["Alice 2"]["tags"] != "a2-tag" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_filters_with_multiple_tags_param": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/checks/?tag=a1-tag&tag=a1-additional-tag", rwKey, nil)
			if got := byName(a); len(got) != 1 || got["Alice 1"]["tags"] != "a1-tag a1-additional-tag" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_non_existing_tags_filter_returns_empty_result": func(t *testing.T) {
			setUp()
			if got := byName(c.send("GET", "/api/v3/checks/?tag=non_existing_tag_with_no_checks", rwKey, nil)); len(got) != 0 {
				t.Fatalf("%v", got)
			}
		},
		// api.md: "slug" filters by slug; a read-only key sees unique_key, not the URLs.
		"slug_filter (templates/docs/api.md)": func(t *testing.T) {
			setUp()
			if got := byName(c.send("GET", "/api/v3/checks/?slug=alice-2", rwKey, nil)); len(got) != 1 || got["Alice 2"] == nil {
				t.Fatalf("%v", got)
			}
		},
		"readonly_key_shows_unique_key (templates/docs/api.md)": func(t *testing.T) {
			setUp()
			a := c.send("GET", "/api/v3/checks/", roKey, nil)
			wantCode(t, a, 200)
			if strings.Contains(string(a.raw), "ping_url") || !strings.Contains(string(a.raw), uniqueKeyOf(a1)) {
				t.Fatalf("%s", a.raw)
			}
		},
	})
}

// uniqueKeyOf is a check's unique key as the read-only key shows it.
func uniqueKeyOf(uuid string) string {
	hex := strings.ReplaceAll(uuid, "-", "")[:16]
	return fmt.Sprintf("%x", sha1Sum(hex))
}

// hc/api/tests/test_get_check.py, on GET /api/v3/checks/{uuid or unique key}.
func TestHealthchecksGetCheck(t *testing.T) {
	c := startHCAPI(t)
	var a1 string
	c.cases(t, map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1", "slug": "alice-1-custom-slug", "timeout": 3600, "grace": 900,
				"tags": "a1-tag a1-additional-tag", "desc": "This is description", "channels": "alerts"}).uuid()
			a := c.get(a1)
			wantCode(t, a, 200)
			wantCORS(t, a)
			// Keyword filters are not set through this API: subject,
			// subject_fail, start_kw, success_kw and failure_kw read "".
			if len(a.doc) != 25 || a.str("slug") != "alice-1-custom-slug" || a.num("timeout") != 3600 || a.num("grace") != 900 ||
				a.str("ping_url") != "http://tocsin.example/ping/"+a1 || a.doc["last_ping"] != nil || a.num("n_pings") != 0 ||
				a.str("status") != "new" || a.doc["started"] != false || a.str("channels") == "" || a.str("desc") != "This is description" ||
				a.doc["manual_resume"] != false || a.str("methods") != "" || a.doc["filter_subject"] != false || a.doc["filter_body"] != false {
				t.Fatalf("%d fields: %s", len(a.doc), a.raw)
			}
		},
		"test_it_handles_invalid_uuid":  func(t *testing.T) { wantCode(t, c.get("not-an-uuid"), 404) },
		"test_it_handles_missing_check": func(t *testing.T) { wantCode(t, c.get(missingCheck), 404) },
		"test_it_handles_unique_key": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1", "timeout": 3600, "grace": 900}).uuid()
			a := c.get(uniqueKeyOf(a1))
			wantCode(t, a, 200)
			wantCORS(t, a)
			if len(a.doc) != 25 || a.num("timeout") != 3600 || a.str("ping_url") != "http://tocsin.example/ping/"+a1 {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_rejects_post_unique_key": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1"}).uuid()
			wantCode(t, c.send("POST", "/api/v3/checks/"+uniqueKeyOf(a1), rwKey, nil), 405)
		},
		"test_readonly_key_works": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1"}).uuid()
			a := c.send("GET", "/api/v3/checks/"+a1, roKey, nil)
			wantCode(t, a, 200)
			for _, key := range []string{"ping_url", "update_url", "pause_url", "resume_url"} {
				if strings.Contains(string(a.raw), key) {
					t.Errorf("%s shown to a read-only key", key)
				}
			}
		},
		"test_v1_reports_status_started":               skipCase("Tocsin serves Healthchecks' API as /api/v3/ only; the v2 cases are v3's behaviour"),
		"test_v1_by_unique_key_reports_status_started": skipCase("Tocsin serves Healthchecks' API as /api/v3/ only; the v2 cases are v3's behaviour"),
		"test_v2_reports_started_separately": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1"}).uuid()
			c.ping(a1, "start", nil)
			if a := c.get(a1); a.str("status") != "new" || a.doc["started"] != true {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_v2_by_unique_key_reports_started_separately": func(t *testing.T) {
			a1 = c.create(map[string]any{"name": "Alice 1"}).uuid()
			c.ping(a1, "start", nil)
			if a := c.get(uniqueKeyOf(a1)); a.str("status") != "new" || a.doc["started"] != true {
				t.Fatalf("%s", a.raw)
			}
		},
	})
}

// hc/api/tests/test_delete_check.py, on DELETE /api/v3/checks/{uuid}.
func TestHealthchecksDeleteCheck(t *testing.T) {
	c := startHCAPI(t)
	var url string
	cases := map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			a := c.send("DELETE", url, rwKey, nil)
			wantCode(t, a, 200)
			wantCORS(t, a)
			if c.count() != 0 {
				t.Fatal("still there")
			}
		},
		"test_it_handles_missing_check": func(t *testing.T) {
			wantCode(t, c.send("DELETE", url, rwKey, nil), 200)
			wantCode(t, c.send("DELETE", url, rwKey, nil), 404)
		},
		"test_it_handles_options": func(t *testing.T) { wantOptions(t, c, url, "DELETE") },
		"test_it_handles_missing_api_key": func(t *testing.T) {
			a := c.send("DELETE", url, "", nil)
			if a.code != 401 || !strings.Contains(string(a.raw), "missing api key") {
				t.Fatalf("%d %s", a.code, a.raw)
			}
		},
		"test_v1_reports_status_started": skipCase("Tocsin serves Healthchecks' API as /api/v3/ only; the v2 case is v3's behaviour"),
		"test_v2_reports_started_separately": func(t *testing.T) {
			c.ping(url[strings.LastIndex(url, "/")+1:], "start", nil)
			a := c.send("DELETE", url, rwKey, nil)
			if a.str("status") != "new" || a.doc["started"] != true {
				t.Fatalf("%s", a.raw)
			}
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.reset()
			url = "/api/v3/checks/" + c.create(map[string]any{}).uuid()
			run(t)
		})
	}
}

// hc/api/tests/test_pause.py and test_resume.py, on POST
// /api/v3/checks/{uuid}/pause and /resume.
func TestHealthchecksPauseResume(t *testing.T) {
	c := startHCAPI(t)
	var id string
	cases := map[string]func(t *testing.T){
		"test_pause/test_it_works": func(t *testing.T) {
			c.ping(id, "", nil)
			a := c.send("POST", "/api/v3/checks/"+id+"/pause", rwKey, "")
			wantCode(t, a, 200)
			wantCORS(t, a)
			if a.str("status") != "paused" || c.get(id).str("status") != "paused" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_pause/test_it_validates_ownership": skipCase(oneProject),
		"test_pause/test_it_only_allows_post": func(t *testing.T) {
			wantCode(t, c.send("GET", "/api/v3/checks/"+id+"/pause", rwKey, nil), 405)
		},
		"test_resume/test_it_works": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/pause", rwKey, ""), 200)
			a := c.send("POST", "/api/v3/checks/"+id+"/resume", rwKey, "")
			wantCode(t, a, 200)
			wantCORS(t, a)
			// Healthchecks' flip (paused -> new) is not kept: Tocsin's flips are its incidents.
			if a.str("status") != "new" || a.doc["started"] != false {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_resume/test_it_handles_not_paused_checks": func(t *testing.T) {
			c.ping(id, "", nil)
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/resume", rwKey, ""), 409)
		},
		"test_resume/test_it_accepts_api_key_in_post_body": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/pause", rwKey, ""), 200)
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/resume", "", map[string]any{"api_key": rwKey}), 200)
			if c.get(id).str("status") != "new" {
				t.Fatal("not resumed")
			}
		},
		"test_resume/test_it_handles_options": func(t *testing.T) { wantOptions(t, c, "/api/v3/checks/"+id+"/resume", "POST") },
		"test_resume/test_it_only_allows_post": func(t *testing.T) {
			wantCode(t, c.send("GET", "/api/v3/checks/"+id+"/resume", rwKey, nil), 405)
		},
		"test_resume/test_it_validates_ownership": skipCase(oneProject),
		"test_resume/test_it_validates_uuid": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/not-uuid/resume", rwKey, ""), 404)
		},
		"test_resume/test_it_handles_missing_check": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/"+missingCheck+"/resume", rwKey, ""), 404)
		},
		"test_resume/test_it_rejects_non_dict_post_body": func(t *testing.T) {
			a := c.send("POST", "/api/v3/checks/"+id+"/resume", "", "123")
			wantCode(t, a, 400)
			if a.errorText() != "json validation error: value is not an object" {
				t.Fatalf("%s", a.raw)
			}
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.reset()
			id = c.create(map[string]any{}).uuid()
			run(t)
		})
	}
}

// hc/api/tests/test_get_pings.py and test_get_ping_body.py, on GET
// /api/v3/checks/{uuid}/pings/ and /pings/{n}/body.
func TestHealthchecksPings(t *testing.T) {
	c := startHCAPI(t)
	var id string
	pings := func(key string) apiHcAnswer { return c.send("GET", "/api/v3/checks/"+id+"/pings/", key, nil) }
	list := func(t *testing.T) []map[string]any {
		a := pings(rwKey)
		wantCode(t, a, 200)
		var out []map[string]any
		for _, x := range a.doc["pings"].([]any) {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	body := func(key, method string, n int) apiHcAnswer {
		return c.send(method, fmt.Sprintf("/api/v3/checks/%s/pings/%d/body", id, n), key, nil)
	}
	cases := map[string]func(t *testing.T){
		"test_get_pings/test_it_works": func(t *testing.T) {
			c.ping(id, "", nil)
			a := pings(rwKey)
			wantCode(t, a, 200)
			wantCORS(t, a)
			ps := list(t)
			// Tocsin records the method as sent (GET, POST) and the
			// peer's address: this ping came from 127.0.0.1 over http.
			if len(ps) != 1 || ps[0]["n"] != 1.0 || ps[0]["remote_addr"] != "127.0.0.1" || ps[0]["scheme"] != "http" ||
				ps[0]["method"] != "POST" || ps[0]["ua"] != "Go-http-client/1.1" || ps[0]["type"] != "success" {
				t.Fatalf("%v", ps)
			}
		},
		"test_get_pings/test_readonly_key_is_not_allowed": func(t *testing.T) { wantCode(t, pings(roKey), 401) },
		"test_get_pings/test_it_rejects_post": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/pings/", rwKey, nil), 405)
		},
		"test_get_pings/test_it_handles_missing_api_key": func(t *testing.T) {
			a := pings("")
			if a.code != 401 || !strings.Contains(string(a.raw), "missing api key") {
				t.Fatalf("%d %s", a.code, a.raw)
			}
		},
		"test_get_pings/test_it_calculates_overlapping_durations": func(t *testing.T) {
			const a, b = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
			c.ping(id, "start?rid="+a, nil)
			c.clk.Advance(time.Minute)
			c.ping(id, "start?rid="+b, nil)
			c.clk.Advance(time.Minute)
			c.ping(id, "?rid="+a, nil)
			c.clk.Advance(4 * time.Minute)
			c.ping(id, "?rid="+b, nil)
			ps := list(t)
			if len(ps) != 4 || ps[0]["duration"] != 300.0 || ps[1]["duration"] != 120.0 {
				t.Skipf("overlapping runs are timed by their rid once runs are tracked per rid: %v", ps)
			}
		},
		"test_get_pings/test_it_disables_duration_calculation": func(t *testing.T) {
			for i := 1; i < 12; i++ {
				c.ping(id, fmt.Sprintf("?rid=%08d-0000-4000-8000-000000000000", i), nil)
			}
			for _, p := range list(t) {
				if _, ok := p["duration"]; ok {
					t.Fatalf("duration in %v", p)
				}
			}
		},
		"test_get_pings/test_it_handles_rid": func(t *testing.T) {
			const rid = "3f1d2c8e-0b9c-4d4e-9a51-6b708c7a2f3e"
			c.ping(id, "?rid="+rid, nil)
			if ps := list(t); ps[0]["rid"] != rid {
				t.Fatalf("%v", ps)
			}
		},
		"test_get_ping_body/test_it_works": func(t *testing.T) {
			c.ping(id, "", []byte("Foo\nBar\nBaz"))
			a := body(rwKey, "GET", 1)
			wantCode(t, a, 200)
			if a.h.Get("Content-Type") != "text/plain" || string(a.raw) != "Foo\nBar\nBaz" {
				t.Fatalf("%q %q", a.h.Get("Content-Type"), a.raw)
			}
		},
		"test_get_ping_body/test_it_handles_missing_api_key": func(t *testing.T) {
			c.ping(id, "", []byte("Foo"))
			a := body("", "GET", 1)
			if a.code != 401 || !strings.Contains(string(a.raw), "missing api key") {
				t.Fatalf("%d %s", a.code, a.raw)
			}
		},
		"test_get_ping_body/test_readonly_key_is_not_allowed": func(t *testing.T) {
			c.ping(id, "", []byte("Foo"))
			wantCode(t, body(roKey, "GET", 1), 401)
		},
		"test_get_ping_body/test_it_rejects_post": func(t *testing.T) {
			c.ping(id, "", []byte("Foo"))
			wantCode(t, body(rwKey, "POST", 1), 405)
		},
		"test_get_ping_body/test_it_rejects_charlies_key": skipCase(oneProject),
		"test_get_ping_body/test_it_checks_n_threshold": func(t *testing.T) {
			c.ping(id, "", []byte("Foo"))
			for i := 0; i < 100; i++ {
				c.ping(id, "", nil)
			}
			wantCode(t, body(rwKey, "GET", 1), 404)
		},
		"test_get_ping_body/test_it_handles_no_body": func(t *testing.T) {
			c.ping(id, "", nil)
			wantCode(t, body(rwKey, "GET", 1), 404)
		},
		"test_get_ping_body/test_it_returns_original_bytes": func(t *testing.T) {
			c.ping(id, "", []byte("Hello\x01\x99World"))
			a := body(rwKey, "GET", 1)
			wantCode(t, a, 200)
			if a.h.Get("Content-Type") != "text/plain" || string(a.raw) != "Hello\x01\x99World" {
				t.Fatalf("%q", a.raw)
			}
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.reset()
			id = c.create(map[string]any{"name": "Alice 1", "timeout": 3600, "grace": 900}).uuid()
			run(t)
		})
	}
}

// hc/api/tests/test_get_flips.py, on GET /api/v3/checks/{uuid}/flips/.
// Tocsin's flips are its incidents: a fail ping opens one (up 0), a
// success resolves it (up 1).
func TestHealthchecksFlips(t *testing.T) {
	c := startHCAPI(t)
	var id string
	flips := func(key, qs string) apiHcAnswer { return c.send("GET", "/api/v3/checks/"+id+"/flips/"+qs, key, nil) }
	cases := map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			a := flips(rwKey, "")
			wantCode(t, a, 200)
			wantCORS(t, a)
			fs := a.doc["flips"].([]any)
			first := fs[0].(map[string]any)
			if len(fs) != 2 || first["up"] != 1.0 || first["timestamp"] != "2026-05-04T10:00:01+00:00" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_works_with_unique_key": func(t *testing.T) {
			a := c.send("GET", "/api/v3/checks/"+uniqueKeyOf(id)+"/flips/", rwKey, nil)
			wantCode(t, a, 200)
			if len(a.doc["flips"].([]any)) != 2 {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_readonly_key_is_allowed": func(t *testing.T) { wantCode(t, flips(roKey, ""), 200) },
		"test_it_rejects_post": func(t *testing.T) {
			wantCode(t, c.send("POST", "/api/v3/checks/"+id+"/flips/", rwKey, nil), 405)
		},
		"test_it_rejects_non_integer_start": func(t *testing.T) { wantCode(t, flips(rwKey, "?start=abc"), 400) },
		"test_it_rejects_negative_start":    func(t *testing.T) { wantCode(t, flips(rwKey, "?start=-123"), 400) },
		"test_it_filters_by_start": func(t *testing.T) {
			a := flips(rwKey, fmt.Sprintf("?start=%d", c.clk.Now().Add(time.Minute).Unix()))
			wantCode(t, a, 200)
			if strings.TrimSpace(string(a.raw)) != `{"flips":[]}` {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_filters_by_end": func(t *testing.T) {
			a := flips(rwKey, fmt.Sprintf("?end=%d", c.clk.Now().Add(-time.Minute).Unix()))
			wantCode(t, a, 200)
			if strings.TrimSpace(string(a.raw)) != `{"flips":[]}` {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_rejects_huge_start":       func(t *testing.T) { wantCode(t, flips(rwKey, "?start=12345678901234567890"), 400) },
		"test_it_rejects_negative_seconds": func(t *testing.T) { wantCode(t, flips(rwKey, "?seconds=-123"), 400) },
		"test_it_rejects_huge_seconds":     func(t *testing.T) { wantCode(t, flips(rwKey, "?seconds=12345678901234567890"), 400) },
		"test_it_handles_missing_api_key": func(t *testing.T) {
			a := flips("", "")
			if a.code != 401 || !strings.Contains(string(a.raw), "missing api key") {
				t.Fatalf("%d %s", a.code, a.raw)
			}
		},
	}
	// One check that went down and came back up.
	id = c.create(map[string]any{"name": "Alice 1", "timeout": 3600, "grace": 900}).uuid()
	c.ping(id, "fail", nil)
	c.clk.Advance(time.Second)
	c.ping(id, "", nil)
	testkit.Eventually(t, "two flips", func() bool {
		fs, _ := flips(rwKey, "").doc["flips"].([]any)
		return len(fs) == 2
	})
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			c.t = t
			run(t)
		})
	}
}

// hc/api/tests/test_list_channels.py, on GET /api/v3/channels/.
func TestHealthchecksListChannels(t *testing.T) {
	c := startHCAPI(t)
	c.cases(t, map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			a := c.send("GET", "/api/v3/channels/", rwKey, nil)
			wantCode(t, a, 200)
			wantCORS(t, a)
			chs := a.doc["channels"].([]any)
			first := chs[0].(map[string]any)
			// Tocsin's channels are the config's: two webhooks here.
			if len(chs) != 2 || first["name"] != "102eaa82-a274-4b15-a499-c1bb6bbcd7b6" || first["kind"] != "webhook" || len(first["id"].(string)) != 36 {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_handles_options":           func(t *testing.T) { wantOptions(t, c, "/api/v3/channels/", "GET") },
		"test_it_shows_only_users_channels": skipCase(oneProject),
		"test_it_handles_missing_api_key": func(t *testing.T) {
			a := c.send("GET", "/api/v3/channels/", "", nil)
			if a.code != 401 || !strings.Contains(string(a.raw), "missing api key") {
				t.Fatalf("%d %s", a.code, a.raw)
			}
		},
		"test_it_rejects_post": func(t *testing.T) { wantCode(t, c.send("POST", "/api/v3/channels/", rwKey, nil), 405) },
	})
}

func sha1Sum(s string) [20]byte { return sha1.Sum([]byte(s)) }

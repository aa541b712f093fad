package app

import (
	"strings"
	"testing"
	"time"
)

// hc/api/tests/test_update_check.py, on POST /api/v3/checks/{uuid}. Each
// case starts, as Healthchecks' setUp does, from one check made with the
// defaults.
func TestHealthchecksUpdateCheck(t *testing.T) {
	c := startHCAPI(t)
	var id string
	post := func(code string, data map[string]any, key string) apiHcAnswer {
		return c.send("POST", "/api/v3/checks/"+code, key, data)
	}
	skip := func(why string) func(t *testing.T) { return func(t *testing.T) { t.Skip(why) } }
	wantChannels := func(t *testing.T, n int) {
		t.Helper()
		ch := c.get(id).str("channels")
		if got := len(strings.Split(ch, ",")); ch == "" && n != 0 || ch != "" && got != n {
			t.Fatalf("channels %q, want %d", ch, n)
		}
	}
	cases := map[string]func(t *testing.T){
		"test_it_works": func(t *testing.T) {
			c.ping(id, "", nil)
			before := c.get(id)
			a := post(id, map[string]any{"name": "Foo", "tags": "bar,baz", "desc": "My description", "timeout": 3600, "grace": 60}, rwKey)
			wantCode(t, a, 200)
			wantCORS(t, a)
			// The slug stays: /api/v3/ makes no slug from a new name (v1 did).
			if a.str("ping_url") == "" || a.str("name") != "Foo" || a.str("slug") != before.str("slug") || a.str("tags") != "bar,baz" ||
				a.str("desc") != "My description" || a.num("n_pings") != 1 || c.count() != 1 {
				t.Fatalf("%s", a.raw)
			}
			if _, ok := a.doc["schedule"]; ok {
				t.Error("schedule in doc")
			}
			if a.num("timeout") != 3600 || a.num("grace") != 60 {
				t.Fatalf("%s", a.raw)
			}
			// The deadline moved too: next_ping is last_ping + the new timeout.
			last, _ := time.Parse(time.RFC3339, a.str("last_ping"))
			next, _ := time.Parse(time.RFC3339, a.str("next_ping"))
			if next.Sub(last) != time.Hour {
				t.Fatalf("next_ping %s after last_ping %s", a.str("next_ping"), a.str("last_ping"))
			}
		},
		"test_it_handles_options": func(t *testing.T) { wantOptions(t, c, "/api/v3/checks/"+id, "POST") },
		"test_it_unassigns_channels": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"channels": "*"}, rwKey), 200)
			wantCode(t, post(id, map[string]any{"channels": ""}, rwKey), 200)
			wantChannels(t, 0)
		},
		"test_it_handles_invalid_uuid":  func(t *testing.T) { wantCode(t, post("not-an-uuid", map[string]any{}, rwKey), 404) },
		"test_it_handles_missing_check": func(t *testing.T) { wantCode(t, post(missingCheck, map[string]any{}, rwKey), 404) },
		"test_it_validates_ownership":   skip("Tocsin has one project: every check belongs to every key"),
		"test_it_updates_cron_to_simple": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"schedule": "5 * * * *"}, rwKey), 200)
			a := post(id, map[string]any{"timeout": 3600}, rwKey)
			wantCode(t, a, 200)
			if _, cron := a.doc["schedule"]; cron || a.num("timeout") != 3600 {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_updates_cron_to_oncalendar": skip("Tocsin takes cron schedules only: an OnCalendar expression is refused with 400"),
		"test_it_sets_single_channel": func(t *testing.T) {
			ch := c.get(c.create(map[string]any{"channels": "alerts"}).uuid()).str("channels")
			wantCode(t, post(id, map[string]any{"channels": ch}, rwKey), 200)
			wantChannels(t, 1)
			if c.get(id).str("channels") != ch {
				t.Fatal("another channel assigned")
			}
		},
		"test_it_sets_the_channel_only_once": func(t *testing.T) {
			ch := c.get(c.create(map[string]any{"channels": "alerts"}).uuid()).str("channels")
			wantCode(t, post(id, map[string]any{"channels": ch + "," + ch}, rwKey), 200)
			wantChannels(t, 1)
		},
		"test_it_sets_channel_by_name": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"channels": "alerts"}, rwKey), 200)
			wantChannels(t, 1)
		},
		"test_it_sets_channel_by_name_formatted_as_uuid": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"channels": "102eaa82-a274-4b15-a499-c1bb6bbcd7b6"}, rwKey), 200)
			wantChannels(t, 1)
		},
		"test_it_handles_comma_separated_channel_codes": func(t *testing.T) {
			all := c.get(c.create(map[string]any{"channels": "*"}).uuid()).str("channels")
			wantCode(t, post(id, map[string]any{"channels": all}, rwKey), 200)
			wantChannels(t, 2)
		},
		"test_it_handles_asterix": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"channels": "*"}, rwKey), 200)
			wantChannels(t, 2)
		},
		"test_it_ignores_channels_if_channels_key_missing": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"channels": "alerts"}, rwKey), 200)
			wantCode(t, post(id, map[string]any{}, rwKey), 200)
			wantChannels(t, 1)
		},
		"test_it_rejects_bad_channel_code": func(t *testing.T) {
			a := post(id, map[string]any{"channels": "abc", "name": "New Name"}, rwKey)
			wantCode(t, a, 400)
			if a.errorText() != "invalid channel identifier: abc" || c.get(id).str("name") != "" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_rejects_missing_channel": func(t *testing.T) {
			a := post(id, map[string]any{"channels": missingCheck}, rwKey)
			wantCode(t, a, 400)
			if a.errorText() != "invalid channel identifier: "+missingCheck {
				t.Fatalf("%s", a.raw)
			}
			wantChannels(t, 0)
		},
		"test_it_rejects_channel_from_another_project": skip("Tocsin has one project: test_it_rejects_missing_channel covers an unknown id"),
		"test_it_handles_channel_lookup_by_name_with_no_results": func(t *testing.T) {
			a := post(id, map[string]any{"channels": "foo"}, rwKey)
			wantCode(t, a, 400)
			if a.errorText() != "invalid channel identifier: foo" {
				t.Fatalf("%s", a.raw)
			}
			wantChannels(t, 0)
		},
		"test_it_handles_channel_lookup_by_name_with_multiple_results": skip("Tocsin's channels are named uniquely in the config: no name matches two"),
		"test_it_rejects_multiple_empty_channel_names": func(t *testing.T) {
			a := post(id, map[string]any{"channels": ","}, rwKey)
			wantCode(t, a, 400)
			if a.errorText() != "empty channel identifier" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_rejects_non_string_channels_key": func(t *testing.T) { wantCode(t, post(id, map[string]any{"channels": 123}, rwKey), 400) },
		"test_it_rejects_non_string_desc":         func(t *testing.T) { wantCode(t, post(id, map[string]any{"desc": 123}, rwKey), 400) },
		"test_it_rejects_null_values": func(t *testing.T) {
			for _, field := range []string{"channels", "timeout", "grace", "name", "schedule", "subject", "subject_fail", "unique"} {
				wantCode(t, post(id, map[string]any{field: nil}, rwKey), 400)
			}
		},
		"test_it_validates_schedule": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"schedule": "5 * * * *"}, rwKey), 200)
			for _, sample := range []string{"* invalid *", "1,2 61 * * *", "0 0 31 2 *", "Surprise 12:34", "12:34 Europe/surprise"} {
				if a := post(id, map[string]any{"schedule": sample}, rwKey); a.code != 400 {
					t.Errorf("did not reject %q: %d", sample, a.code)
				}
			}
			if s := c.get(id).str("schedule"); s != "5 * * * *" {
				t.Fatalf("schedule %q", s)
			}
		},
		"test_it_rejects_readonly_key": func(t *testing.T) { wantCode(t, post(id, map[string]any{"name": "Foo"}, roKey), 401) },
		"test_it_sets_manual_resume_to_true": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"manual_resume": true}, rwKey), 200)
			if c.get(id).doc["manual_resume"] != true {
				t.Fatal("not set")
			}
		},
		"test_it_sets_manual_resume_to_false": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"manual_resume": true}, rwKey), 200)
			wantCode(t, post(id, map[string]any{"manual_resume": false}, rwKey), 200)
			if c.get(id).doc["manual_resume"] != false {
				t.Fatal("not cleared")
			}
		},
		"test_it_sets_methods": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"methods": "POST"}, rwKey), 200)
			if c.get(id).str("methods") != "POST" {
				t.Fatal("not set")
			}
		},
		"test_it_clears_methods": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"methods": "POST"}, rwKey), 200)
			wantCode(t, post(id, map[string]any{"methods": ""}, rwKey), 200)
			if c.get(id).str("methods") != "" {
				t.Fatal("not cleared")
			}
		},
		"test_it_leaves_methods_unchanged": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"methods": "POST"}, rwKey), 200)
			wantCode(t, post(id, map[string]any{}, rwKey), 200)
			if c.get(id).str("methods") != "POST" {
				t.Fatal("changed")
			}
		},
		"test_it_rejects_bad_methods_value": func(t *testing.T) { wantCode(t, post(id, map[string]any{"methods": "bad-value"}, rwKey), 400) },
		"test_it_sets_success_kw": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"subject": "SUCCESS,COMPLETE"}, rwKey), 200)
			if a := c.get(id); a.doc["filter_subject"] != true || a.str("success_kw") != "SUCCESS,COMPLETE" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_sets_failure_kw": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"subject_fail": "FAILED,FAILURE"}, rwKey), 200)
			if a := c.get(id); a.doc["filter_subject"] != true || a.str("failure_kw") != "FAILED,FAILURE" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_unsets_filter_subject_flag": func(t *testing.T) {
			// setUp: filter_subject on, success_kw SUCCESS.
			wantCode(t, post(id, map[string]any{"filter_subject": true, "success_kw": "SUCCESS"}, rwKey), 200)
			a := post(id, map[string]any{"subject": ""}, rwKey)
			wantCode(t, a, 200)
			if a.doc["filter_subject"] != false || a.str("success_kw") != "" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_accepts_60_days_timeout": func(t *testing.T) {
			a := post(id, map[string]any{"timeout": 60 * 24 * 3600}, rwKey)
			wantCode(t, a, 200)
			if a.num("timeout") != 60*24*3600 {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_it_rejects_out_of_range_timeout": func(t *testing.T) { wantCode(t, post(id, map[string]any{"timeout": 500 * 24 * 3600}, rwKey), 400) },
		"test_it_prioritizes_filter_subject_field": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"subject": "SUCCESS", "filter_subject": false}, rwKey), 200)
			if a := c.get(id); a.doc["filter_subject"] != false || a.str("success_kw") != "SUCCESS" {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_v1_reports_status_started": skip("Tocsin serves Healthchecks' API as /api/v3/ only; test_v2_reports_started_separately is v3's behaviour"),
		"test_v2_reports_started_separately": func(t *testing.T) {
			c.ping(id, "start", nil)
			a := post(id, map[string]any{}, rwKey)
			wantCode(t, a, 200)
			if a.str("status") != "new" || a.doc["started"] != true {
				t.Fatalf("%s", a.raw)
			}
		},
		"test_v3_saves_slug": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"slug": "updated-slug"}, rwKey), 200)
			if c.get(id).str("slug") != "updated-slug" {
				t.Fatal("slug not saved")
			}
		},
		"test_v3_does_not_autogenerate_slug": func(t *testing.T) {
			wantCode(t, post(id, map[string]any{"slug": "foo"}, rwKey), 200)
			wantCode(t, post(id, map[string]any{"name": "Bar"}, rwKey), 200)
			if c.get(id).str("slug") != "foo" {
				t.Fatal("slug changed")
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

package app

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

const oncallConfig = `
links_secret: "0123456789abcdef0123456789abcdef-test"
smtp: {host: smtp.example.com, from: tocsin@example.com}
users:
  - {name: ana, email: ana@example.com, tz: Europe/Berlin, contacts: [{type: email, to: ana@example.com}]}
  - {name: bo, email: bo@example.com, tz: Europe/Berlin, contacts: [{type: email, to: bo@example.com}]}
  - {name: cy, email: cy@example.com, tz: America/New_York, contacts: [{type: email, to: cy@example.com}]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [ana, bo], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]
escalation_policies:
  - {name: default, repeat: 2, levels: [{targets: ["schedule:primary"], timeout: 5m}, {targets: ["user:cy"], timeout: 10m}]}
services:
  - {name: payments, escalation_policy: default}
`

func TestOnCallAPIAndFeeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, oncallConfig)
	r := start(t, path, nil)
	for _, tc := range []struct{ at, want string }{
		{"2026-01-05T08:59:00%2B01:00", ""},
		{"2026-01-05T09:00:00%2B01:00", "ana"},
		{"2026-03-30T08:59:00%2B02:00", "bo"}, // the week of the spring-forward night
		{"2026-03-30T09:00:00%2B02:00", "ana"},
	} {
		var body struct {
			At    string   `json:"at"`
			Users []string `json:"users"`
		}
		if code := r.get(t, "/api/v1/schedules/primary/oncall?at="+tc.at, &body); code != 200 {
			t.Fatalf("oncall at %s: %d", tc.at, code)
		}
		if strings.Join(body.Users, ",") != tc.want || body.At == "" || body.Users == nil {
			t.Errorf("at %s: %+v, want %q", tc.at, body, tc.want)
		}
	}
	var bad map[string]string
	if code := r.get(t, "/api/v1/schedules/primary/oncall?at=yesterday", &bad); code != 400 || !strings.Contains(bad["error"], "RFC 3339") {
		t.Errorf("bad at: %d %v", code, bad)
	}
	if code := r.get(t, "/api/v1/schedules/nope/oncall", &bad); code != 404 {
		t.Errorf("unknown schedule: %d", code)
	}
	var list struct {
		Schedules []struct {
			Name    string `json:"name"`
			ICalURL string `json:"ical_url"`
		} `json:"schedules"`
	}
	r.get(t, "/api/v1/schedules", &list)
	if len(list.Schedules) != 1 || !strings.Contains(list.Schedules[0].ICalURL, "/ical/schedules/primary?token=") {
		t.Fatalf("schedules %+v", list)
	}
	feed := list.Schedules[0].ICalURL[strings.Index(list.Schedules[0].ICalURL, "/ical/"):]
	resp, err := http.Get(r.base + feed)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
		!strings.HasPrefix(string(body), "BEGIN:VCALENDAR\r\n") || !strings.Contains(string(body), "BEGIN:VEVENT") {
		t.Fatalf("feed: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// A wrong token, or none, is the same 404 as an unknown feed.
	for _, p := range []string{"/ical/schedules/primary", "/ical/schedules/primary?token=00", strings.Replace(feed, "primary", "other", 1)} {
		resp, err := http.Get(r.base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

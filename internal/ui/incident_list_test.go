package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

var incidentLink = regexp.MustCompile(`<a href="/incidents/(\d+)">#`)

// listed are the ids the incident list links to in page, by section
// heading ("Open", "Resolved", ...).
func listed(page string) map[string][]string {
	out := map[string][]string{}
	parts := strings.Split(page, "<h2")
	for _, part := range parts[1:] {
		_, part, _ = strings.Cut(part, ">")
		heading, _, _ := strings.Cut(part, " ")
		for _, m := range incidentLink.FindAllStringSubmatch(part, -1) {
			out[heading] = append(out[heading], m[1])
		}
	}
	return out
}

// The incident list shows open incidents first, then resolved ones, and
// filters by status, service, team, priority and check; a long list comes
// a page at a time; a viewer may read it; a bad filter says what is wrong.
func TestIncidentList(t *testing.T) {
	s, clk := startResponders(t)
	pay := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical") // P1, payments, team core
	web := s.alertIncident(t, "k-web-123-abcdefgh", "WebSlow", "warning")       // P3, web, no team
	gone := s.alertIncident(t, "k-web-123-abcdefgh", "WebGone", "error")        // P2, web; resolved below
	s.api(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", gone), "", http.StatusOK, nil)
	s.api(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", web), "", http.StatusOK, nil)
	resp, err := http.Get(s.base + "/ping/" + checkUUID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var check int64
	testkit.EventuallyAdvancing(t, clk, time.Second, "the check down and its incident open", func() bool {
		var list struct {
			Incidents []struct{ ID int64 } `json:"incidents"`
		}
		s.api(t, "GET", "/api/v1/incidents?check="+checkUUID, "", http.StatusOK, &list)
		if len(list.Incidents) == 1 {
			check = list.Incidents[0].ID
		}
		return check != 0
	})
	id := func(n int64) string { return fmt.Sprint(n) }

	victor := s.login(t, "victor")
	status, _, body := victor.get(t, "/incidents")
	if status != http.StatusOK || !strings.Contains(body, `href="/incidents" aria-current="page"`) {
		t.Fatalf("GET /incidents: %d\n%s", status, body)
	}
	got := listed(body)
	if !slices.Equal(got["Open"], []string{id(check), id(web), id(pay)}) || !slices.Equal(got["Resolved"], []string{id(gone)}) {
		t.Errorf("the list: %v", got)
	}
	for _, want := range []string{"PaymentsDown", "backup is down", "acknowledged by api:", `<span class="badge s-P1">P1</span>`,
		`<td data-label="Service">payments</td>`, `<td data-label="Check">backup</td>`, "opened <time"} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	for query, want := range map[string]map[string][]string{
		"status=open":              {"Open": {id(check), id(web), id(pay)}},
		"status=triggered":         {"Triggered": {id(check), id(pay)}},
		"status=acknowledged":      {"Acknowledged": {id(web)}},
		"status=resolved":          {"Resolved": {id(gone)}},
		"service=web":              {"Open": {id(web)}, "Resolved": {id(gone)}},
		"team=core":                {"Open": {id(pay)}},
		"priority=P1":              {"Open": {id(pay)}},
		"priority=P2&status=all":   {"Resolved": {id(gone)}},
		"check=" + checkUUID:       {"Open": {id(check)}},
		"check=backup&status=open": {"Open": {id(check)}},
	} {
		status, _, body := victor.get(t, "/incidents?"+query)
		got := listed(body)
		for heading := range got {
			if want[heading] == nil {
				want[heading] = nil
			}
		}
		for heading, ids := range want {
			if !slices.Equal(got[heading], ids) {
				t.Errorf("?%s: %d, %s: %v, want %v", query, status, heading, got[heading], ids)
			}
		}
	}
	for query, says := range map[string]string{
		"status=bogus":  "status must be one of",
		"priority=P9":   "priority must be P1, P2, P3 or P4",
		"check=nothing": "no such check",
		"before=x":      "before must be an incident number",
	} {
		status, _, body := victor.get(t, "/incidents?"+query)
		if status/100 != 4 || !strings.Contains(body, says) {
			t.Errorf("?%s: %d, want a refusal saying %q", query, status, says)
		}
	}

	// A page at a time: 50 alerts more, and the list of open ones pages.
	var all []int64
	for i := range 50 {
		all = append(all, s.alertIncident(t, "k-web-123-abcdefgh", fmt.Sprintf("Batch%02d", i), "info"))
	}
	_, _, body = victor.get(t, "/incidents?status=open")
	first := listed(body)["Open"]
	older := regexp.MustCompile(`<a href="([^"]+)">Older incidents`).FindStringSubmatch(body)
	if len(first) != 50 || first[0] != id(all[49]) || older == nil {
		t.Fatalf("first page: %d incidents %v, older link %v", len(first), first, older)
	}
	next := strings.ReplaceAll(older[1], "&amp;", "&")
	if u, err := url.Parse(next); err != nil || u.Query().Get("status") != "open" {
		t.Errorf("the older link %q loses the filter", next)
	}
	_, _, body = victor.get(t, next)
	rest := listed(body)["Open"]
	if len(rest) != 3 || strings.Contains(body, "Older incidents") || !strings.Contains(body, "Newest incidents") {
		t.Errorf("second page: %v", rest)
	}
}

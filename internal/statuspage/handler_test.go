package statuspage

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodGet, url, header...)
}

func do(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestJSONMatchesStatuspageSchema validates every JSON route against the
// schema written down from Statuspage's public API documentation
// (testdata/statuspage-v2.schema.json). Its objects are closed, so a
// document with a key Statuspage does not document fails.
func TestJSONMatchesStatuspageSchema(t *testing.T) {
	srv, _, _ := startServer(t)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, doc := range JSONDocuments {
		t.Run(doc, func(t *testing.T) {
			sch, err := c.Compile("testdata/statuspage-v2.schema.json#/$defs/" + strings.ReplaceAll(doc, "/", "~1"))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := get(t, srv.URL+"/status/public/api/v2/"+doc)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s does not match Statuspage's documented shape: %v", doc, err)
			}
		})
	}
}

// TestSchemaRejects makes sure the schema has teeth: an undocumented key,
// a time not in UTC and an unknown status each fail it.
func TestSchemaRejects(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("testdata/statuspage-v2.schema.json#/$defs/status.json")
	if err != nil {
		t.Fatal(err)
	}
	good := `{"page":{"id":"p","name":"n","url":"https://example.com/","time_zone":"UTC","updated_at":"2026-01-02T03:04:05.000Z"},"status":{"indicator":"none","description":"All Systems Operational"}}`
	for name, doc := range map[string]string{
		"good":          good,
		"extra key":     strings.Replace(good, `"time_zone"`, `"check_uuid":"x","time_zone"`, 1),
		"not UTC":       strings.Replace(good, "05.000Z", "05.000+01:00", 1),
		"unknown value": strings.Replace(good, `"none"`, `"fine"`, 1),
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); (err == nil) != (name == "good") {
			t.Errorf("%s: validation error %v", name, err)
		}
	}
}

// TestJSONContents checks what the documents say about the fixture page.
func TestJSONContents(t *testing.T) {
	srv, _, _ := startServer(t)
	read := func(doc string, into any) {
		t.Helper()
		_, body := get(t, srv.URL+"/status/public/api/v2/"+doc)
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
	}
	type inc struct {
		ID, Status, Shortlink string
		ResolvedAt            *string `json:"resolved_at"`
		Updates               []struct {
			ID, Status string
			Affected   *[]struct{ Code, Name string } `json:"affected_components"`
		} `json:"incident_updates"`
		Components []struct{ ID string } `json:"components"`
	}
	var summary struct {
		Page struct {
			ID, Name, URL, TimeZone string
			Updated                 string `json:"updated_at"`
		}
		Status     PageStatus
		Components []struct {
			ID, Status string
			GroupID    *string  `json:"group_id"`
			Members    []string `json:"components"`
		}
		Incidents    []inc
		Maintenances []inc `json:"scheduled_maintenances"`
	}
	read("summary.json", &summary)
	if summary.Page.ID != "p-public" || summary.Page.Updated != "2026-12-07T09:40:00.000Z" {
		t.Errorf("page: %+v", summary.Page)
	}
	if summary.Status != (PageStatus{"major", "Partial System Outage"}) {
		t.Errorf("status %+v", summary.Status)
	}
	if len(summary.Components) != 21 {
		t.Errorf("%d components, want 21 (hidden ones included, as Statuspage lists them)", len(summary.Components))
	}
	for _, c := range summary.Components {
		if c.ID == "regions" && strings.Join(c.Members, ",") != "eu,us" {
			t.Errorf("group members %v", c.Members)
		}
		if c.ID == "eu" && (c.GroupID == nil || *c.GroupID != "regions") {
			t.Errorf("eu group_id %v", c.GroupID)
		}
	}
	if len(summary.Incidents) != 1 || summary.Incidents[0].ID != "i-open" {
		t.Fatalf("summary incidents %+v", summary.Incidents)
	}
	open := summary.Incidents[0]
	if open.Shortlink != "https://status.example.com/status/public#incident-i-open" || open.ResolvedAt != nil {
		t.Errorf("open incident %+v", open)
	}
	if len(open.Updates) != 2 || open.Updates[0].ID != "u3" || open.Updates[1].Affected != nil {
		t.Errorf("updates not newest first, or affected components where none were said: %+v", open.Updates)
	}
	if a := open.Updates[0].Affected; a == nil || len(*a) != 2 || (*a)[1].Code != "eu" || (*a)[1].Name != "EU" {
		t.Errorf("affected components %+v", a)
	}
	if len(open.Components) != 2 || open.Components[0].ID != "c01" {
		t.Errorf("incident components %+v", open.Components)
	}
	var ids []string
	for _, m := range summary.Maintenances {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "m-next,m-now" {
		t.Errorf("summary maintenances %v, want upcoming and active, newest first", ids)
	}

	for doc, want := range map[string]string{
		"incidents.json":                       "i-open,i-old,i-older",
		"incidents/unresolved.json":            "i-open",
		"scheduled-maintenances.json":          "m-next,m-now,m-done",
		"scheduled-maintenances/upcoming.json": "m-next",
		"scheduled-maintenances/active.json":   "m-now",
	} {
		var d struct {
			Incidents    []inc
			Maintenances []inc `json:"scheduled_maintenances"`
		}
		read(doc, &d)
		var got []string
		for _, in := range append(d.Incidents, d.Maintenances...) {
			got = append(got, in.ID)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s lists %v, want %s", doc, got, want)
		}
	}
}

// TestRecentLimit checks that the full lists hold the 50 most recent.
func TestRecentLimit(t *testing.T) {
	v := fixtureView(t)
	base := v.Incidents[2]
	for i := range 60 {
		in := base
		in.ID = "bulk-" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		in.CreatedAt = base.CreatedAt.Add(-time.Duration(i+1) * time.Hour)
		in.Updates = nil
		v.Incidents = append(v.Incidents, in)
	}
	body, err := JSON(v, DocIncidents)
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Incidents []struct{ ID string } }
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Incidents) != 50 || d.Incidents[0].ID != "i-open" || d.Incidents[49].ID != "bulk-Bu" {
		t.Errorf("%d incidents, first %v, last %v", len(d.Incidents), d.Incidents[0], d.Incidents[len(d.Incidents)-1])
	}
}

func TestRollup(t *testing.T) {
	page := func(statuses ...ComponentStatus) *View {
		v := &View{Components: []Component{{ID: "g", Group: true, Status: MajorOutage}}}
		for _, s := range statuses {
			v.Components = append(v.Components, Component{Status: s})
		}
		return v
	}
	for _, tc := range []struct {
		statuses []ComponentStatus
		want     PageStatus
	}{
		{nil, PageStatus{"none", "All Systems Operational"}},
		{[]ComponentStatus{Operational, Operational}, PageStatus{"none", "All Systems Operational"}},
		{[]ComponentStatus{MajorOutage}, PageStatus{"critical", "Major System Outage"}},
		{[]ComponentStatus{MajorOutage, MajorOutage}, PageStatus{"critical", "Major System Outage"}},
		{[]ComponentStatus{MajorOutage, Operational}, PageStatus{"major", "Partial System Outage"}},
		{[]ComponentStatus{PartialOutage, PartialOutage}, PageStatus{"major", "Partial System Outage"}},
		{[]ComponentStatus{PartialOutage, DegradedPerformance}, PageStatus{"minor", "Minor Service Outage"}},
		{[]ComponentStatus{DegradedPerformance}, PageStatus{"minor", "Degraded System Service"}},
		{[]ComponentStatus{Operational, DegradedPerformance}, PageStatus{"minor", "Partially Degraded Service"}},
		{[]ComponentStatus{UnderMaintenance, Operational}, PageStatus{"maintenance", "Service Under Maintenance"}},
	} {
		if got := page(tc.statuses...).Status(); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.statuses, got, tc.want)
		}
	}
}

// TestAtomFeed reads the feed with gofeed, a real feed parser.
func TestAtomFeed(t *testing.T) {
	srv, _, _ := startServer(t)
	resp, body := get(t, srv.URL+"/status/public/history.atom")
	if ct := resp.Header.Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	feed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if feed.FeedType != "atom" || feed.FeedVersion != "1.0" {
		t.Errorf("feed type %s %s", feed.FeedType, feed.FeedVersion)
	}
	if feed.Title != "Example Inc. status: incident history" {
		t.Errorf("title %q", feed.Title)
	}
	// One entry per update: 7 of incidents, 5 of maintenances.
	if len(feed.Items) != 12 {
		t.Fatalf("%d entries, want 12", len(feed.Items))
	}
	seen := map[string]bool{}
	for i, it := range feed.Items {
		if it.GUID == "" || seen[it.GUID] {
			t.Errorf("entry %d: id %q empty or repeated", i, it.GUID)
		}
		seen[it.GUID] = true
		if it.UpdatedParsed == nil || it.Link == "" || it.Content == "" {
			t.Errorf("entry %d lacks updated, link or content: %+v", i, it)
		}
		if i > 0 && it.UpdatedParsed.After(*feed.Items[i-1].UpdatedParsed) {
			t.Errorf("entry %d is newer than the one before it", i)
		}
	}
	first := feed.Items[0]
	if first.Title != "Elevated API error rates: Identified" || first.Link != "https://status.example.com/status/public#incident-i-open" {
		t.Errorf("newest entry %q %q", first.Title, first.Link)
	}
	if !strings.Contains(first.Content, "Failover is under way.") || !strings.Contains(first.Content, "Affects API, EU.") {
		t.Errorf("newest entry content %q", first.Content)
	}
	if !strings.Contains(first.Content, "Dec 7, 2026 10:40 CET") {
		t.Errorf("content does not give the time in the page's zone: %q", first.Content)
	}
}

// TestConditionalRequests checks the ETag, 304 answers and that a new
// version is rendered once, whatever the number of readers.
func TestConditionalRequests(t *testing.T) {
	srv, src, h := startServer(t)
	url := srv.URL + "/status/public/api/v2/summary.json"
	resp, body := get(t, url)
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || resp.Header.Get("Cache-Control") != "public, max-age=30" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		resp, b := get(t, url, "If-None-Match", inm)
		if resp.StatusCode != http.StatusNotModified || len(b) != 0 || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match %s: status %d, %d bytes, ETag %q", inm, resp.StatusCode, len(b), resp.Header.Get("ETag"))
		}
	}
	if resp, _ := get(t, url, "If-None-Match", `"other"`); resp.StatusCode != http.StatusOK {
		t.Errorf("a stale ETag got %d", resp.StatusCode)
	}
	// Other documents of the same version have other ETags.
	if resp, _ := get(t, srv.URL+"/status/public/api/v2/status.json"); resp.Header.Get("ETag") == etag {
		t.Error("status.json has summary.json's ETag")
	}

	// A change: the API recovers. The version moves, the old ETag no
	// longer matches, and many readers at once cause one rendering.
	v := fixtureView(t)
	v.Components[0].Status = Operational
	src.set(v)
	before := h.renders.Load()
	var wg sync.WaitGroup
	bodies := make([][]byte, 20)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			bodies[i], _ = io.ReadAll(resp.Body)
		}()
	}
	wg.Wait()
	if n := h.renders.Load() - before; n != 1 {
		t.Errorf("%d renderings of one new version, want 1", n)
	}
	for _, b := range bodies {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatal("readers of one version got different bytes")
		}
	}
	if bytes.Equal(bodies[0], body) {
		t.Fatal("summary.json did not change with the version")
	}
	resp, _ = get(t, url, "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Errorf("after the change the old ETag got %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if !strings.Contains(string(bodies[0]), `"description":"Minor Service Outage"`) {
		t.Errorf("new summary: %s", bodies[0][:200])
	}
}

func TestRoutesAndHeaders(t *testing.T) {
	srv, _, _ := startServer(t)
	for _, tc := range []struct{ path, ctype string }{
		{"/status/public", "text/html; charset=utf-8"},
		{"/status/public/", "text/html; charset=utf-8"},
		{"/status/public/history.atom", "application/atom+xml; charset=utf-8"},
		{"/status/public/badge.svg", "image/svg+xml"},
		{"/status/public/components/c01/badge.svg", "image/svg+xml"},
		{"/status/public/components/regions/badge.svg", "image/svg+xml"},
	} {
		resp, body := get(t, srv.URL+tc.path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s: %d %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", tc.path)
		}
		// HEAD: the same headers, no body.
		head, hb := do(t, http.MethodHead, srv.URL+tc.path)
		if head.StatusCode != http.StatusOK || len(hb) != 0 || head.Header.Get("ETag") != resp.Header.Get("ETag") ||
			head.Header.Get("Content-Length") != resp.Header.Get("Content-Length") || len(body) == 0 {
			t.Errorf("HEAD %s: %d, %d bytes, ETag %q", tc.path, head.StatusCode, len(hb), head.Header.Get("ETag"))
		}
	}
	resp, _ := get(t, srv.URL+"/status/public")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("HTML CSP %q", csp)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/status/public"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// TestNotFound checks that unknown pages, documents and components get a
// 404 that says nothing about what exists.
func TestNotFound(t *testing.T) {
	srv, _, _ := startServer(t)
	for _, path := range []string{
		"/status/nope", "/status/nope/api/v2/summary.json", "/status/public/api/v2/nope.json",
		"/status/public/api/v1/summary.json", "/status/public/components/nope/badge.svg",
		"/status/public/components/c01/x/badge.svg", "/status/public/nope", "/status/nope/history.atom",
		"/status/public/api/v2/summary.json/x", "/elsewhere", "/status/public/components/%2e%2e/badge.svg",
		"/status/public/components//badge.svg",
		"/status/%3Cscript%3E/api/v2/status.json",
	} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		for _, leak := range []string{"nope", "public", "Example", "c01", "API"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("%s: the 404 says %q: %s", path, leak, body)
			}
		}
		if strings.Contains(path, "/api/") && resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s: %q", path, resp.Header.Get("Content-Type"))
		}
	}
}

// TestEmptyPage renders a page with nothing on it yet: every document
// still matches the schema, with empty lists rather than nulls.
func TestEmptyPage(t *testing.T) {
	v := &View{Now: fixtureNow, Page: Page{ID: "p-empty", Slug: "empty", Name: "Empty", URL: "https://status.example.com/status/empty",
		UpdatedAt: fixtureNow}}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, doc := range JSONDocuments {
		body, err := JSON(v, doc)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(body, []byte("null")) {
			t.Errorf("%s has a null: %s", doc, body)
		}
		sch, err := c.Compile("testdata/statuspage-v2.schema.json#/$defs/" + strings.ReplaceAll(doc, "/", "~1"))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
		if doc == DocStatus && !bytes.Contains(body, []byte(`"time_zone":"UTC"`)) {
			t.Errorf("a page without a zone is not in UTC: %s", body)
		}
	}
	if _, err := JSON(v, "nope.json"); err == nil {
		t.Error("an unknown document rendered")
	}
	html, err := HTML(v, RenderOptions{})
	if err != nil || !bytes.Contains(html, []byte("All Systems Operational")) {
		t.Errorf("empty page: %v", err)
	}
	if _, err := Atom(v); err != nil {
		t.Error(err)
	}
	if _, err := PageBadge(v); err != nil {
		t.Error(err)
	}
}

// TestServeHost serves the page at the root of its own host name.
func TestServeHost(t *testing.T) {
	src := &fixtureSource{view: fixtureView(t), version: 1}
	h := NewHandler(src)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHost(w, r, "public")
	}))
	defer srv.Close()
	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Partial System Outage") {
		t.Errorf("/: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/api/v2/summary.json"); resp.StatusCode != http.StatusOK {
		t.Errorf("/api/v2/summary.json: %d", resp.StatusCode)
	}
	if resp, _ := get(t, srv.URL+"/status/public"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/status/public on the page's own host: %d", resp.StatusCode)
	}
}

// TestHTMLPage checks the page's size, content and what it must not show.
func TestHTMLPage(t *testing.T) {
	srv, _, _ := startServer(t)
	_, body := get(t, srv.URL+"/status/public")
	page := string(body)
	for _, want := range []string{
		"<h1>Example Inc. status</h1>", "Partial System Outage", "Elevated API error rates",
		"Failover is under way.", "Dec 7, 2026 10:40 CET", "Reporting index rebuild", "Database upgrade",
		"Scheduled for Dec 9, 2026 11:00 CET – Dec 9, 2026 13:00 CET", "Slow searches", "Delayed webhooks",
		"No incidents reported.", `href="/status/public/history.atom"`, `href="/status/public/api/v2/summary.json"`,
		"Major Outage", "Degraded Performance", "Under Maintenance", "<summary>", "EU", "Times are shown in Europe/Berlin",
		`id="incident-i-old"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "Support portal") {
		t.Error("an operational only_show_if_degraded component is shown")
	}
	if strings.Contains(page, "<form") || strings.Contains(page, "<script") {
		t.Error("form without subscriptions, or a script")
	}
	if regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`).MatchString(page) {
		t.Error("the page shows a UUID")
	}
	if n := strings.Count(page, "<svg class=bar"); n != 19 {
		t.Errorf("%d uptime bars, want 19 (20 components, one hidden)", n)
	}
	// A day's tooltip gives its date and uptime.
	if !strings.Contains(page, "<title>Dec 7, 2026: ") || !regexp.MustCompile(`<title>[A-Z][a-z]{2} \d+, 2026: 97\.92% uptime, down 30 min</title>`).MatchString(page) {
		t.Error("no tooltip with a date and an uptime")
	}
	// Every id on the page is unique.
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(` id="?([^" >]+)`).FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice", m[1])
		}
		ids[m[1]] = true
	}
}

// TestHTMLSize checks that a page of 20 components, each with 90 days of
// uptime, stays under 50 KiB as sent: raw bytes, no compression assumed.
func TestHTMLSize(t *testing.T) {
	v := fixtureView(t)
	for i := range v.Components {
		v.Components[i].OnlyShowIfDegraded = false
	}
	body, err := HTML(v, RenderOptions{Subscribe: true, SubscribeMessage: "Get an email whenever an incident is posted."})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(body), "<svg class=bar"); n != 20 {
		t.Fatalf("%d uptime bars, want 20", n)
	}
	if len(body) >= 50*1024 {
		t.Errorf("page is %d bytes, want < 50 KiB", len(body))
	}
	t.Logf("page of 20 components with 90-day bars: %d bytes", len(body))
}

// TestSubscribeFormShown: the page shows the form only when told to.
func TestSubscribeFormShown(t *testing.T) {
	srv, _, _ := startServer(t, WithRenderOptions(func(slug string) RenderOptions {
		return RenderOptions{Subscribe: slug == "public", SubscribeMessage: "Mail <me>"}
	}))
	_, body := get(t, srv.URL+"/status/public")
	page := string(body)
	for _, want := range []string{`<form method=post action="/status/public/subscribe">`, `name=email type=email required`,
		`<option value="c01">API</option>`, `<option value="eu">EU</option>`, "Mail &lt;me&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `<option value="regions">`) {
		t.Error("a group is offered as a component")
	}
}

// TestEscaping puts markup in every name and text and checks that the
// page, the feed and the badges stay well-formed and inert.
func TestEscaping(t *testing.T) {
	v := fixtureView(t)
	evil := `<script>alert("x")</script> & 'q'`
	v.Page.Name = evil
	v.Components[0].Name = evil
	v.Incidents[0].Name = evil
	v.Incidents[0].Updates[0].Body = evil
	html, err := HTML(v, RenderOptions{Subscribe: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<script") {
		t.Error("page carries the markup")
	}
	atom, err := Atom(v)
	if err != nil {
		t.Fatal(err)
	}
	badge, err := PageBadge(v)
	if err != nil {
		t.Fatal(err)
	}
	cbadge, ok, err := ComponentBadge(v, "c01")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	for name, doc := range map[string][]byte{"atom": atom, "badge": badge, "component badge": cbadge} {
		if bytes.Contains(doc, []byte("<script")) {
			t.Errorf("%s carries the markup", name)
		}
		d := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s is not well-formed XML: %v", name, err)
				break
			}
		}
	}
	if _, ok, _ := ComponentBadge(v, "nope"); ok {
		t.Error("badge of an unknown component")
	}
}

// Versions are hashes, in no order: a newer View whose version is the
// smaller number replaces the cached one, and a request still holding an
// older View renders it apart without evicting the newer.
func TestNewerViewWithSmallerVersion(t *testing.T) {
	srv, src, h := startServer(t)
	url := srv.URL + "/status/public/api/v2/summary.json"
	serve := func(v *View, version uint64) {
		src.mu.Lock()
		defer src.mu.Unlock()
		src.view, src.version = v, version
	}
	older := fixtureView(t)
	serve(older, 1000)
	_, olderBody := get(t, url)
	newer := fixtureView(t)
	newer.Now = older.Now.Add(time.Second)
	newer.Components[0].Status = Operational
	serve(newer, 7)
	before := h.renders.Load()
	var newerBody []byte
	for range 5 {
		_, newerBody = get(t, url)
	}
	if n := h.renders.Load() - before; n != 1 {
		t.Fatalf("%d cached renderings of the newer View for 5 readers, want 1", n)
	}
	serve(older, 1000)
	if _, b := get(t, url); !bytes.Equal(b, olderBody) {
		t.Fatal("a reader of the older View got other bytes")
	}
	serve(newer, 7)
	before = h.renders.Load()
	if _, b := get(t, url); !bytes.Equal(b, newerBody) || h.renders.Load() != before {
		t.Fatal("the older View evicted the newer")
	}
}

package web

import (
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// reportServer serves the reports of two incidents of January 2026: web's,
// opened Monday 01-05 10:00Z, ana (Berlin, 11:00 CET: in hours) paged,
// acknowledged after 6m and resolved after 1h; db's, opened Saturday
// 01-10 03:00Z, bob (New York, 22:00 EST on Friday 01-09: out of hours,
// the night of 01-09) paged, never acknowledged, resolved after 1h.
func reportServer(t *testing.T) *httptest.Server {
	s := testServer(t)
	clk := clock.NewFake(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/r.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.DB, s.Clock = db, clk
	snap := *s.Snapshots.Load()
	cfg := *snap.Config
	cfg.Users = []config.User{{Name: "ana", TZ: "Europe/Berlin", Contacts: []config.Contact{{Type: "email", To: "ana@example.com"}}},
		{Name: "bob", TZ: "America/New_York", Contacts: []config.Contact{{Type: "email", To: "bob@example.com"}}}}
	snap.Config = &cfg
	s.Snapshots = snapshotFunc(func() *runtime.Snapshot { return &snap })
	for _, c := range []struct {
		service, user       string
		opened              time.Time
		ackAfter, resolveIn time.Duration
	}{
		{"web", "ana", time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), 6 * time.Minute, time.Hour},
		{"db", "bob", time.Date(2026, 1, 10, 3, 0, 0, 0, time.UTC), 0, time.Hour},
	} {
		clk.Set(c.opened)
		if err := db.Write(context.Background(), func(tx *store.Tx) error {
			in := &tocsin.Incident{Title: c.service, Status: tocsin.IncidentTriggered, OpenedAt: c.opened, Service: c.service,
				Team: "core", GroupKey: "g", EscalationStep: 1}
			if err := tx.CreateIncident(context.Background(), in); err != nil {
				return err
			}
			if _, err := tx.Enqueue(context.Background(), &tocsin.Notification{IdempotencyKey: c.service, Channel: "contact:" + c.user + ":0",
				Event: tocsin.EventTriggered, IncidentID: in.ID, Payload: []byte("{}")}); err != nil {
				return err
			}
			if c.ackAfter > 0 {
				in.AckedAt, in.AckedBy = c.opened.Add(c.ackAfter), c.user
			}
			in.Status, in.ResolvedAt, in.ResolvedBy = tocsin.IncidentResolved, c.opened.Add(c.resolveIn), c.user
			return tx.SaveIncident(context.Background(), in)
		}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path, accept string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer viewer-token")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), raw
}

func readCSV(t *testing.T, raw []byte) [][]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	return records
}

// TestReportsCSV: the reports as CSV, read back with encoding/csv.
func TestReportsCSV(t *testing.T) {
	srv := reportServer(t)
	const jan = "from=2026-01-01&to=2026-02-01"
	code, ctype, raw := get(t, srv, "/api/v1/reports/summary?"+jan+"&format=csv", "")
	if code != 200 || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("summary: %d %s %s", code, ctype, raw)
	}
	// MTTA: one acknowledged, 360s; the other is counted as unacknowledged,
	// not as zero. MTTR: 3600s and 3600s.
	want := [][]string{
		{"scope", "name", "incidents", "acknowledged", "unacknowledged", "resolved", "unresolved", "mtta_median_seconds",
			"mtta_p90_seconds", "mttr_median_seconds", "mttr_p90_seconds", "escalated", "pages", "nobody_reachable"},
		{"overall", "", "2", "1", "1", "2", "0", "360", "360", "3600", "3600", "0", "2", "0"},
		{"service", "db", "1", "0", "1", "1", "0", "", "", "3600", "3600", "0", "1", "0"},
		{"service", "web", "1", "1", "0", "1", "0", "360", "360", "3600", "3600", "0", "1", "0"},
		{"team", "core", "2", "1", "1", "2", "0", "360", "360", "3600", "3600", "0", "2", "0"},
	}
	if got := readCSV(t, raw); !reflect.DeepEqual(got, want) {
		t.Errorf("summary CSV\n got %q\nwant %q", got, want)
	}

	// Accept: text/csv asks for it too.
	code, _, raw = get(t, srv, "/api/v1/reports/people?"+jan, "text/csv")
	want = [][]string{{"user", "tz", "pages", "out_of_hours", "out_of_hours_share", "nights_interrupted"},
		{"ana", "Europe/Berlin", "1", "0", "0", "0"}, {"bob", "America/New_York", "1", "1", "1", "1"}}
	if got := readCSV(t, raw); code != 200 || !reflect.DeepEqual(got, want) {
		t.Errorf("people CSV %d\n got %q\nwant %q", code, got, want)
	}
	// The service filter.
	code, _, raw = get(t, srv, "/api/v1/reports/people?"+jan+"&service=web&format=csv", "")
	if got := readCSV(t, raw); code != 200 || len(got) != 2 || got[1][0] != "ana" {
		t.Errorf("people of web: %d %q", code, got)
	}
	code, _, raw = get(t, srv, "/api/v1/reports/noisy?"+jan, "text/csv")
	if got := readCSV(t, raw); code != 200 || !reflect.DeepEqual(got[0], []string{"kind", "name", "service", "incidents", "pages", "flaps", "firings"}) {
		t.Errorf("noisy CSV %d %q", code, got)
	}
	// format=json wins over the header; no range: the last 30 days, which
	// hold both incidents.
	code, ctype, raw = get(t, srv, "/api/v1/reports/summary?format=json", "text/csv")
	if code != 200 || ctype != "application/json" || !strings.Contains(string(raw), `"incidents": 2`) {
		t.Errorf("default summary: %d %s %s", code, ctype, raw)
	}
}

// svgDoc is what the test reads of a chart.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Role    string   `xml:"role,attr"`
	Labels  string   `xml:"aria-labelledby,attr"`
	Title   string   `xml:"title"`
	Desc    string   `xml:"desc"`
	Rects   []struct {
		Height float64 `xml:"height,attr"`
		Title  string  `xml:"title"`
	} `xml:"rect"`
}

// TestReportChartSVG: the chart is well-formed XML, an image with a title
// and a description, one bar per bucket.
func TestReportChartSVG(t *testing.T) {
	srv := reportServer(t)
	code, ctype, raw := get(t, srv, "/api/v1/reports/chart.svg?from=2026-01-01&to=2026-02-01", "")
	if code != 200 || ctype != "image/svg+xml" {
		t.Fatalf("chart: %d %s %s", code, ctype, raw)
	}
	var doc svgDoc
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	if doc.Role != "img" || doc.Labels != "chart-title chart-desc" ||
		doc.Title != "Incidents opened per day, 2026-01-01T00:00:00Z to 2026-02-01T00:00:00Z (UTC)" || len(doc.Rects) != 31 {
		t.Fatalf("chart %+v", doc)
	}
	// Bars of 01-05 and 01-10 only, equally high.
	for i, r := range doc.Rects {
		if (i == 4 || i == 9) != (r.Height > 0) {
			t.Errorf("bar %d (%s): height %v", i, r.Title, r.Height)
		}
	}
	if !strings.Contains(doc.Desc, "2026-01-05: 1; ") || !strings.Contains(doc.Desc, "2026-01-10: 1; ") {
		t.Errorf("desc %q", doc.Desc)
	}

	// MTTA per week: weeks from Monday; the first is cut at 01-01 (a
	// Thursday), then 01-05, 01-12, 01-19, 01-26. Only the week of 01-05
	// has an acknowledgement: 6m.
	_, _, raw = get(t, srv, "/api/v1/reports/chart.svg?metric=mtta&bucket=week&from=2026-01-01&to=2026-02-01", "")
	doc = svgDoc{}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%v in %s", err, raw)
	}
	if len(doc.Rects) != 5 || doc.Desc != "2026-01-01: none; 2026-01-05: 6m; 2026-01-12: none; 2026-01-19: none; 2026-01-26: none" {
		t.Errorf("mtta chart %+v", doc)
	}
}

// TestReportsBadParameters: each bad parameter gets 400 saying what is wrong.
func TestReportsBadParameters(t *testing.T) {
	srv := reportServer(t)
	for _, c := range []struct{ path, says string }{
		{"/api/v1/reports/summary?from=yesterday", "from must be an RFC 3339 time or a date"},
		{"/api/v1/reports/summary?to=2026-13-01", "to must be an RFC 3339 time or a date"},
		{"/api/v1/reports/people?from=2026-02-01&to=2026-01-01", "from must be before to"},
		{"/api/v1/reports/noisy?from=2024-01-01&to=2026-01-01", "longer than 400 days"},
		{"/api/v1/reports/noisy?limit=0", "limit must be a number from 1 to 100"},
		{"/api/v1/reports/summary?format=xml", "format must be json or csv"},
		{"/api/v1/reports/chart.svg?metric=uptime", "metric must be incidents, mtta or mttr"},
		{"/api/v1/reports/chart.svg?bucket=month", "bucket must be day or week"},
		{"/api/v1/reports/chart.svg?from=2020-01-01", "longer than 400 days"},
	} {
		code, _, raw := get(t, srv, c.path, "")
		if code != 400 || !strings.Contains(string(raw), c.says) {
			t.Errorf("%s: %d %s, want 400 saying %q", c.path, code, raw, c.says)
		}
	}
	// 400 days exactly is allowed.
	if code, _, raw := get(t, srv, "/api/v1/reports/summary?from=2025-01-01&to=2026-02-05", ""); code != 200 {
		t.Errorf("400 days: %d %s", code, raw)
	}
}

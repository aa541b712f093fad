package statuspage

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fixtureNow is the moment the fixture's View was computed.
var fixtureNow = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// fixtureView builds a page as a store would: twenty components (one a
// group of two regions), API in a major outage with an open incident,
// Search degraded, a maintenance in progress, one upcoming, one done,
// resolved incidents in the last two weeks, and 90 days of uptime each
// with a few bad days.
func fixtureView(t testing.TB) *View {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := fixtureNow
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	v := &View{Now: now, Page: Page{ID: "p-public", Slug: "public", Name: "Example Inc. status",
		Description: "Live status of Example's services", URL: "https://status.example.com/status/public",
		Location: berlin, UpdatedAt: now.Add(-20 * time.Minute)}}
	names := []string{"API", "Website", "Dashboard", "Search", "Webhooks", "Email delivery", "SMS delivery",
		"Payments", "Authentication", "File storage", "CDN", "Mobile push", "Reporting", "Data export",
		"Billing portal", "Public API docs", "Support portal", "Integrations"}
	pos := 1
	add := func(c Component) {
		c.Position, c.CreatedAt, c.UpdatedAt = pos, created, now.Add(-time.Duration(pos)*time.Hour)
		if c.Status == "" {
			c.Status = Operational
		}
		if !c.Group {
			c.Uptime = fixtureDays(berlin, now, pos)
		}
		pos++
		v.Components = append(v.Components, c)
	}
	for i, n := range names {
		c := Component{ID: fmt.Sprintf("c%02d", i+1), Name: n}
		switch n {
		case "API":
			c.Status, c.Description = MajorOutage, "REST and GraphQL endpoints"
		case "Search":
			c.Status = DegradedPerformance
		case "Reporting":
			c.Status = UnderMaintenance
		case "Support portal":
			c.OnlyShowIfDegraded = true
		}
		add(c)
		if n == "Payments" {
			add(Component{ID: "regions", Name: "Regions", Group: true, Members: []string{"eu", "us"}, Status: PartialOutage})
			add(Component{ID: "eu", Name: "EU", GroupID: "regions", Status: PartialOutage})
			add(Component{ID: "us", Name: "US", GroupID: "regions"})
		}
	}

	at := func(d time.Duration) time.Time { return now.Add(-d) }
	v.Incidents = []Incident{
		{ID: "i-open", Name: "Elevated API error rates", Status: Identified, Impact: ImpactCritical,
			CreatedAt: at(50 * time.Minute), UpdatedAt: at(20 * time.Minute), Components: []string{"c01", "eu"},
			Updates: []Update{
				{ID: "u3", IncidentID: "i-open", Status: Identified, Body: "The cause is a failed database node.\nFailover is under way.",
					CreatedAt: at(20 * time.Minute), Components: []string{"c01", "eu"}},
				{ID: "u2", IncidentID: "i-open", Status: Investigating, Body: "We are investigating errors on the API.",
					CreatedAt: at(50 * time.Minute)},
			}},
		{ID: "i-old", Name: "Slow searches", Status: Resolved, Impact: ImpactMinor,
			CreatedAt: at(3 * 24 * time.Hour), UpdatedAt: at(3*24*time.Hour - 2*time.Hour),
			MonitoringAt: at(3*24*time.Hour - time.Hour), ResolvedAt: at(3*24*time.Hour - 2*time.Hour),
			Components: []string{"c04"},
			Updates: []Update{
				{ID: "u6", IncidentID: "i-old", Status: Resolved, Body: "Searches are fast again.", CreatedAt: at(3*24*time.Hour - 2*time.Hour)},
				{ID: "u5", IncidentID: "i-old", Status: Monitoring, Body: "A fix is deployed; we are watching.", CreatedAt: at(3*24*time.Hour - time.Hour)},
				{ID: "u4", IncidentID: "i-old", Status: Investigating, Body: "Searches take several seconds.", CreatedAt: at(3 * 24 * time.Hour)},
			}},
		{ID: "i-older", Name: "Delayed webhooks", Status: Resolved, Impact: ImpactMajor,
			CreatedAt: at(9 * 24 * time.Hour), UpdatedAt: at(9*24*time.Hour - 30*time.Minute),
			ResolvedAt: at(9*24*time.Hour - 30*time.Minute), Components: []string{"c05"},
			Updates: []Update{
				{ID: "u8", IncidentID: "i-older", Status: Resolved, Body: "Every queued webhook is delivered.", CreatedAt: at(9*24*time.Hour - 30*time.Minute)},
				{ID: "u7", IncidentID: "i-older", Status: Investigating, Body: "Webhooks are delivered late.", CreatedAt: at(9 * 24 * time.Hour)},
			}},
	}
	v.Maintenances = []Incident{
		{ID: "m-next", Name: "Database upgrade", Status: Scheduled, Impact: ImpactMinor, Maintenance: true,
			CreatedAt: at(2 * time.Hour), UpdatedAt: at(2 * time.Hour), Components: []string{"c01", "c08"},
			ScheduledFor: now.Add(48 * time.Hour), ScheduledUntil: now.Add(50 * time.Hour),
			Updates: []Update{{ID: "u10", IncidentID: "m-next", Status: Scheduled, Body: "We will upgrade the primary database.", CreatedAt: at(2 * time.Hour)}}},
		{ID: "m-now", Name: "Reporting index rebuild", Status: InProgress, Impact: ImpactNone, Maintenance: true,
			CreatedAt: at(26 * time.Hour), UpdatedAt: at(time.Hour), Components: []string{"c13"},
			ScheduledFor: at(time.Hour), ScheduledUntil: now.Add(time.Hour),
			Updates: []Update{
				{ID: "u12", IncidentID: "m-now", Status: InProgress, Body: "The rebuild has started.", CreatedAt: at(time.Hour)},
				{ID: "u11", IncidentID: "m-now", Status: Scheduled, Body: "Reports will be stale for two hours.", CreatedAt: at(26 * time.Hour)},
			}},
		{ID: "m-done", Name: "Network maintenance", Status: Completed, Impact: ImpactNone, Maintenance: true,
			CreatedAt: at(6 * 24 * time.Hour), UpdatedAt: at(5 * 24 * time.Hour), ResolvedAt: at(5 * 24 * time.Hour),
			Components: []string{"c11"}, ScheduledFor: at(5*24*time.Hour + time.Hour), ScheduledUntil: at(5 * 24 * time.Hour),
			Updates: []Update{
				{ID: "u14", IncidentID: "m-done", Status: Completed, Body: "Done.", CreatedAt: at(5 * 24 * time.Hour)},
				{ID: "u13", IncidentID: "m-done", Status: Scheduled, Body: "Core switches are replaced.", CreatedAt: at(6 * 24 * time.Hour)},
			}},
	}
	return v
}

// fixtureDays is 90 days of uptime ending today, with bad days placed by
// the component's position, and no data before the 30th day for every
// fifth component (added late).
func fixtureDays(loc *time.Location, now time.Time, pos int) []Day {
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	days := make([]Day, 90)
	for i := range days {
		d := Day{Date: today.AddDate(0, 0, i-89), Known: true, UptimePercent: 100, Worst: Operational}
		switch {
		case pos%5 == 0 && i < 30:
			d = Day{Date: d.Date}
		case (i*7+pos*13)%41 == 0:
			d.UptimePercent, d.Worst, d.Outage = 97.92, MajorOutage, 30*time.Minute
		case (i*11+pos*5)%37 == 0:
			d.UptimePercent, d.Worst, d.Outage = 99.31, PartialOutage, 10*time.Minute
		case (i*3+pos)%43 == 0:
			d.Worst = DegradedPerformance
		}
		days[i] = d
	}
	return days
}

// fixtureSource serves one page whose View and version a test may change.
type fixtureSource struct {
	mu      sync.Mutex
	view    *View
	version uint64
}

func (s *fixtureSource) View(_ context.Context, slug string) (*View, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if slug != s.view.Page.Slug {
		return nil, 0, fmt.Errorf("page %q: %w", slug, ErrNoPage)
	}
	return s.view, s.version, nil
}

// set replaces the View, as a change of the page would.
func (s *fixtureSource) set(v *View) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.view = v
	s.version++
}

// startServer serves the fixture page through a Handler on 127.0.0.1.
func startServer(t testing.TB, opts ...Option) (*httptest.Server, *fixtureSource, *Handler) {
	t.Helper()
	src := &fixtureSource{view: fixtureView(t), version: 1}
	h := NewHandler(src, opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, src, h
}

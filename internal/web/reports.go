package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/report"
	"github.com/tocsinhq/tocsin/internal/store"
)

// defaultReportRange is the range of a report that names none: the last
// 30 days.
const defaultReportRange = 30 * 24 * time.Hour

// reportOptions reads the range and filters of a report request: from and
// to as RFC 3339 times or dates (midnight UTC), to defaulting to now and
// from to 30 days before to; service and team.
func (s *Server) reportOptions(r *http.Request) (report.Options, error) {
	q := r.URL.Query()
	o := report.Options{Service: q.Get("service"), Team: q.Get("team"), Users: s.reportUsers()}
	var err error
	o.To = s.Clock.Now().UTC()
	if v := q.Get("to"); v != "" {
		if o.To, err = reportTime("to", v); err != nil {
			return o, err
		}
	}
	o.From = o.To.Add(-defaultReportRange)
	if v := q.Get("from"); v != "" {
		if o.From, err = reportTime("from", v); err != nil {
			return o, err
		}
	}
	switch {
	case !o.From.Before(o.To):
		return o, tocsin.Errorf(tocsin.EInvalid, "from must be before to")
	case o.To.Sub(o.From) > report.MaxRange:
		return o, tocsin.Errorf(tocsin.EInvalid, "the range from %s to %s is longer than 400 days", o.From.Format(time.RFC3339),
			o.To.Format(time.RFC3339))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return o, tocsin.Errorf(tocsin.EInvalid, "limit must be a number from 1 to 100")
		}
		o.Limit = n
	}
	return o, nil
}

func reportTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, tocsin.Errorf(tocsin.EInvalid, "%s must be an RFC 3339 time or a date (YYYY-MM-DD), got %q", name, v)
}

// reportUsers is each configured user's zone and contacts, as the reports
// judge and show pages.
func (s *Server) reportUsers() map[string]report.User {
	if snap := s.Snapshots.Load(); snap != nil && snap.Config != nil {
		return report.UsersOf(snap.Config.Users)
	}
	return nil
}

// wantsCSV reports whether the request asks for CSV: ?format=csv, or an
// Accept header naming text/csv. ?format=json wins over the header.
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return strings.Contains(r.Header.Get("Accept"), "text/csv"), nil
	default:
		return false, tocsin.Errorf(tocsin.EInvalid, "format must be json or csv, got %q", f)
	}
}

// reportRequest reads a report request's options and format.
func (s *Server) reportRequest(w http.ResponseWriter, r *http.Request) (report.Options, *store.ReportRows, bool, bool) {
	o, err := s.reportOptions(r)
	if err != nil {
		writeError(w, err)
		return o, nil, false, false
	}
	asCSV, err := wantsCSV(r)
	if err != nil {
		writeError(w, err)
		return o, nil, false, false
	}
	rows, err := s.DB.ReportRows(r.Context(), o.From, o.To)
	if err != nil {
		s.fail(w, r, err)
		return o, nil, false, false
	}
	return o, rows, asCSV, true
}

func writeCSV(w http.ResponseWriter, name string, records [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	cw := csv.NewWriter(w)
	cw.WriteAll(records)
}

func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) {
	o, rows, asCSV, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	sum := report.Summarize(rows, o)
	if !asCSV {
		writeJSON(w, http.StatusOK, sum)
		return
	}
	records := [][]string{{"scope", "name", "incidents", "acknowledged", "unacknowledged", "resolved", "unresolved",
		"mtta_median_seconds", "mtta_p90_seconds", "mttr_median_seconds", "mttr_p90_seconds", "escalated", "pages",
		"nobody_reachable"}}
	row := func(scope, name string, f report.Figures) []string {
		return append([]string{scope, name, itoa(f.Incidents), itoa(f.Acknowledged), itoa(f.Unacknowledged), itoa(f.Resolved),
			itoa(f.Unresolved)}, append(append(statCells(f.MTTA), statCells(f.MTTR)...), itoa(f.Escalated), itoa(f.Pages),
			itoa(f.NobodyReachable))...)
	}
	records = append(records, row("overall", "", sum.Overall))
	for _, g := range sum.Services {
		records = append(records, row("service", g.Name, g.Figures))
	}
	for _, g := range sum.Teams {
		records = append(records, row("team", g.Name, g.Figures))
	}
	writeCSV(w, "summary", records)
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// statCells are a stat's median and p90, empty without one.
func statCells(s *report.Stat) []string {
	if s == nil {
		return []string{"", ""}
	}
	return []string{ftoa(s.MedianSeconds), ftoa(s.P90Seconds)}
}

// peopleReportJSON is the answer of GET /api/v1/reports/people.
type peopleReportJSON struct {
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	People []report.Person `json:"people"`
}

func (s *Server) reportPeople(w http.ResponseWriter, r *http.Request) {
	o, rows, asCSV, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	people := report.People(rows, o)
	if !asCSV {
		writeJSON(w, http.StatusOK, peopleReportJSON{From: o.From.UTC(), To: o.To.UTC(), People: people})
		return
	}
	records := [][]string{{"user", "tz", "pages", "out_of_hours", "out_of_hours_share", "nights_interrupted"}}
	for _, p := range people {
		records = append(records, []string{p.User, p.TZ, itoa(p.Pages), itoa(p.OutOfHours), ftoa(p.OutOfHoursShare),
			itoa(p.NightsInterrupted)})
	}
	writeCSV(w, "people", records)
}

func (s *Server) reportNoisy(w http.ResponseWriter, r *http.Request) {
	o, rows, asCSV, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	n := report.NoisiestOf(rows, o)
	if !asCSV {
		writeJSON(w, http.StatusOK, n)
		return
	}
	records := [][]string{{"kind", "name", "service", "incidents", "pages", "flaps", "firings"}}
	for _, c := range n.Checks {
		records = append(records, []string{"check", c.Name, c.Service, itoa(c.Incidents), itoa(c.Pages), itoa(c.Flaps), itoa(c.Firings)})
	}
	for _, a := range n.Alerts {
		records = append(records, []string{"alert", a.Name, a.Service, itoa(a.Incidents), itoa(a.Pages), itoa(a.Flaps), itoa(a.Firings)})
	}
	writeCSV(w, "noisy", records)
}

func (s *Server) reportChart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	metric, bucket := q.Get("metric"), q.Get("bucket")
	if metric == "" {
		metric = report.MetricIncidents
	}
	if bucket == "" {
		bucket = report.BucketDay
	}
	switch {
	case metric != report.MetricIncidents && metric != report.MetricMTTA && metric != report.MetricMTTR:
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "metric must be incidents, mtta or mttr, got %q", metric))
		return
	case bucket != report.BucketDay && bucket != report.BucketWeek:
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "bucket must be day or week, got %q", bucket))
		return
	}
	o, err := s.reportOptions(r)
	if err != nil {
		writeError(w, err)
		return
	}
	rows, err := s.DB.ReportRows(r.Context(), o.From, o.To)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(report.SVG(report.Series(rows, o, metric, bucket), metric, bucket, o.From, o.To))
}

package statuspage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"time"
)

//go:embed templates/page.html templates/page.css
var templateFS embed.FS

// RenderOptions are what the HTML page shows beyond its View: settings of
// the page, not of the moment.
type RenderOptions struct {
	// Subscribe shows the subscription form, posting to
	// /status/<slug>/subscribe.
	Subscribe bool
	// SubscribeMessage is a line shown above the form.
	SubscribeMessage string
}

// barDays is the length of every uptime bar: shorter histories are padded
// with days without data, so every bar has the same scale.
const barDays = 90

// historyDays is how many days of past incidents the page lists.
const historyDays = 14

var (
	pageTemplate = template.Must(template.New("page.html").ParseFS(templateFS, "templates/page.html"))
	pageCSS      = mustRead("templates/page.css")
	// styleHash allows exactly the page's own <style> element in its
	// Content-Security-Policy; nothing else may style or script it.
	styleHash = func() string {
		sum := sha256.Sum256([]byte(pageCSS))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}()
)

// contentSecurityPolicy is the policy the HTML page is served with: no
// scripts, no other origin, only its own style element.
var contentSecurityPolicy = "default-src 'none'; style-src " + styleHash +
	"; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}

// HTML renders the public page of v.
func HTML(v *View, opts RenderOptions) ([]byte, error) {
	p := newHTMLPage(v, opts)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render status page %s: %w", v.Page.Slug, err)
	}
	return buf.Bytes(), nil
}

// htmlPage is what the template reads: the View laid out for the page,
// with every time already in the page's zone.
type htmlPage struct {
	CSS         template.CSS
	Lang        string
	Title       string
	Description string
	Status      PageStatus
	Banner      string // CSS class of the status
	Base        string // /status/<slug>
	Rows        []htmlRow
	Unresolved  []htmlIncident
	Active      []htmlIncident
	Upcoming    []htmlIncident
	History     []htmlDay
	Updated     string
	Zone        string
	Subscribe   bool
	SubMessage  string
	SubChoices  []htmlRow
}

type htmlRow struct {
	ID          string
	Name        string
	Description string
	Status      string // CSS class: op, dg, po, mo, um
	StatusText  string
	Group       bool
	Members     []htmlRow
	Runs        []htmlRun
	Uptime      string // over the 90 days: "99.98% uptime", or "" without data
	Uptime30    string // the same over the last 30 days, which a phone shows
}

// htmlRun is a stretch of days of one uptime bar that look the same, drawn
// as one rectangle with one tooltip: it keeps 20 bars of 90 days small.
type htmlRun struct {
	X, W  int
	Class string
	Title string
}

type htmlIncident struct {
	Anchor     string
	Name       string
	Impact     string // CSS class
	StatusText string
	Window     string // maintenance: when it is scheduled
	Affected   string
	Updates    []htmlUpdate
}

type htmlUpdate struct {
	Status string
	Body   string
	At     string
}

type htmlDay struct {
	Date      string
	Incidents []htmlIncident
}

var statusClass = map[ComponentStatus]string{Operational: "op", DegradedPerformance: "dg",
	PartialOutage: "po", MajorOutage: "mo", UnderMaintenance: "um"}

var statusText = map[ComponentStatus]string{Operational: "Operational", DegradedPerformance: "Degraded Performance",
	PartialOutage: "Partial Outage", MajorOutage: "Major Outage", UnderMaintenance: "Under Maintenance"}

var indicatorClass = map[string]string{"none": "op", "minor": "dg", "major": "po", "critical": "mo", "maintenance": "um"}

var impactClass = map[Impact]string{ImpactNone: "nd", ImpactMinor: "dg", ImpactMajor: "po", ImpactCritical: "mo"}

var incidentText = map[IncidentStatus]string{Investigating: "Investigating", Identified: "Identified",
	Monitoring: "Monitoring", Resolved: "Resolved", Scheduled: "Scheduled", InProgress: "In progress",
	Verifying: "Verifying", Completed: "Completed", "postmortem": "Postmortem"}

func newHTMLPage(v *View, opts RenderOptions) *htmlPage {
	loc := v.Page.Location
	if loc == nil {
		loc = time.UTC
	}
	st := v.Status()
	p := &htmlPage{CSS: template.CSS(pageCSS), Lang: "en", Title: v.Page.Name, Description: v.Page.Description,
		Status: st, Banner: indicatorClass[st.Indicator], Base: "/status/" + v.Page.Slug, Zone: loc.String(),
		Updated:   fmtTime(v.Page.UpdatedAt, loc),
		Subscribe: opts.Subscribe, SubMessage: opts.SubscribeMessage}
	names := map[string]string{}
	for _, c := range v.Components {
		names[c.ID] = c.Name
	}
	// Rows: groups with their visible members, and lone components.
	index := map[string]int{} // group id -> 1 + its row
	for _, c := range v.Components {
		hidden := c.OnlyShowIfDegraded && c.Status == Operational
		switch {
		case c.Group:
			index[c.ID] = len(p.Rows) + 1
			p.Rows = append(p.Rows, htmlRow{ID: c.ID, Name: c.Name, Description: c.Description,
				Status: statusClass[c.Status], StatusText: statusText[c.Status], Group: true})
		case hidden:
		case c.GroupID != "" && index[c.GroupID] > 0:
			i := index[c.GroupID] - 1
			p.Rows[i].Members = append(p.Rows[i].Members, componentRow(&c, v.Now, loc))
		default:
			p.Rows = append(p.Rows, componentRow(&c, v.Now, loc))
		}
		if !c.Group {
			p.SubChoices = append(p.SubChoices, htmlRow{ID: c.ID, Name: c.Name})
		}
	}
	rows := p.Rows[:0]
	for _, r := range p.Rows {
		if !r.Group || len(r.Members) > 0 {
			rows = append(rows, r)
		}
	}
	p.Rows = rows

	for _, in := range newestFirst(v.Incidents) {
		if unresolved(in) {
			p.Unresolved = append(p.Unresolved, incidentView(in, names, loc))
		}
	}
	var next []*Incident
	for _, in := range newestFirst(v.Maintenances) {
		switch {
		case active(in):
			p.Active = append(p.Active, incidentView(in, names, loc))
		case upcoming(in):
			next = append(next, in)
		}
	}
	slices.SortStableFunc(next, func(a, b *Incident) int { return a.ScheduledFor.Compare(b.ScheduledFor) }) // soonest first
	for _, in := range next {
		p.Upcoming = append(p.Upcoming, incidentView(in, names, loc))
	}
	p.History = history(v, names, loc)
	// An incident shown above keeps its anchor there, not in the history.
	above := map[string]bool{}
	for _, list := range [][]htmlIncident{p.Unresolved, p.Active, p.Upcoming} {
		for _, in := range list {
			above[in.Anchor] = true
		}
	}
	for i := range p.History {
		for j := range p.History[i].Incidents {
			if above[p.History[i].Incidents[j].Anchor] {
				p.History[i].Incidents[j].Anchor = ""
			}
		}
	}
	return p
}

// history lists the last historyDays days, today first, with the incidents
// and finished maintenances that began on each.
func history(v *View, names map[string]string, loc *time.Location) []htmlDay {
	now := v.Now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	days := make([]htmlDay, historyDays)
	for i := range days {
		days[i].Date = today.AddDate(0, 0, -i).Format("Jan 2, 2006")
	}
	add := func(in *Incident, start time.Time) {
		s := start.In(loc)
		d := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
		for i := range days {
			if d.Equal(today.AddDate(0, 0, -i)) {
				days[i].Incidents = append(days[i].Incidents, incidentView(in, names, loc))
				return
			}
		}
	}
	for _, in := range newestFirst(v.Incidents) {
		add(in, in.CreatedAt)
	}
	for _, in := range newestFirst(v.Maintenances) {
		if in.Status == Completed {
			add(in, in.ScheduledFor)
		}
	}
	return days
}

func incidentView(in *Incident, names map[string]string, loc *time.Location) htmlIncident {
	h := htmlIncident{Anchor: anchor(in), Name: in.Name, StatusText: incidentText[in.Status], Impact: impactClass[in.Impact]}
	if h.Impact == "" {
		h.Impact = "nd"
	}
	if in.Maintenance {
		h.Impact = "um"
		h.Window = fmtTime(in.ScheduledFor, loc) + " – " + fmtTime(in.ScheduledUntil, loc)
	}
	var affected []string
	for _, id := range in.Components {
		if n, ok := names[id]; ok {
			affected = append(affected, n)
		}
	}
	h.Affected = strings.Join(affected, ", ")
	for _, u := range in.Updates {
		h.Updates = append(h.Updates, htmlUpdate{Status: incidentText[u.Status], Body: u.Body, At: fmtTime(displayAt(u), loc)})
	}
	return h
}

func componentRow(c *Component, now time.Time, loc *time.Location) htmlRow {
	r := htmlRow{ID: c.ID, Name: c.Name, Description: c.Description, Status: statusClass[c.Status], StatusText: statusText[c.Status]}
	if r.Status == "" {
		r.Status, r.StatusText = "nd", string(c.Status)
	}
	days := c.Uptime
	if len(days) > barDays {
		days = days[len(days)-barDays:]
	}
	pad := barDays - len(days)
	if pad > 0 {
		first := now.In(loc)
		if len(days) > 0 {
			first = days[0].Date.In(loc)
		}
		r.Runs = append(r.Runs, htmlRun{X: 0, W: pad, Class: "nd",
			Title: dayRange(first.AddDate(0, 0, -pad), first.AddDate(0, 0, -1)) + ": no data"})
	}
	first := len(r.Runs)
	var labels []string // each run's look, before its dates are added
	for i, d := range days {
		class, label := dayLook(d)
		if n := len(r.Runs); n > first && r.Runs[n-1].Class == class && labels[len(labels)-1] == label {
			r.Runs[n-1].W++
			continue
		}
		r.Runs = append(r.Runs, htmlRun{X: pad + i, W: 1, Class: class})
		labels = append(labels, label)
	}
	for i := range labels {
		run := &r.Runs[first+i]
		from, to := days[run.X-pad].Date.In(loc), days[run.X-pad+run.W-1].Date.In(loc)
		run.Title = dayRange(from, to) + ": " + labels[i]
	}
	r.Uptime, r.Uptime30 = uptime(days), uptime(days[max(0, len(days)-30):])
	return r
}

// uptime is the mean uptime of the days with data, as the bar's legend
// shows it.
func uptime(days []Day) string {
	var sum float64
	known := 0
	for _, d := range days {
		if d.Known {
			sum += d.UptimePercent
			known++
		}
	}
	if known == 0 {
		return "no data"
	}
	return percent(sum/float64(known)) + " uptime"
}

// dayLook is how one day of a bar looks: its colour and its tooltip text.
func dayLook(d Day) (class, label string) {
	if !d.Known {
		return "nd", "no data"
	}
	class = statusClass[d.Worst]
	if class == "" || (class == "op" && d.UptimePercent < 100) {
		class = "dg"
	}
	if d.Worst == UnderMaintenance {
		class = "um"
	}
	label = percent(d.UptimePercent) + " uptime"
	if d.Outage > 0 {
		label += ", down " + outage(d.Outage)
	} else if d.Worst != Operational && d.Worst != "" {
		label += ", " + strings.ToLower(statusText[d.Worst])
	}
	return class, label
}

func percent(p float64) string {
	p = math.Max(0, math.Min(100, p))
	if p == 100 {
		return "100%"
	}
	// Never round a bad day up to 100%.
	s := fmt.Sprintf("%.2f", math.Floor(p*100)/100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func outage(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "under a minute"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", m)
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

func dayRange(from, to time.Time) string {
	if from.Year() == to.Year() && from.YearDay() == to.YearDay() {
		return from.Format("Jan 2, 2006")
	}
	if from.Year() == to.Year() {
		return from.Format("Jan 2") + " – " + to.Format("Jan 2, 2006")
	}
	return from.Format("Jan 2, 2006") + " – " + to.Format("Jan 2, 2006")
}

// fmtTime shows t in the page's zone, with the zone's abbreviation.
func fmtTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Jan 2, 2006 15:04 MST")
}

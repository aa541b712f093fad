// Package report computes Tocsin's reliability reports over a time range:
// incidents, how fast they were acknowledged and resolved, who was paged
// and when in their own time zone, and which checks and alerts were the
// noisiest. Everything here is a pure function of the rows the store
// reads for the range (store.ReportRows); docs/reports.md defines each
// figure.
package report

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Working hours: a page is out of hours when it reaches a person, in the
// person's own zone, before WorkStart, at or after WorkEnd, or on a
// Saturday or Sunday. A night runs from NightStart to NightEnd the next
// morning.
const (
	WorkStart  = 9
	WorkEnd    = 18
	NightStart = 22
	NightEnd   = 7
)

// MaxRange is the longest range a report covers.
const MaxRange = 400 * 24 * time.Hour

// User is what the reports know of a person: their zone and how each of
// their contacts is described.
type User struct {
	Zone     *time.Location // nil: UTC
	Contacts []string       // by contact index: "email", "slack", ...
}

// UsersOf reads the zone (users[].tz, UTC if none) and the contacts of
// each configured user.
func UsersOf(users []config.User) map[string]User {
	out := make(map[string]User, len(users))
	for _, u := range users {
		ru := User{Zone: time.UTC}
		if loc, err := time.LoadLocation(u.TZ); err == nil && u.TZ != "" {
			ru.Zone = loc
		}
		for _, c := range u.Contacts {
			ru.Contacts = append(ru.Contacts, notify.Describe(c.Type, c.To))
		}
		out[u.Name] = ru
	}
	return out
}

// Options select what a report covers.
type Options struct {
	From, To time.Time // the range [From, To)
	Service  string    // "": every service
	Team     string    // "": every team
	Users    map[string]User
	Limit    int // entries of each noisy list; 0: 10
}

// Stat is the median and 90th percentile of durations, in seconds; nil
// when there is no duration to take them of.
type Stat struct {
	Count         int     `json:"count"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

// Figures are the summary figures of a group of incidents.
type Figures struct {
	Incidents       int   `json:"incidents"`        // opened in the range
	Acknowledged    int   `json:"acknowledged"`     // of those, acknowledged (MTTA counts these)
	Unacknowledged  int   `json:"unacknowledged"`   // never acknowledged
	Resolved        int   `json:"resolved"`         // resolved (MTTR counts these)
	Unresolved      int   `json:"unresolved"`       // still open
	MTTA            *Stat `json:"mtta"`             // acknowledged minus opened
	MTTR            *Stat `json:"mttr"`             // resolved minus opened
	Escalated       int   `json:"escalated"`        // opened in the range, escalation reached its second step or later
	Pages           int   `json:"pages"`            // people paged in the range
	NobodyReachable int   `json:"nobody_reachable"` // escalation.nobody_reachable events in the range
}

// Group is the figures of one service or team.
type Group struct {
	Name string `json:"name"`
	Figures
}

// Summary is the summary report.
type Summary struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Overall  Figures   `json:"overall"`
	Services []Group   `json:"services"`
	Teams    []Group   `json:"teams"`
}

// Page is one person paged for an incident at one time, through one or
// more of their contacts.
type Page struct {
	At         time.Time `json:"at"`
	Local      string    `json:"local"` // the time in the person's zone
	Incident   int64     `json:"incident"`
	Service    string    `json:"service"`
	Level      int       `json:"level"` // escalation level, from 1; 0: not known
	Round      int       `json:"round"`
	Contacts   []string  `json:"contacts"`
	OutOfHours bool      `json:"out_of_hours"`
	Night      string    `json:"night,omitempty"` // the date the interrupted night began, in the person's zone
}

// Person is the paging load of one person.
type Person struct {
	User              string  `json:"user"`
	TZ                string  `json:"tz"`
	Pages             int     `json:"pages"`
	OutOfHours        int     `json:"out_of_hours"`
	OutOfHoursShare   float64 `json:"out_of_hours_share"` // OutOfHours / Pages; 0 without pages
	NightsInterrupted int     `json:"nights_interrupted"`
	PageList          []Page  `json:"page_list"`
}

// Noisy is one check or alert with what it cost.
type Noisy struct {
	Name      string `json:"name"`
	Service   string `json:"service,omitempty"`
	Incidents int    `json:"incidents"` // opened in the range
	Pages     int    `json:"pages"`     // people and channels paged in the range for its incidents
	Flaps     int    `json:"flaps"`     // checks: times it began flapping; alerts: times it fired again after resolving
	Firings   int    `json:"firings,omitempty"`
}

// NoisyReport lists the noisiest checks and alerts, most pages first.
type NoisyReport struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Checks []Noisy   `json:"checks"`
	Alerts []Noisy   `json:"alerts"`
}

// data is the rows of a report, digested: incidents by id (filtered),
// and the person pages and channel pages of the range.
type data struct {
	opts      Options
	incidents map[int64]*tocsin.Incident
	order     []*tocsin.Incident // opened in the range, oldest first
	pages     []personPage
	channel   map[int64]int // incident -> channel pages
	rows      *store.ReportRows
}

type personPage struct {
	user string
	Page
}

func (o Options) selects(in *tocsin.Incident) bool {
	return (o.Service == "" || in.Service == o.Service) && (o.Team == "" || in.Team == o.Team)
}

func (o Options) opened(in *tocsin.Incident) bool {
	return !in.OpenedAt.Before(o.From) && in.OpenedAt.Before(o.To)
}

func digest(rows *store.ReportRows, o Options) *data {
	d := &data{opts: o, incidents: map[int64]*tocsin.Incident{}, channel: map[int64]int{}, rows: rows}
	for _, in := range rows.Incidents {
		if !o.selects(in) {
			continue
		}
		d.incidents[in.ID] = in
		if o.opened(in) {
			d.order = append(d.order, in)
		}
	}
	// The level of each person page, by idempotency key, from the
	// escalation.step entry written with it.
	type step struct{ level, round int }
	steps := map[string]step{}
	for _, e := range rows.Timeline {
		if e.Kind != tocsin.TimelineEscalation || len(e.Data) == 0 {
			continue
		}
		var v struct {
			Key   string `json:"idempotency_key"`
			Level int    `json:"level"`
			Round int    `json:"round"`
		}
		if json.Unmarshal(e.Data, &v) == nil && v.Key != "" {
			steps[v.Key] = step{v.Level, v.Round}
		}
	}
	// A person reached through several contacts at once is paged once.
	byKey := map[string]int{}
	for _, n := range rows.Pages {
		in := d.incidents[n.IncidentID]
		if in == nil {
			continue
		}
		user, i, ok := contactOf(n.Channel)
		if !ok {
			d.channel[n.IncidentID]++
			continue
		}
		contact := n.Channel
		if u, ok := o.Users[user]; ok && i < len(u.Contacts) {
			contact = u.Contacts[i]
		}
		k := strconv.FormatInt(n.IncidentID, 10) + "|" + user + "|" + strconv.FormatInt(n.CreatedAt.UnixMilli(), 10)
		if j, ok := byKey[k]; ok {
			d.pages[j].Contacts = append(d.pages[j].Contacts, contact)
			continue
		}
		s := steps[n.IdempotencyKey]
		loc := o.zone(user)
		local := n.CreatedAt.In(loc)
		p := personPage{user: user, Page: Page{At: n.CreatedAt.UTC(), Local: local.Format(time.RFC3339), Incident: n.IncidentID,
			Service: in.Service, Level: s.level, Round: s.round, Contacts: []string{contact}, OutOfHours: OutOfHours(local),
			Night: Night(local)}}
		byKey[k] = len(d.pages)
		d.pages = append(d.pages, p)
	}
	return d
}

// contactOf parses a contact channel, "contact:<user>:<index>".
func contactOf(channel string) (user string, i int, ok bool) {
	rest, ok := strings.CutPrefix(channel, "contact:")
	if !ok {
		return "", 0, false
	}
	j := strings.LastIndexByte(rest, ':')
	if j < 0 {
		return "", 0, false
	}
	i, err := strconv.Atoi(rest[j+1:])
	return rest[:j], i, err == nil && i >= 0
}

func (o Options) zone(user string) *time.Location {
	if u, ok := o.Users[user]; ok && u.Zone != nil {
		return u.Zone
	}
	return time.UTC
}

// OutOfHours reports whether local (a time in a person's zone) is outside
// working hours: before 09:00, at or after 18:00, or on a weekend.
func OutOfHours(local time.Time) bool {
	switch local.Weekday() {
	case time.Saturday, time.Sunday:
		return true
	}
	h := local.Hour()
	return h < WorkStart || h >= WorkEnd
}

// Night returns the date (YYYY-MM-DD) of the night local falls in, or ""
// if it is not at night: 22:00 to midnight belongs to that day's night,
// midnight to 07:00 to the night that began the day before.
func Night(local time.Time) string {
	switch h := local.Hour(); {
	case h >= NightStart:
		return local.Format(time.DateOnly)
	case h < NightEnd:
		y, m, d := local.Date()
		return time.Date(y, m, d-1, 12, 0, 0, 0, local.Location()).Format(time.DateOnly)
	}
	return ""
}

// Stats returns the median and 90th percentile of ds, nil if ds is
// empty. The median of an even count is the mean of the two middle
// values; the 90th percentile is the nearest rank: the smallest value
// at least 90% of the values are at or below.
func Stats(ds []time.Duration) *Stat {
	if len(ds) == 0 {
		return nil
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	med := s[n/2].Seconds()
	if n%2 == 0 {
		med = (s[n/2-1].Seconds() + s[n/2].Seconds()) / 2
	}
	rank := int(math.Ceil(0.9 * float64(n)))
	return &Stat{Count: n, MedianSeconds: med, P90Seconds: s[rank-1].Seconds()}
}

// figures computes the figures of the incidents keep selects.
func (d *data) figures(keep func(*tocsin.Incident) bool) Figures {
	var f Figures
	var ack, res []time.Duration
	for _, in := range d.order {
		if !keep(in) {
			continue
		}
		f.Incidents++
		if in.AckedAt.IsZero() {
			f.Unacknowledged++
		} else {
			f.Acknowledged++
			ack = append(ack, in.AckedAt.Sub(in.OpenedAt))
		}
		if in.ResolvedAt.IsZero() {
			f.Unresolved++
		} else {
			f.Resolved++
			res = append(res, in.ResolvedAt.Sub(in.OpenedAt))
		}
		if in.EscalationStep >= 2 {
			f.Escalated++
		}
	}
	f.MTTA, f.MTTR = Stats(ack), Stats(res)
	for _, p := range d.pages {
		if keep(d.incidents[p.Incident]) {
			f.Pages++
		}
	}
	for _, e := range d.rows.Timeline {
		if in := d.incidents[e.IncidentID]; e.Kind == tocsin.TimelineNobodyReachable && in != nil && keep(in) {
			f.NobodyReachable++
		}
	}
	return f
}

// Summarize computes the summary report: overall, per service and per
// team (incidents of no service or no team are under the name "").
func Summarize(rows *store.ReportRows, o Options) Summary {
	d := digest(rows, o)
	s := Summary{From: o.From.UTC(), To: o.To.UTC(), Overall: d.figures(func(*tocsin.Incident) bool { return true }),
		Services: []Group{}, Teams: []Group{}}
	services, teams := map[string]bool{}, map[string]bool{}
	for _, in := range d.incidents {
		services[in.Service], teams[in.Team] = true, true
	}
	for _, name := range sorted(services) {
		s.Services = append(s.Services, Group{name, d.figures(func(in *tocsin.Incident) bool { return in.Service == name })})
	}
	for _, name := range sorted(teams) {
		s.Teams = append(s.Teams, Group{name, d.figures(func(in *tocsin.Incident) bool { return in.Team == name })})
	}
	return s
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// People computes the paging load of each person paged in the range,
// most pages first (then by name).
func People(rows *store.ReportRows, o Options) []Person {
	d := digest(rows, o)
	by := map[string]*Person{}
	nights := map[string]map[string]bool{}
	for _, p := range d.pages {
		pp := by[p.user]
		if pp == nil {
			pp = &Person{User: p.user, TZ: o.zone(p.user).String()}
			by[p.user], nights[p.user] = pp, map[string]bool{}
		}
		pp.Pages++
		if p.OutOfHours {
			pp.OutOfHours++
		}
		if p.Night != "" {
			nights[p.user][p.Night] = true
		}
		pp.PageList = append(pp.PageList, p.Page)
	}
	out := make([]Person, 0, len(by))
	for user, p := range by {
		p.OutOfHoursShare = float64(p.OutOfHours) / float64(p.Pages)
		p.NightsInterrupted = len(nights[user])
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pages != out[j].Pages {
			return out[i].Pages > out[j].Pages
		}
		return out[i].User < out[j].User
	})
	return out
}

// NoisiestOf computes the noisiest checks and alerts: most pages first,
// then most flaps, then most incidents, then by name; at most o.Limit of
// each.
func NoisiestOf(rows *store.ReportRows, o Options) NoisyReport {
	d := digest(rows, o)
	limit := o.Limit
	if limit <= 0 {
		limit = 10
	}
	pagesOf := map[int64]int{}
	for _, p := range d.pages {
		pagesOf[p.Incident]++
	}
	for id, n := range d.channel {
		pagesOf[id] += n
	}
	checks := map[int64]*Noisy{}
	check := func(id int64) *Noisy {
		if checks[id] == nil {
			name := rows.Checks[id]
			if name == "" {
				name = "check #" + strconv.FormatInt(id, 10)
			}
			checks[id] = &Noisy{Name: name}
		}
		return checks[id]
	}
	for _, in := range d.incidents {
		if in.CheckID == 0 {
			continue
		}
		c := check(in.CheckID)
		if o.opened(in) {
			c.Incidents++
		}
		c.Pages += pagesOf[in.ID]
	}
	type alertID struct {
		id      int64
		service string
	}
	alerts := map[alertID]*Noisy{}
	alertIncidents := map[alertID]map[int64]bool{}
	resolved := map[int64]bool{}
	for _, e := range rows.Timeline {
		in := d.incidents[e.IncidentID]
		if in == nil {
			continue
		}
		switch e.Kind {
		case tocsin.TimelineFlapping:
			// Only the entry that says a check began flapping names its window.
			var v struct {
				Window string `json:"window"`
			}
			if in.CheckID != 0 && json.Unmarshal(e.Data, &v) == nil && v.Window != "" {
				check(in.CheckID).Flaps++
			}
		case tocsin.TimelineOpened, tocsin.TimelineAlertFiring:
			for _, a := range alertsOf(e.Data) {
				k := alertID{a.ID, in.Service}
				n := alerts[k]
				if n == nil {
					n = &Noisy{Name: a.name(), Service: in.Service}
					alerts[k], alertIncidents[k] = n, map[int64]bool{}
				}
				n.Firings++
				if resolved[a.ID] {
					n.Flaps++
					resolved[a.ID] = false
				}
				alertIncidents[k][in.ID] = true
			}
		case tocsin.TimelineAlertResolved:
			for _, a := range alertsOf(e.Data) {
				resolved[a.ID] = true
			}
		}
	}
	for k, n := range alerts {
		for id := range alertIncidents[k] {
			in := d.incidents[id]
			if o.opened(in) {
				n.Incidents++
			}
			n.Pages += pagesOf[id]
		}
	}
	r := NoisyReport{From: o.From.UTC(), To: o.To.UTC(), Checks: rank(checks, limit), Alerts: rank(alerts, limit)}
	return r
}

func rank[K comparable](m map[K]*Noisy, limit int) []Noisy {
	out := make([]Noisy, 0, len(m))
	for _, n := range m {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Pages != b.Pages:
			return a.Pages > b.Pages
		case a.Flaps != b.Flaps:
			return a.Flaps > b.Flaps
		case a.Incidents != b.Incidents:
			return a.Incidents > b.Incidents
		case a.Name != b.Name:
			return a.Name < b.Name
		}
		return a.Service < b.Service
	})
	return out[:min(len(out), limit)]
}

type alertRef struct {
	ID     int64             `json:"alert_id"`
	Key    string            `json:"key"`
	Labels map[string]string `json:"labels"`
}

func (a alertRef) name() string {
	if n := a.Labels["alertname"]; n != "" {
		return n
	}
	return a.Key
}

// alertsOf reads the alerts an alert.firing or incident.opened entry
// names: one alert, or a list of those that joined together.
func alertsOf(raw json.RawMessage) []alertRef {
	if len(raw) == 0 {
		return nil
	}
	var v struct {
		alertRef
		Alerts []alertRef `json:"alerts"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	if v.ID != 0 {
		return []alertRef{v.alertRef}
	}
	var out []alertRef
	for _, a := range v.Alerts {
		if a.ID != 0 {
			out = append(out, a)
		}
	}
	return out
}

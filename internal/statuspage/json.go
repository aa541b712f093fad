package statuspage

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The JSON documents of Statuspage's public API (v2), by their path under
// api/v2/.
const (
	DocSummary      = "summary.json"
	DocStatus       = "status.json"
	DocComponents   = "components.json"
	DocIncidents    = "incidents.json"
	DocUnresolved   = "incidents/unresolved.json"
	DocMaintenances = "scheduled-maintenances.json"
	DocUpcoming     = "scheduled-maintenances/upcoming.json"
	DocActive       = "scheduled-maintenances/active.json"
)

// JSONDocuments lists every JSON document a page serves.
var JSONDocuments = []string{DocSummary, DocStatus, DocComponents, DocIncidents, DocUnresolved,
	DocMaintenances, DocUpcoming, DocActive}

// recentLimit is how many incidents or maintenances the full lists hold,
// as Statuspage's do.
const recentLimit = 50

// JSON renders the document named doc (one of JSONDocuments) from v, in
// the shape Statuspage's public API documents: ids as strings, times in
// ISO 8601 in UTC, null where Statuspage has null.
func JSON(v *View, doc string) ([]byte, error) {
	b := jsonBuilder{v: v}
	page := b.page()
	var out any
	switch doc {
	case DocSummary:
		out = struct {
			Page                  jsonPage          `json:"page"`
			Status                PageStatus        `json:"status"`
			Components            []jsonComponent   `json:"components"`
			Incidents             []jsonIncident    `json:"incidents"`
			ScheduledMaintenances []jsonMaintenance `json:"scheduled_maintenances"`
		}{page, b.status(), b.components(), b.incidents(unresolved, 0),
			b.maintenances(func(i *Incident) bool { return upcoming(i) || active(i) }, 0)}
	case DocStatus:
		out = struct {
			Page   jsonPage   `json:"page"`
			Status PageStatus `json:"status"`
		}{page, b.status()}
	case DocComponents:
		out = struct {
			Page       jsonPage        `json:"page"`
			Components []jsonComponent `json:"components"`
		}{page, b.components()}
	case DocIncidents, DocUnresolved:
		keep, limit := func(*Incident) bool { return true }, recentLimit
		if doc == DocUnresolved {
			keep, limit = unresolved, 0
		}
		out = struct {
			Page      jsonPage       `json:"page"`
			Incidents []jsonIncident `json:"incidents"`
		}{page, b.incidents(keep, limit)}
	case DocMaintenances, DocUpcoming, DocActive:
		keep, limit := func(*Incident) bool { return true }, recentLimit
		switch doc {
		case DocUpcoming:
			keep, limit = upcoming, 0
		case DocActive:
			keep, limit = active, 0
		}
		out = struct {
			Page                  jsonPage          `json:"page"`
			ScheduledMaintenances []jsonMaintenance `json:"scheduled_maintenances"`
		}{page, b.maintenances(keep, limit)}
	default:
		return nil, fmt.Errorf("unknown status page document %q", doc)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", doc, err)
	}
	return data, nil
}

func unresolved(i *Incident) bool { return i.Status != Resolved && i.Status != "postmortem" }
func upcoming(i *Incident) bool   { return i.Status == Scheduled }
func active(i *Incident) bool     { return i.Status == InProgress || i.Status == Verifying }

type jsonPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

type jsonComponent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	CreatedAt          string    `json:"created_at"`
	UpdatedAt          string    `json:"updated_at"`
	Position           int       `json:"position"`
	Description        *string   `json:"description"`
	Showcase           bool      `json:"showcase"`
	StartDate          *string   `json:"start_date"`
	GroupID            *string   `json:"group_id"`
	PageID             string    `json:"page_id"`
	Group              bool      `json:"group"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
	Components         *[]string `json:"components,omitempty"` // a group's members; absent for others
}

type jsonIncident struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	Impact       string          `json:"impact"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
	MonitoringAt *string         `json:"monitoring_at"`
	ResolvedAt   *string         `json:"resolved_at"`
	Shortlink    string          `json:"shortlink"`
	PageID       string          `json:"page_id"`
	Updates      []jsonUpdate    `json:"incident_updates"`
	Components   []jsonComponent `json:"components"` // those affected
}

type jsonMaintenance struct {
	jsonIncident
	ScheduledFor   string `json:"scheduled_for"`
	ScheduledUntil string `json:"scheduled_until"`
}

type jsonUpdate struct {
	ID                 string          `json:"id"`
	IncidentID         string          `json:"incident_id"`
	Status             string          `json:"status"`
	Body               string          `json:"body"`
	CreatedAt          string          `json:"created_at"`
	UpdatedAt          string          `json:"updated_at"`
	DisplayAt          string          `json:"display_at"`
	AffectedComponents *[]jsonAffected `json:"affected_components"`
}

type jsonAffected struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// jsonBuilder turns one View into the objects of the documents.
type jsonBuilder struct {
	v    *View
	byID map[string]*Component
}

func (b *jsonBuilder) page() jsonPage {
	p := b.v.Page
	return jsonPage{ID: p.ID, Name: p.Name, URL: p.URL, TimeZone: zoneName(p.Location), UpdatedAt: isoTime(p.UpdatedAt)}
}

func (b *jsonBuilder) status() PageStatus { return b.v.Status() }

func (b *jsonBuilder) component(c *Component) jsonComponent {
	j := jsonComponent{ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: isoTime(c.CreatedAt),
		UpdatedAt: isoTime(c.UpdatedAt), Position: c.Position, Description: nullString(c.Description),
		Showcase: !c.Group, GroupID: nullString(c.GroupID), PageID: b.v.Page.ID, Group: c.Group,
		OnlyShowIfDegraded: c.OnlyShowIfDegraded}
	if c.Group {
		members := append([]string{}, c.Members...)
		j.Components = &members
	}
	return j
}

func (b *jsonBuilder) components() []jsonComponent {
	out := make([]jsonComponent, 0, len(b.v.Components))
	for i := range b.v.Components {
		out = append(out, b.component(&b.v.Components[i]))
	}
	return out
}

func (b *jsonBuilder) lookup(id string) *Component {
	if b.byID == nil {
		b.byID = make(map[string]*Component, len(b.v.Components))
		for i := range b.v.Components {
			b.byID[b.v.Components[i].ID] = &b.v.Components[i]
		}
	}
	return b.byID[id]
}

func (b *jsonBuilder) incident(in *Incident) jsonIncident {
	j := jsonIncident{ID: in.ID, Name: in.Name, Status: string(in.Status), Impact: string(in.Impact),
		CreatedAt: isoTime(in.CreatedAt), UpdatedAt: isoTime(in.UpdatedAt),
		MonitoringAt: nullTime(in.MonitoringAt), ResolvedAt: nullTime(in.ResolvedAt),
		Shortlink: b.v.Page.URL + "#" + anchor(in), PageID: b.v.Page.ID,
		Updates: make([]jsonUpdate, 0, len(in.Updates)), Components: []jsonComponent{}}
	if j.Impact == "" {
		j.Impact = string(ImpactNone)
	}
	for _, u := range in.Updates {
		ju := jsonUpdate{ID: u.ID, IncidentID: in.ID, Status: string(u.Status), Body: u.Body,
			CreatedAt: isoTime(u.CreatedAt), UpdatedAt: isoTime(u.CreatedAt), DisplayAt: isoTime(displayAt(u))}
		if u.Components != nil {
			affected := []jsonAffected{}
			for _, id := range u.Components {
				if c := b.lookup(id); c != nil {
					affected = append(affected, jsonAffected{Code: c.ID, Name: c.Name})
				}
			}
			ju.AffectedComponents = &affected
		}
		j.Updates = append(j.Updates, ju)
	}
	for _, id := range in.Components {
		if c := b.lookup(id); c != nil {
			j.Components = append(j.Components, b.component(c))
		}
	}
	return j
}

// incidents returns the incidents keep accepts, newest first, at most
// limit of them (0: all).
func (b *jsonBuilder) incidents(keep func(*Incident) bool, limit int) []jsonIncident {
	out := []jsonIncident{}
	for _, in := range newestFirst(b.v.Incidents) {
		if keep(in) && (limit == 0 || len(out) < limit) {
			out = append(out, b.incident(in))
		}
	}
	return out
}

func (b *jsonBuilder) maintenances(keep func(*Incident) bool, limit int) []jsonMaintenance {
	out := []jsonMaintenance{}
	for _, in := range newestFirst(b.v.Maintenances) {
		if keep(in) && (limit == 0 || len(out) < limit) {
			out = append(out, jsonMaintenance{jsonIncident: b.incident(in),
				ScheduledFor: isoTime(in.ScheduledFor), ScheduledUntil: isoTime(in.ScheduledUntil)})
		}
	}
	return out
}

// newestFirst orders incidents by creation, newest first, without
// touching the View (which several renderings may read at once).
func newestFirst(ins []Incident) []*Incident {
	out := make([]*Incident, len(ins))
	for i := range ins {
		out[i] = &ins[i]
	}
	slices.SortStableFunc(out, func(a, b *Incident) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out
}

// displayAt is when an update is shown as posted: its DisplayAt, or when
// it was written.
func displayAt(u Update) time.Time {
	if u.DisplayAt.IsZero() {
		return u.CreatedAt
	}
	return u.DisplayAt
}

// anchor is an incident's fragment id on the HTML page.
func anchor(in *Incident) string {
	if in.Maintenance {
		return "maintenance-" + in.ID
	}
	return "incident-" + in.ID
}

func zoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	return loc.String()
}

// isoTime formats t in UTC with milliseconds, as Statuspage does.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func nullTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := isoTime(t)
	return &s
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

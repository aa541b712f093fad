package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// How many incidents the list shows.
const (
	listPage    = 50  // a page of the list; older ones are a link away
	listOpenMax = 100 // open incidents above the resolved ones of "all"
)

// listStatuses are the choices of the list's status filter.
var listStatuses = []string{"all", "open", "triggered", "acknowledged", "resolved"}

// incidentListView is the incident list's data.
type incidentListView struct {
	Filter     incidentFilter
	Statuses   []string
	Services   []string
	Teams      []string
	Checks     []*tocsin.Check
	Priorities []string
	// Sections are the incidents matching the filter: the open ones first,
	// then (for "all") the resolved ones, each newest first.
	Sections []listSection
	Older    string // the URL of the next page; "" if none
	Newest   string // the URL of the first page, on a later one; "" on the first
	PageSize int
	OpenMax  int // the most open incidents shown above the others
}

// listSection is a table of the list.
type listSection struct {
	Heading string
	Rows    []incidentRow
	More    string // the URL of the whole section when the table shows only part
	Zone    *time.Location
	Now     time.Time
}

// incidentFilter is what the list's form asks for.
type incidentFilter struct {
	Status, Service, Team, Priority, Check string
	Before                                 int64
}

// query is the filter as a query string, with before.
func (f incidentFilter) query(before int64) string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "service": f.Service, "team": f.Team, "priority": f.Priority, "check": f.Check} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	return q.Encode()
}

// incidentRow is one incident of the list, with its check's name.
type incidentRow struct {
	*tocsin.Incident
	Check *tocsin.Check // nil for alert incidents
}

// incidentList lists incidents, open ones first, filtered by status,
// service, team, priority and check, a bounded page at a time: three store
// reads whatever the number of rows.
func (u *UI) incidentList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := incidentFilter{Status: q.Get("status"), Service: q.Get("service"), Team: q.Get("team"),
		Priority: q.Get("priority"), Check: q.Get("check")}
	if f.Status == "" {
		f.Status = "all"
	}
	if !slices.Contains(listStatuses, f.Status) {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "status must be one of all, open, triggered, acknowledged or resolved"))
		return
	}
	if f.Priority != "" && !slices.Contains([]string{tocsin.P1, tocsin.P2, tocsin.P3, tocsin.P4}, f.Priority) {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "priority must be P1, P2, P3 or P4"))
		return
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "before must be an incident number"))
			return
		}
		f.Before = n
	}
	ctx := r.Context()
	checks, err := u.srv.DB.Checks(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	byID := make(map[int64]*tocsin.Check, len(checks))
	sf := store.IncidentFilter{Service: f.Service, Team: f.Team, Priority: f.Priority}
	for _, c := range checks {
		byID[c.ID] = c
		if f.Check != "" && (c.UUID == f.Check || c.Slug == f.Check) {
			sf.CheckID = c.ID
		}
	}
	if f.Check != "" && sf.CheckID == 0 {
		u.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "no such check: %q", f.Check))
		return
	}
	v := incidentListView{Filter: f, Statuses: listStatuses, Checks: checks, PageSize: listPage, OpenMax: listOpenMax,
		Priorities: []string{tocsin.P1, tocsin.P2, tocsin.P3, tocsin.P4}}
	if f.Before > 0 {
		v.Newest = "/incidents?" + f.query(0)
	}
	if cfg := u.srv.Snapshots.Load().Config; cfg != nil {
		for _, s := range cfg.Services {
			v.Services = append(v.Services, s.Name)
		}
		for _, t := range cfg.Teams {
			v.Teams = append(v.Teams, t.Name)
		}
	}
	list := func(status tocsin.IncidentStatus, open bool, before int64, limit int) ([]incidentRow, error) {
		g := sf
		g.Status, g.Open, g.BeforeID, g.Limit = status, open, before, limit
		found, err := u.srv.DB.Incidents(ctx, g)
		rows := make([]incidentRow, 0, len(found))
		for _, in := range found {
			rows = append(rows, incidentRow{Incident: in, Check: byID[in.CheckID]})
		}
		return rows, err
	}
	p, _ := auth.PrincipalFrom(ctx)
	section := func(heading string, rows []incidentRow) *listSection {
		v.Sections = append(v.Sections, listSection{Heading: heading, Rows: rows, Zone: u.zoneOf(p), Now: u.srv.Clock.Now()})
		return &v.Sections[len(v.Sections)-1]
	}
	var paged []incidentRow // the section the older link continues
	switch f.Status {
	case "all":
		if f.Before == 0 {
			open, err := list("", true, 0, listOpenMax)
			if err != nil {
				u.fail(w, r, err)
				return
			}
			if sec := section("Open", open); len(open) == listOpenMax {
				g := f
				g.Status = "open"
				sec.More = "/incidents?" + g.query(0)
			}
		}
		paged, err = list(tocsin.IncidentResolved, false, f.Before, listPage)
		section("Resolved", paged)
	case "open":
		paged, err = list("", true, f.Before, listPage)
		section("Open", paged)
	default:
		status := tocsin.IncidentStatus(f.Status)
		paged, err = list(status, false, f.Before, listPage)
		section(strings.ToUpper(f.Status[:1])+f.Status[1:], paged)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(paged) == listPage {
		v.Older = "/incidents?" + f.query(paged[len(paged)-1].ID)
	}
	u.render(w, r, "incidents", "Incidents", "incidents", v)
}

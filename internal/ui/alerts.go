package ui

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The bounds of the alerts page.
const (
	alertsShown       = 500            // the newest unresolved alerts shown
	expiredShownFor   = 24 * time.Hour // how long an ended silence stays listed (the page says "24 hours")
	expiredShown      = 20             // at most this many ended silences
	maintenancesShown = 20             // open maintenances per status page
)

func (u *UI) alertsRoutes() []auth.Route {
	return []auth.Route{
		page("GET /alerts", auth.Viewer, u.alertsPage),
		page("GET /silences/new", auth.Responder, u.newSilencePage),
		page("POST /silences", auth.Responder, u.createSilence),
		page("POST /silences/{id}/expire", auth.Responder, u.expireSilence),
	}
}

// alertsView is the alerts page's data.
type alertsView struct {
	Services     []alertGroup
	Count        int
	Limit        int
	Truncated    bool // more unresolved alerts than Limit
	Active       []*silenceRow
	Pending      []*silenceRow // starting later, or between the windows of a recurring silence
	Expired      []*silenceRow
	ActiveList   silenceList
	PendingList  silenceList
	ExpiredList  silenceList
	Maintenances []maintenanceRow
	StatusPages  int
	silenceByID  map[int64]*silenceRow
}

// alertGroup is the unresolved alerts of one service.
type alertGroup struct {
	Service string // empty: alerts routed to no service
	Alerts  []alertRow
}

// alertRow is an alert as the page shows it.
type alertRow struct {
	*tocsin.AlertRecord
	Name        string
	Pairs       []string    // its labels, name="value", sorted
	Silence     *silenceRow // the silence holding it, if listed
	InhibitedBy string      // the name of the alert inhibiting it, if listed
}

// silenceList is a list of silences with what its template needs of
// the page (a template called with it sees only it).
type silenceList struct {
	Rows      []*silenceRow
	Zone      *time.Location
	Now       time.Time
	CSRF      string
	Responder bool
}

// silenceRow is a silence as the page shows it.
type silenceRow struct {
	*alerting.Silence
	State   string    // active, pending or expired
	Ended   time.Time // when an expired silence ended
	Holding int       // unresolved alerts it holds now
}

// maintenanceRow is a status page's scheduled maintenance.
type maintenanceRow struct {
	Page       string // title
	Slug       string
	Components []string // names
	store.StatusIncident
}

// alertsPage shows the unresolved alerts by service, the silences and the
// maintenance windows: a bounded number of queries whatever the number of
// alerts (the alerts, two of silences, one per status page).
func (u *UI) alertsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := u.srv.Clock.Now()
	alerts, err := u.srv.DB.UnresolvedAlerts(ctx, alertsShown+1)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	v := alertsView{Limit: alertsShown, silenceByID: map[int64]*silenceRow{}}
	if len(alerts) > alertsShown {
		alerts, v.Truncated = alerts[:alertsShown], true
	}
	v.Count = len(alerts)
	if err := u.listSilences(r, now, alerts, &v); err != nil {
		u.fail(w, r, err)
		return
	}
	if err := u.listMaintenances(r, now, &v); err != nil {
		u.fail(w, r, err)
		return
	}
	byID := make(map[int64]*tocsin.AlertRecord, len(alerts))
	for _, a := range alerts {
		byID[a.ID] = a
	}
	groups := map[string]*alertGroup{}
	for _, a := range alerts {
		row := alertRow{AlertRecord: a, Name: alertName(a), Pairs: labelPairs(a.Labels)}
		switch a.Suppressed {
		case tocsin.SuppressedSilence:
			row.Silence = v.silenceByID[a.SuppressorID]
		case tocsin.SuppressedInhibit:
			if by := byID[a.SuppressorID]; by != nil {
				row.InhibitedBy = alertName(by)
			}
		}
		g := groups[a.Service]
		if g == nil {
			g = &alertGroup{Service: a.Service}
			groups[a.Service] = g
		}
		g.Alerts = append(g.Alerts, row)
	}
	for _, g := range groups {
		v.Services = append(v.Services, *g)
	}
	// Services by name, the alerts of no service last.
	slices.SortFunc(v.Services, func(a, b alertGroup) int {
		if (a.Service == "") != (b.Service == "") {
			if a.Service == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.Service, b.Service)
	})
	p := principalOf(r)
	list := silenceList{Zone: u.zoneOf(p), Now: now, CSRF: p.CSRFToken, Responder: p.Role.Allows(auth.Responder)}
	v.ActiveList, v.PendingList, v.ExpiredList = list, list, list
	v.ActiveList.Rows, v.PendingList.Rows, v.ExpiredList.Rows = v.Active, v.Pending, v.Expired
	u.render(w, r, "alerts", "Alerts", "alerts", v)
}

// listSilences sorts the silences in force, those to come and those ended
// lately, and counts the listed alerts each holds.
func (u *UI) listSilences(r *http.Request, now time.Time, alerts []*tocsin.AlertRecord, v *alertsView) error {
	live, err := u.srv.DB.Silences(r.Context(), now, false)
	if err != nil {
		return err
	}
	recent, err := u.srv.DB.Silences(r.Context(), now, true)
	if err != nil {
		return err
	}
	compile := func(sl *tocsin.Silence) *alerting.Silence {
		c, err := alerting.CompileSilence(sl)
		if err != nil {
			return &alerting.Silence{Silence: sl} // shown as stored; the log says why it is ignored
		}
		return c
	}
	for _, sl := range live {
		row := &silenceRow{Silence: compile(sl), State: "active"}
		if !row.ActiveAt(now) {
			row.State = "pending"
			v.Pending = append(v.Pending, row)
		} else {
			v.Active = append(v.Active, row)
		}
		v.silenceByID[sl.ID] = row
	}
	for _, sl := range recent {
		if v.silenceByID[sl.ID] != nil || len(v.Expired) == expiredShown {
			continue
		}
		ended := sl.EndsAt
		if !sl.ExpiredAt.IsZero() && (ended.IsZero() || sl.ExpiredAt.Before(ended)) {
			ended = sl.ExpiredAt
		}
		if ended.IsZero() || ended.After(now) || now.Sub(ended) > expiredShownFor {
			continue
		}
		row := &silenceRow{Silence: compile(sl), State: "expired", Ended: ended}
		v.Expired = append(v.Expired, row)
		v.silenceByID[sl.ID] = row
	}
	for _, a := range alerts {
		if a.Suppressed == tocsin.SuppressedSilence {
			if row := v.silenceByID[a.SuppressorID]; row != nil {
				row.Holding++
			}
		}
	}
	// Those to come in the order they start.
	slices.SortStableFunc(v.Pending, func(a, b *silenceRow) int { return a.StartsAt.Compare(b.StartsAt) })
	return nil
}

// listMaintenances reads the open scheduled maintenance of every status
// page of the running config, soonest first.
func (u *UI) listMaintenances(r *http.Request, now time.Time, v *alertsView) error {
	cfg := u.srv.Snapshots.Load().Config
	if cfg == nil {
		return nil
	}
	v.StatusPages = len(cfg.StatusPages)
	for i := range cfg.StatusPages {
		p := &cfg.StatusPages[i]
		list, err := u.srv.DB.StatusIncidents(r.Context(), p.Slug, store.StatusKindMaintenance, now, maintenancesShown)
		if err != nil {
			return err
		}
		names := componentNames(p)
		for _, m := range list {
			if !m.ResolvedAt.IsZero() {
				continue
			}
			row := maintenanceRow{Page: p.Title, Slug: p.Slug, StatusIncident: m}
			for _, id := range m.Components {
				row.Components = append(row.Components, cmp.Or(names[id], id))
			}
			v.Maintenances = append(v.Maintenances, row)
		}
	}
	slices.SortStableFunc(v.Maintenances, func(a, b maintenanceRow) int { return a.ScheduledFor.Compare(b.ScheduledFor) })
	return nil
}

// componentNames maps the public ids of a page's components and groups
// to their names.
func componentNames(p *config.StatusPage) map[string]string {
	out := map[string]string{}
	for i := range p.Components {
		c := &p.Components[i]
		out[c.PublicID(p.Slug)] = c.DisplayName()
		for j := range c.Components {
			m := &c.Components[j]
			out[m.PublicID(p.Slug)] = m.DisplayName()
		}
	}
	return out
}

// alertName is what an alert is called: its alertname label, else its
// summary, else its key.
func alertName(a *tocsin.AlertRecord) string {
	return cmp.Or(a.Labels["alertname"], a.Summary, a.Key)
}

// labelPairs writes labels as name="value", sorted by name.
func labelPairs(labels map[string]string) []string {
	out := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		out = append(out, k+"="+strconv.Quote(labels[k]))
	}
	return out
}

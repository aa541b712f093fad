package ui

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

func (u *UI) incidentRoutes() []auth.Route {
	return []auth.Route{
		page("GET /incidents", auth.Viewer, u.incidentList),
		page("GET /incidents/{id}", auth.Viewer, u.incidentPage),
		page("GET /incidents/{id}/events", auth.Viewer, u.incidentEvents),
		page("POST /incidents/{id}/acknowledge", auth.Responder, u.changeIncident(web.IncidentAcknowledge, "acknowledged")),
		page("POST /incidents/{id}/resolve", auth.Responder, u.changeIncident(web.IncidentResolve, "resolved")),
		page("POST /incidents/{id}/escalate", auth.Responder, u.escalateIncident),
		page("POST /incidents/{id}/reassign", auth.Responder, u.reassignIncident),
		page("POST /incidents/{id}/notes", auth.Responder, u.noteIncident),
	}
}

// incidentView is the incident page's data.
type incidentView struct {
	Incident *tocsin.Incident
	Check    *tocsin.Check // the check that opened it; nil for alert incidents
	Alerts   []*tocsin.AlertRecord
	Pages    []pageRow // who was told, oldest first
	Targets  []string  // whom it may be reassigned to: user:<name>, schedule:<name>
	Live     bool      // the page follows the incident's changes
	Note     string    // the note of a form refused, to write again
	Error    string    // why that note was refused

	// Timeline is the incident's timeline in the order things happened
	// (a backdated entry among the moments around it).
	Timeline []tocsin.TimelineEntry
	// The choices of the forms of incident_fields.go.
	Priorities     []string
	KeyMoments     []string
	KeyMomentNames map[string]string
	CanReopen      bool      // resolved within the reopen window, not merged
	ReopenUntil    time.Time // when the window ends
	EntryAt        string    // the backdated entry form's default time: now, in the viewer's zone
	// The choices of the forms of incident_scope.go.
	ServiceChoices []serviceChoice // the config's services but the incident's own
	People         []string        // the config's users, who may hold a role
	RoleRows       []roleRow
	LinkKinds      []linkKind
	// The postmortem's action items: the first few open ones, and counts.
	ActionItems []actionRow
	ActionCount int
	ActionOpen  int
	ActionLate  int // open and overdue
}

// maxActionItemsOnIncident bounds the open action items the incident page
// lists; the postmortem page lists them all.
const maxActionItemsOnIncident = 5

// pageRow is one notification of the incident: to whom, how, and what
// became of it.
type pageRow struct {
	*tocsin.Notification
	Person  string // the user a contact belongs to; "" for a channel
	Channel string // the channel's name, for a channel
	Type    string // email, slack, webhook, ...; "" if no longer configured
	// AckAfter is how long after this page the incident was acknowledged;
	// zero if it was not, or before it.
	AckAfter string
}

// incidentPage shows one incident: its state, its check or alerts, who
// was told of it, and its whole timeline, with the buttons to act on it.
// It is the page every link Tocsin sends points to.
func (u *UI) incidentPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	v, err := u.incidentView(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v.EntryAt = u.srv.Clock.Now().In(u.zoneOf(p)).Format(entryTimeLayout)
	u.render(w, r, "incident", incidentTitle(v.Incident), "incidents", v)
}

// keyMomentNames are the key moments as the page names them.
var keyMomentNames = map[string]string{
	tocsin.KeyDetection:       "Detection",
	tocsin.KeyCauseIdentified: "Cause identified",
	tocsin.KeyMitigation:      "Mitigation",
	tocsin.KeyResolution:      "Resolution",
}

func incidentTitle(in *tocsin.Incident) string {
	return "#" + strconv.FormatInt(in.ID, 10) + " " + in.Title
}

// incidentView reads what the incident page shows, in a fixed number of
// store queries.
func (u *UI) incidentView(ctx context.Context, id int64) (*incidentView, error) {
	in, err := u.srv.DB.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &incidentView{Incident: in, Live: in.Status != tocsin.IncidentResolved,
		Priorities: []string{tocsin.P1, tocsin.P2, tocsin.P3, tocsin.P4, tocsin.P5}, KeyMoments: tocsin.KeyMoments,
		KeyMomentNames: keyMomentNames}
	v.Timeline = slices.Clone(in.Timeline)
	slices.SortStableFunc(v.Timeline, func(a, b tocsin.TimelineEntry) int { return a.At.Compare(b.At) })
	snap := u.srv.Snapshots.Load()
	if in.Status == tocsin.IncidentResolved && in.MergedInto == 0 && snap.Config != nil {
		v.ReopenUntil = in.ResolvedAt.Add(snap.Config.Incidents.ReopenWindow.D())
		v.CanReopen = u.srv.Clock.Now().Before(v.ReopenUntil)
	}
	if snap.Config != nil {
		for _, sv := range snap.Config.Services {
			if sv.Name != in.Service {
				v.ServiceChoices = append(v.ServiceChoices, serviceChoice{sv.Name, slices.Contains(in.Services, sv.Name)})
			}
		}
		for _, cu := range snap.Config.Users {
			v.People = append(v.People, cu.Name)
		}
	}
	v.RoleRows, v.LinkKinds = roleRows(in.Roles), linkKinds()
	if in.CheckID != 0 {
		if v.Check, err = u.srv.DB.CheckByID(ctx, in.CheckID); err != nil && tocsin.ErrorCode(err) != tocsin.ENotFound {
			return nil, err
		}
	}
	if in.GroupKey != "" {
		if v.Alerts, err = u.srv.DB.AlertsOfIncident(ctx, id); err != nil {
			return nil, err
		}
	}
	notes, err := u.srv.DB.Notifications(ctx, id)
	if err != nil {
		return nil, err
	}
	items, err := u.srv.DB.IncidentActionItems(ctx, id)
	if err != nil {
		return nil, err
	}
	v.ActionCount = len(items)
	for _, row := range u.actionRows(items) {
		if row.Status != store.ActionOpen {
			continue
		}
		v.ActionOpen++
		if row.Overdue {
			v.ActionLate++
		}
		if len(v.ActionItems) < maxActionItemsOnIncident {
			v.ActionItems = append(v.ActionItems, row)
		}
	}
	dir := &escalation.Directory{}
	if snap.Policy != nil && snap.Policy.Directory != nil {
		dir = snap.Policy.Directory
	}
	for _, n := range notes {
		row := pageRow{Notification: n, Channel: n.Channel}
		if user, i, ok := escalation.ParseContactChannel(n.Channel); ok {
			row.Person, row.Channel = user, ""
			if cs := dir.Users[user].Contacts; i < len(cs) {
				row.Type = cs[i].Type
			}
		} else if ch, ok := snap.Channels[n.Channel]; ok {
			row.Type = ch.Type
		}
		if !in.AckedAt.IsZero() && !in.AckedAt.Before(n.CreatedAt) {
			row.AckAfter = tocsin.FormatDuration(in.AckedAt.Sub(n.CreatedAt).Round(1e9))
		}
		v.Pages = append(v.Pages, row)
	}
	for name, usr := range dir.Users {
		if !usr.Disabled && !usr.Bot && len(usr.Contacts) > 0 {
			v.Targets = append(v.Targets, "user:"+name)
		}
	}
	for name := range dir.Schedules {
		v.Targets = append(v.Targets, "schedule:"+name)
	}
	slices.Sort(v.Targets)
	return v, nil
}

// changeIncident is a button of the incident page: it makes the change
// through the server's ChangeIncident, the API's own call, and shows the
// incident again.
func (u *UI) changeIncident(verb, notice string) http.HandlerFunc {
	return u.incidentForm(notice, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return u.srv.ChangeIncident(r, id, verb)
	})
}

// escalateIncident pages the next level of the incident's policy now,
// through the API's own EscalateIncident.
func (u *UI) escalateIncident(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("escalated", u.srv.EscalateIncident)(w, r)
}

// reassignIncident pages the user or schedule chosen (field to) now,
// through the API's own ReassignIncident.
func (u *UI) reassignIncident(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("reassigned", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return u.srv.ReassignIncident(r, id, r.PostFormValue("to"))
	})(w, r)
}

// noteIncident adds the note of field text to the timeline through the
// API's own NoteIncident. A note refused (empty, too long) shows the page
// again with the reason and the text, so that nothing typed is lost.
func (u *UI) noteIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	text := r.PostFormValue("text")
	if _, err := u.srv.NoteIncident(r, id, text); err != nil {
		if tocsin.ErrorCode(err) != tocsin.EInvalid {
			u.fail(w, r, err)
			return
		}
		v, verr := u.incidentView(r.Context(), id)
		if verr != nil {
			u.fail(w, r, verr)
			return
		}
		v.Note, v.Error, v.Live = text, tocsin.ErrorMessage(err), false
		u.renderStatus(w, r, http.StatusBadRequest, "incident", incidentTitle(v.Incident), "incidents", v)
		return
	}
	done(w, r, "/incidents/"+strconv.FormatInt(id, 10), "noted")
}

// incidentForm is a form of the incident page: act on the incident of
// the path, then show it again saying notice.
func (u *UI) incidentForm(notice string, act func(r *http.Request, id int64) (*tocsin.Incident, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if _, err := act(r, id); err != nil {
			u.fail(w, r, err)
			return
		}
		done(w, r, "/incidents/"+strconv.FormatInt(id, 10), notice)
	}
}

// pathID is the {id} of the path, a positive integer.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, tocsin.Errorf(tocsin.ENotFound, "no such incident: %q", r.PathValue("id"))
	}
	return id, nil
}

package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The action items of incidents' postmortems: made and changed by
// responders, each change on the incident's timeline and in the audit
// log; listed per incident, and per team or owner until they are done.

// actionItemJSON is an action item as the API shows it.
type actionItemJSON struct {
	ID       int64  `json:"id"`
	Incident int64  `json:"incident"`
	Title    string `json:"title"`
	Owner    string `json:"owner"`
	Team     string `json:"team"`
	Due      string `json:"due,omitempty"` // YYYY-MM-DD
	Status   string `json:"status"`        // open, done or wont_do
	Link     string `json:"link,omitempty"`
	// Overdue: open, and its due day has ended in its owner's time zone.
	Overdue             bool       `json:"overdue"`
	CreatedBy           string     `json:"created_by"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	DoneAt              *time.Time `json:"done_at,omitempty"`
	LastOverdueNoticeAt *time.Time `json:"last_overdue_notice_at,omitempty"`
}

// actionItemsJSON is a list of action items.
type actionItemsJSON struct {
	ActionItems []actionItemJSON `json:"action_items"`
}

// ActionItemNew is an action item to add to an incident.
type ActionItemNew struct {
	Title string `json:"title"`
	Owner string `json:"owner"`          // a user of the config
	Team  string `json:"team,omitempty"` // a team of the config; default: the incident's, else the owner's first
	Due   string `json:"due,omitempty"`  // YYYY-MM-DD
	Link  string `json:"link,omitempty"` // an http(s) URL
}

// ActionItemChange is a change of an action item: each field given
// replaces the item's ("" clears the due date or the link); a field left
// out stays as it is.
type ActionItemChange struct {
	Title  *string `json:"title,omitempty"`
	Owner  *string `json:"owner,omitempty"`
	Due    *string `json:"due,omitempty"`
	Status *string `json:"status,omitempty"` // open, done or wont_do
	Link   *string `json:"link,omitempty"`
}

// actionItemView is a's JSON, overdue judged in its owner's zone at now.
func actionItemView(a store.ActionItem, users []config.User, now time.Time) actionItemJSON {
	out := actionItemJSON{ID: a.ID, Incident: a.Incident, Title: a.Title, Owner: a.Owner, Team: a.Team, Due: a.Due, Status: a.Status,
		Link: a.Link, Overdue: incident.Overdue(&a, userZone(users, a.Owner), now), CreatedBy: a.CreatedBy,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
	if !a.DoneAt.IsZero() {
		t := a.DoneAt.UTC()
		out.DoneAt = &t
	}
	if !a.LastOverdueNoticeAt.IsZero() {
		t := a.LastOverdueNoticeAt.UTC()
		out.LastOverdueNoticeAt = &t
	}
	return out
}

// userZone is the time zone of user name (users[].tz), UTC when unset or
// unknown.
func userZone(users []config.User, name string) *time.Location {
	for _, u := range users {
		if u.Name == name && u.TZ != "" {
			if loc, err := time.LoadLocation(u.TZ); err == nil {
				return loc
			}
		}
	}
	return time.UTC
}

func (s *Server) actionItemsView(items []store.ActionItem) actionItemsJSON {
	users, now := s.Snapshots.Load().Config.Users, s.Clock.Now()
	out := actionItemsJSON{ActionItems: make([]actionItemJSON, 0, len(items))}
	for _, a := range items {
		out.ActionItems = append(out.ActionItems, actionItemView(a, users, now))
	}
	return out
}

// listIncidentActionItems answers with the incident's action items.
func (s *Server) listIncidentActionItems(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.DB.Incident(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.DB.IncidentActionItems(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.actionItemsView(items))
}

// listActionItems answers with the action items of ?team=, ?owner= and
// ?status= (open unless given; all: every status).
func (s *Server) listActionItems(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.ActionItemFilter{Team: q.Get("team"), Owner: q.Get("owner"), Status: q.Get("status")}
	switch {
	case f.Status == "":
		f.Status = store.ActionOpen
	case f.Status == "all":
		f.Status = ""
	case !slices.Contains(incident.ActionStatuses, f.Status):
		s.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "status must be open, done, wont_do or all, got %q", f.Status))
		return
	}
	items, err := s.DB.ActionItems(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.actionItemsView(items))
}

// createActionItem adds the body's action item to the incident.
func (s *Server) createActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body ActionItemNew
	if !decodeBody(w, r, &body, `{"title", "owner", "team", "due": "YYYY-MM-DD", "link"}`) {
		return
	}
	a, err := s.AddActionItem(r, id, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, actionItemView(*a, s.Snapshots.Load().Config.Users, s.Clock.Now()))
}

// patchActionItem changes the fields the body gives.
func (s *Server) patchActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "action item id must be a positive number"))
		return
	}
	var body ActionItemChange
	if !decodeBody(w, r, &body, `{"title", "owner", "due": "YYYY-MM-DD", "status": "open", "done" or "wont_do", "link"}`) {
		return
	}
	a, err := s.ChangeActionItem(r, id, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, actionItemView(*a, s.Snapshots.Load().Config.Users, s.Clock.Now()))
}

// checkOwner refuses an owner who is not a user of the config.
func checkOwner(cfg *config.Config, owner string) (string, error) {
	owner = strings.TrimSpace(owner)
	if owner == "" {
		return "", tocsin.Errorf(tocsin.EInvalid, "owner: required: the name of a user of the config")
	}
	if !slices.ContainsFunc(cfg.Users, func(u config.User) bool { return u.Name == owner }) {
		return "", tocsin.Errorf(tocsin.EInvalid, "owner: no user %q in the config", owner)
	}
	return owner, nil
}

// AddActionItem adds a to incident id's postmortem as the request's
// principal, open, with a timeline entry and an audit entry. Its team is
// the one given, else the incident's, else the first team of the config
// the owner is a member of.
func (s *Server) AddActionItem(r *http.Request, id int64, a ActionItemNew) (*store.ActionItem, error) {
	cfg := s.Snapshots.Load().Config
	title, err := incident.CheckActionTitle(a.Title)
	if err != nil {
		return nil, err
	}
	owner, err := checkOwner(cfg, a.Owner)
	if err != nil {
		return nil, err
	}
	due, err := incident.CheckDue(a.Due)
	if err != nil {
		return nil, err
	}
	link, err := incident.CheckActionLink(a.Link)
	if err != nil {
		return nil, err
	}
	team := strings.TrimSpace(a.Team)
	if team != "" && !slices.ContainsFunc(cfg.Teams, func(t config.Team) bool { return t.Name == team }) {
		return nil, tocsin.Errorf(tocsin.EInvalid, "team: no team %q in the config", team)
	}
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	item := &store.ActionItem{Incident: id, Title: title, Owner: owner, Due: due, Status: store.ActionOpen, Link: link,
		CreatedBy: who, CreatedAt: now, UpdatedAt: now}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(in); err != nil {
			return err
		}
		item.Team = team
		if item.Team == "" {
			item.Team = in.Team
		}
		if item.Team == "" {
			item.Team = ownersTeam(cfg, owner)
		}
		if err := tx.CreateActionItem(ctx, item); err != nil {
			return err
		}
		msg := fmt.Sprintf("Action item #%d added by %s: %s (owner %s", item.ID, who, title, owner)
		if due != "" {
			msg += ", due " + due
		}
		data := map[string]any{"action_item": item.ID, "title": title, "owner": owner, "team": item.Team, "due": due, "link": link}
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: tocsin.TimelineActionItem, Actor: who,
			Message: msg + ")", Data: mustJSON(data)}); err != nil {
			return err
		}
		data["incident_id"] = id
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.action_item", fmt.Sprintf("incident %d: action item %d added", id, item.ID), data))
	})
	if err != nil {
		return nil, err
	}
	return item, nil
}

// ownersTeam is the first team of the config with owner as a member, or "".
func ownersTeam(cfg *config.Config, owner string) string {
	for _, t := range cfg.Teams {
		if slices.Contains(t.Members, owner) {
			return t.Name
		}
	}
	return ""
}

// ChangeActionItem applies ch to action item id as the request's
// principal. Every field given is checked before anything changes; the
// fields that really change are on the incident's timeline, in one entry,
// and in the audit log. Leaving open stamps done_at; reopening clears it.
func (s *Server) ChangeActionItem(r *http.Request, id int64, ch ActionItemChange) (*store.ActionItem, error) {
	if ch.Title == nil && ch.Owner == nil && ch.Due == nil && ch.Status == nil && ch.Link == nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "nothing to change: give title, owner, due, status or link")
	}
	cfg := s.Snapshots.Load().Config
	var title, owner, due, status, link string
	var err error
	if ch.Title != nil {
		if title, err = incident.CheckActionTitle(*ch.Title); err != nil {
			return nil, err
		}
	}
	if ch.Owner != nil {
		if owner, err = checkOwner(cfg, *ch.Owner); err != nil {
			return nil, err
		}
	}
	if ch.Due != nil {
		if due, err = incident.CheckDue(*ch.Due); err != nil {
			return nil, err
		}
	}
	if ch.Status != nil {
		status = strings.TrimSpace(*ch.Status)
		if !slices.Contains(incident.ActionStatuses, status) {
			return nil, tocsin.Errorf(tocsin.EInvalid, "status must be open, done or wont_do, got %q", *ch.Status)
		}
	}
	if ch.Link != nil {
		if link, err = incident.CheckActionLink(*ch.Link); err != nil {
			return nil, err
		}
	}
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	var a *store.ActionItem
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if a, err = tx.ActionItem(ctx, id); err != nil {
			return err
		}
		var said []string
		changed := map[string]any{}
		set := func(name string, field *string, to string) {
			if *field == to {
				return
			}
			said = append(said, fmt.Sprintf("%s %s (was %s)", name, orNone(to), orNone(*field)))
			changed[name] = map[string]string{"from": *field, "to": to}
			*field = to
		}
		if ch.Title != nil {
			set("title", &a.Title, title)
		}
		if ch.Owner != nil {
			set("owner", &a.Owner, owner)
		}
		if ch.Due != nil {
			set("due", &a.Due, due)
		}
		was := a.Status
		if ch.Status != nil {
			set("status", &a.Status, status)
		}
		if ch.Link != nil {
			set("link", &a.Link, link)
		}
		if len(said) == 0 {
			return nil
		}
		switch {
		case was == store.ActionOpen && a.Status != store.ActionOpen:
			a.DoneAt = now
		case a.Status == store.ActionOpen:
			a.DoneAt = time.Time{}
		}
		a.UpdatedAt = now
		if err := tx.SaveActionItem(ctx, a); err != nil {
			return err
		}
		data := map[string]any{"action_item": a.ID, "changes": changed}
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: a.Incident, At: now, Kind: tocsin.TimelineActionItem, Actor: who,
			Message: fmt.Sprintf("Action item #%d (%s) changed by %s: %s", a.ID, a.Title, who, strings.Join(said, ", ")),
			Data:    mustJSON(data)}); err != nil {
			return err
		}
		data["incident_id"] = a.Incident
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.action_item", fmt.Sprintf("incident %d: action item %d changed", a.Incident, a.ID), data))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

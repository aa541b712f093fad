package ui

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// The action items of postmortems: listed and added on the postmortem
// page, counted on the incident page, and the open ones of every incident
// listed per team on /actions. Each form goes through
// web.Server.AddActionItem or ChangeActionItem, the API's own calls, which
// check the values and write the change to the timeline and the audit log.

func (u *UI) actionItemRoutes() []auth.Route {
	return []auth.Route{
		page("GET /actions", auth.Viewer, u.actionsPage),
		page("POST /incidents/{id}/action-items", auth.Responder, u.addActionItem),
		page("POST /action-items/{id}", auth.Responder, u.changeActionItem),
	}
}

// maxActionItemsListed bounds the items /actions lists.
const maxActionItemsListed = 500

// actionRow is an action item as the pages show it.
type actionRow struct {
	store.ActionItem
	Overdue bool // judged in its owner's zone, as the API's flag
}

// statusChoice is a status of an action item and its name on the pages.
type statusChoice struct{ Value, Name string }

// actionStatuses are the statuses the forms offer, in words.
var actionStatuses = []statusChoice{{store.ActionOpen, "open"}, {store.ActionDone, "done"}, {store.ActionWontDo, "won't do"}}

// actionStatusName is status in words.
func actionStatusName(status string) string {
	for _, s := range actionStatuses {
		if s.Value == status {
			return s.Name
		}
	}
	return status
}

// actionRows are items with their overdue flags at now.
func (u *UI) actionRows(items []store.ActionItem) []actionRow {
	now := u.srv.Clock.Now()
	rows := make([]actionRow, 0, len(items))
	for _, a := range items {
		rows = append(rows, actionRow{ActionItem: a, Overdue: u.srv.ActionItemOverdue(&a, now)})
	}
	return rows
}

// configUsers are the names of the running config's users, who may own
// an action item.
func (u *UI) configUsers() []string {
	var names []string
	if cfg := u.srv.Snapshots.Load().Config; cfg != nil {
		for _, cu := range cfg.Users {
			names = append(names, cu.Name)
		}
	}
	return names
}

// actionItemsAnchor is where the postmortem page lists the action items.
func actionItemsAnchor(incident int64, notice string) string {
	return "/incidents/" + strconv.FormatInt(incident, 10) + "/postmortem?done=" + notice + "#action-items"
}

// addActionItem adds the item of fields title, owner, due and link to the
// incident of the path.
func (u *UI) addActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	_, err = u.srv.AddActionItem(r, id, web.ActionItemNew{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"),
		Due: r.PostFormValue("due"), Link: r.PostFormValue("link")})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, actionItemsAnchor(id, "action-item-added"), http.StatusSeeOther)
}

// changeActionItem sets the fields status, owner, due and link the form
// sends (a field it leaves out stays as it is; an empty due or link
// clears it) on the action item of the path.
func (u *UI) changeActionItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		u.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "no such action item: %q", r.PathValue("id")))
		return
	}
	if err := r.ParseForm(); err != nil {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "the form could not be read"))
		return
	}
	field := func(name string) *string {
		if _, ok := r.PostForm[name]; !ok {
			return nil
		}
		v := r.PostForm.Get(name)
		return &v
	}
	a, err := u.srv.ChangeActionItem(r, id, web.ActionItemChange{Status: field("status"), Owner: field("owner"),
		Due: field("due"), Link: field("link")})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, actionItemsAnchor(a.Incident, "action-item-changed"), http.StatusSeeOther)
}

// actionsView is the data of /actions.
type actionsView struct {
	Team, Owner, Status string // the filters as asked; Status "all" for every status
	Teams, Owners       []string
	Statuses            []statusChoice
	Me                  string // the logged-in user's name, for the "mine" shortcut; "" for others
	Groups              []actionGroup
	Shown, Overdue      int
	More                bool // more items match than are listed
	Limit               int
}

// actionGroup is a team's items on /actions, overdue ones first.
type actionGroup struct {
	Team    string // "": items of no team
	Rows    []actionRow
	Overdue int
}

// actionsPage lists the action items of ?team=, ?owner= and ?status=
// (open unless given; all: every status) per team, the overdue ones of
// each team first, in one store query.
func (u *UI) actionsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &actionsView{Team: q.Get("team"), Owner: q.Get("owner"), Status: cmp.Or(q.Get("status"), store.ActionOpen),
		Owners: u.configUsers(), Statuses: actionStatuses, Limit: maxActionItemsListed}
	f := store.ActionItemFilter{Team: v.Team, Owner: v.Owner, Status: v.Status, Limit: maxActionItemsListed + 1}
	if v.Status == "all" {
		f.Status = ""
	} else if !slices.ContainsFunc(actionStatuses, func(s statusChoice) bool { return s.Value == v.Status }) {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "status must be open, done, wont_do or all, got %q", v.Status))
		return
	}
	if cfg := u.srv.Snapshots.Load().Config; cfg != nil {
		for _, t := range cfg.Teams {
			v.Teams = append(v.Teams, t.Name)
		}
	}
	if p, _ := auth.PrincipalFrom(r.Context()); p.Kind == "user" {
		v.Me = p.Name
	}
	items, err := u.srv.DB.ActionItems(r.Context(), f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(items) > maxActionItemsListed {
		items, v.More = items[:maxActionItemsListed], true
	}
	// The store orders by due date; grouping keeps that order within a
	// team, after its overdue items.
	byTeam := map[string]*actionGroup{}
	for _, row := range u.actionRows(items) {
		g := byTeam[row.Team]
		if g == nil {
			g = &actionGroup{Team: row.Team}
			byTeam[row.Team] = g
		}
		g.Rows = append(g.Rows, row)
		if row.Overdue {
			g.Overdue++
			v.Overdue++
		}
	}
	for _, g := range byTeam {
		slices.SortStableFunc(g.Rows, func(a, b actionRow) int {
			switch {
			case a.Overdue == b.Overdue:
				return 0
			case a.Overdue:
				return -1
			}
			return 1
		})
		v.Groups = append(v.Groups, *g)
	}
	// Teams by name, items of no team last.
	slices.SortFunc(v.Groups, func(a, b actionGroup) int {
		if (a.Team == "") != (b.Team == "") {
			if a.Team == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Team, b.Team)
	})
	v.Shown = len(items)
	u.render(w, r, "actions", "Action items", "actions", v)
}

package ui

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/web"
)

// The incident page's forms for what an incident's response spans: the
// services affected, the roles people hold and the links to elsewhere.
// Each goes through web.Server.ChangeIncidentFields, the API's own call,
// which checks the values against the config and writes the change to the
// timeline and the audit log.

func (u *UI) incidentScopeRoutes() []auth.Route {
	return []auth.Route{
		page("POST /incidents/{id}/services", auth.Responder, u.setIncidentServices),
		page("POST /incidents/{id}/roles", auth.Responder, u.setIncidentRoles),
		page("POST /incidents/{id}/links", auth.Responder, u.addIncidentLink),
		page("POST /incidents/{id}/links/remove", auth.Responder, u.removeIncidentLink),
	}
}

// serviceChoice is a service of the services form, checked if Affected.
type serviceChoice struct {
	Name     string
	Affected bool
}

// linkKind is a kind of link as the links form offers it.
type linkKind struct{ Value, Name string }

// linkKindNames are the kinds of link in words.
var linkKindNames = map[string]string{"status_page": "Status page incident", "ticket": "Ticket", "dashboard": "Dashboard", "other": "Other"}

// linkKinds are tocsin.LinkKinds, in words where the page has them.
func linkKinds() []linkKind {
	var out []linkKind
	for _, k := range tocsin.LinkKinds {
		out = append(out, linkKind{k, cmp.Or(linkKindNames[k], k)})
	}
	return out
}

// fixedRoles are the roles the roles form always offers.
var fixedRoles = []string{tocsin.RoleCommander, tocsin.RoleCommunications}

// roleRow is a row of the roles form: a role and who holds it.
type roleRow struct {
	Role  string
	User  string
	Fixed bool // commander or communications: the name is not edited
}

// roleRows are the rows of the roles form: the fixed roles, the other
// roles held, and an empty row to name one more.
func roleRows(held []tocsin.IncidentRole) []roleRow {
	var rows []roleRow
	for _, name := range fixedRoles {
		row := roleRow{Role: name, Fixed: true}
		if i := slices.IndexFunc(held, func(r tocsin.IncidentRole) bool { return r.Role == name }); i >= 0 {
			row.User = held[i].User
		}
		rows = append(rows, row)
	}
	for _, r := range held {
		if !slices.Contains(fixedRoles, r.Role) {
			rows = append(rows, roleRow{Role: r.Role, User: r.User})
		}
	}
	return append(rows, roleRow{})
}

// setIncidentServices sets the services affected to the fields service
// checked (none checked: none affected beyond the incident's own).
func (u *UI) setIncidentServices(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("services-set", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		if err := r.ParseForm(); err != nil {
			return nil, tocsin.Errorf(tocsin.EInvalid, "the form could not be read")
		}
		services := append([]string{}, r.PostForm["service"]...)
		return u.srv.ChangeIncidentFields(r, id, web.IncidentFieldsChange{Services: &services})
	})(w, r)
}

// setIncidentRoles sets the roles to the rows of fields role and user,
// in order; a row whose user is "nobody" (empty) leaves its role unheld.
func (u *UI) setIncidentRoles(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("roles-set", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		if err := r.ParseForm(); err != nil {
			return nil, tocsin.Errorf(tocsin.EInvalid, "the form could not be read")
		}
		names, users := r.PostForm["role"], r.PostForm["user"]
		if len(names) != len(users) {
			return nil, tocsin.Errorf(tocsin.EInvalid, "roles: each role needs its person (%d roles, %d people)", len(names), len(users))
		}
		roles := []tocsin.IncidentRole{}
		for i, name := range names {
			user := strings.TrimSpace(users[i])
			if user == "" {
				continue
			}
			roles = append(roles, tocsin.IncidentRole{Role: strings.TrimSpace(name), User: user})
		}
		return u.srv.ChangeIncidentFields(r, id, web.IncidentFieldsChange{Roles: &roles})
	})(w, r)
}

// addIncidentLink adds the link of fields kind, title and url after the
// incident's links.
func (u *UI) addIncidentLink(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("link-added", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		in, err := u.srv.DB.Incident(r.Context(), id)
		if err != nil {
			return nil, err
		}
		links := append(slices.Clone(in.Links), tocsin.IncidentLink{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), URL: r.PostFormValue("url")})
		return u.srv.ChangeIncidentFields(r, id, web.IncidentFieldsChange{Links: &links})
	})(w, r)
}

// removeIncidentLink removes the link at field index, if its URL is still
// field url: a list changed since the page was read is not guessed at.
func (u *UI) removeIncidentLink(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("link-removed", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		in, err := u.srv.DB.Incident(r.Context(), id)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(r.PostFormValue("index"))
		if err != nil || i < 0 || i >= len(in.Links) || in.Links[i].URL != r.PostFormValue("url") {
			return nil, tocsin.Errorf(tocsin.EConflict, "that link is no longer in the incident's list: reload the page to see its links")
		}
		links := slices.Delete(slices.Clone(in.Links), i, i+1)
		return u.srv.ChangeIncidentFields(r, id, web.IncidentFieldsChange{Links: &links})
	})(w, r)
}

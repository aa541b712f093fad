package ui

import (
	"net/http"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// adminRoutes are the administrator's pages: users and their logins, API
// tokens, the audit log and the config's status. Every one needs the
// admin role, its forms too.
func (u *UI) adminRoutes() []auth.Route {
	return []auth.Route{
		page("GET /admin", auth.Admin, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
		}),
		page("GET /admin/users", auth.Admin, u.adminUsersPage),
		page("POST /admin/users/{name}/invite", auth.Admin, u.inviteUser),
		page("POST /admin/users/{name}/sessions/revoke", auth.Admin, u.revokeUserSessions),
		page("GET /admin/tokens", auth.Admin, u.adminTokensPage),
		page("POST /admin/tokens", auth.Admin, u.createToken),
		page("POST /admin/tokens/{id}/revoke", auth.Admin, u.revokeToken),
		page("GET /admin/audit", auth.Admin, u.adminAuditPage),
		page("GET /admin/config", auth.Admin, u.adminConfigPage),
		page("POST /admin/config/reload", auth.Admin, u.reloadConfig),
	}
}

// adminView is the data of the admin template, which shows one of its
// parts (Tab: users, tokens, token-created, invite, audit, config) under
// the admin pages' own navigation.
type adminView struct {
	Tab  string
	Page any
}

// renderAdmin shows the admin page part tab with data.
func (u *UI) renderAdmin(w http.ResponseWriter, r *http.Request, status int, tab, title string, data any) {
	u.renderStatus(w, r, status, "admin", title, "admin", adminView{Tab: tab, Page: data})
}

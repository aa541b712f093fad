package ui

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// lastLoginsScanned bounds the audit entries read for the users' last
// logins: one query, however many users.
const lastLoginsScanned = 1000

// usersView is the users page's data.
type usersView struct {
	Users     []userRow
	SSO       bool // single sign-on is configured
	Scanned   int  // login audit entries read for LastLogin
	InviteTTL time.Duration
}

// userRow is one config user (or a login the config does not name) with
// how they can log in.
type userRow struct {
	Name, Role, Email, TZ string
	Disabled, Bot         bool
	InConfig              bool      // false: a login the config does not name (made by a setup link)
	Password              bool      // a password is set
	SSO                   bool      // may log in with single sign-on (by the email)
	LastLogin             time.Time // zero: none among the entries read
	LastFrom              string
}

// adminUsersPage lists the config's users with their roles and logins,
// with buttons to make an invite link and to end their sessions.
func (u *UI) adminUsersPage(w http.ResponseWriter, r *http.Request) {
	ctx, snap := r.Context(), u.srv.Snapshots.Load()
	cfg := snap.Config
	logins, err := u.srv.DB.LoginRoles(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	entries, err := u.srv.DB.AuditLog(ctx, store.AuditFilter{Action: "login", Limit: lastLoginsScanned})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	type seen struct {
		at   time.Time
		from string
	}
	last := map[string]seen{}
	for _, e := range entries { // newest first
		user, ok := strings.CutPrefix(e.Actor, "user:")
		if _, done := last[user]; ok && !done && e.Action == "login" {
			from := e.Addr
			var d struct{ Address string }
			if from == "" && json.Unmarshal(e.Data, &d) == nil { // a login's entry names its address in its data
				from = d.Address
			}
			last[user] = seen{e.At, from}
		}
	}
	v := usersView{SSO: cfg.SSO.OIDC != nil, Scanned: lastLoginsScanned, InviteTTL: web.InviteTTL}
	for _, cu := range cfg.Users {
		role := snap.UserRoles[cu.Name].String() // the config's role wins over a login's saved one, as at login
		_, pw := logins[cu.Name]
		v.Users = append(v.Users, userRow{Name: cu.Name, Role: role, Email: cu.Email, TZ: cu.TZ, Disabled: cu.Disabled, Bot: cu.Bot,
			InConfig: true, Password: pw, SSO: v.SSO && cu.Email != "", LastLogin: last[cu.Name].at, LastFrom: last[cu.Name].from})
	}
	var others []string
	for name := range logins {
		if !slices.ContainsFunc(cfg.Users, func(cu config.User) bool { return cu.Name == name }) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	for _, name := range others {
		v.Users = append(v.Users, userRow{Name: name, Role: logins[name], Password: true, LastLogin: last[name].at, LastFrom: last[name].from})
	}
	u.renderAdmin(w, r, http.StatusOK, "users", "Users", v)
}

// inviteView is the page showing a new invite link, once.
type inviteView struct {
	Invite web.Invite
}

// inviteUser makes an invite link through the server's InviteUser, the
// API's own call, and shows it once: it is not stored.
func (u *UI) inviteUser(w http.ResponseWriter, r *http.Request) {
	inv, err := u.srv.InviteUser(r, r.PathValue("name"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderAdmin(w, r, http.StatusOK, "invite", "Invite link for "+inv.User, inviteView{inv})
}

// revokeUserSessions ends every session of a user through the server's
// RevokeUserSessions, the API's own call.
func (u *UI) revokeUserSessions(w http.ResponseWriter, r *http.Request) {
	if _, err := u.srv.RevokeUserSessions(r, r.PathValue("name")); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/admin/users", "sessions-revoked")
}

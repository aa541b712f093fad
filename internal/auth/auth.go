// Package auth holds what decides who may do what: the roles, the
// principal a request acts as, and the credentials Tocsin accepts (API
// tokens, signed links in pages).
//
// The roles are ordered: a viewer reads everything but secrets; a
// responder also acts on incidents, alerts and checks (acknowledge,
// resolve, escalate, reassign, silence, pause); an admin does everything
// (tokens, users' logins, reload). Each route of the HTTP route table
// names the least role it needs.
package auth

import (
	"fmt"
	"strings"
)

// Role is what a principal may do. The zero Role is no role at all: a
// route that names none is a mistake the route table refuses at start.
type Role uint8

const (
	// Public routes need no credential (their own secret, such as a ping
	// URL or an integration key, is the credential).
	Public Role = iota + 1
	Viewer
	Responder
	Admin
)

var roleNames = map[Role]string{Public: "public", Viewer: "viewer", Responder: "responder", Admin: "admin"}

// String is the role as written in config and shown by the API.
func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// Allows reports whether a principal of role r may use a route that
// needs role need.
func (r Role) Allows(need Role) bool { return r >= need && need >= Public }

// Roles a principal can have, least first.
var Roles = []Role{Viewer, Responder, Admin}

// ParseRole reads a role as written in config or an API request.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if r.String() == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = r.String()
	}
	return 0, fmt.Errorf("unknown role %q (one of %s)", s, strings.Join(names, ", "))
}

// Principal is who a request acts as.
type Principal struct {
	Kind string // "token", "link", "system" and, with logins, "user"
	Name string // the token's, user's or link recipient's name
	Role Role
	// CSRFToken is, for a person's session, the token its
	// state-changing requests must carry, which pages put in their forms;
	// empty for other principals.
	CSRFToken string
}

// Actor names the principal in the audit log and on timelines: "api:ci"
// for the token named ci.
func (p Principal) Actor() string {
	switch p.Kind {
	case "token":
		return "api:" + p.Name
	case "link":
		return "link:" + p.Name
	}
	return p.Kind + ":" + p.Name
}

package auth

import "testing"

func TestRoles(t *testing.T) {
	for _, c := range []struct {
		have, need Role
		ok         bool
	}{
		{Viewer, Public, true}, {Viewer, Viewer, true}, {Viewer, Responder, false}, {Viewer, Admin, false},
		{Responder, Viewer, true}, {Responder, Responder, true}, {Responder, Admin, false},
		{Admin, Admin, true}, {Admin, Responder, true},
		{Admin, 0, false}, // a route without a role admits nobody
		{0, Viewer, false},
	} {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%s allows %s: %v, want %v", c.have, c.need, got, c.ok)
		}
	}
	for _, r := range Roles {
		if got, err := ParseRole(r.String()); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %v, %v", r, got, err)
		}
	}
	if _, err := ParseRole("root"); err == nil || err.Error() != `unknown role "root" (one of viewer, responder, admin)` {
		t.Errorf("ParseRole(root): %v", err)
	}
	if _, err := ParseRole("public"); err == nil {
		t.Error("public is a route's need, not a principal's role")
	}
	if a := (Principal{Kind: "token", Name: "ci", Role: Viewer}).Actor(); a != "api:ci" {
		t.Errorf("actor %q", a)
	}
}

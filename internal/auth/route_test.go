package auth

import (
	"context"
	"testing"
)

// TestPrincipalInContext: the principal put in a context is the one read
// back; a context without one names nobody.
func TestPrincipalInContext(t *testing.T) {
	if p, ok := PrincipalFrom(context.Background()); ok || p != (Principal{}) {
		t.Errorf("a bare context names %+v", p)
	}
	want := Principal{Kind: "token", Name: "ci", Role: Responder}
	if p, ok := PrincipalFrom(WithPrincipal(context.Background(), want)); !ok || p != want {
		t.Errorf("read back %+v, %v; want %+v", p, ok, want)
	}
}

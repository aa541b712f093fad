package auth

import (
	"context"
	"net/http"
)

// Route is a route another package serves under the HTTP server's
// authentication: the server's route table takes it as one of its own, so
// that the role it needs is checked, and walked by the auth tests, like
// every other route's.
type Route struct {
	Pattern string // net/http ServeMux pattern, with method
	Role    Role   // the least role it needs
	Handler http.Handler
	// Page marks a page people open in a browser: without a session it
	// answers with a redirect to the login page, which returns there, and
	// with too weak a role with a page, not JSON.
	Page bool
}

type principalKey struct{}

// WithPrincipal is ctx carrying p, the principal its request acts as.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom is the principal ctx's request acts as; false on a
// public route, which no principal serves.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

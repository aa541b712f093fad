package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
)

// authenticate admits requests whose credential names a principal with a
// role of at least need, and records the principal for the handler. A
// page (a route for browsers) sends a person without a session to the
// login page, which returns them there, and refuses in HTML.
func (s *Server) authenticate(h http.Handler, need auth.Role, page bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principalOf(r)
		if page && tocsin.ErrorCode(err) == tocsin.EUnauth {
			loginRedirect(w, r)
			return
		}
		if page && err == nil && !p.Role.Allows(need) {
			err = tocsin.Errorf(tocsin.EForbidden, "%s %q has role %s; %s %s needs %s", p.Kind, p.Name, p.Role, r.Method, r.URL.Path, need)
		}
		if page && err != nil {
			s.refusePage(w, r, err)
			return
		}
		if err != nil {
			challenge := `Bearer realm="tocsin"`
			if err != errNoCredential {
				challenge += `, error="invalid_token"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			writeError(w, err)
			return
		}
		if !p.Role.Allows(need) {
			writeError(w, tocsin.Errorf(tocsin.EForbidden, "%s %q has role %s; %s %s needs %s", p.Kind, p.Name, p.Role,
				r.Method, r.URL.Path, need))
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// errNoCredential: the request carries no credential at all.
var errNoCredential = tocsin.Errorf(tocsin.EUnauth, "missing bearer token")

// principalOf finds who a request acts as from its credential, or says
// (an EUnauth error) why it acts as nobody.
func (s *Server) principalOf(r *http.Request) (auth.Principal, error) {
	token, ok := bearerToken(r)
	if !ok {
		// No bearer token: a person's session cookie, if any.
		return s.sessionPrincipal(r)
	}
	return s.tokenPrincipal(r, token)
}

// tokenPrincipal is the principal of a bearer token: one of the config's
// API tokens, compared by hash in constant time, else one made through the
// API, looked up by hash (see databaseToken).
func (s *Server) tokenPrincipal(r *http.Request, token string) (auth.Principal, error) {
	sum := sha256.Sum256([]byte(token))
	var p auth.Principal
	for _, t := range s.Snapshots.Load().Tokens {
		if subtle.ConstantTimeCompare(sum[:], t.SHA256) == 1 {
			p = auth.Principal{Kind: "token", Name: t.Name, Role: t.Role}
		}
	}
	if p.Name != "" {
		return p, nil
	}
	if p, ok, err := s.databaseToken(r, sum[:]); ok || err != nil {
		return p, err
	}
	return p, tocsin.Errorf(tocsin.EUnauth, "invalid bearer token")
}

// TokenPrincipal is the principal of an API token sent some other way
// than as a bearer token (Healthchecks' X-Api-Key), or an EUnauth error.
func (s *Server) TokenPrincipal(r *http.Request, token string) (auth.Principal, error) {
	return s.tokenPrincipal(r, token)
}

// principal is who the request acts as (the zero Principal on a public route).
func principal(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// actor names the request's principal in the audit log and on timelines.
func actor(r *http.Request) string { return principal(r).Actor() }

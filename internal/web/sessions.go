package web

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// sessionCookie names the cookie of a login session. Its value is a random
// secret; the database keeps only its SHA-256.
const sessionCookie = "tocsin_session"

// touchEvery is how stale a session's last-seen time may grow before a
// request writes it again: idle expiry is this much coarse, and a busy
// session costs one write a minute, not one per request.
const touchEvery = time.Minute

// sessionLimits are the idle timeout and absolute age of sessions, the
// config's or the defaults.
func sessionLimits(snap *runtime.Snapshot) (idle, maxAge time.Duration) {
	idle, maxAge = config.DefaultSessionIdleTimeout, config.DefaultSessionMaxAge
	if snap.Config != nil {
		if d := snap.Config.Sessions.IdleTimeout.D(); d > 0 {
			idle = d
		}
		if d := snap.Config.Sessions.MaxAge.D(); d > 0 {
			maxAge = d
		}
	}
	return idle, maxAge
}

// sessionOf returns the live session of the request's cookie, or an
// EUnauth error saying why there is none.
func (s *Server) sessionOf(r *http.Request) (store.Session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return store.Session{}, errNoCredential
	}
	sess, ok, err := s.DB.SessionByHash(r.Context(), auth.HashSecret(c.Value))
	if err != nil {
		return sess, err
	}
	idle, _ := sessionLimits(s.Snapshots.Load())
	now := s.Clock.Now()
	switch {
	case !ok:
		return sess, tocsin.Errorf(tocsin.EUnauth, "session not valid; log in again")
	case !sess.RevokedAt.IsZero():
		return sess, tocsin.Errorf(tocsin.EUnauth, "session ended (logged out or revoked); log in again")
	case !now.Before(sess.ExpiresAt):
		return sess, tocsin.Errorf(tocsin.EUnauth, "session expired; log in again")
	case !now.Before(sess.LastSeenAt.Add(idle)):
		return sess, tocsin.Errorf(tocsin.EUnauth, "session expired after %s without use; log in again", tocsin.FormatDuration(idle))
	}
	return sess, nil
}

// sessionPrincipal is the principal of the request's session cookie: the
// user, with the role config gives them (or the login's own, for an admin
// made by the setup link who is not a config user; or the one a single
// sign-on login got from the provider's groups, while the user is still in
// the config). A state-changing
// request must also carry the session's CSRF token.
func (s *Server) sessionPrincipal(r *http.Request) (auth.Principal, error) {
	sess, err := s.sessionOf(r)
	if err != nil {
		return auth.Principal{}, err
	}
	role, err := s.userRole(r, sess.User)
	if err != nil {
		return auth.Principal{}, err
	}
	if sess.Role != "" { // a single sign-on login's role from its groups
		if role, err = auth.ParseRole(sess.Role); err != nil {
			return auth.Principal{}, tocsin.Errorf(tocsin.EUnauth, "session not valid; log in again")
		}
	}
	if stateChanging(r.Method) && !csrfOK(r, sess.CSRFToken) {
		return auth.Principal{}, tocsin.Errorf(tocsin.EForbidden, "missing or wrong CSRF token")
	}
	if now := s.Clock.Now(); now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.DB.Write(r.Context(), func(tx *store.Tx) error { return tx.TouchSession(r.Context(), sess.IDSHA256, now) }); err != nil {
			return auth.Principal{}, err
		}
	}
	return auth.Principal{Kind: "user", Name: sess.User, Role: role, CSRFToken: sess.CSRFToken}, nil
}

// userRole is what user may do when logged in: the config user's role,
// else the role saved with the login (the setup link's admin); a login
// with neither acts as nobody.
func (s *Server) userRole(r *http.Request, user string) (auth.Role, error) {
	if role, ok := s.Snapshots.Load().UserRoles[user]; ok {
		return role, nil
	}
	l, ok, err := s.DB.Login(r.Context(), user)
	if err != nil {
		return 0, err
	}
	if role, perr := auth.ParseRole(l.Role); ok && perr == nil {
		return role, nil
	}
	return 0, tocsin.Errorf(tocsin.EUnauth, "user %q is not in the config any more", user)
}

// stateChanging reports whether a method changes state, and so needs the
// CSRF token when the session cookie authenticates it.
func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// csrfOK reports whether the request carries want in the X-CSRF-Token
// header or, for a form, the csrf_token field.
func csrfOK(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue("csrf_token")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// secureCookies reports whether the session cookie must be Secure: the
// request came over TLS, a trusted proxy says the client used https
// (X-Forwarded-Proto), or the public URL people use is https. A cookie
// set Secure over plain http would never come back, so a server reached
// only over http, as in development, sets it without.
func secureCookies(snap *runtime.Snapshot, r *http.Request) bool {
	return snap.Scheme(r) == "https" || strings.HasPrefix(snap.Env.PublicURL, "https://")
}

// setSessionCookie gives the client its session cookie, kept until the
// session's absolute end; clearSessionCookie takes it back.
func setSessionCookie(w http.ResponseWriter, r *http.Request, snap *runtime.Snapshot, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureCookies(snap, r)})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request, snap *runtime.Snapshot) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureCookies(snap, r)})
}

package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Login throttling: failed logins counted over loginWindow, per account
// and per client address. The database keeps the failures, so that every
// replica counts the same ones.
const (
	loginWindow       = 15 * time.Minute
	maxFailsPerUser   = 5
	maxFailsPerClient = 20
)

// dummyHash is verified against when the user has no login, so that a
// wrong user name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("no login has this password")
	return h
})

// userNameRE is the form of config user names.
var userNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

type loginJSON struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// login checks a user name and password (JSON {user, password}, or the
// login page's form) and starts a session: POST /login. JSON gets JSON;
// the form, which must carry the login page's CSRF token, a redirect to
// its next page or the form again with why.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginJSON
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, `body: {"user": "<name>", "password": "<password>"} expected`))
			return
		}
	} else {
		s.loginByForm(w, r)
		return
	}
	role, err := s.checkLogin(r, in.User, in.Password)
	var slow throttledLogin
	switch {
	case errors.As(err, &slow):
		tooManyLogins(w, slow.who, slow.wait)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	sess, csrf, err := s.startSession(w, r, in.User, "", "login", in.User+" logged in from "+s.Snapshots.Load().ClientAddr(r),
		map[string]any{"user": in.User, "address": s.Snapshots.Load().ClientAddr(r)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	idle, _ := sessionLimits(s.Snapshots.Load())
	writeJSON(w, http.StatusOK, sessionJSON{Kind: "user", Name: in.User, Role: role.String(), CSRFToken: csrf,
		ExpiresAt: sess.ExpiresAt, IdleTimeout: tocsin.FormatDuration(idle)})
}

// throttledLogin: too many failed logins of an account or from an address.
type throttledLogin struct {
	who  string
	wait time.Duration
}

func (e throttledLogin) Error() string { return "too many failed logins for " + e.who }

// checkLogin checks user's password, counting and auditing a failure, and
// gives the role the login acts with. A wrong name and a wrong password
// are the same EUnauth error; too many failures a throttledLogin.
func (s *Server) checkLogin(r *http.Request, user, password string) (auth.Role, error) {
	if user == "" || password == "" {
		return 0, tocsin.Errorf(tocsin.EInvalid, "user and password are required")
	}
	if !userNameRE.MatchString(user) {
		return 0, tocsin.Errorf(tocsin.EInvalid, "user: not a user name (lowercase letters, digits, _ and -)")
	}
	snap := s.Snapshots.Load()
	ctx, now, addr := r.Context(), s.Clock.Now(), snap.ClientAddr(r)
	byUser, byAddr, err := s.DB.LoginFailures(ctx, user, addr, now.Add(-loginWindow))
	if err != nil {
		return 0, err
	}
	if wait, ok := throttled(byUser, maxFailsPerUser, now); ok {
		return 0, throttledLogin{"this account", wait}
	}
	if wait, ok := throttled(byAddr, maxFailsPerClient, now); ok {
		return 0, throttledLogin{"your address", wait}
	}
	l, found, err := s.DB.Login(ctx, user)
	if err != nil {
		return 0, err
	}
	hash := dummyHash()
	if found {
		hash = l.PasswordHash
	}
	match, err := auth.VerifyPassword(hash, password)
	if err != nil {
		s.Log.Error("stored password hash unreadable", "user", user, "err", err)
	}
	var role auth.Role
	if match && found {
		role, err = s.userRole(r, user)
		match = err == nil
	}
	if !match || !found {
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			if err := tx.RecordLoginFailure(ctx, user, addr, now.Add(-loginWindow)); err != nil {
				return err
			}
			return tx.Audit(ctx, "user:"+user, "login.failed", "failed login of "+user+" from "+addr,
				map[string]any{"user": user, "address": addr})
		})
		if err != nil {
			return 0, err
		}
		return 0, tocsin.Errorf(tocsin.EUnauth, "wrong user name or password")
	}
	return role, nil
}

// startSession makes a session of user, audits it as action with text and
// details, and gives the client its cookie: what every way of logging in
// ends with.
// role is empty but for a single sign-on login whose groups chose it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user, role, action, text string, details map[string]any) (store.Session, string, error) {
	snap, ctx, now := s.Snapshots.Load(), r.Context(), s.Clock.Now()
	_, maxAge := sessionLimits(snap)
	secret, csrf := auth.NewSecret(), auth.NewSecret()
	sess := store.Session{IDSHA256: auth.HashSecret(secret), User: user, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(maxAge), Address: snap.ClientAddr(r), UserAgent: truncate(r.UserAgent(), 200), CSRFToken: csrf, Role: role}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		return tx.Audit(ctx, "user:"+user, action, text, details)
	})
	if err != nil {
		return sess, "", err
	}
	setSessionCookie(w, r, snap, secret, maxAge)
	return sess, csrf, nil
}

// throttled reports whether fails (oldest first, within the window) reach
// limit, and how long until the oldest that counts leaves the window.
func throttled(fails []time.Time, limit int, now time.Time) (time.Duration, bool) {
	if len(fails) < limit {
		return 0, false
	}
	return fails[len(fails)-limit].Add(loginWindow).Sub(now), true
}

func tooManyLogins(w http.ResponseWriter, who string, wait time.Duration) {
	minutes := max(1, int(math.Ceil(wait.Minutes())))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"error": fmt.Sprintf("too many failed logins for %s; try again in %dm", who, minutes)})
}

// sessionJSON says who a request acts as: GET /api/v1/session and the
// answer to a login.
type sessionJSON struct {
	Kind        string    `json:"kind"` // user, token
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	CSRFToken   string    `json:"csrf_token,omitempty"`   // sessions: to send in X-CSRF-Token
	ExpiresAt   time.Time `json:"expires_at,omitzero"`    // sessions: the absolute end
	IdleTimeout string    `json:"idle_timeout,omitempty"` // sessions: ends when unused this long
}

// whoami says who the request acts as: GET /api/v1/session.
func (s *Server) whoami(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	out := sessionJSON{Kind: p.Kind, Name: p.Name, Role: p.Role.String()}
	if p.Kind == "user" {
		if sess, err := s.sessionOf(r); err == nil {
			idle, _ := sessionLimits(s.Snapshots.Load())
			out.CSRFToken, out.ExpiresAt, out.IdleTimeout = sess.CSRFToken, sess.ExpiresAt, tocsin.FormatDuration(idle)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// logout ends the request's session and takes its cookie back: POST /logout.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	sess, err := s.sessionOf(r)
	if p.Kind != "user" || err != nil {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "not logged in with a session (a bearer token has nothing to log out of)"))
		return
	}
	snap := s.Snapshots.Load()
	ctx := r.Context()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.RevokeSession(ctx, sess.IDSHA256); err != nil {
			return err
		}
		return tx.Audit(ctx, p.Actor(), "logout", p.Name+" logged out", map[string]any{"address": snap.ClientAddr(r)})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	clearSessionCookie(w, r, snap)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") { // a page's button
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

// revokeUserSessions ends every session of a user: DELETE
// /api/v1/users/{name}/sessions.
func (s *Server) revokeUserSessions(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	n, err := s.RevokeUserSessions(r, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": name, "revoked": n})
}

// setUserPassword sets the password of a config user and ends their
// sessions: PUT /api/v1/users/{name}/password with {"password": "..."}.
func (s *Server) setUserPassword(w http.ResponseWriter, r *http.Request) {
	name, ctx := r.PathValue("name"), r.Context()
	if err := s.knownUser(r, name); err != nil {
		writeError(w, err)
		return
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, `body: {"password": "<password>"} expected`))
		return
	}
	hash, err := newPasswordHash(in.Password)
	if err != nil {
		writeError(w, err)
		return
	}
	var n int64
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetPassword(ctx, name, hash, ""); err != nil {
			return err
		}
		if n, err = tx.RevokeUserSessions(ctx, name); err != nil {
			return err
		}
		return tx.Audit(ctx, actor(r), "login.password", "password of "+name+" set", map[string]any{"user": name, "sessions_revoked": n})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": name, "status": "password set", "sessions_revoked": n})
}

// knownUser refuses names that are neither a config user nor a login.
func (s *Server) knownUser(r *http.Request, name string) error {
	if _, ok := s.Snapshots.Load().UserRoles[name]; ok {
		return nil
	}
	if _, ok, err := s.DB.Login(r.Context(), name); err != nil || ok {
		return err
	}
	return tocsin.Errorf(tocsin.ENotFound, "no user %q in the config", name)
}

// newPasswordHash checks a new password and hashes it.
func newPasswordHash(password string) (string, error) {
	if err := auth.CheckPassword(password); err != nil {
		return "", tocsin.Errorf(tocsin.EInvalid, "%s", err)
	}
	return auth.HashPassword(password)
}

// Invite and setup links last this long.
const (
	InviteTTL = 7 * 24 * time.Hour
	SetupTTL  = 24 * time.Hour
)

// inviteUser makes a one-time link with which a config user chooses a
// password: POST /api/v1/users/{name}/invite.
func (s *Server) inviteUser(w http.ResponseWriter, r *http.Request) {
	inv, err := s.InviteUser(r, r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": inv.User, "url": inv.URL, "expires_at": inv.ExpiresAt})
}

// truncate keeps at most n bytes of s, as valid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}

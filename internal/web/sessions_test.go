package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// sessionServer is testServer on a fake clock, with config users ana
// (viewer), bo (responder) and root (admin).
func sessionServer(t testing.TB) (*Server, *clock.Fake) {
	t.Helper()
	s := testServer(t)
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/sessions.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.DB, s.Clock = db, clk
	s.Snapshots.Load().UserRoles = map[string]auth.Role{"ana": auth.Viewer, "bo": auth.Responder, "root": auth.Admin}
	return s, clk
}

// newSession makes a session of user as a login would, and returns its
// cookie value and CSRF token.
func newSession(t testing.TB, s *Server, user string) (cookie, csrf string) {
	t.Helper()
	cookie, csrf = auth.NewSecret(), auth.NewSecret()
	now := s.Clock.Now()
	_, maxAge := sessionLimits(s.Snapshots.Load())
	if err := s.DB.Write(context.Background(), func(tx *store.Tx) error {
		return tx.CreateSession(context.Background(), store.Session{IDSHA256: auth.HashSecret(cookie), User: user,
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(maxAge), CSRFToken: csrf})
	}); err != nil {
		t.Fatal(err)
	}
	return cookie, csrf
}

func setPassword(t testing.TB, s *Server, user, password, role string) {
	t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Write(context.Background(), func(tx *store.Tx) error { return tx.SetPassword(context.Background(), user, hash, role) }); err != nil {
		t.Fatal(err)
	}
}

// do sends a request to h with the session cookie (if any) and the CSRF
// token (if any).
func do(h http.Handler, method, path, body, cookie, csrf string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestEveryRouteWithSessions walks the route table with session cookies:
// a user's role is the config's; a state-changing request without the
// session's CSRF token is refused; an expired or revoked session is 401.
func TestEveryRouteWithSessions(t *testing.T) {
	s, clk := sessionServer(t)
	h := s.Handler()
	var sessions map[auth.Role][2]string
	for _, rt := range s.routes() {
		if rt.role == auth.Public {
			continue
		}
		// New sessions for each route: POST /logout ends them.
		sessions = map[auth.Role][2]string{}
		for user, role := range s.Snapshots.Load().UserRoles {
			c, csrf := newSession(t, s, user)
			sessions[role] = [2]string{c, csrf}
		}
		method, path := routePath(rt.pattern)
		for role, sess := range sessions {
			w := do(h, method, path, "{}", sess[0], sess[1])
			switch {
			case role.Allows(rt.role) && (w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden):
				t.Errorf("%s as a %s user: %d %s, want it let through", rt.pattern, role, w.Code, w.Body)
			case !role.Allows(rt.role) && w.Code != http.StatusForbidden:
				t.Errorf("%s as a %s user: %d, want 403", rt.pattern, role, w.Code)
			}
		}
		admin := [2]string{}
		admin[0], admin[1] = newSession(t, s, "root")
		if stateChanging(method) {
			for _, csrf := range []string{"", "wrong", admin[1] + "x"} {
				w := do(h, method, path, "{}", admin[0], csrf)
				if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "missing or wrong CSRF token") {
					t.Errorf("%s with CSRF token %q: %d %s, want 403", rt.pattern, csrf, w.Code, w.Body)
				}
			}
			// A bearer token needs no CSRF token, cookie or not.
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer right-token")
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: admin[0]})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden {
				t.Errorf("%s with a bearer token: %d %s", rt.pattern, w.Code, w.Body)
			}
		}
		if w := do(h, method, path, "{}", "not-a-session", "x"); w.Code != http.StatusUnauthorized {
			t.Errorf("%s with an unknown session cookie: %d, want 401", rt.pattern, w.Code)
		}
	}

	// Revoked, idle and old sessions: 401 on every route.
	revoked, csrf := newSession(t, s, "root")
	adminCookie, adminCSRF := newSession(t, s, "root")
	if w := do(h, "DELETE", "/api/v1/users/root/sessions", "", adminCookie, adminCSRF); w.Code != http.StatusOK {
		t.Fatalf("revoke root's sessions: %d %s", w.Code, w.Body)
	}
	idleCookie, idleCSRF := newSession(t, s, "bo")
	clk.Advance(12 * time.Hour) // the default idle timeout
	for _, rt := range s.routes() {
		if rt.role == auth.Public {
			continue
		}
		method, path := routePath(rt.pattern)
		for what, c := range map[string][2]string{"revoked": {revoked, csrf}, "idle": {idleCookie, idleCSRF}} {
			if w := do(h, method, path, "{}", c[0], c[1]); w.Code != http.StatusUnauthorized {
				t.Errorf("%s with a %s session: %d %s, want 401", rt.pattern, what, w.Code, w.Body)
			}
		}
	}
	// A session in use lives until its absolute end (7 days), not longer.
	used, usedCSRF := newSession(t, s, "ana")
	for range 7 * 2 {
		if w := do(h, "GET", "/api/v1/session", "", used, usedCSRF); w.Code != http.StatusOK {
			t.Fatalf("a session in use, %s after login: %d %s", clk.Now().Sub(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), w.Code, w.Body)
		}
		clk.Advance(11 * time.Hour)
	}
	clk.Advance(10 * time.Hour)
	if w := do(h, "GET", "/api/v1/session", "", used, usedCSRF); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "session expired") {
		t.Errorf("a session past its absolute end: %d %s, want 401", w.Code, w.Body)
	}
}

func routePath(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	return method, strings.NewReplacer("{uuid}", "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", "{id}", "1", "{name}", "primary", "{token}", "x.y",
		"{slug}", "public", "{component}", "api").Replace(path)
}

func TestLoginAndLogout(t *testing.T) {
	s, _ := sessionServer(t)
	h := s.Handler()
	setPassword(t, s, "bo", "correct horse", "")
	if w := do(h, "POST", "/login", `{"user": "bo", "password": "wrong horse"}`, "", ""); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "wrong user name or password") || len(w.Result().Cookies()) != 0 {
		t.Fatalf("wrong password: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/login", `{"user": "nobody", "password": "correct horse"}`, "", ""); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "wrong user name or password") {
		t.Fatalf("unknown user: %d %s", w.Code, w.Body)
	}
	w := do(h, "POST", "/login", `{"user": "bo", "password": "correct horse"}`, "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var got sessionJSON
	json.Unmarshal(w.Body.Bytes(), &got)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies: %v", cookies)
	}
	c := cookies[0]
	if c.Name != sessionCookie || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure ||
		c.MaxAge != 7*24*3600 || got.Role != "responder" || got.Name != "bo" || got.CSRFToken == "" {
		t.Fatalf("session cookie %+v, answer %+v", c, got)
	}
	// The database keeps the cookie's hash, not the cookie.
	if _, ok, _ := s.DB.SessionByHash(context.Background(), c.Value); ok {
		t.Error("session found by its plain cookie value")
	}
	if w := do(h, "GET", "/api/v1/session", "", c.Value, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"name": "bo"`) ||
		!strings.Contains(w.Body.String(), got.CSRFToken) {
		t.Fatalf("whoami: %d %s", w.Code, w.Body)
	}
	// CSRF in the form field works as the header does.
	req := httptest.NewRequest("POST", "/api/v1/incidents/99/acknowledge", strings.NewReader("csrf_token="+got.CSRFToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound {
		t.Errorf("acknowledge with the form's CSRF token: %d %s, want 404 (no such incident)", rec.Code, rec.Body)
	}
	if w := do(h, "POST", "/logout", "", c.Value, ""); w.Code != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d %s", w.Code, w.Body)
	}
	w = do(h, "POST", "/logout", "", c.Value, got.CSRFToken)
	if w.Code != http.StatusOK || len(w.Result().Cookies()) != 1 || w.Result().Cookies()[0].MaxAge >= 0 {
		t.Fatalf("logout: %d %s %v", w.Code, w.Body, w.Result().Cookies())
	}
	if w := do(h, "GET", "/api/v1/session", "", c.Value, ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("whoami after logout: %d %s", w.Code, w.Body)
	}
	entries, err := s.DB.AuditLog(context.Background(), store.AuditFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if strings.Join(actions, ", ") != "user:bo logout, user:bo login, user:nobody login.failed, user:bo login.failed" {
		t.Errorf("audit log: %v", actions)
	}
}

// TestSessionCookieSecure: Secure over TLS, behind a trusted proxy that
// says https, or with an https public URL; not over plain http.
func TestSessionCookieSecure(t *testing.T) {
	s, _ := sessionServer(t)
	snap := s.Snapshots.Load()
	for _, tc := range []struct {
		url, remote, proto, public string
		want                       bool
	}{
		{"http://tocsin/login", "192.0.2.1:1", "", "http://tocsin", false},
		{"https://tocsin/login", "192.0.2.1:1", "", "http://tocsin", true},
		{"http://tocsin/login", "192.0.2.1:1", "https", "http://tocsin", false}, // not a trusted proxy
		{"http://tocsin/login", "127.0.0.1:1", "https", "http://tocsin", true},
		{"http://tocsin/login", "192.0.2.1:1", "", "https://tocsin.example.com", true},
	} {
		snap.Env.PublicURL = tc.public
		snap.Proxies = nil
		if p, err := netipPrefix("127.0.0.1/32"); err == nil {
			snap.Proxies = append(snap.Proxies, p)
		}
		req := httptest.NewRequest("POST", tc.url, nil)
		req.RemoteAddr = tc.remote
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if got := secureCookies(snap, req); got != tc.want {
			t.Errorf("%+v: secure %v", tc, got)
		}
	}
}

// TestLoginThrottle: five failed logins of one account in 15 minutes, or
// twenty from one address, and further logins wait, told how long.
func TestLoginThrottle(t *testing.T) {
	s, clk := sessionServer(t)
	h := s.Handler()
	setPassword(t, s, "bo", "correct horse", "")
	fail := func(user, addr string) {
		t.Helper()
		if err := s.DB.Write(context.Background(), func(tx *store.Tx) error {
			return tx.RecordLoginFailure(context.Background(), user, addr, clk.Now().Add(-loginWindow))
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range maxFailsPerUser - 1 {
		fail("bo", "198.51.100.7")
		clk.Advance(time.Minute)
	}
	// The fifth, through the API (192.0.2.1 is httptest's address).
	if w := do(h, "POST", "/login", `{"user": "bo", "password": "nope nope"}`, "", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("fifth failure: %d %s", w.Code, w.Body)
	}
	clk.Advance(time.Minute)
	w := do(h, "POST", "/login", `{"user": "bo", "password": "correct horse"}`, "", "")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "600" ||
		!strings.Contains(w.Body.String(), "too many failed logins for this account; try again in 10m") {
		t.Fatalf("sixth login: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	clk.Advance(10 * time.Minute) // the first failure leaves the window
	if w := do(h, "POST", "/login", `{"user": "bo", "password": "correct horse"}`, "", ""); w.Code != http.StatusOK {
		t.Fatalf("login after the wait: %d %s", w.Code, w.Body)
	}

	// Per address: failures of many accounts from one client.
	for i := range maxFailsPerClient {
		fail("user"+string(rune('a'+i)), "192.0.2.1")
	}
	w = do(h, "POST", "/login", `{"user": "bo", "password": "correct horse"}`, "", "")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), "too many failed logins for your address; try again in 15m") {
		t.Fatalf("login from a throttled address: %d %s", w.Code, w.Body)
	}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(`{"user": "bo", "password": "correct horse"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "203.0.113.9:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("login from another address: %d %s", rec.Code, rec.Body)
	}
}

// TestPasswordsInvitesAndSetup: an admin sets a password through the API,
// invites a user, whose link works once; the setup link makes an admin.
func TestPasswordsInvitesAndSetup(t *testing.T) {
	s, clk := sessionServer(t)
	h := s.Handler()
	admin := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer right-token")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := admin("PUT", "/api/v1/users/nobody/password", `{"password": "long enough"}`); w.Code != http.StatusNotFound {
		t.Errorf("password of an unknown user: %d %s", w.Code, w.Body)
	}
	if w := admin("PUT", "/api/v1/users/bo/password", `{"password": "short"}`); w.Code != http.StatusBadRequest {
		t.Errorf("short password: %d %s", w.Code, w.Body)
	}
	if w := admin("PUT", "/api/v1/users/bo/password", `{"password": "long enough"}`); w.Code != http.StatusOK {
		t.Fatalf("set password: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/login", `{"user": "bo", "password": "long enough"}`, "", ""); w.Code != http.StatusOK {
		t.Fatalf("login with the new password: %d %s", w.Code, w.Body)
	}

	w := admin("POST", "/api/v1/users/ana/invite", "")
	var inv struct {
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	json.Unmarshal(w.Body.Bytes(), &inv)
	path := strings.TrimPrefix(inv.URL, s.Snapshots.Load().Env.PublicURL)
	if w.Code != http.StatusOK || !strings.HasPrefix(path, "/invite/") || !inv.ExpiresAt.Equal(clk.Now().Add(InviteTTL)) {
		t.Fatalf("invite: %d %s", w.Code, w.Body)
	}
	if w := do(h, "GET", path, "", "", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<strong>ana</strong>") {
		t.Fatalf("invite form: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", path, "password=long+enough&password2=long+enougH", "", ""); w.Code != http.StatusBadRequest {
		t.Fatalf("invite with differing passwords: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", path, "password=ana+password&password2=ana+password", "", ""); w.Code != http.StatusOK {
		t.Fatalf("invite: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", path, "password=ana+password&password2=ana+password", "", ""); w.Code != http.StatusNotFound ||
		!strings.Contains(w.Body.String(), "used already") {
		t.Fatalf("invite used twice: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/login", `{"user": "ana", "password": "ana password"}`, "", ""); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"role": "viewer"`) {
		t.Fatalf("login of the invited user: %d %s", w.Code, w.Body)
	}

	// Setup: a name of the config's non-admins is refused; another name
	// becomes an admin login.
	token := auth.NewSecret()
	if err := s.DB.Write(context.Background(), func(tx *store.Tx) error {
		return tx.CreateLoginToken(context.Background(), store.LoginToken{TokenSHA256: auth.HashSecret(token), Kind: store.LoginSetup,
			Role: "admin", CreatedAt: clk.Now(), ExpiresAt: clk.Now().Add(SetupTTL)})
	}); err != nil {
		t.Fatal(err)
	}
	if w := do(h, "GET", "/invite/"+token, "", "", ""); w.Code != http.StatusNotFound {
		t.Errorf("a setup token as an invite: %d", w.Code)
	}
	if w := do(h, "POST", "/setup/"+token, "user=bo&password=long+enough&password2=long+enough", "", ""); w.Code != http.StatusBadRequest ||
		!strings.Contains(w.Body.String(), "role responder") {
		t.Fatalf("setup as a responder: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/setup/"+token, "user=boss&password=long+enough&password2=long+enough", "", ""); w.Code != http.StatusOK {
		t.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	if w := do(h, "POST", "/login", `{"user": "boss", "password": "long enough"}`, "", ""); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"role": "admin"`) {
		t.Fatalf("login of the setup admin: %d %s", w.Code, w.Body)
	}
}

func netipPrefix(s string) (netip.Prefix, error) { return netip.ParsePrefix(s) }

// TestSessionLimitsFromConfig: sessions.idle_timeout and sessions.max_age
// of the running config decide when sessions end.
func TestSessionLimitsFromConfig(t *testing.T) {
	s, clk := sessionServer(t)
	h := s.Handler()
	snap := s.Snapshots.Load()
	snap.Config.Sessions.IdleTimeout = config.Duration(time.Hour)
	snap.Config.Sessions.MaxAge = config.Duration(3 * time.Hour)
	idle, _ := newSession(t, s, "ana")
	used, _ := newSession(t, s, "ana")
	clk.Advance(59 * time.Minute)
	if w := do(h, "GET", "/api/v1/session", "", used, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"idle_timeout": "1h"`) {
		t.Fatalf("a session used within the idle timeout: %d %s", w.Code, w.Body)
	}
	clk.Advance(time.Minute)
	if w := do(h, "GET", "/api/v1/session", "", idle, ""); w.Code != http.StatusUnauthorized ||
		!strings.Contains(w.Body.String(), "session expired after 1h without use") {
		t.Errorf("a session idle for the idle timeout: %d %s", w.Code, w.Body)
	}
	for range 2 {
		clk.Advance(50 * time.Minute)
		if w := do(h, "GET", "/api/v1/session", "", used, ""); w.Code != http.StatusOK {
			t.Fatalf("a session in use: %d %s", w.Code, w.Body)
		}
	}
	clk.Advance(20 * time.Minute) // 3h after login
	if w := do(h, "GET", "/api/v1/session", "", used, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("a session at max_age: %d %s", w.Code, w.Body)
	}
}

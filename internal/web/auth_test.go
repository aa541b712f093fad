package web

import (
	"context"
	"crypto/sha256"
	"github.com/tocsinhq/tocsin/internal/checkadmin"
	"github.com/tocsinhq/tocsin/internal/hcapi"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/postmortem"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// hcPublic: Healthchecks' Management API checks its X-Api-Key itself
// (TestHealthchecks* in internal/app), to answer in Healthchecks' words.
const hcPublic = "Healthchecks' Management API: the API token in X-Api-Key (or the body's api_key) is the credential, checked by internal/hcapi with the role each method needs"

// hcBadge: Healthchecks' check badges, signed with a key derived from
// links_secret; an answer shows only a tag, its state and counts.
const hcBadge = "Healthchecks' check badges: the HMAC signature in the URL is the credential; they show only a tag name, its state and counts"

// reviewedPublic lists the routes served without a token, and why.
var reviewedPublic = map[string]string{
	"GET /healthz": "liveness probe",
	"GET /readyz":  "readiness probe; names the problem (a stalled loop, the store not writable), never a store error's text",
	"GET /metrics": "Prometheus scrape, as exporters are; the config's metrics setting can ask for a token (TestMetricsAccess) or turn it off",
	"/ping/":       "the ping URL is the credential, as in Healthchecks",

	"/api/v3/checks/{$}":                  hcPublic,
	"/api/v3/checks/{key}":                hcPublic,
	"/api/v3/checks/{key}/pause":          hcPublic,
	"/api/v3/checks/{key}/resume":         hcPublic,
	"/api/v3/checks/{key}/pings/{$}":      hcPublic,
	"/api/v3/checks/{key}/pings/{n}/body": hcPublic,
	"/api/v3/checks/{key}/flips/{$}":      hcPublic,
	"/api/v3/channels/{$}":                hcPublic,
	"/api/v3/badges/{$}":                  hcPublic,
	"/badge/{key}/{sigformat}":            hcBadge,
	"/badge/{key}/{sig}/{tagformat}":      hcBadge,

	"POST /ingest/alertmanager/{key}": "the integration key in the URL is the credential, as Alertmanager's webhook sends it",
	"POST /ingest/generic/{key}":      "the integration key in the URL is the credential",
	"POST /ingest/grafana/{key}":      "the integration key in the URL is the credential, as Grafana's webhook contact point sends it",
	"POST /v2/enqueue":                "PagerDuty's Events API: the routing_key in the body is the credential",
	"GET /ical/schedules/{name}":      "calendar feed: a signed token in the URL is the credential (calendar apps send no header)",
	"GET /ical/users/{name}":          "calendar feed: a signed token in the URL is the credential",
	"GET /act/{token}":                "signed, expiring link of a page; shows a form only",
	"POST /act/{token}":               "signed, expiring link of a page: acknowledges or resolves as its recipient",
	"GET /api/v1/openapi.json":        "the OpenAPI description: it describes the API and the role of each route, and reveals no data",
	"GET /login":                      "the login page: a form, with a fresh login CSRF token in it and in a cookie of its own",
	"POST /login":                     "a user name and password are the credential; throttled per account and per address",
	"GET /login/oidc":                 "starts single sign-on: redirects to the configured OpenID provider (404 when none); reveals nothing",
	"GET /login/oidc/callback":        "single sign-on: the state cookie and the provider's signed ID token (checked with go-oidc) are the credential",
	"GET /invite/{token}":             "one-time invite link (hashed in the database, 7 days): shows the user's name and a form",
	"POST /invite/{token}":            "one-time invite link: sets the invited user's password, once",
	"GET /setup/{token}":              "one-time setup link printed at start while no admin login exists (24 hours): shows a form",
	"POST /setup/{token}":             "one-time setup link: makes the first admin login, once",

	"GET /status/{slug}":                                             statusPagePublic,
	"GET /status/{slug}/history.atom":                                statusPagePublic,
	"GET /status/{slug}/badge.svg":                                   statusPagePublic,
	"GET /status/{slug}/components/{id}/badge.svg":                   statusPagePublic,
	"GET /status/{slug}/api/v2/summary.json":                         statusPagePublic,
	"GET /status/{slug}/api/v2/status.json":                          statusPagePublic,
	"GET /status/{slug}/api/v2/components.json":                      statusPagePublic,
	"GET /status/{slug}/api/v2/incidents.json":                       statusPagePublic,
	"GET /status/{slug}/api/v2/incidents/unresolved.json":            statusPagePublic,
	"GET /status/{slug}/api/v2/scheduled-maintenances.json":          statusPagePublic,
	"GET /status/{slug}/api/v2/scheduled-maintenances/upcoming.json": statusPagePublic,
	"GET /status/{slug}/api/v2/scheduled-maintenances/active.json":   statusPagePublic,
	"POST /status/{slug}/subscribe": "a status page's subscribe form, public as the page is: it only mails the address a link to confirm (double opt-in), " +
		"answers the same whether or not it was subscribed, and is rate limited per client and per address",
	"GET /status/{slug}/subscriptions/{token}":              "a subscription's link: the token (only its hash is stored) is the credential; shows the subscription and its buttons only",
	"POST /status/{slug}/subscriptions/{token}/confirm":     "a subscription's link: confirms the subscription the token names",
	"POST /status/{slug}/subscriptions/{token}/unsubscribe": "a subscription's link (and every mail's one-click List-Unsubscribe): ends the subscription the token names",
}

func testServer(t testing.TB) *Server {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	token := func(secret, name string, role auth.Role) runtime.Token {
		sum := sha256.Sum256([]byte(secret))
		return runtime.Token{Name: name, SHA256: sum[:], Role: role}
	}
	snap := &runtime.Snapshot{Config: &config.Config{StatusPages: []config.StatusPage{{Slug: "public", Title: "Example status",
		Components: []config.StatusComponent{{ID: "api", Name: "API", Checks: []string{"web"}}}}}}, Policy: &alerting.Policy{}, OnCall: &runtime.OnCall{},
		Tokens: []runtime.Token{token("right-token", "admin", auth.Admin), token("viewer-token", "dashboard", auth.Viewer),
			token("responder-token", "oncall-bot", auth.Responder)}}
	snapshots := snapshotFunc(func() *runtime.Snapshot { return snap })
	pages := &statuspage.Service{DB: db, Clock: clock.Real{}, Configs: snapshotConfigs{snapshots}, Log: testkit.Logger()}
	pages.NotifySubscribers(&statuspage.Subscribers{DB: db, Clock: clock.Real{}, Log: testkit.Logger(),
		Key: func() []byte { return []byte("0123456789abcdef0123456789abcdef") }})
	checks := &checkadmin.Manager{DB: db, Clock: clock.Real{}, Running: snapshots.Load, Scheduled: func(int64, time.Time) {}}
	srv := &Server{DB: db, Clock: clock.Real{}, Log: testkit.Logger(),
		Metrics:     metrics.New(func() float64 { return 0 }, func() float64 { return 0 }),
		Ping:        http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "OK") }),
		Snapshots:   snapshots,
		Actions:     okActions{},
		StatusPages: pages,
		Postmortems: postmortem.Writer{DB: db},
		Checks:      checks}
	srv.Healthchecks = &hcapi.API{DB: db, Clock: clock.Real{}, Checks: checks, Running: snapshots.Load,
		Authenticate: srv.TokenPrincipal, AuditContext: srv.AuditContext, SetPaused: srv.Actions.SetPaused}
	return srv
}

// snapshotConfigs gives the config of the running snapshot, as the app's
// wiring does.
type snapshotConfigs struct{ Snapshots }

func (c snapshotConfigs) Config() *config.Config { return c.Load().Config }

// snapshotFunc serves the snapshot a function returns, so that a test can
// change it between requests.
type snapshotFunc func() *runtime.Snapshot

func (f snapshotFunc) Load() *runtime.Snapshot { return f() }

// okActions does what a running Tocsin does when nothing goes wrong, and
// wakes nothing: these tests run no loops.
type okActions struct{}

func (okActions) Reload(context.Context, ReloadRequest) (ReloadResult, error) {
	return ReloadResult{Status: "reloaded"}, nil
}
func (okActions) RunningConfig(context.Context) (RunningConfig, error) { return RunningConfig{}, nil }
func (okActions) Ready(context.Context) []string                       { return nil }
func (okActions) DeadlineChanged(int64, time.Time)                     {}
func (okActions) NotificationsQueued()                                 {}
func (okActions) SilencesChanged(context.Context) error                { return nil }
func (okActions) EscalationChanged()                                   {}
func (okActions) SetPaused(context.Context, string, bool, string) (*tocsin.Check, error) {
	return nil, tocsin.Errorf(tocsin.ENotFound, "check not found")
}

// TestEveryRouteRequiresAuth walks the route table: every route that is not
// listed as public refuses requests without a valid bearer token, and the
// public list matches the table.
func TestEveryRouteRequiresAuth(t *testing.T) {
	s := testServer(t)
	h := s.Handler()
	// Tokens made through the API. The first is the one the walk's DELETE
	// /api/v1/tokens/1 with the admin token revokes.
	now := s.Clock.Now()
	dbToken(t, s, "walked-over", auth.Admin, time.Time{})
	dbExpired := dbToken(t, s, "expired", auth.Admin, now.Add(-time.Hour))
	dbRevoked := dbToken(t, s, "revoked", auth.Admin, time.Time{})
	revokeToken(t, s, 3)
	dbViewer := dbToken(t, s, "db-viewer", auth.Viewer, time.Time{})
	dbResponder := dbToken(t, s, "db-responder", auth.Responder, now.Add(time.Hour))
	seenPublic := map[string]bool{}
	for _, rt := range s.routes() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			method, path = "GET", rt.pattern
		}
		path = strings.NewReplacer("{uuid}", "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", "{id}", "1", "{name}", "primary", "{token}", "x.y",
			"{slug}", "public", "{component}", "api").Replace(path)
		isPublic := rt.role == auth.Public
		if _, reviewed := reviewedPublic[rt.pattern]; reviewed != isPublic {
			t.Errorf("%s: public=%v in the table, but the reviewed list says %v", rt.pattern, isPublic, reviewed)
		}
		if isPublic && reviewedPublic[rt.pattern] == hcPublic {
			seenPublic[rt.pattern] = true
			hcAuthWalk(t, h, rt.pattern)
			continue
		}
		if isPublic {
			seenPublic[rt.pattern] = true
			req := httptest.NewRequest(method, path, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code == http.StatusUnauthorized {
				t.Errorf("%s: public route asks for a token", rt.pattern)
			}
			continue
		}
		for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong-token", "Basic cmlnaHQtdG9rZW4=", "Bearerright-token",
			"Bearer right-token x", "Token right-token"} {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("%s with Authorization %q: status %d, want 401", rt.pattern, auth, w.Code)
			}
			if !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("%s: 401 without an error message: %s", rt.pattern, w.Body.String())
			}
		}
		// The scheme is case-insensitive (RFC 9110, section 11.1).
		for _, auth := range []string{"Bearer right-token", "bearer right-token", "BEARER right-token", "Bearer   right-token"} {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code == http.StatusUnauthorized || w.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s with Authorization %q: status %d", rt.pattern, auth, w.Code)
			}
		}
		// An expired or revoked token is refused with 401, saying since when.
		for secret, why := range map[string]string{dbExpired: "token expired at ", dbRevoked: "token revoked at "} {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), why) {
				t.Errorf("%s with a token whose error should say %q: status %d %s, want 401", rt.pattern, why, w.Code, w.Body.String())
			}
		}
		// A role below the route's is refused with 403, naming both; one at
		// or above it is let through. Config and database tokens alike.
		for secret, role := range map[string]auth.Role{"viewer-token": auth.Viewer, "responder-token": auth.Responder,
			dbViewer: auth.Viewer, dbResponder: auth.Responder} {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			switch {
			case role.Allows(rt.role) && (w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden):
				t.Errorf("%s with a %s token: status %d, want it let through", rt.pattern, role, w.Code)
			case !role.Allows(rt.role) && w.Code != http.StatusForbidden:
				t.Errorf("%s with a %s token: status %d, want 403", rt.pattern, role, w.Code)
			case !role.Allows(rt.role) && !strings.Contains(w.Body.String(), "has role "+role.String()+"; "+method+" "+path+" needs "+rt.role.String()):
				t.Errorf("%s with a %s token: 403 says %s", rt.pattern, role, w.Body.String())
			}
		}
	}
	for p := range reviewedPublic {
		if !seenPublic[p] {
			t.Errorf("%s is listed as public but is not in the route table", p)
		}
	}
}

// dbToken makes a token in s's database, as POST /api/v1/tokens does, and
// returns its secret.
func dbToken(t *testing.T, s *Server, name string, role auth.Role, expires time.Time) string {
	t.Helper()
	secret, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok := store.APIToken{Name: name, Role: role.String(), SHA256: auth.HashToken(secret), CreatedBy: "test", ExpiresAt: expires}
	if err := s.DB.Write(context.Background(), func(tx *store.Tx) error { return tx.CreateAPIToken(context.Background(), &tok) }); err != nil {
		t.Fatal(err)
	}
	return secret
}

func revokeToken(t *testing.T, s *Server, id int64) {
	t.Helper()
	err := s.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.RevokeAPIToken(context.Background(), id, s.Clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBadRequests(t *testing.T) {
	h := testServer(t).Handler()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/incidents/abc", 400},
		{"GET", "/api/v1/incidents/-1", 400},
		{"GET", "/api/v1/incidents/99", 404},
		{"GET", "/api/v1/incidents?status=bogus", 400},
		{"GET", "/api/v1/incidents?limit=0", 400},
		{"GET", "/api/v1/checks/not-a-check", 404},
		{"POST", "/api/v1/checks/not-a-check/pause", 404},
		{"POST", "/api/v1/incidents/99/acknowledge", 404},
		{"GET", "/api/v1/nothing-here", 404},
		{"DELETE", "/api/v1/checks", 405},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Authorization", "Bearer right-token")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, w.Code, w.Body.String(), tc.status)
		}
	}
}

// statusPagePublic is why the documents of a status page are public.
const statusPagePublic = "a status page, public by design: it shows only the components, statuses and public incidents its config publishes, never a check, service, UUID or internal incident"

// hcAuthWalk: a route of Healthchecks' API refuses a request without a key
// or with a wrong one, in Healthchecks' words, and takes a right one.
func hcAuthWalk(t *testing.T, h http.Handler, pattern string) {
	t.Helper()
	path := strings.NewReplacer("{key}", "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", "{n}", "1", "{$}", "").Replace(pattern)
	send := func(method, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if key != "" {
			req.Header.Set("X-Api-Key", key)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	method := "GET"
	if send(method, "").Code == http.StatusMethodNotAllowed {
		method = "POST"
	}
	for key, want := range map[string]string{"": "missing api key", "wrong-token": "wrong api key"} {
		if w := send(method, key); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), want) {
			t.Errorf("%s %s with X-Api-Key %q: %d %s, want 401 %q", method, pattern, key, w.Code, w.Body.String(), want)
		}
	}
	if w := send(method, "right-token"); w.Code == http.StatusUnauthorized {
		t.Errorf("%s %s with a right key: 401 %s", method, pattern, w.Body.String())
	}
}

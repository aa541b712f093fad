// Package web serves Tocsin over HTTP: the ping API, the management API
// under /api/v1 (bearer tokens), and the operational endpoints. Every route
// is in the one table in routes.go, which the auth test walks.
package web

import (
	"context"
	"encoding/json"
	"github.com/tocsinhq/tocsin/internal/auth"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Server holds what the handlers need.
type Server struct {
	DB      *store.DB
	Clock   Clock
	Log     *slog.Logger
	Metrics *metrics.Metrics
	Ping    http.Handler
	// Snapshots gives the running compiled config: API tokens, the
	// incident environment, integrations, on-call, the escalation
	// directory, the links secret and the metrics setting. It is read at
	// each request, so that a reload applies to the next one.
	Snapshots Snapshots
	// Alerts takes alerts from the ingestion endpoints.
	Alerts Alerts
	// Actions is what the API asks of the rest of Tocsin.
	Actions Actions
	// Replica names this process among the replicas on the database.
	Replica string
	// StatusPages serves the status pages and their management API;
	// nil: none.
	StatusPages StatusPages
	// Pages serves the responder's web pages; nil: none.
	Pages Pages
	// Postmortems writes and renders the incidents' postmortems.
	Postmortems Postmortems
	// Checks creates, changes and deletes the checks made at run time.
	Checks CheckAdmin
	// Healthchecks serves Healthchecks' Management API (/api/v3/...),
	// which checks its own X-Api-Key credential (TokenPrincipal) to
	// answer in Healthchecks' words; nil: not served.
	Healthchecks Pages

	tokenUses tokenUses   // when each database token's last use was written
	oidc      oidcClients // the client of sso.oidc's provider
}

// Clock is what the server asks of Tocsin's one clock (internal/clock):
// only the time.
type Clock interface{ Now() time.Time }

// Snapshots gives the running compiled config; *atomic.Pointer does.
type Snapshots interface {
	Load() *runtime.Snapshot
}

// StatusPages is the package of the status pages, which serves routes of
// its own under the server's authentication, so that this package need
// not import it.
type StatusPages interface {
	// PublicRoutes are the public pages and documents, /status/{slug}/...
	PublicRoutes() []auth.Route
	// APIRoutes are the management API, /api/v1/status-pages/...
	APIRoutes() []auth.Route
	// HostPage serves r when it asks for a page at the root of that
	// page's own hostname; nil otherwise.
	HostPage(r *http.Request) http.Handler
}

// Pages is the package of the responder's web pages, which serves routes
// of its own under the server's authentication, so that this package need
// not import it.
type Pages interface {
	Routes() []auth.Route
}

// Actions is what the API asks of the rest of Tocsin: to reload or
// describe the config, to say whether it is ready, and to hear of the
// changes the API made that a loop must act on.
type Actions interface {
	// Reload re-reads the config file; a refusal by the reload guard is an EConflict error.
	Reload(ctx context.Context, req ReloadRequest) (ReloadResult, error)
	// RunningConfig describes the running config (GET /api/v1/config).
	RunningConfig(ctx context.Context) (RunningConfig, error)
	// Ready lists why the server is not ready; none when it is.
	Ready(ctx context.Context) []string
	// DeadlineChanged says the API moved a check's deadline to at.
	DeadlineChanged(checkID int64, at time.Time)
	// NotificationsQueued says the API queued notifications.
	NotificationsQueued()
	// SilencesChanged says the API made or ended a silence; its error is the request's.
	SilencesChanged(ctx context.Context) error
	// EscalationChanged says the API escalated or reassigned an incident.
	EscalationChanged()
	// SetPaused pauses (pause) or resumes the check uuid for actor and
	// returns it as saved; resuming a check that is not paused is an
	// EConflict error.
	SetPaused(ctx context.Context, uuid string, pause bool, actor string) (*tocsin.Check, error)
}

// maxBody bounds every API request body but a postmortem's and a bulk
// create's.
const maxBody = 64 << 10

// maxBulkChecksBody bounds the body of POST /api/v1/checks/bulk: up to
// checkadmin.MaxBulk definitions of a few hundred bytes each.
const maxBulkChecksBody = 4 << 20

// maxPostmortemBody bounds the body that saves a postmortem: its text of up
// to MaxPostmortem bytes, as JSON or percent-encoded by a browser's form,
// where one byte may take three.
const maxPostmortemBody = 3*MaxPostmortem + 4<<10

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h := rt.handler
		switch {
		case rt.role == 0:
			panic("web: route " + rt.pattern + " names no role")
		case rt.role != auth.Public:
			h = s.authenticate(h, rt.role, rt.page)
		}
		mux.Handle(rt.pattern, limitBody(h))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ping/") {
			mux.ServeHTTP(w, r) // the hot path: one lookup
			return
		}
		if s.StatusPages != nil {
			if h := s.StatusPages.HostPage(r); h != nil { // a status page on a hostname of its own
				limitBody(h).ServeHTTP(w, r)
				return
			}
		}
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No route: let the mux decide between 404 and 405 (it sets
		// Allow), and answer in JSON like every other error.
		c := &statusCapture{header: w.Header()}
		h.ServeHTTP(c, r)
		if c.status == http.StatusMethodNotAllowed {
			writeJSON(w, c.status, map[string]string{"error": "method " + r.Method + " not allowed on " + r.URL.Path})
			return
		}
		writeError(w, tocsin.Errorf(tocsin.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
}

// statusCapture records the status a handler chose and drops its body.
type statusCapture struct {
	header http.Header
	status int
}

func (c *statusCapture) Header() http.Header         { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *statusCapture) WriteHeader(status int)      { c.status = status }

func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The ping handler caps bodies itself, and truncates; the alert
		// endpoints have their own, larger limits.
		switch {
		case strings.HasPrefix(r.URL.Path, "/ping/"), strings.HasPrefix(r.URL.Path, "/ingest/"), r.URL.Path == "/v2/enqueue":
		case strings.HasSuffix(r.URL.Path, "/postmortem"):
			r.Body = http.MaxBytesReader(w, r.Body, maxPostmortemBody)
		case r.URL.Path == "/api/v1/checks/bulk":
			r.Body = http.MaxBytesReader(w, r.Body, maxBulkChecksBody)
		default:
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		h.ServeHTTP(w, r)
	})
}

// statusOf maps error codes to HTTP statuses, in one place.
func statusOf(code string) int {
	switch code {
	case tocsin.EInvalid:
		return http.StatusBadRequest
	case tocsin.ENotFound:
		return http.StatusNotFound
	case tocsin.EConflict:
		return http.StatusConflict
	case tocsin.EUnauth:
		return http.StatusUnauthorized
	case tocsin.EForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, err error) {
	writeJSON(w, statusOf(tocsin.ErrorCode(err)), map[string]string{"error": tocsin.ErrorMessage(err)})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if tocsin.ErrorCode(err) == tocsin.EInternal {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

package web

import (
	"net/http"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/ingest"
)

// route is one entry of the route table.
type route struct {
	pattern string    // net/http ServeMux pattern, with method
	role    auth.Role // the least role it needs; auth.Public: served without a credential
	handler http.Handler
	page    bool // a page for browsers: see auth.Route.Page
}

// The roles of the table, short.
const (
	public    = auth.Public
	viewer    = auth.Viewer
	responder = auth.Responder
	admin     = auth.Admin
)

// routes is every route Tocsin serves, top to bottom, each with the least
// role it needs: this table is the one place that says who may do what.
func (s *Server) routes() []route {
	table := []route{
		// Operations.
		{"GET /healthz", public, http.HandlerFunc(s.healthz), false},
		{"GET /readyz", public, http.HandlerFunc(s.readyz), false},
		{"GET /metrics", public, s.metricsHandler(), false},

		// Signals: the ping URL is the credential, as in Healthchecks.
		{"/ping/", public, s.Ping, false},
		// Alerts from other tools: the integration key (in the path, or
		// PagerDuty's routing_key) is the credential.
		{"POST /ingest/alertmanager/{key}", public, s.receiveAlerts(ingest.Alertmanager), false},
		{"POST /ingest/grafana/{key}", public, s.receiveAlerts(ingest.Grafana), false},
		{"POST /ingest/generic/{key}", public, s.receiveAlerts(ingest.Generic), false},
		{"POST /v2/enqueue", public, s.receiveAlerts(ingest.PagerDuty), false},

		// Signed links in pages: the token is the credential. GET only
		// shows a form; POST acts.
		{"GET /act/{token}", public, http.HandlerFunc(s.actForm), false},
		{"POST /act/{token}", public, http.HandlerFunc(s.act), false},

		// Calendar feeds: the signed token in the URL is the credential,
		// as calendar apps send no header.
		{"GET /ical/schedules/{name}", public, http.HandlerFunc(s.scheduleFeed), false},
		{"GET /ical/users/{name}", public, http.HandlerFunc(s.userFeed), false},

		// Logins of people. A user name and password are the credential of
		// POST /login, the one-time token in the URL that of an invite or
		// the setup link (GET shows a form; POST sets the password).
		{"GET /login", public, http.HandlerFunc(s.loginForm), true},
		{"POST /login", public, http.HandlerFunc(s.login), false},
		// Single sign-on: the provider's signed ID token is the credential.
		{"GET /login/oidc", public, http.HandlerFunc(s.oidcStart), false},
		{"GET /login/oidc/callback", public, http.HandlerFunc(s.oidcCallback), false},
		{"POST /logout", viewer, http.HandlerFunc(s.logout), false},
		{"GET /invite/{token}", public, http.HandlerFunc(s.inviteForm), false},
		{"POST /invite/{token}", public, http.HandlerFunc(s.acceptInvite), false},
		{"GET /setup/{token}", public, http.HandlerFunc(s.setupForm), false},
		{"POST /setup/{token}", public, http.HandlerFunc(s.setup), false},

		// Management API. Its description, with the role each route
		// needs, is served to anyone: it reveals no data.
		{"GET /api/v1/openapi.json", public, http.HandlerFunc(s.openAPIDocument), false},
		{"GET /api/v1/session", viewer, http.HandlerFunc(s.whoami), false},
		{"GET /api/v1/checks", viewer, http.HandlerFunc(s.listChecks), false},
		{"POST /api/v1/checks", responder, http.HandlerFunc(s.createCheck), false},
		{"POST /api/v1/checks/bulk", responder, http.HandlerFunc(s.createChecks), false},
		{"GET /api/v1/checks/{uuid}", viewer, http.HandlerFunc(s.getCheck), false},
		{"PATCH /api/v1/checks/{uuid}", responder, http.HandlerFunc(s.patchCheck), false},
		{"DELETE /api/v1/checks/{uuid}", responder, http.HandlerFunc(s.deleteCheck), false},
		{"GET /api/v1/checks/{uuid}/pings", viewer, http.HandlerFunc(s.listPings), false},
		{"GET /api/v1/checks/{uuid}/results", viewer, http.HandlerFunc(s.probeResults), false},
		{"POST /api/v1/checks/{uuid}/pause", responder, http.HandlerFunc(s.pauseCheck), false},
		{"POST /api/v1/checks/{uuid}/resume", responder, http.HandlerFunc(s.resumeCheck), false},
		{"GET /api/v1/incidents", viewer, http.HandlerFunc(s.listIncidents), false},
		{"GET /api/v1/incidents/{id}", viewer, http.HandlerFunc(s.getIncident), false},
		{"POST /api/v1/incidents/{id}/acknowledge", responder, http.HandlerFunc(s.acknowledgeIncident), false},
		{"POST /api/v1/incidents/{id}/resolve", responder, http.HandlerFunc(s.resolveIncident), false},
		{"POST /api/v1/incidents/{id}/escalate", responder, http.HandlerFunc(s.escalateIncident), false},
		{"POST /api/v1/incidents/{id}/reassign", responder, http.HandlerFunc(s.reassignIncident), false},
		{"POST /api/v1/incidents/{id}/notes", responder, http.HandlerFunc(s.noteIncident), false},
		{"PATCH /api/v1/incidents/{id}", responder, http.HandlerFunc(s.patchIncident), false},
		{"POST /api/v1/incidents/{id}/reopen", responder, http.HandlerFunc(s.reopenIncident), false},
		{"POST /api/v1/incidents/{id}/merge", responder, http.HandlerFunc(s.mergeIncident), false},
		{"POST /api/v1/incidents/{id}/timeline", responder, http.HandlerFunc(s.addTimelineEntry), false},
		{"PUT /api/v1/incidents/{id}/timeline/{entry}/key-moment", responder, http.HandlerFunc(s.setKeyMoment), false},
		{"DELETE /api/v1/incidents/{id}/timeline/{entry}/key-moment", responder, http.HandlerFunc(s.clearKeyMoment), false},
		{"GET /api/v1/incidents/{id}/postmortem", viewer, http.HandlerFunc(s.getPostmortem), false},
		{"PUT /api/v1/incidents/{id}/postmortem", responder, http.HandlerFunc(s.putPostmortem), false},
		{"GET /api/v1/incidents/{id}/postmortem/revisions", viewer, http.HandlerFunc(s.listPostmortemRevisions), false},
		{"GET /api/v1/incidents/{id}/postmortem.md", viewer, http.HandlerFunc(s.postmortemMarkdown), false},
		{"GET /api/v1/incidents/{id}/postmortem.html", viewer, http.HandlerFunc(s.postmortemHTML), false},
		{"GET /api/v1/incidents/{id}/action-items", viewer, http.HandlerFunc(s.listIncidentActionItems), false},
		{"POST /api/v1/incidents/{id}/action-items", responder, http.HandlerFunc(s.createActionItem), false},
		{"GET /api/v1/action-items", viewer, http.HandlerFunc(s.listActionItems), false},
		{"PATCH /api/v1/action-items/{id}", responder, http.HandlerFunc(s.patchActionItem), false},
		{"GET /api/v1/alerts", viewer, http.HandlerFunc(s.listAlerts), false},
		{"GET /api/v1/silences", viewer, http.HandlerFunc(s.listSilences), false},
		{"POST /api/v1/silences", responder, http.HandlerFunc(s.createSilence), false},
		{"DELETE /api/v1/silences/{id}", responder, http.HandlerFunc(s.expireSilence), false},
		{"GET /api/v1/schedules", viewer, http.HandlerFunc(s.listSchedules), false},
		{"GET /api/v1/schedules/{name}/oncall", viewer, http.HandlerFunc(s.scheduleOnCall), false},
		{"GET /api/v1/schedules/{name}/shifts", viewer, http.HandlerFunc(s.scheduleShifts), false},
		{"GET /api/v1/schedules/{name}/overrides", viewer, http.HandlerFunc(s.listOverrides), false},
		{"POST /api/v1/schedules/{name}/overrides", responder, http.HandlerFunc(s.createOverride), false},
		{"DELETE /api/v1/schedules/{name}/overrides/{id}", responder, http.HandlerFunc(s.deleteOverride), false},
		{"GET /api/v1/users", viewer, http.HandlerFunc(s.listUsers), false},
		{"PUT /api/v1/users/{name}/password", admin, http.HandlerFunc(s.setUserPassword), false},
		{"POST /api/v1/users/{name}/invite", admin, http.HandlerFunc(s.inviteUser), false},
		{"DELETE /api/v1/users/{name}/sessions", admin, http.HandlerFunc(s.revokeUserSessions), false},
		{"GET /api/v1/reports/summary", viewer, http.HandlerFunc(s.reportSummary), false},
		{"GET /api/v1/reports/people", viewer, http.HandlerFunc(s.reportPeople), false},
		{"GET /api/v1/reports/noisy", viewer, http.HandlerFunc(s.reportNoisy), false},
		{"GET /api/v1/reports/chart.svg", viewer, http.HandlerFunc(s.reportChart), false},
		{"GET /api/v1/replicas", viewer, http.HandlerFunc(s.listReplicas), false},
		{"GET /api/v1/config", viewer, http.HandlerFunc(s.runningConfig), false},
		{"POST /api/v1/config/reload", admin, http.HandlerFunc(s.reloadConfig), false},
		{"GET /api/v1/audit", admin, http.HandlerFunc(s.listAudit), false},
		{"GET /api/v1/tokens", admin, http.HandlerFunc(s.listTokens), false},
		{"POST /api/v1/tokens", admin, http.HandlerFunc(s.createToken), false},
		{"DELETE /api/v1/tokens/{id}", admin, http.HandlerFunc(s.revokeToken), false},
	}
	// The status pages (/status/{slug}/...: public, they show only what
	// the config publishes) and their management API
	// (/api/v1/status-pages/...) are served by their package, through the
	// same authentication; the audit
	// entries its handlers write take the request's role and address
	// from its context.
	if s.StatusPages != nil {
		for _, rt := range s.StatusPages.PublicRoutes() {
			table = append(table, route{rt.Pattern, rt.Role, rt.Handler, rt.Page})
		}
		for _, rt := range s.StatusPages.APIRoutes() {
			table = append(table, route{rt.Pattern, rt.Role, s.withAuditSource(rt.Handler), rt.Page})
		}
	}
	// The responder's pages (/incidents/...): they act through this
	// server's ChangeIncident, as the API does.
	if s.Pages != nil {
		for _, rt := range s.Pages.Routes() {
			table = append(table, route{rt.Pattern, rt.Role, s.withAuditSource(rt.Handler), rt.Page})
		}
	}
	// Healthchecks' Management API (/api/v3/...): its package checks the
	// X-Api-Key header itself, to answer as Healthchecks does.
	if s.Healthchecks != nil {
		for _, rt := range s.Healthchecks.Routes() {
			table = append(table, route{rt.Pattern, rt.Role, rt.Handler, rt.Page})
		}
	}
	return table
}

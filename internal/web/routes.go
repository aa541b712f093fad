package web

import (
	"net/http"

	"github.com/tocsinhq/tocsin/internal/ingest"
)

// route is one entry of the route table.
type route struct {
	pattern string // net/http ServeMux pattern, with method
	public  bool   // served without a token
	handler http.Handler
}

// routes is every route Tocsin serves, top to bottom.
func (s *Server) routes() []route {
	return []route{
		// Operations.
		{"GET /healthz", true, http.HandlerFunc(s.healthz)},
		{"GET /readyz", true, http.HandlerFunc(s.readyz)},
		{"GET /metrics", true, s.metricsHandler()},

		// Signals: the ping URL is the credential, as in Healthchecks.
		{"/ping/", true, s.Ping},
		// Alerts from other tools: the integration key (in the path, or
		// PagerDuty's routing_key) is the credential.
		{"POST /ingest/alertmanager/{key}", true, s.receiveAlerts(ingest.Alertmanager)},
		{"POST /ingest/generic/{key}", true, s.receiveAlerts(ingest.Generic)},
		{"POST /v2/enqueue", true, s.receiveAlerts(ingest.PagerDuty)},

		// Signed links in pages: the token is the credential. GET only
		// shows a form; POST acts.
		{"GET /act/{token}", true, http.HandlerFunc(s.actForm)},
		{"POST /act/{token}", true, http.HandlerFunc(s.act)},

		// Calendar feeds: the signed token in the URL is the credential,
		// as calendar apps send no header.
		{"GET /ical/schedules/{name}", true, http.HandlerFunc(s.scheduleFeed)},
		{"GET /ical/users/{name}", true, http.HandlerFunc(s.userFeed)},

		// Management API.
		{"GET /api/v1/checks", false, http.HandlerFunc(s.listChecks)},
		{"GET /api/v1/checks/{uuid}", false, http.HandlerFunc(s.getCheck)},
		{"GET /api/v1/checks/{uuid}/pings", false, http.HandlerFunc(s.listPings)},
		{"GET /api/v1/checks/{uuid}/results", false, http.HandlerFunc(s.probeResults)},
		{"POST /api/v1/checks/{uuid}/pause", false, http.HandlerFunc(s.pauseCheck)},
		{"POST /api/v1/checks/{uuid}/resume", false, http.HandlerFunc(s.resumeCheck)},
		{"GET /api/v1/incidents", false, http.HandlerFunc(s.listIncidents)},
		{"GET /api/v1/incidents/{id}", false, http.HandlerFunc(s.getIncident)},
		{"POST /api/v1/incidents/{id}/acknowledge", false, http.HandlerFunc(s.acknowledgeIncident)},
		{"POST /api/v1/incidents/{id}/resolve", false, http.HandlerFunc(s.resolveIncident)},
		{"POST /api/v1/incidents/{id}/escalate", false, http.HandlerFunc(s.escalateIncident)},
		{"POST /api/v1/incidents/{id}/reassign", false, http.HandlerFunc(s.reassignIncident)},
		{"GET /api/v1/alerts", false, http.HandlerFunc(s.listAlerts)},
		{"GET /api/v1/silences", false, http.HandlerFunc(s.listSilences)},
		{"POST /api/v1/silences", false, http.HandlerFunc(s.createSilence)},
		{"DELETE /api/v1/silences/{id}", false, http.HandlerFunc(s.expireSilence)},
		{"GET /api/v1/schedules", false, http.HandlerFunc(s.listSchedules)},
		{"GET /api/v1/schedules/{name}/oncall", false, http.HandlerFunc(s.scheduleOnCall)},
		{"GET /api/v1/schedules/{name}/shifts", false, http.HandlerFunc(s.scheduleShifts)},
		{"GET /api/v1/users", false, http.HandlerFunc(s.listUsers)},
		{"GET /api/v1/replicas", false, http.HandlerFunc(s.listReplicas)},
		{"GET /api/v1/config", false, http.HandlerFunc(s.runningConfig)},
		{"POST /api/v1/config/reload", false, http.HandlerFunc(s.reloadConfig)},
		{"GET /api/v1/audit", false, http.HandlerFunc(s.listAudit)},
	}
}

package web

import (
	"reflect"
	"slices"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/report"
	"github.com/tocsinhq/tocsin/internal/store"
)

// apiDocs documents each route of the route table for the OpenAPI
// description served at /api/v1/openapi.json (see openapi.go), keyed by the
// route's pattern exactly as routes.go writes it. The table gives the path,
// the method and the role; an entry here gives the rest:
//
//	"GET /api/v1/things/{id}": {
//		summary:   "One thing",
//		params:    []param{{name: "id", schema: int64(0)}},   // {id}: an integer, not a string
//		responses: map[int]any{200: thingJSON{}, 404: errorJSON{}},
//	},
//
// A response or body is a value of the Go type the handler encodes (a
// struct's json tags make its schema), or a media for what is not JSON. A
// handler that writes a map gets an anonymous struct of the same shape
// here, and the API's test (internal/app) fails if they part. The 401 and
// 403 of a route that needs a role are added by themselves. A new route
// without an entry here fails TestOpenAPICoversRouteTable.
var apiDocs = map[string]apiDoc{
	// Operations.
	"GET /healthz": {summary: "Liveness: the process serves HTTP", responses: map[int]any{200: statusJSON{}}},
	"GET /readyz": {summary: "Readiness: the loops run and the store is writable",
		responses: map[int]any{200: statusJSON{}, 503: notReadyJSON{}}},
	"GET /metrics": {summary: "Prometheus metrics",
		description: "Served to anyone, only with an API token (401 without, 403 with a role below viewer), or not at all (404), as the config's metrics setting says.",
		responses: map[int]any{200: media{contentType: "text/plain", schema: textSchema, description: "Prometheus text exposition format"},
			401: errorJSON{}, 403: errorJSON{}, 404: errorJSON{}}},

	// Signals.
	"/ping/": {summary: "Ping a check (Healthchecks-compatible)",
		description: "{check} is a check's UUID; {signal} is start, fail, log or an exit status from 0 to 255 (none: success). " +
			"/ping/{key}/{slug}[/{signal}] pings by the config's ping_key and the check's slug. The body is kept as the ping's log.",
		methods: []string{"GET", "HEAD", "POST"},
		paths:   []string{"/ping/{check}", "/ping/{check}/{signal}", "/ping/{key}/{slug}/{signal}"},
		params: []param{{name: "rid", schema: "", description: "a run id (a UUID) pairing a start with its finish"},
			{name: "check", schema: "", description: "the check's UUID, or the config's ping_key followed by /{slug}"},
			{name: "signal", schema: "", description: "start, fail, log or an exit status from 0 to 255"},
			{name: "key", schema: "", description: "the config's ping_key"},
			{name: "slug", schema: "", description: "the check's slug"}},
		body: media{contentType: "*/*", schema: textSchema}, bodyOptional: true,
		responses: map[int]any{200: pingText("OK"), 400: pingText("invalid url format, invalid uuid format or an unreadable body"),
			404: pingText("not found"), 409: pingText("ambiguous slug"), 503: pingText("not stored, try again")}},
	"POST /ingest/alertmanager/{key}": {summary: "Alerts from Alertmanager's webhook",
		params: []param{{name: "key", schema: "", description: "the integration's key"}},
		body:   media{contentType: "application/json", schema: map[string]any{"type": "object", "description": "Alertmanager's webhook payload (version 4)"}},
		responses: map[int]any{200: ingestAnswerJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}, 415: errorJSON{},
			503: errorJSON{}}},
	"POST /ingest/grafana/{key}": {summary: "Alerts from Grafana's webhook contact point",
		params: []param{{name: "key", schema: "", description: "the integration's key"}},
		body:   media{contentType: "application/json", schema: map[string]any{"type": "object", "description": "Grafana Alerting's webhook payload (version 1)"}},
		responses: map[int]any{200: ingestAnswerJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}, 415: errorJSON{},
			503: errorJSON{}}},
	"POST /ingest/generic/{key}": {summary: "Alerts in Tocsin's generic form",
		params: []param{{name: "key", schema: "", description: "the integration's key"}},
		body:   media{contentType: "application/json", schema: map[string]any{"type": "object", "description": "one alert, or {\"alerts\": [...]}"}},
		responses: map[int]any{202: genericAnswerJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}, 415: errorJSON{},
			503: errorJSON{}}},
	"POST /v2/enqueue": {summary: "Events in PagerDuty's Events API v2",
		description: "The routing_key of the event names the integration.",
		body:        media{contentType: "application/json", schema: map[string]any{"type": "object", "description": "a PagerDuty Events API v2 event"}},
		responses:   map[int]any{202: pagerDutyAcceptedJSON{}, 400: pagerDutyInvalidJSON{}, 503: errorJSON{}}},

	// Signed links.
	"GET /act/{token}": {summary: "The form of a signed link of a page",
		params:    []param{{name: "token", schema: "", description: "the signed, expiring token of the link"}},
		responses: map[int]any{200: htmlPage, 404: htmlPage, 410: htmlPage}},
	"POST /act/{token}": {summary: "Acknowledge or resolve an incident as the link's recipient",
		params:    []param{{name: "token", schema: "", description: "the signed, expiring token of the link"}},
		responses: map[int]any{200: htmlPage, 404: htmlPage, 409: htmlPage, 410: htmlPage, 500: htmlPage}},

	// Logins of people.
	"POST /login": {summary: "Log in with a user name and password: starts a session (cookie tocsin_session) and answers its CSRF token",
		description: "Also takes the same fields form-encoded. Five failed logins of an account in 15 minutes, or twenty from an address, get 429 with Retry-After.",
		body:        loginJSON{},
		responses:   map[int]any{200: sessionJSON{}, 400: errorJSON{}, 401: errorJSON{}, 413: errorJSON{}, 429: errorJSON{}}},
	"POST /logout": {summary: "End the request's session and clear its cookie", responses: map[int]any{200: struct {
		Status string `json:"status"`
	}{}}},
	"GET /login/oidc": {summary: "Log in with single sign-on: redirects to the OpenID Connect provider of sso.oidc",
		description: "Keeps the login's state, nonce and PKCE verifier in the HttpOnly cookie tocsin_oidc for 10 minutes.",
		responses:   map[int]any{302: ssoRedirect, 404: ssoPageMedia, 502: ssoPageMedia}},
	"GET /login/oidc/callback": {summary: "Where the provider sends the browser back: verifies the ID token and starts a session (cookie tocsin_session), then redirects to /",
		description: "The person needs a verified email that a config user has, and an email domain in allowed_email_domains or a group in role_mapping; others get 403.",
		params: []param{{name: "state", schema: "", description: "the state of the login, as sent to the provider"},
			{name: "code", schema: "", description: "the authorization code"},
			{name: "error", schema: "", description: "the provider's refusal"}},
		responses: map[int]any{302: ssoRedirect, 400: ssoPageMedia, 403: ssoPageMedia, 404: ssoPageMedia, 500: errorJSON{}, 502: ssoPageMedia}},
	"GET /invite/{token}": {summary: "The page of a one-time invite link: a form to choose a password",
		params:    []param{{name: "token", schema: "", description: "the link's one-time token"}},
		responses: map[int]any{200: htmlPage, 404: htmlPage, 500: htmlPage}},
	"POST /invite/{token}": {summary: "Set the invited user's password (form fields password and confirm), once",
		params:    []param{{name: "token", schema: "", description: "the link's one-time token"}},
		responses: map[int]any{200: htmlPage, 400: htmlPage, 404: htmlPage, 500: htmlPage}},
	"GET /setup/{token}": {summary: "The page of the setup link printed at start while no admin can log in: a form for the first admin login",
		params:    []param{{name: "token", schema: "", description: "the link's one-time token"}},
		responses: map[int]any{200: htmlPage, 404: htmlPage, 500: htmlPage}},
	"POST /setup/{token}": {summary: "Make the first admin login (form fields user, password and confirm), once",
		params:    []param{{name: "token", schema: "", description: "the link's one-time token"}},
		responses: map[int]any{200: htmlPage, 400: htmlPage, 404: htmlPage, 500: htmlPage}},

	// Subscriptions to status pages.
	"GET /status/{slug}": {summary: "A status page: its components with 90-day uptime bars, incidents and maintenance (HTML, no script)",
		description: "Public, as are all /status/{slug} documents: they show only what the config publishes. " +
			"Answers carry a strong ETag (If-None-Match gives 304) and Cache-Control: public, max-age=30.",
		params: statusPageParams, responses: map[int]any{200: statusHTML, 304: nil, 404: statusHTML}},
	"GET /status/{slug}/api/v2/summary.json":                         statusDoc("The page, its status, components, unresolved incidents and upcoming or active maintenance"),
	"GET /status/{slug}/api/v2/status.json":                          statusDoc("The page and its status roll-up (indicator none, minor, major, critical or maintenance, and its description)"),
	"GET /status/{slug}/api/v2/components.json":                      statusDoc("The page's components and groups"),
	"GET /status/{slug}/api/v2/incidents.json":                       statusDoc("The 50 most recent incidents, resolved ones included, with their updates"),
	"GET /status/{slug}/api/v2/incidents/unresolved.json":            statusDoc("The unresolved incidents"),
	"GET /status/{slug}/api/v2/scheduled-maintenances.json":          statusDoc("The 50 most recent scheduled maintenances"),
	"GET /status/{slug}/api/v2/scheduled-maintenances/upcoming.json": statusDoc("The scheduled maintenances not yet begun"),
	"GET /status/{slug}/api/v2/scheduled-maintenances/active.json":   statusDoc("The scheduled maintenances in progress or verifying"),
	"GET /status/{slug}/history.atom": {summary: "The page's incidents and maintenance, one entry per update (Atom 1.0)",
		params: statusPageParams, responses: map[int]any{200: media{contentType: "application/atom+xml", schema: textSchema,
			description: "an Atom feed"}, 304: nil, 404: statusHTML}},
	"GET /status/{slug}/badge.svg": {summary: "The page's status as an SVG badge",
		params: statusPageParams, responses: map[int]any{200: statusBadge, 304: nil, 404: statusHTML}},
	"GET /status/{slug}/components/{id}/badge.svg": {summary: "A component's status as an SVG badge",
		params:    append(statusPageParams, param{name: "id", schema: "", description: "the component's id"}),
		responses: map[int]any{200: statusBadge, 304: nil, 404: statusHTML}},
	"POST /status/{slug}/subscribe": {summary: "Subscribe an email address to a status page's incidents: mails it a link to confirm",
		description: "The same answer whether or not the address was subscribed. A client past 5 requests (then one a minute), " +
			"or an address past 3 mails (then one every 10 minutes), gets 429 with Retry-After; a page without a mail server 503.",
		params: []param{{name: "slug", schema: "", description: "the status page's slug"}},
		body: media{contentType: "application/x-www-form-urlencoded", schema: map[string]any{"type": "object",
			"properties": map[string]any{"email": map[string]any{"type": "string", "description": "the address"},
				"component": map[string]any{"type": "string", "description": "a component's id: only its incidents; none: the whole page's"}},
			"required": []string{"email"}}},
		responses: map[int]any{200: subscriptionPage, 400: subscriptionPage, 404: subscriptionPage, 429: subscriptionPage,
			500: subscriptionPage, 503: subscriptionPage}},
	"GET /status/{slug}/subscriptions/{token}": {summary: "The page of a subscription's link: what it is, with buttons to confirm and to unsubscribe",
		params:    subscriptionParams,
		responses: map[int]any{200: subscriptionPage, 404: subscriptionPage, 500: subscriptionPage}},
	"POST /status/{slug}/subscriptions/{token}/confirm": {summary: "Confirm the subscription of a link",
		params:    subscriptionParams,
		responses: map[int]any{200: subscriptionPage, 404: subscriptionPage, 500: subscriptionPage}},
	"POST /status/{slug}/subscriptions/{token}/unsubscribe": {summary: "End the subscription of a link (also the one-click List-Unsubscribe of RFC 8058)",
		params: subscriptionParams,
		body: media{contentType: "application/x-www-form-urlencoded", schema: map[string]any{"type": "object",
			"description": "ignored; mail clients send List-Unsubscribe=One-Click"}}, bodyOptional: true,
		responses: map[int]any{200: subscriptionPage, 404: subscriptionPage, 500: subscriptionPage}},

	// Calendar feeds.
	"GET /ical/schedules/{name}": {summary: "A schedule's shifts as an iCalendar feed",
		params:    []param{{name: "token", schema: "", required: true, description: "the feed's signed token, from ical_url"}},
		responses: map[int]any{200: calendar, 404: errorJSON{}}},
	"GET /ical/users/{name}": {summary: "A user's shifts as an iCalendar feed",
		params:    []param{{name: "token", schema: "", required: true, description: "the feed's signed token, from ical_url"}},
		responses: map[int]any{200: calendar, 404: errorJSON{}}},

	// Management API.
	"GET /api/v1/openapi.json": {summary: "This description of the API (OpenAPI 3.1)",
		responses: map[int]any{200: media{contentType: "application/json", schema: map[string]any{"type": "object"}}}},
	"GET /api/v1/checks": {summary: "Every check, or those having every tag asked for",
		params: []param{{name: "tag", schema: []string{}, description: "a tag; repeated: checks having all of them"}},
		responses: map[int]any{200: struct {
			Checks []checkJSON `json:"checks"`
		}{}}},
	"GET /api/v1/checks/{uuid}": {summary: "One check", responses: map[int]any{200: checkJSON{}, 404: errorJSON{}}},
	"POST /api/v1/checks": {summary: "Create a check managed through the API (managed_by: api), kept in the database across restarts and reloads",
		description: "name is required and unique among all checks; uuid is optional (kept if given, so that an imported check keeps its ping URL); " +
			"slug defaults to the name, slugified; schedule is every (like 1h) or cron with tz; grace defaults to 1h; notify names channels of the config (400 for an unknown one).",
		body: checkBody{}, responses: map[int]any{201: checkJSON{}, 400: errorJSON{}, 409: errorJSON{}}},
	"POST /api/v1/checks/bulk": {summary: "Create up to 1,000 checks managed through the API at once, all or none, in one transaction",
		description: "Each check is as POST /api/v1/checks takes it; they are answered in the order given. A bad one is 400 naming its index and field " +
			"(checks[3].schedule: ...), a name or uuid another check has is 409 (checks[3].name: ...); either way no check is made. One audit entry, check.create_many, lists them.",
		body: bulkChecks{}, responses: map[int]any{201: struct {
			Checks []checkJSON `json:"checks"`
		}{}, 400: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"PATCH /api/v1/checks/{uuid}": {summary: "Change a check managed through the API; each field given replaces the check's",
		description: "A check defined in the config file (managed_by: config) answers 409 naming the file and line that define it.",
		body:        checkBody{}, responses: map[int]any{200: checkJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}}},
	"DELETE /api/v1/checks/{uuid}": {summary: "Delete a check managed through the API; its open incident is resolved",
		description: "A check defined in the config file answers 409 naming the file and line that define it.",
		responses:   map[int]any{200: checkJSON{}, 404: errorJSON{}, 409: errorJSON{}}},
	"GET /api/v1/checks/{uuid}/pings": {summary: "A check's last 100 pings, newest first", responses: map[int]any{200: struct {
		Pings []pingJSON `json:"pings"`
	}{}, 404: errorJSON{}}},
	"GET /api/v1/checks/{uuid}/results": {summary: "A probe's recent runs and its uptime by hour (48 hours) and by day (90 days)",
		responses: map[int]any{200: probeResultsJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"POST /api/v1/checks/{uuid}/pause": {summary: "Pause a check until its next ping (or until resumed, with manual_resume)",
		responses: map[int]any{200: checkJSON{}, 404: errorJSON{}}},
	"POST /api/v1/checks/{uuid}/resume": {summary: "Resume a paused check; it waits for its next ping",
		responses: map[int]any{200: checkJSON{}, 404: errorJSON{}, 409: errorJSON{}}},
	// Healthchecks' Management API (internal/hcapi): the X-Api-Key header
	// (or the JSON body's api_key) holds a Tocsin API token; a viewer
	// token is Healthchecks' read-only key. Documents are Healthchecks'.
	"/api/v3/checks/{$}": {summary: "Healthchecks: list checks (GET, ?tag= repeatable, ?slug=), or create one (POST; with unique: update the first match, 200)",
		description: hcDescription, methods: []string{"GET", "POST"}, paths: []string{"/api/v3/checks/"},
		params: []param{{name: "tag", schema: []string{}, description: "a tag; repeated: checks having all of them"},
			{name: "slug", schema: "", description: "checks with this slug"}},
		body: hcObject, bodyOptional: true, responses: hcAnswers(200, 201)},
	"/api/v3/checks/{key}": {summary: "Healthchecks: one check by UUID or unique key (GET), update it (POST), delete it (DELETE)",
		description: hcDescription, methods: []string{"GET", "POST", "DELETE"},
		params: []param{{name: "key", schema: "", description: "the check's UUID, or (GET) its unique_key"}},
		body:   hcObject, bodyOptional: true, responses: hcAnswers(200)},
	"/api/v3/checks/{key}/pause": {summary: "Healthchecks: pause a check", description: hcDescription, methods: []string{"POST"},
		params: []param{{name: "key", schema: "", description: "the check's UUID"}}, body: hcObject, bodyOptional: true,
		responses: hcAnswers(200)},
	"/api/v3/checks/{key}/resume": {summary: "Healthchecks: resume a paused check (409, text, if it is not paused)", description: hcDescription,
		methods: []string{"POST"}, params: []param{{name: "key", schema: "", description: "the check's UUID"}}, body: hcObject, bodyOptional: true,
		responses: map[int]any{200: hcObject, 400: errorJSON{}, 401: errorJSON{}, 404: errorJSON{},
			409: media{contentType: "text/html", schema: textSchema, description: "check is not paused"}}},
	"/api/v3/checks/{key}/pings/{$}": {summary: "Healthchecks: a check's last 100 pings, newest first (read-write key)", description: hcDescription,
		methods: []string{"GET"}, paths: []string{"/api/v3/checks/{key}/pings/"},
		params: []param{{name: "key", schema: "", description: "the check's UUID"}}, responses: hcAnswers(200)},
	"/api/v3/checks/{key}/pings/{n}/body": {summary: "Healthchecks: a ping's body as it came (read-write key)", description: hcDescription,
		methods: []string{"GET"}, params: []param{{name: "key", schema: "", description: "the check's UUID"},
			{name: "n", schema: int64(0), description: "the ping's number"}},
		responses: map[int]any{200: media{contentType: "text/plain", schema: textSchema}, 401: errorJSON{}, 404: errorJSON{}}},
	"/api/v3/checks/{key}/flips/{$}": {summary: "Healthchecks: a check's changes between up and down, newest first: its incidents' openings and resolutions; an invalid start, end or seconds is 400 without a body",
		description: hcDescription, methods: []string{"GET"}, paths: []string{"/api/v3/checks/{key}/flips/"},
		params: []param{{name: "key", schema: "", description: "the check's UUID or unique key"},
			{name: "start", schema: int64(0), description: "Unix time: flips at or after"},
			{name: "end", schema: int64(0), description: "Unix time: flips before"},
			{name: "seconds", schema: int64(0), description: "flips of the last this many seconds"}},
		responses: map[int]any{200: hcObject, 401: errorJSON{}, 404: errorJSON{}}},
	"/api/v3/channels/{$}": {summary: "Healthchecks: the config's channels with a stable id (read-write key)", description: hcDescription,
		methods: []string{"GET"}, paths: []string{"/api/v3/channels/"}, responses: hcAnswers(200)},
	"/api/v3/badges/{$}": {summary: "Healthchecks: the signed badge URLs (svg, svg3, json, json3, shields, shields3) of every tag in use and of * (every check); an empty map without links_secret",
		description: hcDescription, methods: []string{"GET"}, paths: []string{"/api/v3/badges/"}, responses: hcAnswers(200)},
	"/badge/{key}/{sigformat}": {summary: "Healthchecks: the badge of every check, as listed by /api/v3/badges/ under *",
		description: hcBadgeDescription, methods: []string{"GET"}, params: []param{
			{name: "key", schema: "", description: "the badge key"},
			{name: "sigformat", schema: "", description: "the signature (ending in -2: late shows as up), a dot, and svg, json or shields"}},
		responses: map[int]any{200: hcBadgeMedia, 404: media{contentType: "text/plain", schema: textSchema}}},
	"/badge/{key}/{sig}/{tagformat}": {summary: "Healthchecks: the badge of a tag's checks, as listed by /api/v3/badges/",
		description: hcBadgeDescription, methods: []string{"GET"}, params: []param{
			{name: "key", schema: "", description: "the badge key"},
			{name: "sig", schema: "", description: "the tag's signature (ending in -2: late shows as up)"},
			{name: "tagformat", schema: "", description: "the tag, a dot, and svg, json or shields"}},
		responses: map[int]any{200: hcBadgeMedia, 404: media{contentType: "text/plain", schema: textSchema}}},

	"GET /api/v1/incidents": {summary: "Incidents, newest first",
		params: []param{{name: "status", schema: "", description: "open, triggered, acknowledged or resolved"},
			{name: "check", schema: "", description: "a check's UUID"},
			{name: "limit", schema: 0, description: "1 to 1000; default 100"},
			{name: "before", schema: int64(0), description: "an incident id: older ones only"}},
		responses: map[int]any{200: struct {
			Incidents []incidentJSON `json:"incidents"`
		}{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/incidents/{id}": {summary: "One incident, with its timeline and alerts", params: incidentIDParam,
		responses: map[int]any{200: incidentJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"POST /api/v1/incidents/{id}/acknowledge": {summary: "Acknowledge an incident", params: incidentIDParam,
		responses: incidentChange},
	"POST /api/v1/incidents/{id}/resolve": {summary: "Resolve an incident", params: incidentIDParam, responses: incidentChange},
	"POST /api/v1/incidents/{id}/escalate": {summary: "Page the next level of the incident's escalation policy now",
		params: incidentIDParam, responses: incidentChange},
	"POST /api/v1/incidents/{id}/reassign": {summary: "Page a user or a schedule about the incident now", params: incidentIDParam,
		body: reassignJSON{}, responses: incidentChange},
	"POST /api/v1/incidents/{id}/notes": {summary: "Add a note (1 to 10000 characters) to the incident's timeline",
		params: incidentIDParam, body: noteJSON{},
		responses: map[int]any{201: incidentJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"PATCH /api/v1/incidents/{id}": {summary: "Change an incident's priority (P1 to P5), services affected, roles or links; each field given replaces the incident's",
		description: "services: services of the config beyond the incident's own; roles: each role (commander, communications or another name) once, held by a user of the config; links: kind status_page, ticket, dashboard or other, a title and an http(s) URL. Every change is on the timeline and in the audit log; nothing pages. A merged incident takes no changes (409).",
		params:      incidentIDParam, body: IncidentFieldsChange{}, responses: incidentBodyChange},
	"POST /api/v1/incidents/{id}/reopen": {summary: "Reopen a resolved incident, within the config's incidents.reopen_window (default 24h) of its resolution",
		description: "Everyone paged for it is paged again and its escalation resumes. 409 when it is not resolved, was resolved longer ago than the window, was merged, or its check has another open incident.",
		params:      incidentIDParam, responses: incidentChange},
	"POST /api/v1/incidents/{id}/merge": {summary: "Merge a duplicate into another incident; answers with the incident merged into",
		description: "The duplicate's timeline entries, alerts and notifications move to the other incident, and the duplicate is resolved as merged into it. A merged incident cannot be merged again (409) nor merged into (400); nothing is merged into itself (400).",
		params:      incidentIDParam, body: mergeRequestJSON{}, responses: incidentBodyChange},
	"POST /api/v1/incidents/{id}/timeline": {summary: "Add a person's timeline entry, backdated to when it happened, optionally a key moment",
		description: "at: not in the future, at most 7 days before the incident opened; message: 1 to 10000 characters; key_moment: detection, cause_identified, mitigation or resolution.",
		params:      incidentIDParam, body: timelineEntryRequestJSON{},
		responses: map[int]any{201: incidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"PUT /api/v1/incidents/{id}/timeline/{entry}/key-moment": {summary: "Mark a timeline entry as a key moment: detection, cause_identified, mitigation or resolution",
		description: "An incident has at most one entry per key moment and an entry at most one: the key moment moves from the entry that had it.",
		params:      timelineEntryParams, body: keyMomentRequestJSON{}, responses: incidentBodyChange},
	"DELETE /api/v1/incidents/{id}/timeline/{entry}/key-moment": {summary: "Unmark a timeline entry as a key moment",
		params: timelineEntryParams, responses: incidentChange},
	"GET /api/v1/incidents/{id}/postmortem": {summary: "The incident's postmortem: its latest saved revision, or a draft written from the incident's record when none is saved (revision 0)",
		description: "The draft's timeline shows its times in UTC and in ?tz= (an IANA zone), else the zone of the user asking, else UTC only.",
		params:      postmortemParams, responses: map[int]any{200: postmortemJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"PUT /api/v1/incidents/{id}/postmortem": {summary: "Save a revision of the incident's postmortem, authored by the caller",
		description: "markdown: 1 to 60000 bytes; base_revision: the revision the edit started from (0: the draft). When another revision was saved since, nothing is saved (409): reload and edit that. Audited.",
		params:      incidentIDParam, body: postmortemSaveJSON{},
		responses: map[int]any{200: postmortemJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"GET /api/v1/incidents/{id}/postmortem/revisions": {summary: "Every saved revision of the incident's postmortem, newest first",
		params: incidentIDParam, responses: map[int]any{200: postmortemRevisionsJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/incidents/{id}/postmortem.md": {summary: "The incident's postmortem as GitHub-flavoured Markdown (the latest revision, else the draft)",
		params: postmortemParams, responses: map[int]any{200: media{contentType: "text/markdown", schema: textSchema},
			400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/incidents/{id}/postmortem.html": {summary: "The incident's postmortem rendered as an HTML page; raw HTML in it is left out",
		params: postmortemParams, responses: map[int]any{200: media{contentType: "text/html", schema: textSchema},
			400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/incidents/{id}/action-items": {summary: "The action items of the incident's postmortem, in the order they were added",
		params: incidentIDParam, responses: map[int]any{200: actionItemsJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"POST /api/v1/incidents/{id}/action-items": {summary: "Add an open action item to the incident's postmortem",
		description: "title: 1 to 500 characters; owner: a user of the config; team: a team of the config, default the incident's, else the owner's first; due: a date, YYYY-MM-DD; link: an http(s) URL. On the timeline and in the audit log. A merged incident takes none (409).",
		params:      incidentIDParam, body: ActionItemNew{},
		responses: map[int]any{201: actionItemJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"GET /api/v1/action-items": {summary: "Action items across incidents, the earliest due first (those without a due date last)",
		description: "overdue: open, and its due day has ended in its owner's time zone (users[].tz, default UTC).",
		params: []param{{name: "team", schema: ""}, {name: "owner", schema: "", description: "a user's name"},
			{name: "status", schema: "", description: "open (default), done, wont_do or all"}},
		responses: map[int]any{200: actionItemsJSON{}, 400: errorJSON{}}},
	"PATCH /api/v1/action-items/{id}": {summary: "Change an action item's title, owner, due date, status (open, done or wont_do) or link; each field given replaces the item's",
		description: "\"\" clears the due date or the link. Every change is on the incident's timeline and in the audit log.",
		params:      []param{{name: "id", schema: int64(0), description: "the action item's id"}}, body: ActionItemChange{},
		responses: map[int]any{200: actionItemJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}}},
	"GET /api/v1/alerts": {summary: "Alerts, newest first",
		params: []param{{name: "status", schema: tocsin.AlertStatus(""), description: "firing, acknowledged or resolved"},
			{name: "service", schema: ""},
			{name: "limit", schema: 0, description: "1 to 1000; default 100"}},
		responses: map[int]any{200: struct {
			Alerts []alertJSON `json:"alerts"`
		}{}, 400: errorJSON{}}},
	"GET /api/v1/silences": {summary: "Silences in force or to come",
		params: []param{{name: "all", schema: false, description: "true: expired ones too"}},
		responses: map[int]any{200: struct {
			Silences []silenceJSON `json:"silences"`
		}{}}},
	"POST /api/v1/silences": {summary: "Make a silence: fixed (ends_at; starts_at defaults to now) or recurring (cron, duration, tz)",
		body:      silenceRequestJSON{},
		responses: map[int]any{201: silenceJSON{}, 400: errorJSON{}, 413: errorJSON{}}},
	"DELETE /api/v1/silences/{id}": {summary: "Expire a silence now",
		params:    []param{{name: "id", schema: int64(0), description: "the silence's id"}},
		responses: map[int]any{200: silenceJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}}},
	"GET /api/v1/session": {summary: "Who the request acts as; for a session also its CSRF token and when it ends",
		responses: map[int]any{200: sessionJSON{}}},
	"PUT /api/v1/users/{name}/password": {summary: "Set a user's password (at least 8 characters); ends the user's sessions",
		params: []param{{name: "name", schema: "", description: "the user's name"}},
		body: struct {
			Password string `json:"password"`
		}{},
		responses: map[int]any{200: struct {
			User            string `json:"user"`
			Status          string `json:"status"`
			SessionsRevoked int64  `json:"sessions_revoked"`
		}{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}}},
	"POST /api/v1/users/{name}/invite": {summary: "Make a one-time link (7 days) with which the user chooses a password",
		params: []param{{name: "name", schema: "", description: "the user's name"}},
		responses: map[int]any{200: struct {
			User      string    `json:"user"`
			URL       string    `json:"url"`
			ExpiresAt time.Time `json:"expires_at"`
		}{}, 400: errorJSON{}, 404: errorJSON{}}},
	"DELETE /api/v1/users/{name}/sessions": {summary: "End every session of a user",
		params: []param{{name: "name", schema: "", description: "the user's name"}},
		responses: map[int]any{200: struct {
			User    string `json:"user"`
			Revoked int64  `json:"revoked"`
		}{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/tokens": {summary: "The API tokens: the config's, then those made through the API (revoked ones too); never a token itself",
		responses: map[int]any{200: struct {
			Tokens []tokenJSON `json:"tokens"`
		}{}}},
	"POST /api/v1/tokens": {summary: "Make an API token with a role and an optional expiry; the token is shown in this answer only",
		body:      tokenRequestJSON{},
		responses: map[int]any{201: tokenJSON{}, 400: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"DELETE /api/v1/tokens/{id}": {summary: "Revoke a token made through the API (a config token is refused: it lives in the file)",
		params:    []param{{name: "id", schema: "", description: "the token's id (a config token's name gets 409)"}},
		responses: map[int]any{200: tokenJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}}},
	"GET /api/v1/status-pages/{slug}/subscribers": {summary: "A status page's live subscribers: email addresses (confirmed or not) and webhooks",
		params: []param{{name: "slug", schema: "", description: "the status page's slug"}},
		responses: map[int]any{200: struct {
			Subscribers []statusSubscriberJSON `json:"subscribers"`
		}{}, 404: errorJSON{}}},
	"POST /api/v1/status-pages/{slug}/subscribers": {summary: "Subscribe a webhook to a status page's incidents (201; 200 with the one that exists)",
		description: "The webhook gets a JSON POST shaped like Statuspage's webhook notifications (meta, page, incident with incident_updates) for each update published.",
		params:      []param{{name: "slug", schema: "", description: "the status page's slug"}},
		body:        statusNewSubscriberJSON{},
		responses:   map[int]any{200: statusSubscriberJSON{}, 201: statusSubscriberJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}},
	"DELETE /api/v1/status-pages/{slug}/subscribers/{id}": {summary: "End a subscription to a status page, of an address or a webhook",
		params: []param{{name: "slug", schema: "", description: "the status page's slug"},
			{name: "id", schema: int64(0), description: "the subscriber's id"}},
		responses: map[int]any{200: statusSubscriberJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/schedules": {summary: "Every schedule, with who is on call now", responses: map[int]any{200: struct {
		Schedules []scheduleJSONOut `json:"schedules"`
	}{}}},
	"GET /api/v1/schedules/{name}/oncall": {summary: "Who is on call at a time",
		params: []param{{name: "at", schema: time.Time{}, description: "default now"}},
		responses: map[int]any{200: struct {
			At    time.Time `json:"at"`
			Users []string  `json:"users"`
		}{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/schedules/{name}/shifts": {summary: "A schedule's shifts and gaps, by at most 90 days",
		params: []param{{name: "from", schema: time.Time{}, description: "default now"},
			{name: "to", schema: time.Time{}, description: "default from and 7 days"}},
		responses: map[int]any{200: struct {
			Schedule string      `json:"schedule"`
			From     time.Time   `json:"from"`
			To       time.Time   `json:"to"`
			Shifts   []shiftJSON `json:"shifts"`
		}{}, 400: errorJSON{}, 404: errorJSON{}}},
	"GET /api/v1/schedules/{name}/overrides": {summary: "A schedule's overrides in force or to come, the config's and those made at run time, by start (at most 500 made at run time)",
		params: []param{{name: "name", schema: "", description: "the schedule's name"}},
		responses: map[int]any{200: struct {
			Schedule  string         `json:"schedule"`
			Overrides []overrideJSON `json:"overrides"`
		}{}, 404: errorJSON{}}},
	"POST /api/v1/schedules/{name}/overrides": {summary: "Put a user on call in a schedule for a while, in place of its rotations (at most 90 days, not over already)",
		description: "Paging, who is on call, shifts and calendar feeds count it at once, with no reload of the config. An unknown schedule or user, a disabled user, an end not after the start, more than 90 days or an end in the past get 400 with the reason.",
		params:      []param{{name: "name", schema: "", description: "the schedule's name"}},
		body:        overrideRequestJSON{},
		responses:   map[int]any{201: overrideJSON{}, 400: errorJSON{}, 413: errorJSON{}}},
	"DELETE /api/v1/schedules/{name}/overrides/{id}": {summary: "Remove an override made at run time (the config's are removed from the file)",
		params: []param{{name: "name", schema: "", description: "the schedule's name"},
			{name: "id", schema: int64(0), description: "the override's id"}},
		responses: map[int]any{200: overrideJSON{}, 404: errorJSON{}}},
	"GET /api/v1/users": {summary: "Every user, with the schedules they are on call in now", responses: map[int]any{200: struct {
		Users []userJSONOut `json:"users"`
	}{}}},
	"GET /api/v1/reports/summary": {summary: "Incidents, MTTA and MTTR (median and p90), escalations, pages and nobody-reachable events over a range, overall, per service and per team",
		description: reportDescription, params: reportParams,
		responses: map[int]any{200: jsonOr{report.Summary{}, reportCSV}, 400: errorJSON{}}},
	"GET /api/v1/reports/people": {summary: "Pages per person over a range, their out-of-hours share in the person's own time zone, and the nights they interrupted",
		description: reportDescription, params: reportParams,
		responses: map[int]any{200: jsonOr{peopleReportJSON{}, reportCSV}, 400: errorJSON{}}},
	"GET /api/v1/reports/noisy": {summary: "The noisiest checks and alerts over a range: most pages, then most flaps",
		description: reportDescription, params: append(slices.Clone(reportParams),
			param{name: "limit", schema: 0, description: "entries of each list, 1 to 100; default 10"}),
		responses: map[int]any{200: jsonOr{report.NoisyReport{}, reportCSV}, 400: errorJSON{}}},
	"GET /api/v1/reports/chart.svg": {summary: "A bar chart (SVG) of incidents opened, or of median minutes to acknowledge or resolve, per day or week (UTC)",
		params: append(slices.Clone(reportRangeParams),
			param{name: "metric", schema: "", description: "incidents (default), mtta or mttr"},
			param{name: "bucket", schema: "", description: "day (default) or week (from Monday 00:00 UTC)"}),
		responses: map[int]any{200: media{contentType: "image/svg+xml", schema: textSchema,
			description: "an accessible bar chart: role img, with a title and a description that reads out every bar"}, 400: errorJSON{}}},
	"GET /api/v1/replicas": {summary: "The replicas on the database, and which one leads", responses: map[int]any{200: struct {
		This     string        `json:"this"`
		Leader   *leaderJSON   `json:"leader"`
		Replicas []replicaJSON `json:"replicas"`
	}{}}},
	"GET /api/v1/config": {summary: "The running config, as config check --against compares a file with it",
		responses: map[int]any{200: RunningConfig{}}},
	"POST /api/v1/config/reload": {summary: "Read the config file again",
		params:    []param{{name: "force", schema: false, description: "true: apply a config the reload guard refuses"}},
		responses: map[int]any{200: ReloadResult{}, 400: reloadRefusedJSON{}, 409: reloadRefusedJSON{}}},
	"GET /api/v1/audit": {summary: "The audit log, newest first",
		params: []param{{name: "limit", schema: 0, description: "1 to 1000; default 100"},
			{name: "before", schema: int64(0), description: "an entry id: older ones only"},
			{name: "action", schema: "", description: "an action (config.reload), or a prefix before a dot (config)"}},
		responses: map[int]any{200: struct {
			Entries []store.AuditEntry `json:"entries"`
		}{}, 400: errorJSON{}}},

	// Status pages (served by internal/statuspage; the shapes are mirrored
	// below, and TestStatusPageShapes keeps the mirrors true).
	"GET /api/v1/status-pages": {summary: "Every status page, with its components, what they are bound to and their overrides",
		responses: map[int]any{200: struct {
			StatusPages []statusPageJSON `json:"status_pages"`
		}{}}},
	"GET /api/v1/status-pages/{slug}": {summary: "A status page with its incidents and maintenances, drafts included (open ones and those closed within 90 days)",
		params: slugParam, responses: map[int]any{200: statusPageDetailJSON{}, 404: errorJSON{}}},
	"POST /api/v1/status-pages/{slug}/incidents": {summary: "Open a public incident with its first update; a draft unless publish is true",
		description: "components are public component ids of the page; incidents are ids of Tocsin's incidents, on whose timelines each published update is recorded.",
		params:      slugParam, body: statusNewIncidentJSON{},
		responses: map[int]any{201: statusIncidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}}},
	"GET /api/v1/status-pages/{slug}/incidents/{id}": {summary: "A public incident or maintenance with its updates and linked incidents",
		params: statusIncidentParams, responses: map[int]any{200: statusIncidentJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"PATCH /api/v1/status-pages/{slug}/incidents/{id}": {summary: "Change a public incident's name, impact or components, or link more incidents, without an update",
		params: statusIncidentParams, body: statusIncidentChangeJSON{}, responses: statusIncidentChange},
	"POST /api/v1/status-pages/{slug}/incidents/{id}/updates": {summary: "Post an update: investigating, identified, monitoring or resolved",
		description: "Tocsin still resolves an incident it opened once its components recover, whoever posted, unless an update says take_over (or resolves it): then a person speaks for it. A resolved incident takes no more updates (409). display_at may be in the past, not in the future.",
		params:      statusIncidentParams, body: statusNewUpdateJSON{}, responses: statusIncidentChange},
	"POST /api/v1/status-pages/{slug}/incidents/{id}/publish": {summary: "Publish a draft incident now: its latest update is announced",
		params: statusIncidentParams, responses: statusIncidentChange},
	"PUT /api/v1/status-pages/{slug}/components/{component}/override": {summary: "Show a component with a status of your choice until a time (at most 7 days ahead)",
		params: statusComponentParams, body: statusOverrideRequestJSON{},
		responses: map[int]any{200: statusComponentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}}},
	"DELETE /api/v1/status-pages/{slug}/components/{component}/override": {summary: "End a component's override now",
		params: statusComponentParams, responses: map[int]any{200: statusComponentJSON{}, 400: errorJSON{}, 404: errorJSON{}}},
	"POST /api/v1/status-pages/{slug}/maintenances": {summary: "Schedule a maintenance, public at once; its window silences what its components are bound to",
		params: slugParam, body: statusNewMaintenanceJSON{},
		responses: map[int]any{201: statusIncidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 413: errorJSON{}}},
	"PATCH /api/v1/status-pages/{slug}/maintenances/{id}": {summary: "Post an update to a maintenance (in_progress starts it now, verifying, completed), or move its window while it is scheduled",
		params: statusIncidentParams, body: statusMaintenanceChangeJSON{}, responses: statusIncidentChange},
	"POST /api/v1/status-pages/{slug}/maintenances/{id}/cancel": {summary: "Cancel a maintenance: it is completed now, with an update saying so",
		params: statusIncidentParams, body: statusCancelJSON{}, bodyOptional: true, responses: statusIncidentChange},
}

// apiDoc documents one route.
type apiDoc struct {
	summary, description string
	// params are the route's path and query parameters: a {name} of the
	// path is a path parameter (a string unless listed), any other a query
	// parameter.
	params []param
	// body is the request body: a value of its Go type, or a media.
	body         any
	bodyOptional bool
	// responses maps each status to a value of the Go type answered, or a
	// media.
	responses map[int]any
	// methods and paths: for a route whose pattern has no method, or
	// stands for more than one path (/ping/).
	methods, paths []string
}

// param is a path or query parameter; schema is a value of its Go type.
type param struct {
	name, description string
	schema            any
	required          bool
}

// media is a body that is not JSON of a Go type.
type media struct {
	contentType, description string
	schema                   map[string]any
}

// enums lists the values of the named string types of the API.
var enums = map[reflect.Type][]any{
	reflect.TypeFor[tocsin.CheckState](): {tocsin.StateNew, tocsin.StateUp, tocsin.StateStarted, tocsin.StateGrace,
		tocsin.StateDown, tocsin.StatePaused},
	reflect.TypeFor[tocsin.PingKind](): {tocsin.PingSuccess, tocsin.PingStart, tocsin.PingFail, tocsin.PingLog,
		tocsin.PingIgnored},
	reflect.TypeFor[tocsin.IncidentStatus](): {tocsin.IncidentTriggered, tocsin.IncidentAcknowledged, tocsin.IncidentResolved},
	reflect.TypeFor[tocsin.AlertStatus]():    {tocsin.AlertFiring, tocsin.AlertAcknowledged, tocsin.AlertResolved},
}

// componentNames names the types whose names would collide in components.
var componentNames = map[reflect.Type]string{
	reflect.TypeFor[scheduleJSON](): "CheckSchedule",
}

var (
	textSchema   = map[string]any{"type": "string"}
	htmlPage     = media{contentType: "text/html", schema: textSchema, description: "a page saying what the link does or did"}
	ssoPageMedia = media{contentType: "text/html", schema: textSchema, description: "a page saying why single sign-on did not go on"}
	ssoRedirect  = media{contentType: "text/html", schema: textSchema, description: "a redirect (Location), to the provider or, logged in, to /"}
	calendar     = media{contentType: "text/calendar", schema: textSchema, description: "an iCalendar feed, 7 days back and 60 ahead"}

	statusHTML       = media{contentType: "text/html", schema: textSchema, description: "the page, or a short page saying there is none"}
	statusBadge      = media{contentType: "image/svg+xml", schema: textSchema, description: "a badge"}
	statusPageParams = []param{{name: "slug", schema: "", description: "the status page's slug"}}

	subscriptionPage   = media{contentType: "text/html", schema: textSchema, description: "a page saying what was done, or why not"}
	subscriptionParams = []param{{name: "slug", schema: "", description: "the status page's slug"},
		{name: "token", schema: "", description: "the token of the subscription's link"}}

	incidentIDParam     = []param{{name: "id", schema: int64(0), description: "the incident's id"}}
	timelineEntryParams = append(slices.Clone(incidentIDParam), param{name: "entry", schema: int64(0), description: "the timeline entry's id"})
	postmortemParams    = append(slices.Clone(incidentIDParam), param{name: "tz", schema: "", description: "an IANA time zone the draft's timeline shows beside UTC"})
	incidentChange      = map[int]any{200: incidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}}
	incidentBodyChange  = map[int]any{200: incidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}

	slugParam             = []param{{name: "slug", schema: "", description: "the status page's slug"}}
	statusIncidentParams  = append(slices.Clone(slugParam), param{name: "id", schema: int64(0), description: "the public incident's or maintenance's id"})
	statusComponentParams = append(slices.Clone(slugParam), param{name: "component", schema: "", description: "the component's public id"})
	statusIncidentChange  = map[int]any{200: statusIncidentJSON{}, 400: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}, 413: errorJSON{}}
)

// jsonOr is a response that is JSON of json's Go type, or alt when the
// request asks for it.
type jsonOr struct {
	json any
	alt  media
}

// The parameters of the reports.
var (
	reportRangeParams = []param{
		{name: "from", schema: "", description: "an RFC 3339 time or a date (midnight UTC); default 30 days before to"},
		{name: "to", schema: "", description: "an RFC 3339 time or a date (midnight UTC), excluded; default now; at most 400 days after from"},
		{name: "service", schema: "", description: "only the incidents of this service"},
		{name: "team", schema: "", description: "only the incidents of this team"}}
	reportParams = append(slices.Clone(reportRangeParams),
		param{name: "format", schema: "", description: "json (default) or csv; Accept: text/csv asks for CSV too"})
	reportCSV         = media{contentType: "text/csv", schema: textSchema, description: "the report as CSV, a header row first"}
	reportDescription = "docs/reports.md defines each figure. Times are UTC; a page is judged out of hours and at night in the zone of the person paged (users[].tz)."
)

// hcObject is a JSON object of Healthchecks' API, as its documentation
// describes it.
var hcObject = media{contentType: "application/json", schema: map[string]any{"type": "object"}}

const hcDescription = "Healthchecks' Management API v3, as Healthchecks documents it: X-Api-Key is a Tocsin API token " +
	"(viewer: the read-only key; responder or admin: the read-write key). Public in the route table: the handler checks the key."

// hcBadgeMedia is a check badge: an SVG image, Healthchecks' JSON or shields.io's.
var hcBadgeMedia = media{contentType: "image/svg+xml", schema: textSchema,
	description: "an SVG badge (.svg); .json is {status, total, grace, down}, .shields shields.io's endpoint JSON"}

const hcBadgeDescription = "Healthchecks' check badges: no token, the signature (derived from links_secret) is the credential; " +
	"status down if a check is down, else late if one is in its grace period, else up; never cached. 404 for a wrong key, signature or format."

// hcAnswers are the answers of a Healthchecks endpoint: its document with
// each success status, and Healthchecks' JSON errors.
func hcAnswers(ok ...int) map[int]any {
	out := map[int]any{400: errorJSON{}, 401: errorJSON{}, 404: errorJSON{}, 409: errorJSON{}}
	for _, s := range ok {
		out[s] = hcObject
	}
	return out
}

func pingText(description string) media {
	return media{contentType: "text/plain", schema: textSchema, description: description}
}

// The shapes of answers that handlers write as maps, or that other
// packages write.
type (
	errorJSON struct {
		Error string `json:"error"`
	}
	statusJSON struct {
		Status string `json:"status"`
	}
	notReadyJSON struct {
		Status   string   `json:"status"`
		Problems []string `json:"problems"`
	}
	reloadRefusedJSON struct {
		Error    string           `json:"error"`
		Findings []config.Finding `json:"findings"`
	}
	// silenceRequestJSON is what createSilence reads of a silenceJSON.
	silenceRequestJSON struct {
		Matchers []string   `json:"matchers"`
		StartsAt *time.Time `json:"starts_at,omitempty"`
		EndsAt   *time.Time `json:"ends_at,omitempty"`
		Cron     string     `json:"cron,omitempty"`
		Duration string     `json:"duration,omitempty"`
		TZ       string     `json:"tz,omitempty"`
		Comment  string     `json:"comment,omitempty"`
	}
	reassignJSON struct {
		To string `json:"to"` // user:<name> or schedule:<name>
	}
	noteJSON struct {
		Text string `json:"text"`
	}
	ingestCountsJSON struct {
		Alerts    int `json:"alerts"`
		New       int `json:"new"`
		Updated   int `json:"updated"`
		Resolved  int `json:"resolved"`
		Silenced  int `json:"silenced"`
		Inhibited int `json:"inhibited"`
	}
	ingestAnswerJSON struct {
		Status string `json:"status"` // success
		ingestCountsJSON
	}
	genericAnswerJSON struct {
		Status string   `json:"status"` // accepted
		Keys   []string `json:"keys"`
		ingestCountsJSON
	}
	pagerDutyAcceptedJSON struct {
		Status   string `json:"status"`
		Message  string `json:"message"`
		DedupKey string `json:"dedup_key"`
	}
	pagerDutyInvalidJSON struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
)

// The shapes of the status pages' management API, which internal/statuspage
// answers and reads (its API* types): this package does not import it.
type (
	statusPageJSON struct {
		Slug        string                `json:"slug"`
		Title       string                `json:"title"`
		Description string                `json:"description"`
		Publish     string                `json:"publish"`
		Components  []statusComponentJSON `json:"components"`
	}
	statusPageDetailJSON struct {
		statusPageJSON
		Incidents    []statusIncidentJSON `json:"incidents"`
		Maintenances []statusIncidentJSON `json:"maintenances"`
	}
	statusComponentJSON struct {
		ID       string              `json:"id"`
		Name     string              `json:"name"`
		Group    bool                `json:"group"`
		GroupID  string              `json:"group_id,omitempty"`
		Checks   []string            `json:"checks,omitempty"`
		Services []string            `json:"services,omitempty"`
		Override *statusOverrideJSON `json:"override"`
	}
	statusOverrideJSON struct {
		Status string    `json:"status"`
		Until  time.Time `json:"until"`
		Reason string    `json:"reason"`
		SetBy  string    `json:"set_by"`
		SetAt  time.Time `json:"set_at"`
	}
	statusIncidentJSON struct {
		ID             int64              `json:"id"`
		Kind           string             `json:"kind"`
		Name           string             `json:"name"`
		Status         string             `json:"status"`
		Impact         string             `json:"impact"`
		Components     []string           `json:"components"`
		Auto           bool               `json:"auto"`
		TakenOver      bool               `json:"taken_over"`
		Draft          bool               `json:"draft"`
		PublishedAt    *time.Time         `json:"published_at"`
		CreatedAt      time.Time          `json:"created_at"`
		CreatedBy      string             `json:"created_by"`
		UpdatedAt      time.Time          `json:"updated_at"`
		MonitoringAt   *time.Time         `json:"monitoring_at"`
		ResolvedAt     *time.Time         `json:"resolved_at"`
		ScheduledFor   *time.Time         `json:"scheduled_for,omitempty"`
		ScheduledUntil *time.Time         `json:"scheduled_until,omitempty"`
		Incidents      []int64            `json:"incidents,omitempty"`
		Updates        []statusUpdateJSON `json:"updates"`
	}
	statusUpdateJSON struct {
		ID                 int64     `json:"id"`
		Status             string    `json:"status"`
		Body               string    `json:"body"`
		CreatedAt          time.Time `json:"created_at"`
		DisplayAt          time.Time `json:"display_at"`
		Author             string    `json:"author"`
		AffectedComponents []string  `json:"affected_components"`
	}
	statusNewIncidentJSON struct {
		Name       string   `json:"name"`
		Status     string   `json:"status,omitempty"`
		Impact     string   `json:"impact,omitempty"`
		Components []string `json:"components,omitempty"`
		Body       string   `json:"body"`
		Incidents  []int64  `json:"incidents,omitempty"`
		Publish    bool     `json:"publish,omitempty"`
	}
	statusNewUpdateJSON struct {
		Status     string   `json:"status"`
		Body       string   `json:"body"`
		Components []string `json:"components,omitempty"`
		Impact     string   `json:"impact,omitempty"`
		DisplayAt  string   `json:"display_at,omitempty"`
		TakeOver   bool     `json:"take_over,omitempty"`
	}
	statusIncidentChangeJSON struct {
		Name       *string   `json:"name,omitempty"`
		Impact     *string   `json:"impact,omitempty"`
		Components *[]string `json:"components,omitempty"`
		Incidents  []int64   `json:"incidents,omitempty"`
	}
	statusOverrideRequestJSON struct {
		Status string `json:"status"`
		Until  string `json:"until"`
		Reason string `json:"reason,omitempty"`
	}
	statusNewMaintenanceJSON struct {
		Name           string   `json:"name"`
		Body           string   `json:"body"`
		Impact         string   `json:"impact,omitempty"`
		Components     []string `json:"components,omitempty"`
		ScheduledFor   string   `json:"scheduled_for"`
		ScheduledUntil string   `json:"scheduled_until"`
	}
	statusMaintenanceChangeJSON struct {
		Name           *string   `json:"name,omitempty"`
		Body           string    `json:"body,omitempty"`
		Status         string    `json:"status,omitempty"`
		Components     *[]string `json:"components,omitempty"`
		ScheduledFor   string    `json:"scheduled_for,omitempty"`
		ScheduledUntil string    `json:"scheduled_until,omitempty"`
	}
	statusCancelJSON struct {
		Body string `json:"body,omitempty"`
	}
	// A subscriber as the API shows it: a webhook by its scheme and host
	// only, as its path or query may hold the receiver's secret.
	statusSubscriberJSON struct {
		ID          int64      `json:"id"`
		Page        string     `json:"page"`
		Component   string     `json:"component,omitempty"` // a component id; none: the whole page
		Kind        string     `json:"kind"`                // email or webhook
		Target      string     `json:"target"`              // the address, or the webhook's scheme and host
		CreatedAt   time.Time  `json:"created_at"`
		ConfirmedAt *time.Time `json:"confirmed_at"` // null: an address that has not confirmed yet
	}
	statusNewSubscriberJSON struct {
		URL       string `json:"url"`                 // http or https; it gets a JSON POST shaped like Statuspage's webhooks
		Component string `json:"component,omitempty"` // a component id; none: the whole page
	}
)

// statusDoc is the description of a JSON document of a status page, as
// Statuspage's public API v2 serves it.
func statusDoc(summary string) apiDoc {
	doc := media{contentType: "application/json", schema: map[string]any{"type": "object"},
		description: "as Statuspage's public API v2 documents it, so that its clients read it unchanged"}
	return apiDoc{summary: summary, params: statusPageParams,
		responses: map[int]any{200: doc, 304: nil, 404: media{contentType: "application/json", schema: map[string]any{"type": "object"},
			description: "no such page"}}}
}

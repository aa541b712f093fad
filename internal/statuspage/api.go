package statuspage

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
)

// The management API of status pages, under /api/v1/status-pages: what a
// responder does to a page, over HTTP. The HTTP server serves these routes
// in its route table, behind its authentication: a handler finds the
// principal with auth.PrincipalFrom, and the audit entries its operation
// writes take their role and address from the request's context (see
// store.WithAuditSource), which the server sets.

// APIRoutes are the management routes of status pages, each with the
// least role it needs: viewers read, responders act.
func (s *Service) APIRoutes() []auth.Route {
	routes := []auth.Route{
		{Pattern: "GET /api/v1/status-pages", Role: auth.Viewer, Handler: http.HandlerFunc(s.apiListPages)},
		{Pattern: "GET /api/v1/status-pages/{slug}", Role: auth.Viewer, Handler: http.HandlerFunc(s.apiGetPage)},
		{Pattern: "POST /api/v1/status-pages/{slug}/incidents", Role: auth.Responder, Handler: http.HandlerFunc(s.apiCreateIncident)},
		{Pattern: "GET /api/v1/status-pages/{slug}/incidents/{id}", Role: auth.Viewer, Handler: http.HandlerFunc(s.apiGetIncident)},
		{Pattern: "PATCH /api/v1/status-pages/{slug}/incidents/{id}", Role: auth.Responder, Handler: http.HandlerFunc(s.apiPatchIncident)},
		{Pattern: "POST /api/v1/status-pages/{slug}/incidents/{id}/updates", Role: auth.Responder, Handler: http.HandlerFunc(s.apiPostUpdate)},
		{Pattern: "POST /api/v1/status-pages/{slug}/incidents/{id}/publish", Role: auth.Responder, Handler: http.HandlerFunc(s.apiPublish)},
		{Pattern: "PUT /api/v1/status-pages/{slug}/components/{component}/override", Role: auth.Responder,
			Handler: http.HandlerFunc(s.apiSetOverride)},
		{Pattern: "DELETE /api/v1/status-pages/{slug}/components/{component}/override", Role: auth.Responder,
			Handler: http.HandlerFunc(s.apiClearOverride)},
		{Pattern: "POST /api/v1/status-pages/{slug}/maintenances", Role: auth.Responder, Handler: http.HandlerFunc(s.apiScheduleMaintenance)},
		{Pattern: "PATCH /api/v1/status-pages/{slug}/maintenances/{id}", Role: auth.Responder, Handler: http.HandlerFunc(s.apiPatchMaintenance)},
		{Pattern: "POST /api/v1/status-pages/{slug}/maintenances/{id}/cancel", Role: auth.Responder,
			Handler: http.HandlerFunc(s.apiCancelMaintenance)},
	}
	return append(routes, s.subscriberAPIRoutes()...)
}

// The JSON the API answers with. Times are UTC, in RFC 3339.
type (
	// APIPage is a status page with its components.
	APIPage struct {
		Slug        string         `json:"slug"`
		Title       string         `json:"title"`
		Description string         `json:"description"`
		Publish     string         `json:"publish"` // auto or draft: what becomes of the incidents Tocsin opens
		Components  []APIComponent `json:"components"`
	}
	// APIPageDetail is a page with its incidents and maintenances,
	// drafts included: the open ones and those closed within 90 days,
	// newest first.
	APIPageDetail struct {
		APIPage
		Incidents    []APIIncident `json:"incidents"`
		Maintenances []APIIncident `json:"maintenances"`
	}
	// APIComponent is a component with its public id and what it is
	// bound to, or a group of components.
	APIComponent struct {
		ID       string       `json:"id"`
		Name     string       `json:"name"`
		Group    bool         `json:"group"`
		GroupID  string       `json:"group_id,omitempty"`
		Checks   []string     `json:"checks,omitempty"`
		Services []string     `json:"services,omitempty"`
		Override *APIOverride `json:"override"` // null: none in force
	}
	// APIOverride is a component's status set by hand until a time.
	APIOverride struct {
		Status string    `json:"status"`
		Until  time.Time `json:"until"`
		Reason string    `json:"reason"`
		SetBy  string    `json:"set_by"`
		SetAt  time.Time `json:"set_at"`
	}
	// APIIncident is a public incident or scheduled maintenance.
	APIIncident struct {
		ID             int64       `json:"id"`
		Kind           string      `json:"kind"` // incident or maintenance
		Name           string      `json:"name"`
		Status         string      `json:"status"`
		Impact         string      `json:"impact"`
		Components     []string    `json:"components"`
		Auto           bool        `json:"auto"`       // opened by Tocsin
		TakenOver      bool        `json:"taken_over"` // a person took it over: Tocsin no longer resolves it
		Draft          bool        `json:"draft"`
		PublishedAt    *time.Time  `json:"published_at"`
		CreatedAt      time.Time   `json:"created_at"`
		CreatedBy      string      `json:"created_by"`
		UpdatedAt      time.Time   `json:"updated_at"`
		MonitoringAt   *time.Time  `json:"monitoring_at"`
		ResolvedAt     *time.Time  `json:"resolved_at"` // resolved, or completed for a maintenance
		ScheduledFor   *time.Time  `json:"scheduled_for,omitempty"`
		ScheduledUntil *time.Time  `json:"scheduled_until,omitempty"`
		Incidents      []int64     `json:"incidents,omitempty"` // the internal incidents it tells of (in one incident's answer)
		Updates        []APIUpdate `json:"updates"`             // newest first
	}
	// APIUpdate is one message of a public incident.
	APIUpdate struct {
		ID                 int64     `json:"id"`
		Status             string    `json:"status"`
		Body               string    `json:"body"`
		CreatedAt          time.Time `json:"created_at"`
		DisplayAt          time.Time `json:"display_at"`
		Author             string    `json:"author"`
		AffectedComponents []string  `json:"affected_components"` // null: not said
	}
)

// The JSON the API reads. Times are RFC 3339 strings, parsed here so that
// an error names the field.
type (
	// APINewIncident opens a public incident.
	APINewIncident struct {
		Name       string   `json:"name"`
		Status     string   `json:"status,omitempty"` // default investigating
		Impact     string   `json:"impact,omitempty"` // default minor
		Components []string `json:"components,omitempty"`
		Body       string   `json:"body"`
		Incidents  []int64  `json:"incidents,omitempty"` // internal incidents to link
		Publish    bool     `json:"publish,omitempty"`   // false: a draft
	}
	// APINewUpdate posts an update to a public incident.
	APINewUpdate struct {
		Status     string   `json:"status"`
		Body       string   `json:"body"`
		Components []string `json:"components,omitempty"`
		Impact     string   `json:"impact,omitempty"`
		DisplayAt  string   `json:"display_at,omitempty"`
		TakeOver   bool     `json:"take_over,omitempty"`
	}
	// APIIncidentChange changes a public incident's fields.
	APIIncidentChange struct {
		Name       *string   `json:"name,omitempty"`
		Impact     *string   `json:"impact,omitempty"`
		Components *[]string `json:"components,omitempty"`
		Incidents  []int64   `json:"incidents,omitempty"` // internal incidents to link besides those linked
	}
	// APIOverrideRequest sets a component's status by hand.
	APIOverrideRequest struct {
		Status string `json:"status"`
		Until  string `json:"until"`
		Reason string `json:"reason,omitempty"`
	}
	// APINewMaintenance schedules a maintenance.
	APINewMaintenance struct {
		Name           string   `json:"name"`
		Body           string   `json:"body"`
		Impact         string   `json:"impact,omitempty"` // default none
		Components     []string `json:"components,omitempty"`
		ScheduledFor   string   `json:"scheduled_for"`
		ScheduledUntil string   `json:"scheduled_until"`
	}
	// APIMaintenanceChange changes a maintenance or posts an update to it.
	APIMaintenanceChange struct {
		Name           *string   `json:"name,omitempty"`
		Body           string    `json:"body,omitempty"`
		Status         string    `json:"status,omitempty"`
		Components     *[]string `json:"components,omitempty"`
		ScheduledFor   string    `json:"scheduled_for,omitempty"`
		ScheduledUntil string    `json:"scheduled_until,omitempty"`
	}
	// APICancel cancels a maintenance, with an optional message.
	APICancel struct {
		Body string `json:"body,omitempty"`
	}
)

func apiTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func apiComponent(c ManagedComponent) APIComponent {
	j := APIComponent{ID: c.ID, Name: c.Name, Group: c.Group, GroupID: c.GroupID, Checks: c.Checks, Services: c.Services}
	if o := c.Override; o != nil {
		j.Override = &APIOverride{Status: o.Status, Until: o.Until.UTC(), Reason: o.Reason, SetBy: o.SetBy, SetAt: o.SetAt.UTC()}
	}
	return j
}

func apiPage(d PageDetail) APIPage {
	j := APIPage{Slug: d.Page.Slug, Title: d.Page.Title, Description: d.Page.Description, Publish: d.Page.Publish,
		Components: make([]APIComponent, len(d.Components))}
	if j.Publish == "" {
		j.Publish = "auto"
	}
	for i, c := range d.Components {
		j.Components[i] = apiComponent(c)
	}
	return j
}

func apiIncident(mi ManagedIncident) APIIncident {
	si := mi.StatusIncident
	j := APIIncident{ID: si.ID, Kind: si.Kind, Name: si.Name, Status: si.Status, Impact: si.Impact, Components: si.Components,
		Auto: si.Auto, TakenOver: si.TakenOver, Draft: !si.Published(), PublishedAt: apiTime(si.PublishedAt),
		CreatedAt: si.CreatedAt.UTC(), CreatedBy: si.CreatedBy, UpdatedAt: si.UpdatedAt.UTC(),
		MonitoringAt: apiTime(si.MonitoringAt), ResolvedAt: apiTime(si.ResolvedAt),
		ScheduledFor: apiTime(si.ScheduledFor), ScheduledUntil: apiTime(si.ScheduledUntil), Incidents: mi.Links,
		Updates: make([]APIUpdate, 0, len(mi.Updates))}
	if j.Components == nil {
		j.Components = []string{}
	}
	for i := len(mi.Updates) - 1; i >= 0; i-- {
		u := mi.Updates[i]
		j.Updates = append(j.Updates, APIUpdate{ID: u.ID, Status: u.Status, Body: u.Body, CreatedAt: u.CreatedAt.UTC(),
			DisplayAt: u.DisplayAt.UTC(), Author: u.Author, AffectedComponents: u.AffectedComponents})
	}
	return j
}

func (s *Service) apiListPages(w http.ResponseWriter, r *http.Request) {
	pages, err := s.ManagedPages(r.Context())
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := make([]APIPage, len(pages))
	for i, p := range pages {
		out[i] = apiPage(p)
	}
	apiWriteJSON(w, http.StatusOK, struct {
		StatusPages []APIPage `json:"status_pages"`
	}{out})
}

func (s *Service) apiGetPage(w http.ResponseWriter, r *http.Request) {
	d, err := s.ManagedPage(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	j := APIPageDetail{APIPage: apiPage(d), Incidents: make([]APIIncident, len(d.Incidents)),
		Maintenances: make([]APIIncident, len(d.Maintenances))}
	for i, mi := range d.Incidents {
		j.Incidents[i] = apiIncident(mi)
	}
	for i, mi := range d.Maintenances {
		j.Maintenances[i] = apiIncident(mi)
	}
	apiWriteJSON(w, http.StatusOK, j)
}

func (s *Service) apiGetIncident(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiAnswer(w, r, http.StatusOK)(s.ReadIncident(r.Context(), r.PathValue("slug"), id))
}

func (s *Service) apiCreateIncident(w http.ResponseWriter, r *http.Request) {
	var in APINewIncident
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	s.apiAnswer(w, r, http.StatusCreated)(s.CreateIncident(r.Context(), r.PathValue("slug"), apiActor(r), NewIncident{Name: in.Name,
		Status: IncidentStatus(in.Status), Impact: Impact(in.Impact), Components: in.Components, Body: in.Body,
		Incidents: in.Incidents, Publish: in.Publish}))
}

func (s *Service) apiPostUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	var in APINewUpdate
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	displayAt, err := apiParseTime("display_at", in.DisplayAt)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiAnswer(w, r, http.StatusOK)(s.PostUpdate(r.Context(), r.PathValue("slug"), id, apiActor(r), NewUpdate{
		Status: IncidentStatus(in.Status), Body: in.Body, Components: in.Components, Impact: Impact(in.Impact), TakeOver: in.TakeOver,
		DisplayAt: displayAt}))
}

func (s *Service) apiPublish(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiAnswer(w, r, http.StatusOK)(s.Publish(r.Context(), r.PathValue("slug"), id, apiActor(r)))
}

func (s *Service) apiPatchIncident(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	var in APIIncidentChange
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	change := IncidentChange{Name: in.Name, Components: in.Components, Link: in.Incidents}
	if in.Impact != nil {
		im := Impact(*in.Impact)
		change.Impact = &im
	}
	s.apiAnswer(w, r, http.StatusOK)(s.UpdateIncident(r.Context(), r.PathValue("slug"), id, apiActor(r), change))
}

func (s *Service) apiSetOverride(w http.ResponseWriter, r *http.Request) {
	var in APIOverrideRequest
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	until, err := apiParseTime("until", in.Until)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	slug, component := r.PathValue("slug"), r.PathValue("component")
	if _, err := s.SetOverride(r.Context(), slug, component, apiActor(r), ComponentStatus(in.Status), until, in.Reason); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiWriteComponent(w, r, slug, component)
}

func (s *Service) apiClearOverride(w http.ResponseWriter, r *http.Request) {
	slug, component := r.PathValue("slug"), r.PathValue("component")
	if err := s.ClearOverride(r.Context(), slug, component, apiActor(r)); err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiWriteComponent(w, r, slug, component)
}

// apiWriteComponent answers with a component of a page and its override.
func (s *Service) apiWriteComponent(w http.ResponseWriter, r *http.Request, slug, component string) {
	page, err := s.Page(slug)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	comps, err := s.managedComponents(r.Context(), page)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	for _, c := range comps {
		if c.ID == component {
			apiWriteJSON(w, http.StatusOK, apiComponent(c))
			return
		}
	}
	s.apiFail(w, r, tocsin.Errorf(tocsin.ENotFound, "status page %q has no component %q", slug, component))
}

func (s *Service) apiScheduleMaintenance(w http.ResponseWriter, r *http.Request) {
	var in APINewMaintenance
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	from, err := apiParseTime("scheduled_for", in.ScheduledFor)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	until, err := apiParseTime("scheduled_until", in.ScheduledUntil)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	s.apiAnswer(w, r, http.StatusCreated)(s.ScheduleMaintenance(r.Context(), r.PathValue("slug"), apiActor(r), NewMaintenance{
		Name: in.Name, Body: in.Body, Impact: Impact(in.Impact), Components: in.Components, ScheduledFor: from,
		ScheduledUntil: until}))
}

func (s *Service) apiPatchMaintenance(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	var in APIMaintenanceChange
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	change := MaintenanceChange{Name: in.Name, Body: in.Body, Status: IncidentStatus(in.Status), Components: in.Components}
	for _, f := range []struct {
		name, value string
		to          **time.Time
	}{{"scheduled_for", in.ScheduledFor, &change.ScheduledFor}, {"scheduled_until", in.ScheduledUntil, &change.ScheduledUntil}} {
		if f.value == "" {
			continue
		}
		t, err := apiParseTime(f.name, f.value)
		if err != nil {
			s.apiFail(w, r, err)
			return
		}
		*f.to = &t
	}
	s.apiAnswer(w, r, http.StatusOK)(s.UpdateMaintenance(r.Context(), r.PathValue("slug"), id, apiActor(r), change))
}

func (s *Service) apiCancelMaintenance(w http.ResponseWriter, r *http.Request) {
	id, err := apiPathID(r)
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	var in APICancel
	if !s.apiDecode(w, r, &in, true) {
		return
	}
	s.apiAnswer(w, r, http.StatusOK)(s.CancelMaintenance(r.Context(), r.PathValue("slug"), id, apiActor(r), in.Body))
}

// apiAnswer writes an operation's incident with status, or its error.
func (s *Service) apiAnswer(w http.ResponseWriter, r *http.Request, status int) func(ManagedIncident, error) {
	return func(mi ManagedIncident, err error) {
		if err != nil {
			s.apiFail(w, r, err)
			return
		}
		apiWriteJSON(w, status, apiIncident(mi))
	}
}

// apiActor names the request's principal as the author of what it does.
func apiActor(r *http.Request) string {
	p, _ := auth.PrincipalFrom(r.Context())
	return p.Actor()
}

func apiPathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, tocsin.Errorf(tocsin.EInvalid, "id: must be a positive number")
	}
	return id, nil
}

// apiParseTime reads the RFC 3339 time of field; "" is the zero time.
func apiParseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, tocsin.Errorf(tocsin.EInvalid, "%s: %q is not an RFC 3339 time such as 2026-03-01T12:00:00Z", field, v)
	}
	return t.UTC(), nil
}

// apiDecode reads the request's body, one JSON object with none but v's
// fields, into v; optional: an empty body is the zero v. It answers the
// error itself and reports whether to go on.
func (s *Service) apiDecode(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	switch {
	case errors.Is(err, io.EOF) && optional:
		return true
	case errors.Is(err, io.EOF):
		s.apiFail(w, r, tocsin.Errorf(tocsin.EInvalid, "body: a JSON object expected"))
		return false
	case err != nil:
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiWriteJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return false
		}
		apiWriteError(w, tocsin.Errorf(tocsin.EInvalid, "body: %v", err))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		apiWriteError(w, tocsin.Errorf(tocsin.EInvalid, "body: one JSON object expected"))
		return false
	}
	return true
}

// apiFail answers err, and logs it when it is Tocsin's fault.
func (s *Service) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	if tocsin.ErrorCode(err) == tocsin.EInternal && s.Log != nil {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	apiWriteError(w, err)
}

// apiStatus maps error codes to HTTP statuses as the rest of the API does.
func apiStatus(code string) int {
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

func apiWriteError(w http.ResponseWriter, err error) {
	apiWriteJSON(w, apiStatus(tocsin.ErrorCode(err)), map[string]string{"error": tocsin.ErrorMessage(err)})
}

func apiWriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

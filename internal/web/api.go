package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if problems := s.Actions.Ready(ctx); len(problems) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "problems": problems})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// probeJSON is what the API shows of a probe check.
type probeJSON struct {
	Type               string `json:"type"`
	Target             string `json:"target"`
	Interval           string `json:"interval"`
	FailuresBeforeDown int    `json:"failures_before_down"`
	SuccessesBeforeUp  int    `json:"successes_before_up"`
	FailStreak         int    `json:"fail_streak"`
	OKStreak           int    `json:"ok_streak"`
}

// checkJSON is a check as the API shows it.
type checkJSON struct {
	UUID              string            `json:"uuid"`
	Name              string            `json:"name"`
	Slug              string            `json:"slug"`
	Description       string            `json:"description,omitempty"`
	State             tocsin.CheckState `json:"state"`
	Schedule          scheduleJSON      `json:"schedule"`
	ScheduleExplained string            `json:"schedule_explained"`
	Grace             string            `json:"grace,omitempty"`
	Notify            []string          `json:"notify"`
	AutoResolve       bool              `json:"auto_resolve"`
	RunbookURL        string            `json:"runbook_url,omitempty"`
	Tags              []string          `json:"tags"`
	LastPingAt        *time.Time        `json:"last_ping_at"`
	LastStartAt       *time.Time        `json:"last_start_at"`
	LastDurationSec   *float64          `json:"last_duration_seconds"`
	NextExpectedAt    *time.Time        `json:"next_expected_at"`
	GoesDownAt        *time.Time        `json:"goes_down_at"`
	Pings             int64             `json:"pings"`
	PingURL           string            `json:"ping_url,omitempty"`
	Probe             *probeJSON        `json:"probe,omitempty"`
	Flap              flapJSON          `json:"flap"`
	// Flapping says flap damping holds the check: its one incident stays
	// open, paging nobody again, until StableAt.
	Flapping      bool       `json:"flapping"`
	FlappingSince *time.Time `json:"flapping_since,omitempty"`
	FlapChanges   int        `json:"flap_changes_since,omitempty"` // changes since flapping began
	StableAt      *time.Time `json:"flapping_ends_at,omitempty"`   // when, if it stays up
	ReopenAfter   string     `json:"reopen_after"`                 // "0" for never
	// ReopenAt is when a new incident opens if the check is still down,
	// after its incident was resolved by hand.
	ReopenAt  *time.Time `json:"reopen_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	// ManagedBy: config (the config file defines it: the API may only
	// pause and resume it) or api (made at run time).
	ManagedBy        string `json:"managed_by"`
	Methods          string `json:"methods,omitempty"`
	ManualResume     bool   `json:"manual_resume"`
	EscalationPolicy string `json:"escalation_policy,omitempty"`
	// Keywords is the keyword filter of the pings to the plain URL;
	// absent when off.
	Keywords *keywordsJSON `json:"keywords,omitempty"`
}

// flapJSON is a check's flap damping settings.
type flapJSON struct {
	Changes int    `json:"changes"` // 0: off
	Window  string `json:"window"`
	Stable  string `json:"stable"`
}

type scheduleJSON struct {
	Every string `json:"every,omitempty"`
	Cron  string `json:"cron,omitempty"`
	TZ    string `json:"tz,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) checkJSON(c *tocsin.Check, now time.Time) checkJSON {
	j := checkJSON{UUID: c.UUID, Name: c.Name, Slug: c.Slug, Description: c.Description, State: c.StateAt(now),
		Schedule: scheduleJSON{Cron: c.Spec.Cron, TZ: c.Spec.TZ}, ScheduleExplained: c.Schedule.String(),
		Grace: tocsin.FormatDuration(c.Grace), Notify: c.Notify, AutoResolve: c.AutoResolve, RunbookURL: c.RunbookURL,
		LastPingAt: timePtr(c.LastPingAt), LastStartAt: timePtr(c.LastStartAt), NextExpectedAt: timePtr(c.ExpectedAt()),
		GoesDownAt: timePtr(c.GoesDownAt()), Pings: c.Pings, PingURL: s.Snapshots.Load().Env.PublicURL + "/ping/" + c.UUID,
		CreatedAt: c.CreatedAt.UTC(), ManagedBy: c.ManagedBy, Methods: c.Methods, ManualResume: c.ManualResume,
		EscalationPolicy: c.EscalationPolicy, Keywords: keywordsOf(c.Keywords)}
	if c.Spec.Every > 0 {
		j.Schedule.Every = tocsin.FormatDuration(c.Spec.Every)
	}
	j.Flap = flapJSON{Changes: c.FlapChanges, Window: tocsin.FormatDuration(c.FlapWindow), Stable: tocsin.FormatDuration(c.FlapStable)}
	j.Flapping, j.FlappingSince, j.StableAt = c.Flapping(), timePtr(c.FlappingSince), timePtr(c.FlapStableAt())
	j.FlapChanges, j.ReopenAfter, j.ReopenAt = c.FlapCount, tocsin.FormatDuration(c.ReopenAfter), timePtr(c.ReopenAt)
	if c.IsProbe() {
		spec, _ := kinds.Parse(c.Probe)
		j.Probe = &probeJSON{Type: spec.Type, Target: spec.Target(), Interval: tocsin.FormatDuration(c.Interval),
			FailuresBeforeDown: c.FailuresBeforeDown, SuccessesBeforeUp: c.SuccessesBeforeUp, FailStreak: c.FailStreak,
			OKStreak: c.OKStreak}
		j.ScheduleExplained = "probe " + spec.Type + " " + spec.Target() + " every " + tocsin.FormatDuration(c.Interval)
		j.PingURL, j.Grace = "", ""
	}
	if j.NextExpectedAt == nil && c.Spec.Cron != "" && c.Status == tocsin.StateNew {
		// Not yet expected (a new check waits for its first ping), but
		// the schedule's next fire time shows that it says what was meant.
		if n, ok := c.Schedule.Next(now); ok {
			j.NextExpectedAt = timePtr(n)
		}
	}
	if c.LastDuration > 0 {
		d := c.LastDuration.Seconds()
		j.LastDurationSec = &d
	}
	if j.Notify == nil {
		j.Notify = []string{}
	}
	if j.Tags = c.Tags; j.Tags == nil {
		j.Tags = []string{}
	}
	return j
}

func (s *Server) listChecks(w http.ResponseWriter, r *http.Request) {
	checks, err := s.DB.Checks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	tags := r.URL.Query()["tag"] // several: checks having all of them, as in Healthchecks
	out := make([]checkJSON, 0, len(checks))
	for _, c := range checks {
		if c.HasTags(tags...) {
			out = append(out, s.checkJSON(c, now))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": out})
}

func (s *Server) getCheck(w http.ResponseWriter, r *http.Request) {
	c, err := s.DB.CheckByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.checkJSON(c, s.Clock.Now()))
}

type pingJSON struct {
	N          int64           `json:"n"`
	At         time.Time       `json:"at"`
	Kind       tocsin.PingKind `json:"kind"`
	ExitStatus *int            `json:"exit_status,omitempty"`
	RID        string          `json:"rid,omitempty"`
	Method     string          `json:"method"`
	RemoteAddr string          `json:"remote_addr"`
	Scheme     string          `json:"scheme"`
	UserAgent  string          `json:"user_agent"`
	Body       string          `json:"body"`
	Truncated  bool            `json:"body_truncated"`
	DurationS  *float64        `json:"duration_seconds,omitempty"`
}

func (s *Server) listPings(w http.ResponseWriter, r *http.Request) {
	c, err := s.DB.CheckByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pings, err := s.DB.Pings(r.Context(), c.ID, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]pingJSON, 0, len(pings))
	for _, p := range pings {
		j := pingJSON{N: p.N, At: p.At, Kind: p.Kind, ExitStatus: p.ExitStatus, RID: p.RID, Method: p.Method,
			RemoteAddr: p.RemoteAddr, Scheme: p.Scheme, UserAgent: p.UserAgent, Body: string(p.Body), Truncated: p.Truncated}
		if p.Duration > 0 {
			d := p.Duration.Seconds()
			j.DurationS = &d
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"pings": out})
}

func (s *Server) pauseCheck(w http.ResponseWriter, r *http.Request)  { s.setPaused(w, r, true) }
func (s *Server) resumeCheck(w http.ResponseWriter, r *http.Request) { s.setPaused(w, r, false) }

// setPaused pauses a check (no alerts until the next ping, or until resumed
// when manual_resume is set) or resumes it (it then waits for its next ping,
// as a new check does).
func (s *Server) setPaused(w http.ResponseWriter, r *http.Request, pause bool) {
	c, err := s.SetCheckPaused(r, r.PathValue("uuid"), pause)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.checkJSON(c, s.Clock.Now()))
}

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	ID             int64                  `json:"id"`
	Title          string                 `json:"title"`
	Status         tocsin.IncidentStatus  `json:"status"`
	CheckUUID      string                 `json:"check_uuid,omitempty"`
	URL            string                 `json:"url"`
	OpenedAt       time.Time              `json:"opened_at"`
	AcknowledgedAt *time.Time             `json:"acknowledged_at"`
	AcknowledgedBy string                 `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time             `json:"resolved_at"`
	ResolvedBy     string                 `json:"resolved_by,omitempty"`
	Service        string                 `json:"service,omitempty"`
	Priority       string                 `json:"priority,omitempty"`
	GroupKey       string                 `json:"group_key,omitempty"`
	FirstPageAt    *time.Time             `json:"first_page_at,omitempty"` // while waiting out group_wait
	Paged          *bool                  `json:"paged,omitempty"`
	Services       []string               `json:"services"`              // affected beyond service
	Roles          []tocsin.IncidentRole  `json:"roles"`                 // who holds which role
	Links          []tocsin.IncidentLink  `json:"links"`                 // status page, tickets, dashboards
	MergedInto     int64                  `json:"merged_into,omitempty"` // the incident this duplicate was merged into
	Alerts         []alertJSON            `json:"alerts,omitempty"`
	Timeline       []tocsin.TimelineEntry `json:"timeline,omitempty"`
}

func (s *Server) incidentJSON(in *tocsin.Incident, checkUUID string) incidentJSON {
	j := incidentJSON{ID: in.ID, Title: in.Title, Status: in.Status, CheckUUID: checkUUID,
		URL: incident.IncidentURL(s.Snapshots.Load().Env.PublicURL, in.ID), OpenedAt: in.OpenedAt.UTC(),
		AcknowledgedAt: timePtr(in.AckedAt), AcknowledgedBy: in.AckedBy, ResolvedAt: timePtr(in.ResolvedAt),
		ResolvedBy: in.ResolvedBy, Timeline: in.Timeline, Service: in.Service, Priority: in.Priority, GroupKey: in.GroupKey,
		FirstPageAt: timePtr(in.PageAt), Services: nonNilList(in.Services), Roles: nonNilList(in.Roles),
		Links: nonNilList(in.Links), MergedInto: in.MergedInto}
	if in.GroupKey != "" {
		j.Paged = &in.Paged
	}
	for i := range j.Timeline {
		j.Timeline[i].At = j.Timeline[i].At.UTC()
	}
	return j
}

// checkUUIDs maps check ids to UUIDs for listing.
func (s *Server) checkUUIDs(ctx context.Context) (map[int64]string, error) {
	checks, err := s.DB.Checks(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(checks))
	for _, c := range checks {
		m[c.ID] = c.UUID
	}
	return m, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.IncidentFilter{Limit: 100}
	switch st := q.Get("status"); st {
	case "":
	case "open":
		f.Open = true
	case string(tocsin.IncidentTriggered), string(tocsin.IncidentAcknowledged), string(tocsin.IncidentResolved):
		f.Status = tocsin.IncidentStatus(st)
	default:
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "status must be open, triggered, acknowledged or resolved"))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "limit must be a number from 1 to 1000"))
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "before must be an incident id"))
			return
		}
		f.BeforeID = n
	}
	uuids, err := s.checkUUIDs(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if v := q.Get("check"); v != "" {
		c, err := s.DB.CheckByUUID(r.Context(), v)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.CheckID = c.ID
	}
	list, err := s.DB.Incidents(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]incidentJSON, 0, len(list))
	for _, in := range list {
		out = append(out, s.incidentJSON(in, uuids[in.CheckID]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": out})
}

func incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, tocsin.Errorf(tocsin.EInvalid, "incident id must be a positive number")
	}
	return id, nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := s.DB.Incident(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeIncident(w, r, http.StatusOK, in)
}

func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, status int, in *tocsin.Incident) {
	uuid := ""
	if in.CheckID != 0 {
		uuids, err := s.checkUUIDs(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		uuid = uuids[in.CheckID]
	}
	j := s.incidentJSON(in, uuid)
	if in.GroupKey != "" {
		alerts, err := s.DB.AlertsOfIncident(r.Context(), in.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range alerts {
			j.Alerts = append(j.Alerts, toAlertJSON(a))
		}
	}
	writeJSON(w, status, j)
}

func (s *Server) acknowledgeIncident(w http.ResponseWriter, r *http.Request) {
	s.changeIncident(w, r, IncidentAcknowledge)
}

func (s *Server) resolveIncident(w http.ResponseWriter, r *http.Request) {
	s.changeIncident(w, r, IncidentResolve)
}

// changeIncident applies a change by hand to the incident of the path.
func (s *Server) changeIncident(w http.ResponseWriter, r *http.Request, verb string) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := s.ChangeIncident(r, id, verb)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeIncident(w, r, http.StatusOK, in)
}

// The changes to an incident a person makes by hand.
const (
	IncidentAcknowledge = "acknowledge"
	IncidentResolve     = "resolve"
)

// ChangeIncident acknowledges or resolves (verb) incident id as the
// request's principal, with its audit entry, wakes what must act on it,
// and returns the incident as it now is: what the API and the pages both
// call, so that a change by hand takes one path.
func (s *Server) ChangeIncident(r *http.Request, id int64, verb string) (*tocsin.Incident, error) {
	var action func(ctx context.Context, tx *store.Tx, env incident.Env, id int64, actor string, now time.Time) (*tocsin.Incident, error)
	switch verb {
	case IncidentAcknowledge:
		action = incident.Acknowledge
	case IncidentResolve:
		action = incident.Resolve
	default:
		return nil, tocsin.Errorf(tocsin.EInvalid, "no such change to an incident: %q", verb)
	}
	env := s.Snapshots.Load().Env
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if _, err := action(r.Context(), tx, env, id, actor(r), s.Clock.Now()); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "incident."+verb, fmt.Sprintf("incident %d: %s", id, verb),
			map[string]any{"incident_id": id}))
	})
	if err != nil {
		return nil, err
	}
	s.Actions.NotificationsQueued()
	in, err := s.DB.Incident(r.Context(), id)
	if err != nil {
		return nil, err
	}
	s.checkDeadlineChanged(r.Context(), in.CheckID)
	return in, nil
}

// checkDeadlineChanged tells the engine the deadline of an incident's
// check after a change by hand: resolving an incident whose check is still
// down arms its re-page.
func (s *Server) checkDeadlineChanged(ctx context.Context, checkID int64) {
	if checkID == 0 {
		return
	}
	c, err := s.DB.CheckByID(ctx, checkID)
	if err != nil {
		if tocsin.ErrorCode(err) != tocsin.ENotFound {
			s.Log.Error("read check after incident change", "check_id", checkID, "err", err)
		}
		return
	}
	s.Actions.DeadlineChanged(c.ID, c.NextDeadline())
}

// probeResultsJSON is a probe's recent runs and its uptime.
type probeResultsJSON struct {
	Results []probeRunJSON    `json:"results"`
	Hourly  []probeRollupJSON `json:"hourly"`
	Daily   []probeRollupJSON `json:"daily"`
}

// probeRollupJSON is a probe's runs in an hour or a day.
type probeRollupJSON struct {
	Start         time.Time `json:"start"`
	Runs          int64     `json:"runs"`
	UptimePercent float64   `json:"uptime_percent"`
	MeanMS        float64   `json:"mean_ms"`
	MaxMS         float64   `json:"max_ms"`
}

// probeRunJSON is one run of a probe.
type probeRunJSON struct {
	At        time.Time `json:"at"`
	OK        bool      `json:"ok"`
	LatencyMS float64   `json:"latency_ms"`
	Class     string    `json:"class,omitempty"`
	Message   string    `json:"message,omitempty"`
}

// probeResults shows a probe check's recent runs and its uptime by hour
// (last 48 hours) and by day (last 90 days).
func (s *Server) probeResults(w http.ResponseWriter, r *http.Request) {
	c, err := s.DB.CheckByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !c.IsProbe() {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "check %s is a heartbeat, not a probe", c.Name))
		return
	}
	recent, err := s.DB.RecentProbeResults(r.Context(), c.ID, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	series := func(gran string, since time.Time) ([]probeRollupJSON, error) {
		rs, err := s.DB.Rollups(r.Context(), c.ID, gran, since)
		out := make([]probeRollupJSON, 0, len(rs))
		for _, x := range rs {
			out = append(out, probeRollupJSON{Start: x.Bucket, Runs: x.Runs, UptimePercent: 100 * float64(x.OKRuns) / float64(max(x.Runs, 1)),
				MeanMS: float64(x.MeanLatency.Microseconds()) / 1000, MaxMS: float64(x.MaxLatency.Microseconds()) / 1000})
		}
		return out, err
	}
	hours, err := series("hour", now.Add(-48*time.Hour))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	days, err := series("day", now.Add(-90*24*time.Hour))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	runs := make([]probeRunJSON, 0, len(recent))
	for _, x := range recent {
		runs = append(runs, probeRunJSON{At: x.At, OK: x.OK, LatencyMS: float64(x.Latency.Microseconds()) / 1000, Class: x.Class, Message: x.Message})
	}
	writeJSON(w, http.StatusOK, probeResultsJSON{Results: runs, Hourly: hours, Daily: days})
}

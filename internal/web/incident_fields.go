package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The fields of an incident that people set (priority, services affected,
// roles, links), reopening, merging a duplicate, backdated timeline
// entries and key moments. Each is an exported method that the API's
// handler and the incident page both call; each change lands on the
// incident's timeline and in the audit log with the person's name.

// Limits of what people set on an incident.
const (
	MaxIncidentServices = 50
	MaxIncidentRoles    = 20
	// MaxBackdate is how long before an incident opened a timeline entry
	// may be dated: what led up to an incident (a deploy, a first
	// complaint) can precede its detection by days, not by months.
	MaxBackdate = 7 * 24 * time.Hour
)

// roleNameRE is what a role's name looks like: commander, communications,
// scribe, ops_lead.
var roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// IncidentFieldsChange is a change of an incident's fields: each field
// given replaces the incident's; a field left out stays as it is.
type IncidentFieldsChange struct {
	Priority *string                `json:"priority,omitempty"` // P1 to P5
	Services *[]string              `json:"services,omitempty"` // services of the config affected beyond the incident's own
	Roles    *[]tocsin.IncidentRole `json:"roles,omitempty"`    // each role once, each held by a user of the config
	Links    *[]tocsin.IncidentLink `json:"links,omitempty"`    // kind status_page, ticket, dashboard or other; http(s) URL
}

// patchIncident changes the fields the body gives.
func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request) {
	var body IncidentFieldsChange
	if !decodeBody(w, r, &body, `{"priority", "services", "roles", "links"}`) {
		return
	}
	s.incidentAction(w, r, http.StatusOK, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.ChangeIncidentFields(r, id, body)
	})
}

// reopenIncident reopens a resolved incident.
func (s *Server) reopenIncident(w http.ResponseWriter, r *http.Request) {
	s.incidentAction(w, r, http.StatusOK, s.ReopenIncident)
}

// mergeRequestJSON names the incident a duplicate is merged into.
type mergeRequestJSON struct {
	Into int64 `json:"into"`
}

// mergeIncident merges the incident into {"into": id}.
func (s *Server) mergeIncident(w http.ResponseWriter, r *http.Request) {
	var body mergeRequestJSON
	if !decodeBody(w, r, &body, `{"into": <incident id>}`) {
		return
	}
	s.incidentAction(w, r, http.StatusOK, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.MergeIncident(r, id, body.Into)
	})
}

// timelineEntryRequestJSON is a person's backdated timeline entry.
type timelineEntryRequestJSON struct {
	At        time.Time `json:"at"`
	Message   string    `json:"message"`
	KeyMoment string    `json:"key_moment,omitempty"`
}

// addTimelineEntry adds {"at", "message", "key_moment"} to the timeline.
func (s *Server) addTimelineEntry(w http.ResponseWriter, r *http.Request) {
	var body timelineEntryRequestJSON
	if !decodeBody(w, r, &body, `{"at": "<RFC 3339 time>", "message": "<what happened>", "key_moment": "<optional>"}`) {
		return
	}
	s.incidentAction(w, r, http.StatusCreated, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.AddTimelineEntry(r, id, body.At, body.Message, body.KeyMoment)
	})
}

// keyMomentRequestJSON names a key moment.
type keyMomentRequestJSON struct {
	Kind string `json:"kind"`
}

// setKeyMoment marks the entry of the path as {"kind": ...}.
func (s *Server) setKeyMoment(w http.ResponseWriter, r *http.Request) {
	var body keyMomentRequestJSON
	if !decodeBody(w, r, &body, `{"kind": "detection", "cause_identified", "mitigation" or "resolution"}`) {
		return
	}
	entry, ok := timelineEntryID(w, r)
	if !ok {
		return
	}
	s.incidentAction(w, r, http.StatusOK, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.SetKeyMoment(r, id, entry, body.Kind)
	})
}

// clearKeyMoment unmarks the entry of the path as a key moment.
func (s *Server) clearKeyMoment(w http.ResponseWriter, r *http.Request) {
	entry, ok := timelineEntryID(w, r)
	if !ok {
		return
	}
	s.incidentAction(w, r, http.StatusOK, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.ClearKeyMoment(r, id, entry)
	})
}

func timelineEntryID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("entry"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "timeline entry id must be a positive number"))
		return 0, false
	}
	return id, true
}

// decodeBody reads one JSON object of the request into v, unknown fields
// refused, and answers 400 (413 when too large) saying the expected shape
// if it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("one JSON object expected")
		}
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return false
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: %s expected: %v", shape, err))
		return false
	}
	return true
}

// ChangeIncidentFields applies ch to incident id as the request's
// principal. Every field given is checked before anything changes; each
// field that really changes gets its timeline entry. It pages nobody.
func (s *Server) ChangeIncidentFields(r *http.Request, id int64, ch IncidentFieldsChange) (*tocsin.Incident, error) {
	if ch.Priority == nil && ch.Services == nil && ch.Roles == nil && ch.Links == nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "nothing to change: give priority, services, roles or links")
	}
	cfg := s.Snapshots.Load().Config
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(in); err != nil {
			return err
		}
		type change struct {
			kind, message string
			from, to      any
		}
		var changes []change
		if ch.Priority != nil {
			p := strings.ToUpper(strings.TrimSpace(*ch.Priority))
			if !slices.Contains([]string{tocsin.P1, tocsin.P2, tocsin.P3, tocsin.P4, tocsin.P5}, p) {
				return tocsin.Errorf(tocsin.EInvalid, "priority must be P1, P2, P3, P4 or P5, got %q", *ch.Priority)
			}
			if p != in.Priority {
				changes = append(changes, change{tocsin.TimelinePriority, fmt.Sprintf("Priority set to %s (was %s) by %s", p, orNone(in.Priority), who), in.Priority, p})
				in.Priority = p
			}
		}
		if ch.Services != nil {
			services, err := checkServices(cfg, in, *ch.Services)
			if err != nil {
				return err
			}
			if !slices.Equal(services, in.Services) {
				changes = append(changes, change{tocsin.TimelineServices, fmt.Sprintf("Services affected set to %s by %s", listOrNone(services), who), nonNilList(in.Services), services})
				in.Services = services
			}
		}
		if ch.Roles != nil {
			roles, err := checkRoles(cfg, *ch.Roles)
			if err != nil {
				return err
			}
			if !slices.Equal(roles, in.Roles) {
				var held []string
				for _, ro := range roles {
					held = append(held, ro.Role+": "+ro.User)
				}
				changes = append(changes, change{tocsin.TimelineRoles, fmt.Sprintf("Roles set to %s by %s", listOrNone(held), who), nonNilList(in.Roles), roles})
				in.Roles = roles
			}
		}
		if ch.Links != nil {
			links, err := incident.CheckLinks(*ch.Links)
			if err != nil {
				return err
			}
			if !slices.Equal(links, in.Links) {
				var titles []string
				for _, l := range links {
					titles = append(titles, l.Title+" ("+l.Kind+")")
				}
				changes = append(changes, change{tocsin.TimelineLinks, fmt.Sprintf("Links set to %s by %s", listOrNone(titles), who), nonNilList(in.Links), links})
				in.Links = links
			}
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.SaveIncidentFields(ctx, in); err != nil {
			return err
		}
		audit := map[string]any{"incident_id": id}
		for _, c := range changes {
			data, err := json.Marshal(map[string]any{"from": c.from, "to": c.to})
			if err != nil {
				return err
			}
			if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: c.kind, Actor: who,
				Message: c.message, Data: data}); err != nil {
				return err
			}
			audit[strings.TrimPrefix(c.kind, "incident.")] = map[string]any{"from": c.from, "to": c.to}
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.fields", fmt.Sprintf("incident %d: fields changed", id), audit))
	})
	if err != nil {
		return nil, err
	}
	return s.DB.Incident(ctx, id)
}

// checkServices cleans a list of services affected: each a service of the
// config, once, not the incident's own.
func checkServices(cfg *config.Config, in *tocsin.Incident, list []string) ([]string, error) {
	if len(list) > MaxIncidentServices {
		return nil, tocsin.Errorf(tocsin.EInvalid, "at most %d services, got %d", MaxIncidentServices, len(list))
	}
	out := []string{}
	for i, name := range list {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return nil, tocsin.Errorf(tocsin.EInvalid, "services[%d]: empty", i)
		case !slices.ContainsFunc(cfg.Services, func(sv config.Service) bool { return sv.Name == name }):
			return nil, tocsin.Errorf(tocsin.EInvalid, "services[%d]: no service %q in the config", i, name)
		case name == in.Service:
			return nil, tocsin.Errorf(tocsin.EInvalid, "services[%d]: %q is the incident's own service", i, name)
		case slices.Contains(out, name):
			return nil, tocsin.Errorf(tocsin.EInvalid, "services[%d]: %q is listed twice", i, name)
		}
		out = append(out, name)
	}
	return out, nil
}

// checkRoles cleans a list of roles: each named like a role, once, held by
// a user of the config.
func checkRoles(cfg *config.Config, list []tocsin.IncidentRole) ([]tocsin.IncidentRole, error) {
	if len(list) > MaxIncidentRoles {
		return nil, tocsin.Errorf(tocsin.EInvalid, "at most %d roles, got %d", MaxIncidentRoles, len(list))
	}
	out := []tocsin.IncidentRole{}
	for i, ro := range list {
		ro.Role, ro.User = strings.TrimSpace(ro.Role), strings.TrimSpace(ro.User)
		switch {
		case !roleNameRE.MatchString(ro.Role):
			return nil, tocsin.Errorf(tocsin.EInvalid, "roles[%d].role: %q is not a role name (a lowercase letter, then up to 39 of a-z, 0-9, _ and -; e.g. commander, communications)", i, ro.Role)
		case slices.ContainsFunc(out, func(o tocsin.IncidentRole) bool { return o.Role == ro.Role }):
			return nil, tocsin.Errorf(tocsin.EInvalid, "roles[%d].role: %q is listed twice", i, ro.Role)
		case !slices.ContainsFunc(cfg.Users, func(u config.User) bool { return u.Name == ro.User }):
			return nil, tocsin.Errorf(tocsin.EInvalid, "roles[%d].user: no user %q in the config", i, ro.User)
		}
		out = append(out, ro)
	}
	return out, nil
}

// ReopenIncident makes resolved incident id triggered again, as the
// request's principal, if it was resolved within the config's
// incidents.reopen_window. Everyone paged for it hears it is back, and
// its escalation resumes from the step it had reached.
func (s *Server) ReopenIncident(r *http.Request, id int64) (*tocsin.Incident, error) {
	snap := s.Snapshots.Load()
	window := snap.Config.Incidents.ReopenWindow.D()
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(in); err != nil {
			return err
		}
		if in.Status != tocsin.IncidentResolved {
			return tocsin.Errorf(tocsin.EConflict, "incident %d is not resolved: there is nothing to reopen", id)
		}
		if ago := now.Sub(in.ResolvedAt); ago > window {
			return tocsin.Errorf(tocsin.EConflict, "incident %d was resolved %s ago, longer than incidents.reopen_window (%s): open a new incident instead",
				id, tocsin.FormatDuration(ago.Truncate(time.Minute)), tocsin.FormatDuration(window))
		}
		if in.CheckID != 0 {
			open, err := tx.OpenIncidentForCheck(ctx, in.CheckID)
			if err != nil {
				return err
			}
			if open != nil {
				return tocsin.Errorf(tocsin.EConflict, "its check has another open incident, #%d: merge this one into it instead", open.ID)
			}
		}
		was := in.ResolvedAt
		in.Status, in.ResolvedAt, in.ResolvedBy, in.AckedAt, in.AckedBy = tocsin.IncidentTriggered, time.Time{}, "", time.Time{}, ""
		if in.EscalationPolicy != "" {
			in.EscalateAt = now
		}
		if err := tx.SaveIncident(ctx, in); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"resolved_at": was.UTC()})
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: tocsin.TimelineReopened, Actor: who,
			Message: "Reopened by " + who, Data: data}); err != nil {
			return err
		}
		tag := "reopened-" + strconv.FormatInt(now.UnixMilli(), 10)
		if err := incident.TellPaged(ctx, tx, snap.Env, in, tocsin.EventTriggered, tag, now, "reopened by "+who, who, nil); err != nil {
			return err
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.reopen", fmt.Sprintf("incident %d: reopen", id),
			map[string]any{"incident_id": id, "resolved_at": was.UTC()}))
	})
	if err != nil {
		return nil, err
	}
	s.Actions.NotificationsQueued()
	s.Actions.EscalationChanged()
	return s.DB.Incident(ctx, id)
}

// MergeIncident merges incident id, a duplicate, into incident into, as
// the request's principal: id's timeline entries, alerts and
// notifications move to into (so everyone paged for id hears into's
// acknowledgement and resolution), and id is resolved as merged into it.
// A merged incident is merged no more, nor merged into; nothing is merged
// into itself. It returns the incident merged into.
func (s *Server) MergeIncident(r *http.Request, id, into int64) (*tocsin.Incident, error) {
	switch {
	case into < 1:
		return nil, tocsin.Errorf(tocsin.EInvalid, "into must be the id of the incident to merge into")
	case into == id:
		return nil, tocsin.Errorf(tocsin.EInvalid, "an incident cannot be merged into itself")
	}
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		dup, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(dup); err != nil {
			return err
		}
		target, err := tx.IncidentByID(ctx, into)
		if tocsin.ErrorCode(err) == tocsin.ENotFound {
			return tocsin.Errorf(tocsin.EInvalid, "into: there is no incident %d", into)
		}
		if err != nil {
			return err
		}
		if target.MergedInto != 0 {
			return tocsin.Errorf(tocsin.EInvalid, "into: incident %d was itself merged into #%d: merge into that one", into, target.MergedInto)
		}
		if err := tx.MergeIncident(ctx, id, into); err != nil {
			return err
		}
		if dup.Status != tocsin.IncidentResolved {
			dup.Status, dup.ResolvedAt, dup.ResolvedBy = tocsin.IncidentResolved, now, who
		}
		dup.PageAt, dup.EscalateAt = time.Time{}, time.Time{}
		if err := tx.SaveIncident(ctx, dup); err != nil {
			return err
		}
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: tocsin.TimelineMerged, Actor: who,
			Message: fmt.Sprintf("Merged into #%d by %s", into, who), Data: mustJSON(map[string]any{"into": into})}); err != nil {
			return err
		}
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: into, At: now, Kind: tocsin.TimelineMergedIn, Actor: who,
			Message: fmt.Sprintf("#%d (%s) merged into this incident by %s: its timeline, alerts and pages are here", id, dup.Title, who),
			Data:    mustJSON(map[string]any{"from": id})}); err != nil {
			return err
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.merge", fmt.Sprintf("incident %d: merged into %d", id, into),
			map[string]any{"incident_id": id, "into": into}))
	})
	if err != nil {
		return nil, err
	}
	s.Actions.EscalationChanged()
	in, err := s.DB.Incident(ctx, into)
	if err != nil {
		return nil, err
	}
	return in, nil
}

// AddTimelineEntry adds a person's account of a moment to incident id's
// timeline: message (1 to MaxNoteLength characters) dated at, which is
// not in the future nor more than MaxBackdate before the incident opened,
// marked as key moment keyMoment unless that is empty.
func (s *Server) AddTimelineEntry(r *http.Request, id int64, at time.Time, message, keyMoment string) (*tocsin.Incident, error) {
	message = strings.TrimSpace(message)
	switch n := utf8.RuneCountInString(message); {
	case n == 0:
		return nil, tocsin.Errorf(tocsin.EInvalid, "message is empty: say what happened")
	case n > MaxNoteLength:
		return nil, tocsin.Errorf(tocsin.EInvalid, "message is too long: %d characters, at most %d", n, MaxNoteLength)
	}
	if keyMoment != "" && !slices.Contains(tocsin.KeyMoments, keyMoment) {
		return nil, badKeyMoment(keyMoment)
	}
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	switch {
	case at.IsZero():
		return nil, tocsin.Errorf(tocsin.EInvalid, "at: when it happened is required (RFC 3339)")
	case at.After(now):
		return nil, tocsin.Errorf(tocsin.EInvalid, "at: %s is in the future", at.UTC().Format(time.RFC3339))
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(in); err != nil {
			return err
		}
		if earliest := in.OpenedAt.Add(-MaxBackdate); at.Before(earliest) {
			return tocsin.Errorf(tocsin.EInvalid, "at: %s is more than %s before the incident opened (%s)",
				at.UTC().Format(time.RFC3339), tocsin.FormatDuration(MaxBackdate), in.OpenedAt.UTC().Format(time.RFC3339))
		}
		e := &tocsin.TimelineEntry{IncidentID: id, At: at.Truncate(time.Millisecond), Kind: tocsin.TimelineManual, Actor: who, Message: message}
		if err := tx.AppendTimeline(ctx, e); err != nil {
			return err
		}
		data := map[string]any{"incident_id": id, "timeline_id": e.ID, "at": e.At.UTC()}
		if keyMoment != "" {
			if err := s.markKeyMoment(ctx, tx, e, keyMoment, who, now); err != nil {
				return err
			}
			data["key_moment"] = keyMoment
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.timeline_entry", fmt.Sprintf("incident %d: timeline entry", id), data))
	})
	if err != nil {
		return nil, err
	}
	return s.DB.Incident(ctx, id)
}

// SetKeyMoment marks entry of incident id's timeline, automatic or
// manual, as key moment kind, as the request's principal. An incident has
// at most one entry per kind and an entry at most one kind: the kind
// moves from the entry that had it, and the entry's old kind is dropped.
func (s *Server) SetKeyMoment(r *http.Request, id, entry int64, kind string) (*tocsin.Incident, error) {
	if !slices.Contains(tocsin.KeyMoments, kind) {
		return nil, badKeyMoment(kind)
	}
	return s.keyMomentAction(r, id, entry, kind)
}

// ClearKeyMoment unmarks entry of incident id's timeline as a key moment,
// as the request's principal; an entry that is none stays as it is.
func (s *Server) ClearKeyMoment(r *http.Request, id, entry int64) (*tocsin.Incident, error) {
	return s.keyMomentAction(r, id, entry, "")
}

func (s *Server) keyMomentAction(r *http.Request, id, entry int64, kind string) (*tocsin.Incident, error) {
	ctx := r.Context()
	who, now := actor(r), s.Clock.Now()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		in, err := tx.IncidentByID(ctx, id)
		if err != nil {
			return err
		}
		if err := notMerged(in); err != nil {
			return err
		}
		e, err := tx.TimelineEntry(ctx, id, entry)
		if err != nil {
			return err
		}
		if e.KeyMoment == kind {
			return nil
		}
		was := e.KeyMoment
		if kind == "" {
			if err := tx.ClearKeyMoment(ctx, e); err != nil {
				return err
			}
			if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: tocsin.TimelineKeyMoment, Actor: who,
				Message: fmt.Sprintf("Entry #%d is no longer the %s (by %s)", e.ID, keyMomentName(was), who),
				Data:    mustJSON(map[string]any{"timeline_id": e.ID, "key_moment": "", "was": was})}); err != nil {
				return err
			}
		} else if err := s.markKeyMoment(ctx, tx, e, kind, who, now); err != nil {
			return err
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.key_moment", fmt.Sprintf("incident %d: key moment", id),
			map[string]any{"incident_id": id, "timeline_id": e.ID, "key_moment": kind, "was": was}))
	})
	if err != nil {
		return nil, err
	}
	return s.DB.Incident(ctx, id)
}

// markKeyMoment marks e as kind and says so on the timeline, naming the
// entry that held kind before, if any.
func (s *Server) markKeyMoment(ctx context.Context, tx *store.Tx, e *tocsin.TimelineEntry, kind, who string, now time.Time) error {
	before, err := tx.KeyMomentHolder(ctx, e.IncidentID, kind)
	if err != nil {
		return err
	}
	if err := tx.SetKeyMoment(ctx, e, kind); err != nil {
		return err
	}
	msg := fmt.Sprintf("Entry #%d (%s UTC) marked as the %s by %s", e.ID, e.At.UTC().Format("2006-01-02 15:04:05"), keyMomentName(kind), who)
	if before != 0 {
		msg += fmt.Sprintf(", in place of entry #%d", before)
	}
	return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: e.IncidentID, At: now, Kind: tocsin.TimelineKeyMoment, Actor: who,
		Message: msg, Data: mustJSON(map[string]any{"timeline_id": e.ID, "key_moment": kind, "was": e.KeyMoment, "replaces": before})})
}

// keyMomentName is how a key moment reads in a sentence.
func keyMomentName(kind string) string { return strings.ReplaceAll(kind, "_", " ") }

func badKeyMoment(kind string) error {
	return tocsin.Errorf(tocsin.EInvalid, "key moment must be one of %s, got %q", strings.Join(tocsin.KeyMoments, ", "), kind)
}

// notMerged refuses changes to an incident merged into another.
func notMerged(in *tocsin.Incident) error {
	if in.MergedInto != 0 {
		return tocsin.Errorf(tocsin.EConflict, "incident %d was merged into #%d: change that one", in.ID, in.MergedInto)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of plain values reach here
	}
	return b
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func nonNilList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

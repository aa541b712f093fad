package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The changes to an incident a person makes beyond acknowledging and
// resolving it (ChangeIncident): escalate, reassign, note. Each is an
// exported method that the API's handler and the incident page both call,
// so that a change takes one path, lands on the incident's timeline and in
// the audit log with the person's name.

// MaxNoteLength is the most characters a note on an incident may have.
const MaxNoteLength = 10000

// escalateIncident pages the next level of the incident's policy now.
func (s *Server) escalateIncident(w http.ResponseWriter, r *http.Request) {
	s.incidentAction(w, r, http.StatusOK, s.EscalateIncident)
}

// reassignIncident pages {"to": "user:<name>" | "schedule:<name>"} now.
func (s *Server) reassignIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To string `json:"to"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.To == "" {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, `body: {"to": "user:<name>" or "schedule:<name>"} expected`))
		return
	}
	s.incidentAction(w, r, http.StatusOK, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.ReassignIncident(r, id, body.To)
	})
}

// noteIncident adds {"text": "..."} to the incident's timeline.
func (s *Server) noteIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"text"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "the note is too long: at most %d characters", MaxNoteLength))
			return
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, `body: {"text": "<the note>"} expected`))
		return
	}
	s.incidentAction(w, r, http.StatusCreated, func(r *http.Request, id int64) (*tocsin.Incident, error) {
		return s.NoteIncident(r, id, body.Text)
	})
}

// incidentAction runs act on the incident of the path and answers with
// the incident as it then is.
func (s *Server) incidentAction(w http.ResponseWriter, r *http.Request, status int,
	act func(r *http.Request, id int64) (*tocsin.Incident, error)) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := act(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeIncident(w, r, status, in)
}

// EscalateIncident pages the next level of incident id's escalation
// policy now, as the request's principal.
func (s *Server) EscalateIncident(r *http.Request, id int64) (*tocsin.Incident, error) {
	return s.escalationAction(r, id, "escalate", nil, func(tx *store.Tx, d *escalation.Directory, in *tocsin.Incident) error {
		return escalation.Escalate(r.Context(), tx, s.Snapshots.Load().Env, d, in, actor(r), s.Clock.Now())
	})
}

// ReassignIncident pages to ("user:<name>" or "schedule:<name>") about
// incident id now, as the request's principal.
func (s *Server) ReassignIncident(r *http.Request, id int64, to string) (*tocsin.Incident, error) {
	return s.escalationAction(r, id, "reassign", map[string]any{"to": to}, func(tx *store.Tx, d *escalation.Directory, in *tocsin.Incident) error {
		return escalation.Reassign(r.Context(), tx, s.Snapshots.Load().Env, d, in, to, actor(r), s.Clock.Now())
	})
}

// escalationAction runs fn on incident id and records it in the audit log
// as verb, with data; it wakes the outbox and the escalation timers.
func (s *Server) escalationAction(r *http.Request, id int64, verb string, data map[string]any,
	fn func(*store.Tx, *escalation.Directory, *tocsin.Incident) error) (*tocsin.Incident, error) {
	d := s.Snapshots.Load().Directory()
	if d == nil {
		d = &escalation.Directory{}
	}
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		in, err := tx.IncidentByID(r.Context(), id)
		if err != nil {
			return err
		}
		if err := fn(tx, d, in); err != nil {
			return err
		}
		if data == nil {
			data = map[string]any{}
		}
		data["incident_id"] = id
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "incident."+verb, fmt.Sprintf("incident %d: %s", id, verb), data))
	})
	if err != nil {
		return nil, err
	}
	s.Actions.NotificationsQueued()
	s.Actions.EscalationChanged()
	return s.DB.Incident(r.Context(), id)
}

// NoteIncident adds text, a person's note of 1 to MaxNoteLength
// characters, to incident id's timeline as the request's principal, open
// or resolved (a note after the fact is a note too). It pages nobody.
func (s *Server) NoteIncident(r *http.Request, id int64, text string) (*tocsin.Incident, error) {
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return nil, tocsin.Errorf(tocsin.EInvalid, "the note is empty: write what there is to say")
	case n > MaxNoteLength:
		return nil, tocsin.Errorf(tocsin.EInvalid, "the note is too long: %d characters, at most %d", n, MaxNoteLength)
	}
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if _, err := tx.IncidentByID(r.Context(), id); err != nil {
			return err
		}
		e := &tocsin.TimelineEntry{IncidentID: id, At: s.Clock.Now(), Kind: tocsin.TimelineNote, Actor: actor(r), Message: text}
		if err := tx.AppendTimeline(r.Context(), e); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "incident.note", fmt.Sprintf("incident %d: note", id),
			map[string]any{"incident_id": id, "timeline_id": e.ID}))
	})
	if err != nil {
		return nil, err
	}
	return s.DB.Incident(r.Context(), id)
}

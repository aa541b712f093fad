package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Bounds of an override made at run time.
const (
	MaxOverrideLength = 90 * 24 * time.Hour
	MaxOverrideNote   = 500 // characters
)

// forever is the end of "from now on" in reads of overrides.
var forever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Override is an override of a schedule: the config's (ID 0, FromConfig)
// or one made at run time through the API or the pages.
type Override struct {
	ID         int64
	Schedule   string
	User       string
	Start, End time.Time
	FromConfig bool
	CreatedBy  string // who made it (an actor, "user:alice"); "" for the config's
	CreatedAt  time.Time
	Note       string
}

// NewOverride is what a person asks for: User on call in Schedule from
// Start until End.
type NewOverride struct {
	Schedule   string
	User       string
	Start, End time.Time
	Note       string
}

func overrideOf(o store.ScheduleOverride) Override {
	return Override{ID: o.ID, Schedule: o.Schedule, User: o.User, Start: o.StartsAt, End: o.EndsAt, CreatedBy: o.CreatedBy,
		CreatedAt: o.CreatedAt, Note: o.Note}
}

// OnCallSchedules are the running config's schedules, each with the
// overrides made at run time that overlap [from, to) added: what is on
// call anywhere in that span. One read of the store.
func (s *Server) OnCallSchedules(ctx context.Context, from, to time.Time) (map[string]*oncall.Schedule, error) {
	stored, err := s.DB.ScheduleOverrides(ctx, "", from, to)
	if err != nil {
		return nil, err
	}
	extra := escalation.Overrides(stored)
	out := map[string]*oncall.Schedule{}
	for name, sched := range s.onCall().Schedules {
		out[name] = sched.With(extra[name])
	}
	return out, nil
}

// OnCallSchedule is one schedule, as OnCallSchedules has it; a name the
// config lacks is not found.
func (s *Server) OnCallSchedule(ctx context.Context, name string, from, to time.Time) (*oncall.Schedule, error) {
	sched, ok := s.onCall().Schedules[name]
	if !ok {
		return nil, tocsin.Errorf(tocsin.ENotFound, "no schedule named %q", name)
	}
	stored, err := s.DB.ScheduleOverrides(ctx, name, from, to)
	if err != nil {
		return nil, err
	}
	return sched.With(escalation.Overrides(stored)[name]), nil
}

// Overrides lists the overrides of schedule ("": of every schedule) that
// overlap [from, to), the config's and those made at run time, by start.
func (s *Server) Overrides(ctx context.Context, schedule string, from, to time.Time) ([]Override, error) {
	oc := s.onCall()
	if _, ok := oc.Schedules[schedule]; schedule != "" && !ok {
		return nil, tocsin.Errorf(tocsin.ENotFound, "no schedule named %q", schedule)
	}
	out := []Override{}
	for _, name := range sortedKeys(oc.Schedules) {
		if schedule != "" && name != schedule {
			continue
		}
		for _, o := range oc.Schedules[name].Overrides {
			if o.To.After(from) && o.From.Before(to) {
				out = append(out, Override{Schedule: name, User: o.User, Start: o.From, End: o.To, FromConfig: true})
			}
		}
	}
	stored, err := s.DB.ScheduleOverrides(ctx, schedule, from, to)
	if err != nil {
		return nil, err
	}
	for _, o := range stored {
		out = append(out, overrideOf(o))
	}
	slices.SortStableFunc(out, func(a, b Override) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// CreateOverride puts a user on call in a schedule for a while, in place
// of its rotations, as the request's principal, and records it in the
// audit log. Paging reads it from the store: the next page reaches the
// user, with no reload of the config.
func (s *Server) CreateOverride(r *http.Request, in NewOverride) (Override, error) {
	now := s.Clock.Now()
	if err := s.checkOverride(in, now); err != nil {
		return Override{}, err
	}
	o := store.ScheduleOverride{Schedule: in.Schedule, User: in.User, StartsAt: in.Start, EndsAt: in.End, CreatedBy: actor(r),
		CreatedAt: now, Note: in.Note}
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if err := tx.CreateScheduleOverride(r.Context(), &o); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "schedule.override.create",
			fmt.Sprintf("schedule %s: %s on call from %s to %s", o.Schedule, o.User, o.StartsAt.UTC().Format(time.RFC3339),
				o.EndsAt.UTC().Format(time.RFC3339)), overrideAuditData(o)))
	})
	if err != nil {
		return Override{}, err
	}
	// The stored form, to the millisecond, as every later read gives it.
	o.StartsAt, o.EndsAt, o.CreatedAt = o.StartsAt.Truncate(time.Millisecond), o.EndsAt.Truncate(time.Millisecond),
		o.CreatedAt.Truncate(time.Millisecond)
	return overrideOf(o), nil
}

// checkOverride refuses, in words for the person who asked, an override
// of no known schedule or user, of a disabled user, of no length or of
// more than MaxOverrideLength, or one already over.
func (s *Server) checkOverride(in NewOverride, now time.Time) error {
	if _, ok := s.onCall().Schedules[in.Schedule]; !ok {
		return tocsin.Errorf(tocsin.EInvalid, "schedule: there is no schedule named %q", in.Schedule)
	}
	known := false
	if cfg := s.Snapshots.Load().Config; cfg != nil {
		for _, u := range cfg.Users {
			if u.Name != in.User {
				continue
			}
			if u.Disabled {
				return tocsin.Errorf(tocsin.EInvalid, "user: %s is disabled and cannot be on call", in.User)
			}
			known = true
		}
	}
	switch {
	case in.User == "":
		return tocsin.Errorf(tocsin.EInvalid, "user: who is to be on call is missing")
	case !known:
		return tocsin.Errorf(tocsin.EInvalid, "user: there is no user named %q", in.User)
	case in.Start.IsZero() || in.End.IsZero():
		return tocsin.Errorf(tocsin.EInvalid, "start and end are both needed")
	case !in.End.After(in.Start):
		return tocsin.Errorf(tocsin.EInvalid, "end must be after start")
	case in.End.Sub(in.Start) > MaxOverrideLength:
		return tocsin.Errorf(tocsin.EInvalid, "an override lasts at most 90 days; this one lasts %s",
			tocsin.FormatDuration(in.End.Sub(in.Start).Round(time.Minute)))
	case !in.End.After(now):
		return tocsin.Errorf(tocsin.EInvalid, "this override ended already (end is in the past)")
	case utf8.RuneCountInString(in.Note) > MaxOverrideNote:
		return tocsin.Errorf(tocsin.EInvalid, "note: at most %d characters", MaxOverrideNote)
	}
	return nil
}

// RemoveOverride removes the override id made at run time from schedule,
// as the request's principal, and records it in the audit log. The
// config's overrides have no id: they are removed from the file.
func (s *Server) RemoveOverride(r *http.Request, schedule string, id int64) (Override, error) {
	var o store.ScheduleOverride
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		var err error
		if o, err = tx.DeleteScheduleOverride(r.Context(), schedule, id); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "schedule.override.delete",
			fmt.Sprintf("schedule %s: override %d removed (%s on call from %s to %s)", o.Schedule, o.ID, o.User,
				o.StartsAt.UTC().Format(time.RFC3339), o.EndsAt.UTC().Format(time.RFC3339)), overrideAuditData(o)))
	})
	if err != nil {
		return Override{}, err
	}
	return overrideOf(o), nil
}

func overrideAuditData(o store.ScheduleOverride) map[string]any {
	return map[string]any{"schedule": o.Schedule, "override_id": o.ID, "user": o.User, "start": o.StartsAt.UTC(),
		"end": o.EndsAt.UTC(), "note": o.Note}
}

// UserFeedURL is the signed address of user's calendar feed (the one
// GET /api/v1/users gives), or "" when feeds are off.
func (s *Server) UserFeedURL(user string) string {
	return s.feedURL("/ical/users/" + url.PathEscape(user))
}

// overrideJSON is an override in the API.
type overrideJSON struct {
	ID        int64      `json:"id,omitempty"` // absent for the config's, which have none
	Schedule  string     `json:"schedule"`
	User      string     `json:"user"`
	Start     time.Time  `json:"start"`
	End       time.Time  `json:"end"`
	Source    string     `json:"source"` // config or runtime
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	Note      string     `json:"note,omitempty"`
}

func overrideJSONOf(o Override) overrideJSON {
	j := overrideJSON{ID: o.ID, Schedule: o.Schedule, User: o.User, Start: o.Start.UTC(), End: o.End.UTC(), Source: "runtime",
		CreatedBy: o.CreatedBy, Note: o.Note}
	if o.FromConfig {
		j.Source = "config"
	} else {
		at := o.CreatedAt.UTC()
		j.CreatedAt = &at
	}
	return j
}

// overrideRequestJSON is the body of POST /api/v1/schedules/{name}/overrides.
type overrideRequestJSON struct {
	User  string `json:"user"`
	Start string `json:"start"` // RFC 3339
	End   string `json:"end"`   // RFC 3339
	Note  string `json:"note,omitempty"`
}

// listOverrides answers a schedule's overrides in force or to come.
func (s *Server) listOverrides(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	list, err := s.Overrides(r.Context(), name, s.Clock.Now(), forever)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]overrideJSON, 0, len(list))
	for _, o := range list {
		out = append(out, overrideJSONOf(o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedule": name, "overrides": out})
}

func (s *Server) createOverride(w http.ResponseWriter, r *http.Request) {
	var body overrideRequestJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, `body: {"user", "start", "end", "note"} expected: %v`, err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: one JSON object expected"))
		return
	}
	in := NewOverride{Schedule: r.PathValue("name"), User: body.User, Note: body.Note}
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"start", body.Start, &in.Start}, {"end", body.End, &in.End}} {
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "%s: %q is not an RFC 3339 time", f.name, f.v))
			return
		}
		*f.t = t
	}
	o, err := s.CreateOverride(r, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, overrideJSONOf(o))
}

func (s *Server) deleteOverride(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "schedule %s has no override %q", name, r.PathValue("id")))
		return
	}
	o, err := s.RemoveOverride(r, name, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, overrideJSONOf(o))
}

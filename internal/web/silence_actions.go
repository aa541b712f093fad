package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/store"
)

// NewSilence is a silence as a person asks for it: fixed (EndsAt;
// StartsAt defaults to now) or recurring (Cron, Duration, TZ).
type NewSilence struct {
	Matchers []string
	StartsAt time.Time
	EndsAt   time.Time
	Cron     string
	Duration time.Duration
	TZ       string
	Comment  string
}

// CreateSilence checks and stores a silence made by the request's
// principal, with its audit entry, and wakes what acts on silences: what
// the API and the pages both call, so that a silence takes one path. Its
// errors are meant for the person who asked.
func (s *Server) CreateSilence(r *http.Request, in NewSilence) (*alerting.Silence, error) {
	now := s.Clock.Now()
	sl := &tocsin.Silence{ManagedBy: "api", Matchers: in.Matchers, StartsAt: in.StartsAt, EndsAt: in.EndsAt, Cron: in.Cron,
		Duration: in.Duration, TZ: in.TZ, Comment: in.Comment, CreatedBy: actor(r), CreatedAt: now}
	if in.Cron == "" && sl.StartsAt.IsZero() {
		sl.StartsAt = now
	}
	c, err := alerting.CompileSilence(sl)
	if err != nil {
		return nil, err
	}
	if !sl.EndsAt.IsZero() && !sl.EndsAt.After(now) {
		return nil, tocsin.Errorf(tocsin.EInvalid, "ends_at: %s is in the past", sl.EndsAt.UTC().Format(time.RFC3339))
	}
	err = s.DB.Write(r.Context(), func(tx *store.Tx) error {
		if err := tx.CreateSilence(r.Context(), sl); err != nil {
			return err
		}
		return tx.Audit(s.auditContext(r), actor(r), "silence.create", "silence "+strconv.FormatInt(sl.ID, 10)+" created",
			map[string]any{"silence_id": sl.ID, "matchers": sl.Matchers})
	})
	if err != nil {
		return nil, err
	}
	s.silencesChanged(r)
	return c, nil
}

// ExpireSilence ends silence id now as the request's principal, with its
// audit entry; the alerts it held page if nothing else holds them. A
// silence of the config file is a conflict: it is removed there.
func (s *Server) ExpireSilence(r *http.Request, id int64) (*alerting.Silence, error) {
	now := s.Clock.Now()
	var sl *tocsin.Silence
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		var err error
		if sl, err = tx.ExpireSilence(r.Context(), id, now); err != nil {
			return err
		}
		if sl.ManagedBy == "config" {
			return tocsin.Errorf(tocsin.EConflict, "silence %d (%s) comes from the config file; remove it there and reload", id, sl.Name)
		}
		return tx.Audit(s.auditContext(r), actor(r), "silence.expire", "silence "+strconv.FormatInt(id, 10)+" expired",
			map[string]any{"silence_id": id})
	})
	if err != nil {
		return nil, err
	}
	s.silencesChanged(r)
	c, err := alerting.CompileSilence(sl)
	if err != nil {
		c = &alerting.Silence{Silence: sl} // shown as stored; the log says why it is ignored
	}
	return c, nil
}

func (s *Server) silencesChanged(r *http.Request) {
	if err := s.Actions.SilencesChanged(r.Context()); err != nil {
		s.Log.Error("reload silences", "err", err)
	}
}

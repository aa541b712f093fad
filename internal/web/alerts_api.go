package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// alertJSON is an alert as the API shows it.
type alertJSON struct {
	ID           int64              `json:"id"`
	Integration  string             `json:"integration"`
	Key          string             `json:"key"`
	Service      string             `json:"service"`
	Status       tocsin.AlertStatus `json:"status"`
	Summary      string             `json:"summary"`
	Source       string             `json:"source,omitempty"`
	Severity     string             `json:"severity"`
	Labels       map[string]string  `json:"labels"`
	Annotations  map[string]string  `json:"annotations,omitempty"`
	StartsAt     *time.Time         `json:"starts_at"`
	EndsAt       *time.Time         `json:"ends_at"`
	Links        []tocsin.Link      `json:"links,omitempty"`
	Images       []tocsin.Image     `json:"images,omitempty"`
	Details      json.RawMessage    `json:"details,omitempty"`
	FirstSeenAt  time.Time          `json:"first_seen_at"`
	LastSeenAt   time.Time          `json:"last_seen_at"`
	Deliveries   int64              `json:"deliveries"`
	IncidentID   int64              `json:"incident_id,omitempty"`
	Suppressed   string             `json:"suppressed,omitempty"`    // silence or inhibit
	SuppressedBy int64              `json:"suppressed_by,omitempty"` // the silence, or the inhibiting alert
}

func toAlertJSON(a *tocsin.AlertRecord) alertJSON {
	return alertJSON{ID: a.ID, Integration: a.Integration, Key: a.Key, Service: a.Service, Status: a.Status, Summary: a.Summary,
		Source: a.Source, Severity: a.Severity, Labels: a.Labels, Annotations: a.Annotations, StartsAt: timePtr(a.StartsAt),
		EndsAt: timePtr(a.EndsAt), Links: a.Links, Images: a.Images, Details: a.Details, FirstSeenAt: a.FirstSeenAt.UTC(),
		LastSeenAt: a.LastSeenAt.UTC(), Deliveries: a.Deliveries, IncidentID: a.IncidentID, Suppressed: a.Suppressed,
		SuppressedBy: a.SuppressorID}
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.AlertFilter{Service: q.Get("service"), Limit: 100}
	switch st := tocsin.AlertStatus(q.Get("status")); st {
	case "", tocsin.AlertFiring, tocsin.AlertAcknowledged, tocsin.AlertResolved:
		f.Status = st
	default:
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "status must be firing, acknowledged or resolved"))
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
	list, err := s.DB.Alerts(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]alertJSON, 0, len(list))
	for _, a := range list {
		out = append(out, toAlertJSON(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// silenceJSON is a silence as the API shows and takes it.
type silenceJSON struct {
	ID        int64      `json:"id,omitempty"`
	Name      string     `json:"name,omitempty"`
	ManagedBy string     `json:"managed_by,omitempty"`
	Matchers  []string   `json:"matchers"`
	StartsAt  *time.Time `json:"starts_at"`
	EndsAt    *time.Time `json:"ends_at"`
	Cron      string     `json:"cron,omitempty"`
	Duration  string     `json:"duration,omitempty"`
	TZ        string     `json:"tz,omitempty"`
	Comment   string     `json:"comment,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	ExpiredAt *time.Time `json:"expired_at,omitempty"`
	ActiveNow bool       `json:"active_now"`
}

func toSilenceJSON(c *alerting.Silence, now time.Time) silenceJSON {
	j := silenceJSON{ID: c.ID, Name: c.Name, ManagedBy: c.ManagedBy, Matchers: c.Matchers, StartsAt: timePtr(c.StartsAt),
		EndsAt: timePtr(c.EndsAt), Cron: c.Cron, TZ: c.TZ, Comment: c.Comment, CreatedBy: c.CreatedBy,
		CreatedAt: timePtr(c.CreatedAt), ExpiredAt: timePtr(c.ExpiredAt), ActiveNow: c.ActiveAt(now)}
	if c.Duration > 0 {
		j.Duration = tocsin.FormatDuration(c.Duration)
	}
	return j
}

func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) {
	now := s.Clock.Now()
	list, err := s.DB.Silences(r.Context(), now, r.URL.Query().Get("all") == "true")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]silenceJSON, 0, len(list))
	for _, sl := range list {
		c, err := alerting.CompileSilence(sl)
		if err != nil {
			c = &alerting.Silence{Silence: sl} // shown as stored; the log says why it is ignored
		}
		out = append(out, toSilenceJSON(c, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"silences": out})
}

// createSilence makes a silence: fixed (ends_at; starts_at defaults to
// now) or recurring (cron, duration, tz).
func (s *Server) createSilence(w http.ResponseWriter, r *http.Request) {
	var in silenceJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: %v", err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: one JSON object expected"))
		return
	}
	ns := NewSilence{Matchers: in.Matchers, Cron: in.Cron, TZ: in.TZ, Comment: in.Comment}
	if in.StartsAt != nil {
		ns.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		ns.EndsAt = *in.EndsAt
	}
	if in.Duration != "" {
		d, err := config.ParseDuration(in.Duration)
		if err != nil {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "duration: %v", err))
			return
		}
		ns.Duration = d
	}
	c, err := s.CreateSilence(r, ns)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toSilenceJSON(c, s.Clock.Now()))
}

// expireSilence ends a silence now; the alerts it held page if nothing else holds them.
func (s *Server) expireSilence(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "silence id must be a positive number"))
		return
	}
	c, err := s.ExpireSilence(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSilenceJSON(c, s.Clock.Now()))
}

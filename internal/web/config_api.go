package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// ReloadRequest says who asks for a reload and whether a config the reload
// guard refuses is applied anyway.
type ReloadRequest struct {
	Force bool
	Actor string // "signal", "api:<token name>", ...
}

// ReloadResult is what a reload did, or why it was refused.
type ReloadResult struct {
	Status   string           `json:"status"` // reloaded or refused
	Summary  string           `json:"summary,omitempty"`
	Forced   bool             `json:"forced,omitempty"` // applied although the guard objected
	Created  []string         `json:"created"`
	Changed  []string         `json:"changed"`
	Removed  []string         `json:"removed"`
	Warnings []string         `json:"warnings"`           // renamed checks whose ping URL changed, among others
	Findings []config.Finding `json:"findings,omitempty"` // why the guard refused (or objected, when forced)
	// Incidents of removed checks: resolved, or kept open with a note.
	ResolvedIncidents []int64 `json:"resolved_incidents,omitempty"`
	NotedIncidents    []int64 `json:"noted_incidents,omitempty"`
}

// RunningConfig is the running config as `tocsin config check --against`
// compares a file with it.
type RunningConfig struct {
	File      string                 `json:"file"`
	PublicURL string                 `json:"public_url"`
	Checks    []config.PreviousCheck `json:"checks"`
	Channels  []string               `json:"channels"`
	Operator  []string               `json:"operator_notify"`
}

// reloadConfig reads the config file again: POST /api/v1/config/reload,
// with ?force=true to apply a config the reload guard refuses.
func (s *Server) reloadConfig(w http.ResponseWriter, r *http.Request) {
	force, err := boolParam(r, "force")
	if err != nil {
		writeError(w, err)
		return
	}
	res, err := s.ReloadConfig(r, force)
	if err != nil {
		status := http.StatusBadRequest // the file does not load
		if tocsin.ErrorCode(err) == tocsin.EConflict {
			status = http.StatusConflict // the guard refused it
		}
		writeJSON(w, status, map[string]any{"error": "config rejected, the running config is unchanged: " + err.Error(),
			"findings": res.Findings})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// runningConfig shows what `config check --against` compares with:
// GET /api/v1/config.
func (s *Server) runningConfig(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Actions.RunningConfig(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

// maxAuditLimit bounds one page of the audit log.
const maxAuditLimit = 1000

// listAudit serves the audit log, newest first: GET /api/v1/audit, with
// ?limit= (default 100, at most 1000), ?before= (an entry id: older ones
// only), ?action= (config: config.reload, config.refused, ...), ?actor=
// (api:ci, ...), ?since= and ?until= (RFC 3339 times).
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	f := store.AuditFilter{Limit: 100, Action: r.URL.Query().Get("action"), Actor: r.URL.Query().Get("actor")}
	for name, into := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := r.URL.Query().Get(name); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, tocsin.Errorf(tocsin.EInvalid, "%s must be a time like 2026-01-02T15:04:05Z, got %q", name, v))
				return
			}
			*into = at
		}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "limit must be a whole number from 1 to %d, got %q", maxAuditLimit, v))
			return
		}
		f.Limit = n
	}
	if v := r.URL.Query().Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "before must be an audit entry id (a positive whole number), got %q", v))
			return
		}
		f.BeforeID = n
	}
	if len(f.Action) > 100 || len(f.Actor) > 200 {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "action or actor too long (at most 100 and 200 characters)"))
		return
	}
	entries, err := s.DB.AuditLog(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// boolParam reads a true/false query parameter; absent is false.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, tocsin.Errorf(tocsin.EInvalid, "%s must be true or false, got %q", name, v)
	}
	return b, nil
}

// Package hcapi serves Healthchecks' Management API (version 3) at
// /api/v3/, so that the scripts, Ansible roles and Terraform providers
// written for Healthchecks manage Tocsin's checks unchanged: the same
// paths, fields, status codes and error bodies. Its X-Api-Key is a Tocsin
// API token; a viewer token is Healthchecks' read-only key. Checks are
// created, changed and deleted through internal/checkadmin, as those of
// Tocsin's own API are.
package hcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/checkadmin"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// API serves /api/v3/.
type API struct {
	DB      *store.DB
	Clock   interface{ Now() time.Time }
	Checks  *checkadmin.Manager
	Running func() *runtime.Snapshot
	// Authenticate finds the principal of an API token (web's TokenPrincipal).
	Authenticate func(r *http.Request, token string) (auth.Principal, error)
	// AuditContext is the context audit entries are written under, once
	// the request carries its principal.
	AuditContext func(r *http.Request) context.Context
	// SetPaused pauses or resumes a check, as Tocsin's own API does.
	SetPaused func(ctx context.Context, uuid string, pause bool, actor string) (*tocsin.Check, error)
}

// maxBody bounds a request body, as the rest of the API does.
const maxBody = 64 << 10

// Routes are the routes of the API. They are public in the route table:
// each handler checks the X-Api-Key header (or the api_key of the JSON
// body) itself, to answer Healthchecks' "missing api key" and "wrong api
// key".
func (a *API) Routes() []auth.Route {
	r := func(pattern string, h http.Handler) auth.Route {
		return auth.Route{Pattern: pattern, Role: auth.Public, Handler: h}
	}
	return []auth.Route{
		r("/api/v3/checks/{$}", a.endpoint(map[string]handler{"GET": {auth.Viewer, a.listChecks}, "POST": {auth.Responder, a.createCheck}})),
		r("/api/v3/checks/{key}", a.endpoint(map[string]handler{"GET": {auth.Viewer, a.getCheck},
			"POST": {auth.Responder, a.updateCheck}, "DELETE": {auth.Responder, a.deleteCheck}})),
		r("/api/v3/checks/{key}/pause", a.endpoint(map[string]handler{"POST": {auth.Responder, a.pause}})),
		r("/api/v3/checks/{key}/resume", a.endpoint(map[string]handler{"POST": {auth.Responder, a.resume}})),
		r("/api/v3/checks/{key}/pings/{$}", a.endpoint(map[string]handler{"GET": {auth.Responder, a.listPings}})),
		r("/api/v3/checks/{key}/pings/{n}/body", a.endpoint(map[string]handler{"GET": {auth.Responder, a.pingBody}})),
		r("/api/v3/checks/{key}/flips/{$}", a.endpoint(map[string]handler{"GET": {auth.Viewer, a.listFlips}})),
		r("/api/v3/channels/{$}", a.endpoint(map[string]handler{"GET": {auth.Responder, a.listChannels}})),
		r("/api/v3/badges/{$}", a.endpoint(map[string]handler{"GET": {auth.Viewer, a.listBadges}})),
		// The badges themselves need no key: their signature is the
		// credential, and they show only a tag, its state and counts.
		r("/badge/{key}/{sigformat}", http.HandlerFunc(a.badgeAll)),
		r("/badge/{key}/{sig}/{tagformat}", http.HandlerFunc(a.badgeTag)),
	}
}

// handler is one method of an endpoint: the least role it needs (viewer:
// Healthchecks' read-only key may call it) and what it does.
type handler struct {
	role auth.Role
	fn   func(w http.ResponseWriter, r *request)
}

// request is a request with its principal and its JSON body, if any.
type request struct {
	*http.Request
	principal auth.Principal
	body      map[string]json.RawMessage
}

// actor names the request's principal in the audit log.
func (r *request) actor() string { return r.principal.Actor() }

// endpoint serves the methods of one path as Healthchecks' views do:
// CORS headers on every answer, OPTIONS answered 204, another method 405,
// the JSON body read before the key is checked.
func (a *API) endpoint(methods map[string]handler) http.Handler {
	allowed := []string{}
	for _, m := range []string{"GET", "POST", "DELETE"} {
		if _, ok := methods[m]; ok {
			allowed = append(allowed, m)
		}
	}
	allow := strings.Join(append(allowed, "OPTIONS"), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "X-Api-Key")
		h.Set("Access-Control-Allow-Methods", allow)
		h.Set("Access-Control-Max-Age", "600")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		m, ok := methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			m, ok = methods["GET"]
		}
		if !ok {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		req := &request{Request: r}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "could not read request body")
			return
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			var v any
			if json.Unmarshal(raw, &v) != nil {
				writeError(w, http.StatusBadRequest, "could not parse request body")
				return
			}
			if json.Unmarshal(raw, &req.body) != nil {
				writeError(w, http.StatusBadRequest, "json validation error: value is not an object")
				return
			}
		}
		key := r.Header.Get("X-Api-Key")
		if key == "" {
			if v, ok := req.body["api_key"]; ok {
				json.Unmarshal(v, &key) // not a string: no key
			}
		}
		if key == "" {
			writeError(w, http.StatusUnauthorized, "missing api key")
			return
		}
		p, err := a.Authenticate(r, key)
		if err != nil || !p.Role.Allows(m.role) {
			// Healthchecks answers a read-only key on a write the same as
			// an unknown key: it finds no project with that write key.
			writeError(w, http.StatusUnauthorized, "wrong api key")
			return
		}
		req.principal = p
		req.Request = r.WithContext(auth.WithPrincipal(r.Context(), p))
		req.Request = req.WithContext(a.AuditContext(req.Request))
		m.fn(w, req)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// fail answers a Tocsin error in Healthchecks' shape.
func fail(w http.ResponseWriter, err error) {
	switch tocsin.ErrorCode(err) {
	case tocsin.ENotFound:
		writeError(w, http.StatusNotFound, "not found")
	case tocsin.EInvalid:
		writeError(w, http.StatusBadRequest, tocsin.ErrorMessage(err))
	case tocsin.EConflict:
		writeError(w, http.StatusConflict, tocsin.ErrorMessage(err))
	default:
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// lookup finds the check a path's {key} names: its UUID, or the unique
// key that Healthchecks shows read-only keys instead.
func (a *API) lookup(r *request) (*tocsin.Check, error) {
	key := strings.ToLower(r.PathValue("key"))
	if len(key) == 40 {
		checks, err := a.DB.Checks(r.Context())
		if err != nil {
			return nil, err
		}
		for _, c := range checks {
			if uniqueKey(c.UUID) == key {
				return c, nil
			}
		}
		return nil, tocsin.Errorf(tocsin.ENotFound, "check not found")
	}
	return a.DB.CheckByUUID(r.Context(), key)
}

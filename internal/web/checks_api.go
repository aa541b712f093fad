package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// CheckAdmin changes the checks made at run time (internal/checkadmin):
// it validates a definition against the running config, stores it with an
// audit entry and tells the engine. A check of the config file refuses
// every change with an EConflict error naming its file and line.
type CheckAdmin interface {
	Create(ctx context.Context, d store.CheckDef, actor string) (*tocsin.Check, error)
	// CreateMany creates up to checkadmin.MaxBulk checks, all or none; an
	// error names the bad one by its index, as checks[3].name.
	CreateMany(ctx context.Context, defs []store.CheckDef, actor string) ([]*tocsin.Check, error)
	Update(ctx context.Context, uuid string, d store.CheckDef, actor string) (*tocsin.Check, error)
	Delete(ctx context.Context, uuid string, actor string) (*tocsin.Check, error)
}

// checkBody is a check's definition as POST /api/v1/checks and PATCH
// /api/v1/checks/{uuid} read it: on PATCH, each field given replaces the
// check's (schedule whole).
type checkBody struct {
	UUID             *string       `json:"uuid,omitempty"` // create only: kept, so that an imported check keeps its ping URL
	Name             *string       `json:"name,omitempty"`
	Slug             *string       `json:"slug,omitempty"`
	Description      *string       `json:"description,omitempty"`
	Schedule         *scheduleJSON `json:"schedule,omitempty"`
	Grace            *string       `json:"grace,omitempty"` // like 5m; default 1h
	Notify           *[]string     `json:"notify,omitempty"`
	Tags             *[]string     `json:"tags,omitempty"`
	AutoResolve      *bool         `json:"auto_resolve,omitempty"`
	RunbookURL       *string       `json:"runbook_url,omitempty"`
	Methods          *string       `json:"methods,omitempty"` // "" or POST
	ManualResume     *bool         `json:"manual_resume,omitempty"`
	EscalationPolicy *string       `json:"escalation_policy,omitempty"`
	// Keywords is the keyword filter, as the config file's keywords
	// block; on PATCH, null turns it off.
	Keywords json.RawMessage `json:"keywords,omitempty"`
}

// keywordsJSON is a keyword filter as the API reads and shows it: the
// config file's keywords block.
type keywordsJSON struct {
	Failure []string `json:"failure"`
	Success []string `json:"success"`
	Start   []string `json:"start"`
	NoMatch string   `json:"no_match"` // ignore (default) or fail
}

// keywordsOf is the filter f as the API shows it; nil when off (lists
// kept through Healthchecks' API with filter_http_body false are off).
func keywordsOf(f *tocsin.KeywordFilter) *keywordsJSON {
	if !f.ClassifiesPings() {
		return nil
	}
	k := &keywordsJSON{Failure: nonNilList(f.Failure), Success: nonNilList(f.Success), Start: nonNilList(f.Start),
		NoMatch: config.NoMatchIgnore}
	if f.DefaultFail {
		k.NoMatch = config.NoMatchFail
	}
	return k
}

// keywordFilter reads a keywords object; null is no filter.
func keywordFilter(raw json.RawMessage) (*tocsin.KeywordFilter, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var k keywordsJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "keywords: must be an object with failure, success, start and no_match: %v", err)
	}
	f := &tocsin.KeywordFilter{Failure: k.Failure, Success: k.Success, Start: k.Start}
	switch k.NoMatch {
	case "", config.NoMatchIgnore:
	case config.NoMatchFail:
		f.DefaultFail = true
	default:
		return nil, tocsin.Errorf(tocsin.EInvalid, "keywords.no_match: must be %s (default) or %s, got %q",
			config.NoMatchIgnore, config.NoMatchFail, k.NoMatch)
	}
	return f, nil
}

// checkDef is the definition of a stored check, for a change to start from.
func checkDef(c *tocsin.Check) store.CheckDef {
	return store.CheckDef{UUID: c.UUID, Name: c.Name, Slug: c.Slug, Spec: c.Spec, Grace: c.Grace, Notify: c.Notify,
		AutoResolve: c.AutoResolve, Methods: c.Methods, ManualResume: c.ManualResume, RunbookURL: c.RunbookURL,
		Description: c.Description, Tags: c.Tags, EscalationPolicy: c.EscalationPolicy, FlapChanges: c.FlapChanges,
		FlapWindow: c.FlapWindow, FlapStable: c.FlapStable, ReopenAfter: c.ReopenAfter, Keywords: c.Keywords}
}

// apply sets the fields given in b on d.
func (b checkBody) apply(d *store.CheckDef) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&d.Name, b.Name)
	set(&d.Slug, b.Slug)
	set(&d.Description, b.Description)
	set(&d.RunbookURL, b.RunbookURL)
	set(&d.Methods, b.Methods)
	set(&d.EscalationPolicy, b.EscalationPolicy)
	if b.Name != nil && b.Slug == nil {
		d.Slug = "" // a new name makes a new slug, unless one is given
	}
	if b.Schedule != nil {
		d.Spec = tocsin.ScheduleSpec{Cron: b.Schedule.Cron, TZ: b.Schedule.TZ}
		if b.Schedule.Every != "" {
			every, err := config.ParseDuration(b.Schedule.Every)
			if err != nil {
				return tocsin.Errorf(tocsin.EInvalid, "schedule.every: %v", err)
			}
			d.Spec.Every = every
		}
	}
	if b.Grace != nil {
		g, err := config.ParseDuration(*b.Grace)
		if err != nil {
			return tocsin.Errorf(tocsin.EInvalid, "grace: %v", err)
		}
		d.Grace = g
	}
	if b.Notify != nil {
		d.Notify = *b.Notify
	}
	if b.Tags != nil {
		d.Tags = *b.Tags
	}
	if b.AutoResolve != nil {
		d.AutoResolve = *b.AutoResolve
	}
	if b.ManualResume != nil {
		d.ManualResume = *b.ManualResume
	}
	if len(b.Keywords) > 0 {
		f, err := keywordFilter(b.Keywords)
		if err != nil {
			return err
		}
		d.Keywords = f
	}
	return nil
}

// createCheck makes a check managed through the API: 201 with it.
func (s *Server) createCheck(w http.ResponseWriter, r *http.Request) {
	var b checkBody
	if !decodeBody(w, r, &b, "a check") {
		return
	}
	d := store.CheckDef{Grace: config.DefaultGrace, AutoResolve: true}
	if b.UUID != nil {
		d.UUID = *b.UUID
	}
	if err := b.apply(&d); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Checks.Create(s.auditContext(r), d, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.checkJSON(c, s.Clock.Now()))
}

// bulkChecks is the body of POST /api/v1/checks/bulk.
type bulkChecks struct {
	Checks []checkBody `json:"checks"`
}

// createChecks makes many checks managed through the API, all or none:
// 201 with them, in the order given. A bad one is 400 naming its index
// and field, a name or UUID taken 409; either way none is made.
func (s *Server) createChecks(w http.ResponseWriter, r *http.Request) {
	var b bulkChecks
	if !decodeBody(w, r, &b, `{"checks": [check, ...]}`) {
		return
	}
	defs := make([]store.CheckDef, len(b.Checks))
	for i, cb := range b.Checks {
		defs[i] = store.CheckDef{Grace: config.DefaultGrace, AutoResolve: true}
		if cb.UUID != nil {
			defs[i].UUID = *cb.UUID
		}
		if err := cb.apply(&defs[i]); err != nil {
			s.fail(w, r, tocsin.Errorf(tocsin.ErrorCode(err), "checks[%d].%s", i, tocsin.ErrorMessage(err)))
			return
		}
	}
	cs, err := s.Checks.CreateMany(s.auditContext(r), defs, actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	out := make([]checkJSON, len(cs))
	for i, c := range cs {
		out[i] = s.checkJSON(c, now)
	}
	writeJSON(w, http.StatusCreated, struct {
		Checks []checkJSON `json:"checks"`
	}{out})
}

// patchCheck changes a check managed through the API; one of the config
// file is 409, naming the file and line.
func (s *Server) patchCheck(w http.ResponseWriter, r *http.Request) {
	var b checkBody
	if !decodeBody(w, r, &b, "a check's fields") {
		return
	}
	c, err := s.DB.CheckByUUID(r.Context(), r.PathValue("uuid"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if b.UUID != nil && *b.UUID != c.UUID {
		s.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "uuid: a check's UUID does not change"))
		return
	}
	d := checkDef(c)
	if err := b.apply(&d); err != nil {
		s.fail(w, r, err)
		return
	}
	if c, err = s.Checks.Update(s.auditContext(r), c.UUID, d, actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.checkJSON(c, s.Clock.Now()))
}

// deleteCheck removes a check managed through the API and resolves its
// open incident; one of the config file is 409.
func (s *Server) deleteCheck(w http.ResponseWriter, r *http.Request) {
	c, err := s.Checks.Delete(s.auditContext(r), r.PathValue("uuid"), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.checkJSON(c, s.Clock.Now()))
}

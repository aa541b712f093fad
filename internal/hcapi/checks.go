package hcapi

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// uniqueKey is Healthchecks' stable key of a check for read-only keys:
// the SHA-1 of the first half of its UUID's hex digits.
func uniqueKey(uuid string) string {
	hexDigits := strings.ReplaceAll(uuid, "-", "")
	if len(hexDigits) < 16 {
		return ""
	}
	sum := sha1.Sum([]byte(hexDigits[:16]))
	return hex.EncodeToString(sum[:])
}

// isoTime is a time as Python's isoformat writes it in UTC, as
// Healthchecks shows it; whole seconds when seconds is set.
func isoTime(t time.Time, seconds bool) *string {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	layout := "2006-01-02T15:04:05.000000+00:00"
	if seconds || t.Nanosecond() == 0 {
		t = t.Truncate(time.Second)
		layout = "2006-01-02T15:04:05+00:00"
	}
	s := t.Format(layout)
	return &s
}

// displayName is a check's name as Healthchecks shows it: a check made
// without a name is stored under its UUID (Tocsin's names are unique and
// required) and shows an empty one.
func displayName(c *tocsin.Check) string {
	if c.Name == c.UUID {
		return ""
	}
	return c.Name
}

// checkDict is a check as Healthchecks' Check.to_dict (v3) writes it.
func (a *API) checkDict(c *tocsin.Check, readonly bool, now time.Time) map[string]any {
	status := c.StateAt(now)
	if status == tocsin.StateStarted {
		status = c.Status // v2 and later report a run in progress in "started"
	}
	d := map[string]any{
		"name": displayName(c), "slug": c.Slug, "tags": strings.Join(c.Tags, " "), "desc": c.Description,
		"grace": int64(c.Grace / time.Second), "n_pings": c.Pings, "status": string(status),
		"started": !c.LastStartAt.IsZero(), "last_ping": isoTime(c.LastPingAt, true), "next_ping": isoTime(c.ExpectedAt(), true),
		"manual_resume": c.ManualResume, "methods": c.Methods,
	}
	filterOf(c.Keywords).fields(d)
	if c.LastDuration > 0 {
		d["last_duration"] = int64(c.LastDuration / time.Second)
	}
	if readonly {
		d["unique_key"] = uniqueKey(c.UUID)
	} else {
		st := a.Running()
		base := st.Env.PublicURL
		d["ping_url"] = base + "/ping/" + c.UUID
		update := base + "/api/v3/checks/" + c.UUID
		d["update_url"], d["pause_url"], d["resume_url"] = update, update+"/pause", update+"/resume"
		ids := []string{}
		for _, name := range c.Notify {
			ids = append(ids, channelID(name))
		}
		sort.Strings(ids)
		d["channels"] = strings.Join(ids, ",")
	}
	if c.Spec.Cron != "" {
		tz := c.Spec.TZ
		if tz == "" {
			tz = "UTC"
		}
		d["schedule"], d["tz"] = c.Spec.Cron, tz
	} else {
		d["timeout"] = int64(c.Spec.Every / time.Second)
	}
	return d
}

func (a *API) listChecks(w http.ResponseWriter, r *request) {
	checks, err := a.DB.Checks(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	q := r.URL.Query()
	tags, slug := q["tag"], q.Get("slug")
	readonly := !r.principal.Role.Allows(writeRole)
	now := a.Clock.Now()
	out := []map[string]any{}
	for _, c := range checks {
		if c.IsProbe() || slug != "" && c.Slug != slug || !c.HasTags(tags...) {
			continue
		}
		out = append(out, a.checkDict(c, readonly, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"checks": out})
}

func (a *API) getCheck(w http.ResponseWriter, r *request) {
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.checkDict(c, !r.principal.Role.Allows(writeRole), a.Clock.Now()))
}

// createCheck makes a check, or with "unique" updates the first that
// matches: 201 for a new check, 200 for one that existed.
func (a *API) createCheck(w http.ResponseWriter, r *request) {
	s, err := parseSpec(r.body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	existing, err := a.findUnique(r, s)
	if err != nil {
		fail(w, err)
		return
	}
	var d store.CheckDef
	if existing != nil {
		d = defOf(existing)
	} else {
		d = store.CheckDef{UUID: store.NewUUID(), Spec: tocsin.ScheduleSpec{Every: 24 * time.Hour}, Grace: time.Hour, AutoResolve: true}
		d.Name = d.UUID
	}
	if err := a.apply(&d, s); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var c *tocsin.Check
	status := http.StatusCreated
	if existing != nil {
		status = http.StatusOK
		c, err = a.Checks.Update(r.Context(), existing.UUID, d, r.actor())
	} else {
		c, err = a.Checks.Create(r.Context(), d, r.actor())
	}
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, status, a.checkDict(c, false, a.Clock.Now()))
}

// findUnique is the first check (oldest first) whose every field named in
// s.unique equals s's, or nil; a field named but not given matches none.
func (a *API) findUnique(r *request, s *spec) (*tocsin.Check, error) {
	if len(s.unique) == 0 {
		return nil, nil
	}
	for _, f := range s.unique {
		if !s.has(f) {
			return nil, nil
		}
	}
	checks, err := a.DB.Checks(r.Context())
	if err != nil {
		return nil, err
	}
	slices.SortFunc(checks, func(x, y *tocsin.Check) int { return int(x.ID - y.ID) })
	for _, c := range checks {
		ok := true
		for _, f := range s.unique {
			switch f {
			case "name":
				ok = ok && displayName(c) == *s.name
			case "slug":
				ok = ok && c.Slug == *s.slug
			case "tags":
				ok = ok && strings.Join(c.Tags, " ") == strings.Join(strings.Fields(*s.tags), " ")
			case "timeout":
				ok = ok && c.Spec.Cron == "" && c.Spec.Every == *s.timeout
			case "grace":
				ok = ok && c.Grace == *s.grace
			}
		}
		if ok && !c.IsProbe() {
			return c, nil
		}
	}
	return nil, nil
}

// defOf is the definition of a stored check, for a change to start from.
func defOf(c *tocsin.Check) store.CheckDef {
	return store.CheckDef{UUID: c.UUID, Name: c.Name, Slug: c.Slug, Spec: c.Spec, Grace: c.Grace, Notify: c.Notify,
		AutoResolve: c.AutoResolve, Methods: c.Methods, ManualResume: c.ManualResume, RunbookURL: c.RunbookURL,
		Description: c.Description, Tags: c.Tags, EscalationPolicy: c.EscalationPolicy, FlapChanges: c.FlapChanges,
		FlapWindow: c.FlapWindow, FlapStable: c.FlapStable, ReopenAfter: c.ReopenAfter, Keywords: c.Keywords}
}

// apply sets on d the fields s gives, as Healthchecks' _update does.
func (a *API) apply(d *store.CheckDef, s *spec) error {
	if s.channels != nil {
		names, err := a.channelNames(*s.channels)
		if err != nil {
			return err
		}
		d.Notify = names
	}
	if s.name != nil {
		d.Name = *s.name
		if d.Name == "" {
			d.Name = d.UUID
		}
	}
	if s.slug != nil {
		d.Slug = *s.slug
	}
	if s.timeout != nil && s.schedule == nil {
		d.Spec = tocsin.ScheduleSpec{Every: *s.timeout}
	}
	if s.schedule != nil {
		tz := d.Spec.TZ
		d.Spec = tocsin.ScheduleSpec{Cron: *s.schedule, TZ: tz}
	}
	if s.tz != nil && d.Spec.Cron != "" {
		d.Spec.TZ = *s.tz
		if d.Spec.TZ == "UTC" {
			d.Spec.TZ = ""
		}
	}
	if s.grace != nil {
		d.Grace = *s.grace
	}
	if s.tags != nil {
		d.Tags = strings.Fields(*s.tags)
	}
	if s.desc != nil {
		d.Description = *s.desc
	}
	if s.manualResume != nil {
		d.ManualResume = *s.manualResume
	}
	if s.methods != nil {
		d.Methods = *s.methods
	}
	f := filterOf(d.Keywords)
	f.apply(s)
	d.Keywords = f.keywordFilter()
	return nil
}

// updateCheck is POST /api/v3/checks/{uuid}: the fields given replace the
// check's.
func (a *API) updateCheck(w http.ResponseWriter, r *request) {
	if len(r.PathValue("key")) == 40 {
		w.WriteHeader(http.StatusMethodNotAllowed) // a unique key is for reading
		return
	}
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	s, err := parseSpec(r.body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	d := defOf(c)
	if err := a.apply(&d, s); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if c, err = a.Checks.Update(r.Context(), c.UUID, d, r.actor()); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.checkDict(c, false, a.Clock.Now()))
}

func (a *API) deleteCheck(w http.ResponseWriter, r *request) {
	if len(r.PathValue("key")) == 40 {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	if c, err = a.Checks.Delete(r.Context(), c.UUID, r.actor()); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.checkDict(c, false, a.Clock.Now()))
}

func (a *API) pause(w http.ResponseWriter, r *request)  { a.setPaused(w, r, true) }
func (a *API) resume(w http.ResponseWriter, r *request) { a.setPaused(w, r, false) }

func (a *API) setPaused(w http.ResponseWriter, r *request, pause bool) {
	c, err := a.lookup(r)
	if err != nil {
		fail(w, err)
		return
	}
	c, err = a.SetPaused(r.Context(), c.UUID, pause, r.actor())
	if tocsin.ErrorCode(err) == tocsin.EConflict && !pause {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte("check is not paused"))
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.checkDict(c, false, a.Clock.Now()))
}

package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// auditPageSize is how many audit entries one page shows.
const auditPageSize = 50

// localTimeLayout is the value of an <input type="datetime-local">.
const localTimeLayout = "2006-01-02T15:04"

// auditView is the audit log page's data.
type auditView struct {
	Actor, Action, Since, Until string // the filters, as typed
	Zone                        string // the zone the times are read in
	Entries                     []store.AuditEntry
	Older                       string // the URL of the next page; "": none
	Newest                      string // the URL of the first page, when this is not it
	PageSize                    int
}

// adminAuditPage shows the audit log, newest first, a page at a time,
// filtered by actor, action (config: config.reload, config.refused, ...)
// and a time range in the viewer's zone.
func (u *UI) adminAuditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, _ := auth.PrincipalFrom(r.Context())
	zone := u.zoneOf(p)
	v := auditView{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Since: q.Get("since"),
		Until: q.Get("until"), Zone: zone.String(), PageSize: auditPageSize}
	f := store.AuditFilter{Actor: v.Actor, Action: v.Action, Limit: auditPageSize + 1}
	if len(f.Action) > 100 || len(f.Actor) > 200 {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "action or actor too long (at most 100 and 200 characters)"))
		return
	}
	for _, t := range []struct {
		name, value string
		into        *time.Time
	}{{"since", v.Since, &f.Since}, {"until", v.Until, &f.Until}} {
		if t.value == "" {
			continue
		}
		at, err := time.ParseInLocation(localTimeLayout, t.value, zone)
		if err != nil {
			u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "%s must be a date and time like 2026-01-02T15:04, got %q", t.name, t.value))
			return
		}
		*t.into = at
	}
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id < 1 {
			u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "before must be an audit entry id (a positive whole number), got %q", b))
			return
		}
		f.BeforeID = id
	}
	entries, err := u.srv.DB.AuditLog(r.Context(), f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	filters := url.Values{}
	for k, val := range map[string]string{"actor": v.Actor, "action": v.Action, "since": v.Since, "until": v.Until} {
		if val != "" {
			filters.Set(k, val)
		}
	}
	if f.BeforeID != 0 {
		v.Newest = "/admin/audit?" + filters.Encode()
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		filters.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		v.Older = "/admin/audit?" + filters.Encode()
	}
	v.Entries = entries
	u.renderAdmin(w, r, http.StatusOK, "audit", "Audit log", v)
}

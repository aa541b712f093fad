package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
)

// view is what every page's template gets: the layout's part (who is
// logged in, the CSRF token its forms carry, where the navigation stands,
// a notice of what a form just did) and the page's own Data.
type view struct {
	Title   string
	Nav     string // the navigation entry to mark as current
	User    auth.Principal
	CSRF    string
	Notice  string
	Zone    *time.Location // the viewer's time zone, for times shown
	Now     time.Time
	CSS, JS string // versioned asset URLs
	Data    any
}

// notices are what a redirect after a form may say, by the code in its
// ?done= parameter: a fixed list, so that no link can put words of its
// own on a page.
var notices = map[string]string{
	"acknowledged": "Acknowledged.",
	"resolved":     "Resolved.",
	// The alerts page.
	"silenced":        "Silence created.",
	"silence-expired": "Silence expired.",
	"escalated":       "Escalated: the next level is paged.",
	"reassigned":      "Reassigned: paged now.",
	"noted":           "Note added.",
	"priority-set":    "Priority set.",
	"entry-added":     "Added to the timeline.",
	"key-moment":      "Key moment changed.",
	"reopened":        "Reopened: everyone paged for it is paged again.",
	"merged":          "Merged: the duplicate's timeline, alerts and pages are here now.",
	"services-set":    "Services affected set.",
	"roles-set":       "Roles set.",
	"link-added":      "Link added.",
	"link-removed":    "Link removed.",
	// The postmortem page.
	"postmortem-saved": "Postmortem saved as a new revision.",
	// The postmortem page's action items.
	"action-item-added":   "Action item added.",
	"action-item-changed": "Action item changed.",
	// The admin pages.
	"sessions-revoked": "Sessions revoked: the user is logged out everywhere.",
	"token-revoked":    "Token revoked: it no longer works.",
	"config-applied":   "Config reloaded and applied.",
	// The on-call page.
	"override-created": "Override made: the person is on call for that time, and pages reach them.",
	"override-removed": "Override removed.",
	"paused":           "Paused: it alerts nobody until it is resumed or pinged.",
	"resumed":          "Resumed: it waits for its next ping.",
}

// render writes page name with data, in the layout.
func (u *UI) render(w http.ResponseWriter, r *http.Request, name, title, nav string, data any) {
	u.renderStatus(w, r, http.StatusOK, name, title, nav, data)
}

func (u *UI) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, data any) {
	t, ok := u.pages[name]
	if !ok {
		panic("ui: no page template " + name)
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v := view{Title: title, Nav: nav, User: p, CSRF: p.CSRFToken, Notice: notices[r.URL.Query().Get("done")],
		Zone: u.zoneOf(p), Now: u.srv.Clock.Now(), CSS: u.assetURL("app.css"), JS: u.assetURL("app.js"), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.srv.Log.Error("render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	securePage(w)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// securePage sets the headers of every page: HTML, never cached (it shows
// live state and is behind a login), no framing, and a policy that runs
// only Tocsin's own script.
func securePage(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
}

// fail shows an error page for err: its message, which Tocsin's errors
// word for the person who made the request, with the status its code
// maps to; internal errors are logged and not shown.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, title, msg := http.StatusInternalServerError, "Something went wrong", "Tocsin could not do this; the error is in its log."
	switch tocsin.ErrorCode(err) {
	case tocsin.EInvalid:
		status, title, msg = http.StatusBadRequest, "Not done", tocsin.ErrorMessage(err)
	case tocsin.ENotFound:
		status, title, msg = http.StatusNotFound, "Not found", tocsin.ErrorMessage(err)
	case tocsin.EConflict:
		status, title, msg = http.StatusConflict, "Not done", tocsin.ErrorMessage(err)
	case tocsin.EForbidden, tocsin.EUnauth:
		status, title, msg = http.StatusForbidden, "Not allowed", tocsin.ErrorMessage(err)
	default:
		u.srv.Log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	u.renderStatus(w, r, status, "error", title, "", struct{ Message string }{msg})
}

// done answers a form that did what it asked with a redirect to the page
// to show next (Post/Redirect/Get), which says so (a code of notices).
func done(w http.ResponseWriter, r *http.Request, to, notice string) {
	if notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + url.QueryEscape(notice)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// zoneOf is the time zone of the config user p is, else UTC.
func (u *UI) zoneOf(p auth.Principal) *time.Location {
	if cfg := u.srv.Snapshots.Load().Config; cfg != nil && p.Kind == "user" {
		for _, cu := range cfg.Users {
			if cu.Name == p.Name && cu.TZ != "" {
				if loc, err := time.LoadLocation(cu.TZ); err == nil {
					return loc
				}
			}
		}
	}
	return time.UTC
}

// funcs are the template functions every page may use.
func (u *UI) funcs() template.FuncMap {
	return template.FuncMap{
		// when formats t in zone, as "2026-12-07 14:03:05 CET"; "" for the zero time.
		"when": func(t time.Time, zone *time.Location) string {
			if t.IsZero() {
				return ""
			}
			return t.In(zone).Format("2006-01-02 15:04:05 MST")
		},
		// iso is t in RFC 3339 UTC, for <time datetime>.
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		// ago says how long before now t was, as "3m ago" or "in 2h".
		"ago": ago,
		// dur is a duration in Tocsin's words (1h30m).
		"dur":      tocsin.FormatDuration,
		"since":    func(from, to time.Time) time.Duration { return to.Sub(from) },
		"asset":    u.assetURL,
		"markdown": markdown,
		// actionStatus is an action item's status in words ("won't do").
		"actionStatus": actionStatusName,
		"allowed": func(p auth.Principal, role string) bool {
			r, err := auth.ParseRole(role)
			return err == nil && p.Role.Allows(r)
		},
	}
}

// ago says how far from now t is, rounded to its largest unit.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	switch d := now.Sub(t); {
	case d < 0:
		return "in " + roughly(-d)
	case d < 5*time.Second:
		return "just now"
	default:
		return roughly(d) + " ago"
	}
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}

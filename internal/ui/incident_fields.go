package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/web"
)

// The incident page's forms for the fields people set, backdated timeline
// entries, key moments, reopening and merging: each goes through the
// server's exported method that the API calls too.

func (u *UI) incidentFieldRoutes() []auth.Route {
	return []auth.Route{
		page("POST /incidents/{id}/priority", auth.Responder, u.setIncidentPriority),
		page("POST /incidents/{id}/timeline", auth.Responder, u.addTimelineEntry),
		page("POST /incidents/{id}/timeline/{entry}/key-moment", auth.Responder, u.markKeyMoment),
		page("POST /incidents/{id}/reopen", auth.Responder, u.reopenIncident),
		page("POST /incidents/{id}/merge", auth.Responder, u.mergeIncident),
	}
}

// entryTimeLayout is the value of an <input type="datetime-local">.
const entryTimeLayout = "2006-01-02T15:04"

// setIncidentPriority sets the priority of field priority.
func (u *UI) setIncidentPriority(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("priority-set", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		p := r.PostFormValue("priority")
		return u.srv.ChangeIncidentFields(r, id, web.IncidentFieldsChange{Priority: &p})
	})(w, r)
}

// addTimelineEntry adds field message at field at (in the viewer's time
// zone), marked as field key_moment if one is chosen.
func (u *UI) addTimelineEntry(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("entry-added", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		p, _ := auth.PrincipalFrom(r.Context())
		at, err := time.ParseInLocation(entryTimeLayout, strings.TrimSpace(r.PostFormValue("at")), u.zoneOf(p))
		if err != nil {
			return nil, tocsin.Errorf(tocsin.EInvalid, "when it happened: a date and time like 2026-12-07T14:03 expected")
		}
		return u.srv.AddTimelineEntry(r, id, at, r.PostFormValue("message"), r.PostFormValue("key_moment"))
	})(w, r)
}

// markKeyMoment marks the entry of the path as field kind, or unmarks it
// when kind is empty.
func (u *UI) markKeyMoment(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("key-moment", func(r *http.Request, id int64) (*tocsin.Incident, error) {
		entry, err := strconv.ParseInt(r.PathValue("entry"), 10, 64)
		if err != nil || entry < 1 {
			return nil, tocsin.Errorf(tocsin.ENotFound, "no such timeline entry: %q", r.PathValue("entry"))
		}
		if kind := r.PostFormValue("kind"); kind != "" {
			return u.srv.SetKeyMoment(r, id, entry, kind)
		}
		return u.srv.ClearKeyMoment(r, id, entry)
	})(w, r)
}

// reopenIncident reopens the resolved incident.
func (u *UI) reopenIncident(w http.ResponseWriter, r *http.Request) {
	u.incidentForm("reopened", u.srv.ReopenIncident)(w, r)
}

// mergeIncident merges the incident into the one of field into and shows
// that one.
func (u *UI) mergeIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	into, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("into")), "#"), 10, 64)
	if err != nil {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "merge into: the number of an incident expected"))
		return
	}
	if _, err := u.srv.MergeIncident(r, id, into); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/incidents/"+strconv.FormatInt(into, 10), "merged")
}

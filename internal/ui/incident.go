package ui

import (
	"net/http"
	"strconv"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/web"
)

func (u *UI) incidentRoutes() []auth.Route {
	return []auth.Route{
		page("GET /incidents/{id}", auth.Viewer, u.incidentPage),
		page("POST /incidents/{id}/acknowledge", auth.Responder, u.changeIncident(web.IncidentAcknowledge, "acknowledged")),
		page("POST /incidents/{id}/resolve", auth.Responder, u.changeIncident(web.IncidentResolve, "resolved")),
	}
}

// incidentView is the incident page's data.
type incidentView struct {
	Incident      *tocsin.Incident
	Check         *tocsin.Check // the check that opened it; nil for alert incidents
	Alerts        []*tocsin.AlertRecord
	Notifications []*tocsin.Notification
}

// incidentPage shows one incident: its state, its check or alerts, who
// was told of it, and its whole timeline, with the buttons to act on it.
// It is the page every link Tocsin sends points to.
func (u *UI) incidentPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in, err := u.srv.DB.Incident(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	v := incidentView{Incident: in}
	if in.CheckID != 0 {
		if v.Check, err = u.srv.DB.CheckByID(ctx, in.CheckID); err != nil && tocsin.ErrorCode(err) != tocsin.ENotFound {
			u.fail(w, r, err)
			return
		}
	}
	if in.GroupKey != "" {
		if v.Alerts, err = u.srv.DB.AlertsOfIncident(ctx, id); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	if v.Notifications, err = u.srv.DB.Notifications(ctx, id); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, "incident", "#"+strconv.FormatInt(id, 10)+" "+in.Title, "incidents", v)
}

// changeIncident is a button of the incident page: it makes the change
// through the server's ChangeIncident, the API's own call, and shows the
// incident again.
func (u *UI) changeIncident(verb, notice string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if _, err := u.srv.ChangeIncident(r, id, verb); err != nil {
			u.fail(w, r, err)
			return
		}
		done(w, r, "/incidents/"+strconv.FormatInt(id, 10), notice)
	}
}

// pathID is the {id} of the path, a positive integer.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, tocsin.Errorf(tocsin.ENotFound, "no such incident: %q", r.PathValue("id"))
	}
	return id, nil
}

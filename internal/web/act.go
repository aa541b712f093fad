package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The signed links of pages: GET shows what the link will do and a button;
// only POST acts. Chat apps and mail scanners fetch links to preview them,
// and a fetch must not acknowledge anyone's page.
var actPage = template.Must(template.New("act").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>Tocsin: {{.Title}}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}button{font-size:1.2em;padding:.5em 1.5em}</style>
</head><body>
<h1>{{.Title}}</h1>
{{if .Incident}}<p>Incident {{.Incident.ID}}: <strong>{{.Incident.Title}}</strong> ({{.Incident.Status}})</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Form}}<form method="post"><button type="submit">{{.Button}} as {{.Recipient}}</button></form>{{end}}
</body></html>
`))

type actView struct {
	Title, Message, Button, Recipient string
	Incident                          *tocsin.Incident
	Form                              bool
}

func (s *Server) actClaim(w http.ResponseWriter, r *http.Request) (auth.LinkClaim, bool) {
	secret := s.Snapshots.Load().LinksSecret()
	if secret == nil {
		s.renderAct(w, http.StatusNotFound, actView{Title: "Link not valid", Message: "This server does not accept links."})
		return auth.LinkClaim{}, false
	}
	c, err := auth.VerifyLink(secret, r.PathValue("token"), s.Clock.Now())
	switch {
	case errors.Is(err, auth.ErrLinkExpired):
		s.renderAct(w, http.StatusGone, actView{Title: "Link expired", Message: "This link has expired; use the API or a newer page."})
		return auth.LinkClaim{}, false
	case err != nil:
		s.renderAct(w, http.StatusNotFound, actView{Title: "Link not valid", Message: "This link is not valid."})
		return auth.LinkClaim{}, false
	}
	return c, true
}

// actForm shows what a signed link will do.
func (s *Server) actForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.actClaim(w, r)
	if !ok {
		return
	}
	in, err := s.DB.Incident(r.Context(), c.Incident)
	if err != nil {
		s.renderAct(w, http.StatusNotFound, actView{Title: "Link not valid", Message: "The incident no longer exists."})
		return
	}
	in.Timeline = nil
	title, button := "Acknowledge the incident?", "Acknowledge"
	if c.Action == auth.LinkResolve {
		title, button = "Resolve the incident?", "Resolve"
	}
	if in.Status == tocsin.IncidentResolved {
		s.renderAct(w, http.StatusOK, actView{Title: "Already resolved", Message: "Resolved by " + in.ResolvedBy + ".", Incident: in})
		return
	}
	s.renderAct(w, http.StatusOK, actView{Title: title, Button: button, Recipient: c.Recipient, Incident: in, Form: true})
}

// act does what a signed link says, as the person it was sent to.
func (s *Server) act(w http.ResponseWriter, r *http.Request) {
	c, ok := s.actClaim(w, r)
	if !ok {
		return
	}
	action, done := incident.Acknowledge, "Acknowledged"
	if c.Action == auth.LinkResolve {
		action, done = incident.Resolve, "Resolved"
	}
	actor := "link:" + c.Recipient
	env := s.Snapshots.Load().Env
	var in *tocsin.Incident
	err := s.DB.Write(r.Context(), func(tx *store.Tx) (err error) {
		in, err = action(r.Context(), tx, env, c.Incident, actor, s.Clock.Now())
		return err
	})
	switch code := tocsin.ErrorCode(err); {
	case err == nil:
	case code == tocsin.EConflict || code == tocsin.ENotFound:
		s.renderAct(w, http.StatusConflict, actView{Title: "Nothing done", Message: tocsin.ErrorMessage(err)})
		return
	default:
		s.Log.Error("signed link", "incident", c.Incident, "action", c.Action, "err", err)
		s.renderAct(w, http.StatusInternalServerError, actView{Title: "Not done", Message: "Tocsin could not store it; try again."})
		return
	}
	s.Actions.NotificationsQueued()
	s.checkDeadlineChanged(r.Context(), in.CheckID)
	by := in.AckedBy
	if c.Action == auth.LinkResolve {
		by = in.ResolvedBy
	}
	msg := done + " by " + c.Recipient + "."
	if by != actor {
		msg = "Already " + strings.ToLower(done) + " by " + strings.TrimPrefix(by, "link:") + "; nothing changed."
	}
	in.Timeline = nil
	s.renderAct(w, http.StatusOK, actView{Title: done, Message: msg, Incident: in})
}

func (s *Server) renderAct(w http.ResponseWriter, status int, v actView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
	w.WriteHeader(status)
	if err := actPage.Execute(w, v); err != nil {
		s.Log.Warn("render link page", "err", err)
	}
}

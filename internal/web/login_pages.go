package web

import (
	"html/template"
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The one-time links of logins: an invite lets a config user choose a
// password; the setup link, printed at start while no admin can log in,
// makes the first admin login. GET shows a form; POST sets the password
// and uses the link up. The token in the URL is the credential.
var passwordPage = template.Must(template.New("password").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer"><title>Tocsin: {{.Title}}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}label{display:block;margin:1em 0}input{font-size:1em;display:block}button{font-size:1.2em;padding:.5em 1.5em}</style>
</head><body>
<h1>{{.Title}}</h1>
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Form}}<form method="post">
{{if .AskName}}<label>User name <input name="user" required pattern="[a-z0-9][a-z0-9_-]{0,63}" autocomplete="username" value="{{.User}}"></label>
{{else}}<p>User: <strong>{{.User}}</strong></p>{{end}}
<label>Password (at least {{.MinLen}} characters) <input type="password" name="password" required minlength="{{.MinLen}}" autocomplete="new-password"></label>
<label>Password again <input type="password" name="password2" required minlength="{{.MinLen}}" autocomplete="new-password"></label>
<button type="submit">Set password</button></form>{{end}}
</body></html>
`))

type passwordView struct {
	Title, Message, User string
	Form, AskName        bool
	MinLen               int
}

func renderPasswordPage(w http.ResponseWriter, status int, v passwordView) {
	v.MinLen = auth.MinPasswordLen
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	passwordPage.Execute(w, v)
}

// linkToken finds the usable login token of kind in the request's path, or
// shows why the link does not work.
func (s *Server) linkToken(w http.ResponseWriter, r *http.Request, kind string) (store.LoginToken, bool) {
	var t store.LoginToken
	err := s.DB.Write(r.Context(), func(tx *store.Tx) (err error) {
		t, err = tx.LoginTokenByHash(r.Context(), kind, auth.HashSecret(r.PathValue("token")))
		return err
	})
	if err != nil {
		status := http.StatusNotFound
		if tocsin.ErrorCode(err) != tocsin.ENotFound {
			s.Log.Error("login link", "err", err)
			status = http.StatusInternalServerError
		}
		renderPasswordPage(w, status, passwordView{Title: "Link not valid", Message: tocsin.ErrorMessage(err) + "."})
		return t, false
	}
	return t, true
}

// inviteForm shows the form of an invite link: GET /invite/{token}.
func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request) {
	if t, ok := s.linkToken(w, r, store.LoginInvite); ok {
		renderPasswordPage(w, http.StatusOK, passwordView{Title: "Choose your password", User: t.User, Form: true})
	}
}

// acceptInvite sets the password of the invited user: POST /invite/{token}.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request) {
	t, ok := s.linkToken(w, r, store.LoginInvite)
	if !ok {
		return
	}
	view := passwordView{Title: "Choose your password", User: t.User, Form: true}
	s.setPasswordByLink(w, r, view, t, t.User, "")
}

// setupForm shows the form of the setup link: GET /setup/{token}.
func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.linkToken(w, r, store.LoginSetup); ok {
		renderPasswordPage(w, http.StatusOK, passwordView{Title: "Create the first admin login", Form: true, AskName: true,
			Message: "This login will be an admin of Tocsin."})
	}
}

// setup makes the first admin login: POST /setup/{token}.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	t, ok := s.linkToken(w, r, store.LoginSetup)
	if !ok {
		return
	}
	user := r.PostFormValue("user")
	view := passwordView{Title: "Create the first admin login", User: user, Form: true, AskName: true}
	if !userNameRE.MatchString(user) {
		view.Message = "The user name must be 1 to 64 lowercase letters, digits, _ or -, starting with a letter or digit."
		renderPasswordPage(w, http.StatusBadRequest, view)
		return
	}
	// A config user's role is the config's: the setup link cannot make a
	// responder an admin.
	if role, ok := s.Snapshots.Load().UserRoles[user]; ok && role != auth.Admin {
		view.Message = user + " is a user in the config with role " + role.String() +
			"; choose another name, or give " + user + " role admin in the config."
		renderPasswordPage(w, http.StatusBadRequest, view)
		return
	}
	s.setPasswordByLink(w, r, view, t, user, t.Role)
}

// setPasswordByLink sets user's password from the form, once: the link is
// used up in the same transaction.
func (s *Server) setPasswordByLink(w http.ResponseWriter, r *http.Request, view passwordView, t store.LoginToken, user, role string) {
	password := r.PostFormValue("password")
	if password != r.PostFormValue("password2") {
		view.Message = "The two passwords differ."
		renderPasswordPage(w, http.StatusBadRequest, view)
		return
	}
	hash, err := newPasswordHash(password)
	if err != nil {
		view.Message = tocsin.ErrorMessage(err) + "."
		renderPasswordPage(w, http.StatusBadRequest, view)
		return
	}
	ctx := r.Context()
	addr := s.Snapshots.Load().ClientAddr(r)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		// Again inside the transaction: two posts of one link, one wins.
		if _, err := tx.LoginTokenByHash(ctx, t.Kind, t.TokenSHA256); err != nil {
			return err
		}
		if err := tx.UseLoginToken(ctx, t.TokenSHA256); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, user, hash, role); err != nil {
			return err
		}
		if _, err := tx.RevokeUserSessions(ctx, user); err != nil {
			return err
		}
		return tx.Audit(ctx, "link:"+t.Kind, "login."+t.Kind, "password of "+user+" set by "+t.Kind+" link",
			map[string]any{"user": user, "role": role, "address": addr})
	})
	if err != nil {
		status := http.StatusNotFound
		if tocsin.ErrorCode(err) != tocsin.ENotFound {
			s.Log.Error("set password by link", "err", err)
			status = http.StatusInternalServerError
		}
		renderPasswordPage(w, status, passwordView{Title: "Link not valid", Message: tocsin.ErrorMessage(err) + "."})
		return
	}
	renderPasswordPage(w, http.StatusOK, passwordView{Title: "Password set",
		Message: "You can now log in to Tocsin as " + user + "."})
}

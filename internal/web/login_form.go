package web

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
)

// The login page of people: GET /login shows a form that posts to POST
// /login, which then sends them on to the page they came for (next).
//
// Login CSRF: a site must not be able to log a browser in as someone else.
// The form carries a random token that is also in a cookie of its own
// (double submit); a cross-site form can set neither the cookie nor read
// it, so a form post without the pair is refused.
const loginCSRFCookie = "tocsin_login_csrf"

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="color-scheme" content="light dark"><title>Log in · Tocsin</title>
<style>
:root{--bg:#fff;--fg:#1a1d21;--muted:#4b5563;--line:#d1d5db;--accent:#1d4ed8;--accent-fg:#fff;--bad:#b91c1c;--bad-bg:#fef2f2}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e8eaed;--muted:#aab1bb;--line:#3a4048;--accent:#8ab4f8;--accent-fg:#0b1220;--bad:#fca5a5;--bad-bg:#3b1418}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:24rem;margin:0 auto;padding:3rem 1rem}
h1{font-size:1.5rem;margin:0 0 1.5rem}
.brand{font-weight:700;letter-spacing:.02em;color:var(--muted);margin:0 0 .25rem}
label{display:block;margin:0 0 1rem;font-weight:600}
input{display:block;width:100%;margin-top:.25rem;padding:.6rem .7rem;font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--muted);border-radius:6px}
button,.button{display:block;width:100%;padding:.7rem 1rem;font:inherit;font-weight:600;text-align:center;text-decoration:none;border-radius:6px;cursor:pointer}
button{background:var(--accent);color:var(--accent-fg);border:1px solid var(--accent)}
.button{margin-top:1rem;color:var(--accent);border:1px solid var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.error{color:var(--bad);background:var(--bad-bg);border:1px solid var(--bad);border-radius:6px;padding:.6rem .8rem;margin:0 0 1rem}
.or{text-align:center;color:var(--muted);margin:1.5rem 0 0}
</style></head><body><main>
<p class="brand">Tocsin</p>
<h1>Log in</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="login_csrf" value="{{.CSRF}}">
<input type="hidden" name="next" value="{{.Next}}">
<label for="user">User name<input id="user" name="user" required autocomplete="username" autocapitalize="none" spellcheck="false" value="{{.User}}"{{if not .User}} autofocus{{end}}></label>
<label for="password">Password<input id="password" type="password" name="password" required autocomplete="current-password"{{if .User}} autofocus{{end}}></label>
<button type="submit">Log in</button>
</form>
{{if .SSO}}<p class="or">or</p><a class="button" href="/login/oidc">Log in with single sign-on</a>{{end}}
</main></body></html>
`))

type loginView struct {
	Error, CSRF, Next, User string
	SSO                     bool
}

// loginForm shows the login page: GET /login?next=/incidents/7.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, loginView{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderLogin shows the login page with a fresh login CSRF token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.CSRF = auth.NewSecret()
	v.SSO = s.Snapshots.Load().Config != nil && s.Snapshots.Load().Config.SSO.OIDC != nil
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: v.CSRF, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureCookies(s.Snapshots.Load(), r)})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	if err := loginPage.Execute(w, v); err != nil {
		s.Log.Warn("render login page", "err", err)
	}
}

// loginByForm is POST /login with the login page's form: a redirect to
// next when the password is right, else the form again saying why (the
// same words for a wrong name as for a wrong password).
func (s *Server) loginByForm(w http.ResponseWriter, r *http.Request) {
	user, password, next := r.PostFormValue("user"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	view := loginView{Next: next, User: user}
	c, err := r.Cookie(loginCSRFCookie)
	if got := r.PostFormValue("login_csrf"); err != nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		view.Error = "The login form expired; please log in again."
		s.renderLogin(w, r, http.StatusForbidden, view)
		return
	}
	_, err = s.checkLogin(r, user, password)
	var slow throttledLogin
	switch {
	case errors.As(err, &slow):
		view.Error = "Too many failed logins for " + slow.who + "; try again later."
		s.renderLogin(w, r, http.StatusTooManyRequests, view)
		return
	case tocsin.ErrorCode(err) == tocsin.EInvalid || tocsin.ErrorCode(err) == tocsin.EUnauth:
		view.Error = "Wrong user name or password."
		s.renderLogin(w, r, http.StatusUnauthorized, view)
		return
	case err != nil:
		s.Log.Error("login", "err", err)
		view.Error = "Tocsin could not check the login; try again."
		s.renderLogin(w, r, http.StatusInternalServerError, view)
		return
	}
	addr := s.Snapshots.Load().ClientAddr(r)
	if _, _, err := s.startSession(w, r, user, "", "login", user+" logged in from "+addr,
		map[string]any{"user": user, "address": addr}); err != nil {
		s.Log.Error("login", "err", err)
		view.Error = "Tocsin could not start the session; try again."
		s.renderLogin(w, r, http.StatusInternalServerError, view)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secureCookies(s.Snapshots.Load(), r)})
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext is next if it is a path of this site, else "": a login must
// not send anyone to another site (//host, https:, \host and the like).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

// loginRedirect sends a browser without a session to the login page,
// which brings it back to the page it asked for.
func loginRedirect(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

var refusedPage = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>{{.Title}} · Tocsin</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;background:Canvas;color:CanvasText}main{max-width:36rem;margin:0 auto;padding:3rem 1rem}a{color:LinkText}</style>
</head><body><main><p>Tocsin</p><h1>{{.Title}}</h1><p>{{.Message}}</p><p><a href="/">Dashboard</a></p></main></body></html>
`))

// refusePage answers a page's request that its principal may not make,
// in HTML.
func (s *Server) refusePage(w http.ResponseWriter, r *http.Request, err error) {
	code := tocsin.ErrorCode(err)
	title := "Not allowed"
	if code == tocsin.EInternal {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		title = "Something went wrong"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(statusOf(code))
	refusedPage.Execute(w, struct{ Title, Message string }{title, tocsin.ErrorMessage(err)})
}

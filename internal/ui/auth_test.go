package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/ui"
	"github.com/tocsinhq/tocsin/internal/web"
)

// publicPages lists the routes of the pages served without a login, and why.
var publicPages = map[string]string{
	"GET /ui/{file}": "the pages' CSS and script: embedded files, the same for everyone, no data",
}

// TestEveryPageNeedsLogin walks the pages' route table against a running
// Tocsin: every page not reviewed as public sends a browser without a
// session (or with a wrong token) to the login page, which brings it back,
// and a form posted without a session does nothing but the same.
func TestEveryPageNeedsLogin(t *testing.T) {
	u, err := ui.New(&web.Server{})
	if err != nil {
		t.Fatal(err)
	}
	s := startSite(t, heartbeatConfig, clock.Real{})
	nobody := s.newPerson(t)
	for _, rt := range u.Routes() {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		if why, ok := publicPages[rt.Pattern]; ok != (rt.Role == auth.Public) || ok && why == "" {
			t.Errorf("%s: role %s, reviewed as public: %v", rt.Pattern, rt.Role, ok)
			continue
		}
		if rt.Role == auth.Public {
			continue
		}
		if !rt.Page {
			t.Errorf("%s: not marked as a page", rt.Pattern)
		}
		path := strings.NewReplacer("{id}", "1", "{uuid}", checkUUID, "{name}", "x", "{file}", "app.css", "{$}", "").Replace(pattern)
		var form url.Values
		if method != "GET" {
			form = url.Values{"csrf_token": {"x"}}
		}
		status, loc, _ := nobody.send(t, method, path, form)
		want := "/login"
		if method == "GET" {
			want += "?next=" + url.QueryEscape(path)
		}
		if status != http.StatusSeeOther || loc != want {
			t.Errorf("%s %s without a session: %d to %q, want 303 to %q", method, path, status, loc, want)
		}
	}
}

// The login page returns a person to the page they asked for, and only to
// a page of this site.
func TestLoginReturnsToThePage(t *testing.T) {
	s := startSite(t, heartbeatConfig, clock.Real{})
	s.api(t, "PUT", "/api/v1/users/alice/password", `{"password": "correct horse battery"}`, http.StatusOK, nil)
	for next, want := range map[string]string{
		"/incidents/7?x=1":     "/incidents/7?x=1",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
	} {
		p := s.newPerson(t)
		_, _, body := p.get(t, "/login?next="+url.QueryEscape(next))
		status, loc, _ := p.send(t, "POST", "/login", url.Values{"user": {"alice"}, "password": {"correct horse battery"},
			"login_csrf": {formValue(t, body, "login_csrf")}, "next": {formValue(t, body, "next")}})
		if status != http.StatusSeeOther || loc != want {
			t.Errorf("next=%q: %d to %q, want %q", next, status, loc, want)
		}
	}
	// Without the login page's own token (a form posted from elsewhere),
	// nobody is logged in.
	p := s.newPerson(t)
	status, _, body := p.send(t, "POST", "/login", url.Values{"user": {"alice"}, "password": {"correct horse battery"}})
	if status != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("login without the form's token: %d\n%s", status, body)
	}
	if status, _, _ := p.get(t, "/incidents/1"); status != http.StatusSeeOther {
		t.Errorf("a session was started anyway: %d", status)
	}
}

package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// site is a running Tocsin, on a real store and real HTTP on 127.0.0.1,
// for the pages' tests.
type site struct {
	app  *app.App
	base string
	clk  clock.Clock
	stop func() // stops Tocsin now and waits for it (the test's end does too)
}

// adminToken is the API token the harness manages Tocsin with.
const adminToken = "admin-token-for-tests"

// startSite runs Tocsin with config (YAML) on clk; it stops with the test.
func startSite(t *testing.T, config string, clk clock.Clock) *site {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "t.db"),
		AdminToken: adminToken, Version: "test", Clock: clk, Log: testkit.Logger()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Error("tocsin did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return &site{app: a, base: "http://" + a.Addr(), clk: clk, stop: stop}
}

// api calls the management API with the admin token; it fails the test
// unless the answer has status want. out, if not nil, gets the JSON body.
func (s *site) api(t *testing.T, method, path, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// person is a browser-like HTTP client: cookies kept, redirects not
// followed, so that a test sees each answer.
type person struct {
	site *site
	http *http.Client
	csrf string // the session's CSRF token, read from a page's forms
}

// newPerson is a client with no session yet.
func (s *site) newPerson(t *testing.T) *person {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &person{site: s, http: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login gives user the password through the API and logs in through the
// login page as a person does; it returns the logged-in person.
func (s *site) login(t *testing.T, user string) *person {
	t.Helper()
	const password = "correct horse battery"
	s.api(t, "PUT", "/api/v1/users/"+user+"/password", `{"password": "`+password+`"}`, http.StatusOK, nil)
	p := s.newPerson(t)
	status, _, body := p.get(t, "/login")
	if status != http.StatusOK {
		t.Fatalf("GET /login: %d", status)
	}
	token := formValue(t, body, "login_csrf")
	status, loc, body := p.send(t, "POST", "/login", url.Values{"user": {user}, "password": {password}, "login_csrf": {token}})
	if status != http.StatusSeeOther || loc != "/" {
		t.Fatalf("login: %d to %q: %s", status, loc, body)
	}
	return p
}

// get fetches path; it gives the status, the Location and the body.
func (p *person) get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	return p.send(t, "GET", path, nil)
}

// post submits a page's form to path, with the session's CSRF token
// (read from the last page fetched that had one).
func (p *person) post(t *testing.T, path string, form url.Values) (int, string, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if p.csrf == "" {
		t.Fatal("no CSRF token yet: fetch a page with a form first")
	}
	form.Set("csrf_token", p.csrf)
	return p.send(t, "POST", path, form)
}

func (p *person) send(t *testing.T, method, path string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.site.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		p.csrf = m[1]
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formValue is the value of the hidden field name in a page.
func formValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no field %s in the page: %.500s", name, page)
	}
	return m[1]
}

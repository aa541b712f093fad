package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit/browser"
)

// auditEntries are the audit log's entries of action (and the actions
// under it), newest first, as the API lists them.
func (s *site) auditEntries(t *testing.T, action string) []auditEntry {
	t.Helper()
	var out struct{ Entries []auditEntry }
	s.api(t, "GET", "/api/v1/audit?limit=1000&action="+url.QueryEscape(action), "", http.StatusOK, &out)
	return out.Entries
}

type auditEntry struct {
	ID                     int64
	Actor, Action, Message string
	Role, Addr             string
}

// bearer calls the API with token and gives the status.
func (s *site) bearer(t *testing.T, token, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var tokenSecret = regexp.MustCompile(`<pre id="token-secret"[^>]*>([^<]+)</pre>`)

// A token made on the tokens page is shown once, on the answer to the
// form and never again; it works as a bearer token with its role until
// it is revoked on the page; both changes are audited as the admin.
func TestAdminTokens(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	ada := s.login(t, "ada")
	status, _, body := ada.get(t, "/admin/tokens")
	if status != http.StatusOK || !strings.Contains(body, "From the config") || !strings.Contains(body, "<th scope=\"row\">admin</th>") {
		t.Fatalf("GET /admin/tokens: %d\n%s", status, body)
	}
	form := url.Values{"name": {"ci"}, "role": {"viewer"}, "expires_in": {"30d"}}
	status, _, body = ada.post(t, "/admin/tokens", form)
	m := tokenSecret.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil || !strings.Contains(body, "shown only this once") {
		t.Fatalf("make a token: %d\n%s", status, body)
	}
	secret := m[1]
	if got := s.bearer(t, secret, "GET", "/api/v1/checks"); got != http.StatusOK {
		t.Errorf("the new token reading checks: %d", got)
	}
	if got := s.bearer(t, secret, "POST", "/api/v1/checks/"+checkUUID+"/pause"); got != http.StatusForbidden {
		t.Errorf("the new viewer token pausing a check: %d, want 403", got)
	}
	status, _, body = ada.get(t, "/admin/tokens")
	if status != http.StatusOK || strings.Contains(body, secret) || !strings.Contains(body, `<th scope="row">ci</th>`) {
		t.Fatalf("the tokens page after: %d (shows the secret: %v)\n%s", status, strings.Contains(body, secret), body)
	}
	// Posting the form again (a reload of the answer) makes no second
	// token and shows no secret.
	status, _, body = ada.post(t, "/admin/tokens", form)
	if status != http.StatusConflict || tokenSecret.MatchString(body) || !strings.Contains(body, `an API token named &#34;ci&#34; exists`) {
		t.Errorf("the form again: %d\n%s", status, body)
	}
	_, _, body = ada.get(t, "/admin/tokens")
	id := regexp.MustCompile(`action="/admin/tokens/(\d+)/revoke"`).FindStringSubmatch(body)
	if id == nil {
		t.Fatalf("no revoke button:\n%s", body)
	}
	status, loc, _ := ada.post(t, "/admin/tokens/"+id[1]+"/revoke", nil)
	if status != http.StatusSeeOther || loc != "/admin/tokens?done=token-revoked" {
		t.Fatalf("revoke: %d to %q", status, loc)
	}
	if got := s.bearer(t, secret, "GET", "/api/v1/checks"); got != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", got)
	}
	_, _, body = ada.get(t, loc)
	if !strings.Contains(body, "Token revoked") || !strings.Contains(body, `tok-revoked">revoked`) {
		t.Errorf("the page after revoking:\n%s", body)
	}
	var acts []string
	for _, e := range s.auditEntries(t, "token") {
		if e.Actor == "user:ada" && e.Role == "admin" {
			acts = append(acts, e.Action)
		}
	}
	if strings.Join(acts, " ") != "token.revoke token.create" {
		t.Errorf("audited as ada: %v", acts)
	}
}

// A bad token form is refused with why, and makes nothing.
func TestAdminTokenRefusesBadInput(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	ada := s.login(t, "ada")
	ada.get(t, "/admin/tokens")
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {"no spaces"}, "role": {"viewer"}}, "must be 1 to 64 letters"},
		{url.Values{"name": {"ok"}, "role": {"boss"}}, "role:"},
		{url.Values{"name": {"ok"}, "role": {"viewer"}, "expires_in": {"soon"}}, "is not a positive duration"},
		{url.Values{"name": {"admin"}, "role": {"viewer"}}, "api_tokens name a token"},
	} {
		status, _, body := ada.post(t, "/admin/tokens", c.form)
		if status < 400 || status > 409 || !strings.Contains(body, c.want) || tokenSecret.MatchString(body) {
			t.Errorf("%v: %d\n%s", c.form, status, body)
		}
	}
	var list struct{ Tokens []struct{ Source string } }
	s.api(t, "GET", "/api/v1/tokens", "", http.StatusOK, &list)
	for _, tk := range list.Tokens {
		if tk.Source == "api" {
			t.Errorf("a token was made: %+v", list.Tokens)
		}
	}
}

// The users page lists the config's users with their logins; its invite
// button gives a working link once, and Revoke sessions logs a user out.
func TestAdminUsers(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	alice := s.login(t, "alice")
	ada := s.login(t, "ada")
	status, _, body := ada.get(t, "/admin/users")
	if status != http.StatusOK {
		t.Fatalf("GET /admin/users: %d\n%s", status, body)
	}
	for _, want := range []string{"<th scope=\"row\">alice", "Europe/Berlin", "ada@example.com", "password set", "no password",
		`<td data-label="Role">viewer</td>`, `<td data-label="Role">admin</td>`, "from 127.0.0.1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	status, _, body = ada.post(t, "/admin/users/victor/invite", nil)
	link := regexp.MustCompile(`<pre id="invite-url"[^>]*>([^<]+)</pre>`).FindStringSubmatch(body)
	if status != http.StatusOK || link == nil {
		t.Fatalf("invite: %d\n%s", status, body)
	}
	u, err := url.Parse(link[1])
	if err != nil || !strings.HasPrefix(u.Path, "/invite/") {
		t.Fatalf("invite link %q: %v", link[1], err)
	}
	if status, _, body := s.newPerson(t).get(t, u.Path); status != http.StatusOK || !strings.Contains(body, "password") {
		t.Errorf("GET the invite link %s: %d\n%s", link[1], status, body)
	}
	if status, _, body := ada.get(t, "/admin/users"); status != http.StatusOK || strings.Contains(body, link[1]) {
		t.Errorf("the users page shows the invite link again")
	}
	if status, _, _ := alice.get(t, "/integrations"); status != http.StatusOK {
		t.Fatalf("alice not logged in: %d", status)
	}
	status, loc, _ := ada.post(t, "/admin/users/alice/sessions/revoke", nil)
	if status != http.StatusSeeOther || loc != "/admin/users?done=sessions-revoked" {
		t.Fatalf("revoke sessions: %d to %q", status, loc)
	}
	if status, loc, _ := alice.get(t, "/integrations"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Errorf("alice after her sessions were revoked: %d to %q", status, loc)
	}
	for action, user := range map[string]string{"login.invite": "victor", "sessions.revoke": "alice"} {
		entries := s.auditEntries(t, action)
		if len(entries) != 1 || entries[0].Actor != "user:ada" || !strings.Contains(entries[0].Message, user) {
			t.Errorf("%s audited as %+v", action, entries)
		}
	}
}

// The config page's Reload button applies a good file, and refuses a
// broken one with its problems at file:line, applying nothing; the page
// tells both, and who reloaded.
func TestAdminConfigReload(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	var running struct{ File string }
	s.api(t, "GET", "/api/v1/config", "", http.StatusOK, &running)
	ada := s.login(t, "ada")
	status, _, body := ada.get(t, "/admin/config")
	if status != http.StatusOK || !strings.Contains(body, running.File) || !strings.Contains(body, "Reload the config file") ||
		!strings.Contains(body, "startup") {
		t.Fatalf("GET /admin/config: %d\n%s", status, body)
	}
	good := strings.Replace(adminConfig, "checks:\n", "checks:\n  - {name: nightly, schedule: {every: 1d}, grace: 1h}\n", 1)
	if err := os.WriteFile(running.File, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	status, loc, _ := ada.post(t, "/admin/config/reload", nil)
	if status != http.StatusSeeOther || loc != "/admin/config?done=config-applied" {
		t.Fatalf("reload a good file: %d to %q", status, loc)
	}
	_, _, body = ada.get(t, loc)
	if !strings.Contains(body, "Config reloaded and applied.") || !strings.Contains(body, "created: nightly") ||
		!strings.Contains(body, "user:ada") {
		t.Errorf("the page after a good reload:\n%s", body)
	}
	checks := func() int {
		var list struct{ Checks []struct{ Name string } }
		s.api(t, "GET", "/api/v1/checks", "", http.StatusOK, &list)
		return len(list.Checks)
	}
	if n := checks(); n != 2 {
		t.Fatalf("%d checks after the good reload, want 2", n)
	}
	broken := strings.Replace(good, "grace: 1h}", "grace: banana}", 1)
	if err := os.WriteFile(running.File, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	status, _, body = ada.post(t, "/admin/config/reload", nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "Reload refused") ||
		!strings.Contains(body, running.File+":2: checks[0].grace") {
		t.Errorf("reload a broken file: %d\n%s", status, body)
	}
	if n := checks(); n != 2 {
		t.Errorf("%d checks after the refused reload, want 2 (nothing applied)", n)
	}
	_, _, body = ada.get(t, "/admin/config")
	if !strings.Contains(body, "Why the last attempt was refused") || !strings.Contains(body, running.File+":2: checks[0].grace") {
		t.Errorf("the config page after the refusal:\n%s", body)
	}
	// A file that would drop every check: the reload guard refuses it.
	if err := os.WriteFile(running.File, []byte("users:\n  - {name: ada, role: admin}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	status, _, body = ada.post(t, "/admin/config/reload", nil)
	if status != http.StatusConflict || !strings.Contains(body, "reload guard refused") {
		t.Errorf("reload a file the guard refuses: %d\n%s", status, body)
	}
	if n := checks(); n != 2 {
		t.Errorf("%d checks after the guard's refusal, want 2", n)
	}
	var who []string
	for _, e := range s.auditEntries(t, "config") {
		who = append(who, e.Action+" "+e.Actor)
	}
	if want := "config.refused user:ada,config.refused user:ada,config.reload user:ada"; strings.Join(who[:3], ",") != want {
		t.Errorf("config audit: %v, want %s first", who, want)
	}
}

// The audit log page filters by actor, action and time, and pages.
func TestAdminAudit(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	for i := range 55 {
		s.api(t, "POST", "/api/v1/tokens", fmt.Sprintf(`{"name": "t%d", "role": "viewer"}`, i), http.StatusCreated, nil)
	}
	ada := s.login(t, "ada")
	status, _, body := ada.get(t, "/admin/audit?action=token")
	if status != http.StatusOK || strings.Count(body, "<code>token.create</code>") != 50 || !strings.Contains(body, "API token t54 created") {
		t.Fatalf("first page: %d, %d entries\n%s", status, strings.Count(body, "<code>token.create</code>"), body)
	}
	older := regexp.MustCompile(`<a href="(/admin/audit\?[^"]+)">Older entries</a>`).FindStringSubmatch(body)
	if older == nil {
		t.Fatalf("no link to older entries:\n%s", body)
	}
	status, _, body = ada.get(t, strings.ReplaceAll(older[1], "&amp;", "&"))
	if status != http.StatusOK || strings.Count(body, "<code>token.create</code>") != 5 || !strings.Contains(body, "API token t0 created") ||
		strings.Contains(body, "Older entries") || !strings.Contains(body, ">Newest</a>") {
		t.Errorf("second page: %d\n%s", status, body)
	}
	_, _, body = ada.get(t, "/admin/audit?actor=user:ada")
	if !strings.Contains(body, "<code>login</code>") || strings.Contains(body, "api:admin") {
		t.Errorf("filtered by actor user:ada:\n%s", body)
	}
	_, _, body = ada.get(t, "/admin/audit?since=2099-01-01T00:00")
	if !strings.Contains(body, "No entries match") {
		t.Errorf("filtered from 2099:\n%s", body)
	}
	_, _, body = ada.get(t, "/admin/audit?action=token&until=2000-01-01T00:00")
	if !strings.Contains(body, "No entries match") {
		t.Errorf("filtered until 2000:\n%s", body)
	}
	if status, _, body := ada.get(t, "/admin/audit?since=yesterday"); status != http.StatusBadRequest || !strings.Contains(body, "since must be") {
		t.Errorf("a bad since: %d\n%s", status, body)
	}
}

// A responder and a viewer get 403 on every admin page and form, and
// their posts change nothing.
func TestAdminPagesNeedAdmin(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	var running struct{ File string }
	s.api(t, "GET", "/api/v1/config", "", http.StatusOK, &running)
	if err := os.WriteFile(running.File, []byte(strings.Replace(adminConfig, "checks:\n", "checks:\n  - {name: nightly, schedule: {every: 1d}}\n", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	var tokens struct{ Tokens []struct{ ID int64 } }
	s.api(t, "POST", "/api/v1/tokens", `{"name": "ci", "role": "viewer"}`, http.StatusCreated, nil)
	s.api(t, "GET", "/api/v1/tokens", "", http.StatusOK, &tokens)
	for _, user := range []string{"alice", "victor"} {
		p := s.login(t, user)
		p.get(t, "/integrations") // a page with the session's CSRF token
		if _, _, body := p.get(t, "/integrations"); strings.Contains(body, `href="/admin"`) {
			t.Errorf("%s sees the Admin link", user)
		}
		for _, path := range []string{"/admin", "/admin/users", "/admin/tokens", "/admin/audit", "/admin/config"} {
			if status, _, _ := p.get(t, path); status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", user, path, status)
			}
		}
		for path, form := range map[string]url.Values{
			"/admin/users/victor/invite":       nil,
			"/admin/users/ada/sessions/revoke": nil,
			"/admin/tokens":                    {"name": {"sneaky"}, "role": {"admin"}},
			"/admin/tokens/1/revoke":           nil,
			"/admin/config/reload":             nil,
		} {
			if status, _, body := p.post(t, path, form); status != http.StatusForbidden || strings.Contains(body, "invite/") {
				t.Errorf("%s POST %s: %d, want 403", user, path, status)
			}
		}
	}
	var after struct {
		Tokens []struct {
			RevokedAt *string `json:"revoked_at"`
		}
	}
	s.api(t, "GET", "/api/v1/tokens", "", http.StatusOK, &after)
	if len(after.Tokens) != len(tokens.Tokens) {
		t.Errorf("tokens: %d before, %d after", len(tokens.Tokens), len(after.Tokens))
	}
	for _, tk := range after.Tokens {
		if tk.RevokedAt != nil {
			t.Errorf("a token was revoked")
		}
	}
	var checks struct{ Checks []struct{ Name string } }
	s.api(t, "GET", "/api/v1/checks", "", http.StatusOK, &checks)
	if len(checks.Checks) != 1 {
		t.Errorf("the config was reloaded: %d checks", len(checks.Checks))
	}
	for _, e := range s.auditEntries(t, "") {
		switch e.Action {
		case "token.create", "token.revoke", "login.invite", "sessions.revoke", "config.reload", "config.refused":
			if e.Actor != "api:admin" {
				t.Errorf("audited: %+v", e)
			}
		}
	}
}

// The integrations and admin pages in Chromium: at 1280 and 375 px they
// fit, read and pass axe; a token made with the form is shown once.
func TestAdminPagesInChromium(t *testing.T) {
	s := startSite(t, adminConfig, clock.Real{})
	s.api(t, "POST", "/api/v1/tokens", `{"name": "deploy-bot", "role": "responder", "expires_in": "90d"}`, http.StatusCreated, nil)
	b := browser.Start(t)
	s.browserLogin(t, b, "ada", "/admin/users")
	for path, name := range map[string]string{
		"/integrations":         "integrations",
		"/admin/users":          "admin-users",
		"/admin/tokens":         "admin-tokens",
		"/admin/audit":          "admin-audit",
		"/admin/config":         "admin-config",
		"/admin/audit?action=x": "admin-audit-empty",
	} {
		s.look(t, b, path, name)
	}
	// Dark, as the system setting asks: still readable (axe checks contrast).
	b.ColorScheme(t, "dark")
	s.look(t, b, "/integrations", "integrations-dark")
	s.look(t, b, "/admin/tokens", "admin-tokens-dark")
	b.ColorScheme(t, "light")
	b.Open(t, s.base+"/admin/tokens", 375)
	var secret string
	b.Run(t,
		chromedp.SendKeys("#token-name", "nightly-export", chromedp.ByID),
		chromedp.Click(`//button[normalize-space()="Make token"]`, chromedp.BySearch),
		chromedp.WaitVisible(`#token-secret`, chromedp.ByID),
		chromedp.Text(`#token-secret`, &secret, chromedp.ByID),
	)
	b.AssertNoHorizontalScroll(t)
	b.Screenshot(t, "ui-admin-token-created-375")
	b.AssertAccessible(t)
	if got := s.bearer(t, strings.TrimSpace(secret), "GET", "/api/v1/checks"); got != http.StatusOK {
		t.Errorf("the token shown in the browser: %d", got)
	}
	// The Reload button with a broken file: the answer says why, at both widths.
	var running struct{ File string }
	s.api(t, "GET", "/api/v1/config", "", http.StatusOK, &running)
	if err := os.WriteFile(running.File, []byte(strings.Replace(adminConfig, "grace: 30s", "grace: soon", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Open(t, s.base+"/admin/config", 1280)
	b.Run(t,
		chromedp.Evaluate(`window.confirm = function () { return true }`, nil), // the button asks first
		chromedp.Click(`//button[normalize-space()="Reload the config file"]`, chromedp.BySearch),
		chromedp.WaitVisible(`div.error`, chromedp.ByQuery),
	)
	for _, width := range []int64{1280, 375} {
		b.Run(t, chromedp.EmulateViewport(width, 800))
		b.AssertNoHorizontalScroll(t)
		b.Screenshot(t, fmt.Sprintf("ui-admin-config-refused-%d", width))
		b.AssertAccessible(t)
	}
}

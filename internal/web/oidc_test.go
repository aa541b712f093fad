package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// opUsers are the people of the test's OpenID provider (zitadel's example
// provider, with its login form).
type opUsers map[string]*storage.User

func (u opUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u opUsers) GetUserByUsername(name string) *storage.User {
	for _, user := range u {
		if user.Username == name {
			return user
		}
	}
	return nil
}
func (opUsers) ExampleClientID() string { return storage.ServiceUserID }

// groupsStorage is the example provider's storage, which also answers a
// groups claim from the userinfo endpoint, as providers with groups do.
type groupsStorage struct {
	*storage.Storage
	groups map[string][]string // by user id
}

func (s groupsStorage) SetUserinfoFromToken(ctx context.Context, ui *zoidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	if g, ok := s.groups[subject]; ok {
		ui.AppendClaims("groups", g)
	}
	return nil
}

// ssoSetup starts the provider and a Tocsin that logs in with it: config
// users ana (viewer, in group tocsin-admins at the provider), bo
// (responder), cy (responder, outside the allowed domain but in group
// staff) and eve (responder, outside the allowed domain, in no group).
func ssoSetup(t *testing.T) (s *Server, tocsinURL string) {
	t.Helper()
	op := httptest.NewUnstartedServer(nil)
	tocsin := httptest.NewUnstartedServer(nil)
	issuer, tocsinURL := "http://"+op.Listener.Addr().String(), "http://"+tocsin.Listener.Addr().String()
	users := opUsers{
		"id-ana": {ID: "id-ana", Username: "ana", Password: "ana-password", Email: "Ana@Example.com", EmailVerified: true},
		"id-bo":  {ID: "id-bo", Username: "bo", Password: "bo-password", Email: "bo@example.com", EmailVerified: true},
		"id-cy":  {ID: "id-cy", Username: "cy", Password: "cy-password", Email: "cy@contractor.org", EmailVerified: true},
		"id-eve": {ID: "id-eve", Username: "eve", Password: "eve-password", Email: "eve@elsewhere.org", EmailVerified: true},
	}
	st := groupsStorage{Storage: storage.NewStorageWithClients(users, map[string]*storage.Client{
		"tocsin": storage.WebClient("tocsin", "client-secret", tocsinURL+"/login/oidc/callback")}),
		groups: map[string][]string{"id-ana": {"staff", "tocsin-admins"}, "id-cy": {"staff"}}}
	op.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	op.Start()
	t.Cleanup(op.Close)

	s = testServer(t)
	snap := s.Snapshots.Load()
	snap.Env.PublicURL = tocsinURL
	snap.Config = &config.Config{PublicURL: tocsinURL,
		Users: []config.User{{Name: "ana", Email: "ana@example.com"}, {Name: "bo", Email: "bo@example.com"},
			{Name: "cy", Email: "cy@contractor.org"}, {Name: "eve", Email: "eve@elsewhere.org"}},
		SSO: config.SSO{OIDC: &config.OIDC{Issuer: issuer, ClientID: "tocsin", ClientSecret: "client-secret",
			AllowedEmailDomains: []string{"example.com"}, GroupsClaim: "groups",
			RoleMapping: map[string]string{"tocsin-admins": "admin", "staff": "viewer"}}}}
	snap.UserRoles = map[string]auth.Role{"ana": auth.Viewer, "bo": auth.Responder, "cy": auth.Responder, "eve": auth.Responder}
	tocsin.Config.Handler = s.Handler()
	tocsin.Start()
	t.Cleanup(tocsin.Close)
	return s, tocsinURL
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// browser is an http.Client with cookies that follows redirects, but stops
// before Tocsin's callback when stop is set.
func browser(t *testing.T, stopAtCallback bool) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: oidcTimeout}
	if stopAtCallback {
		c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			if req.URL.Path == oidcCallback {
				return http.ErrUseLastResponse
			}
			return nil
		}
	}
	return c
}

// ssoLogin goes to /login/oidc and fills in the provider's login form; it
// returns the last answer.
func ssoLogin(t *testing.T, c *http.Client, tocsinURL, user, password string) *http.Response {
	t.Helper()
	resp, err := c.Get(tocsinURL + "/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginFormID.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the provider's login form: %d %s", resp.StatusCode, page)
	}
	form := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err = c.PostForm(form.String(), url.Values{"id": {string(m[1])}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestOIDCLogin(t *testing.T) {
	s, tocsinURL := ssoSetup(t)
	session := func(c *http.Client) (int, sessionJSON) {
		resp, err := c.Get(tocsinURL + "/api/v1/session")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out sessionJSON
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	// ana's group maps to admin, above her config role.
	c := browser(t, false)
	resp := ssoLogin(t, c, tocsinURL, "ana", "ana-password")
	if resp.Request.URL.String() != tocsinURL+"/" {
		t.Errorf("after the login: at %s (%d), want %s/", resp.Request.URL, resp.StatusCode, tocsinURL)
	}
	if code, who := session(c); code != 200 || who.Kind != "user" || who.Name != "ana" || who.Role != "admin" || who.CSRFToken == "" {
		t.Errorf("ana's session: %d %+v, want user ana as admin", code, who)
	}
	// bo is let in by his email's domain, with his config role.
	c = browser(t, false)
	ssoLogin(t, c, tocsinURL, "bo", "bo-password")
	if code, who := session(c); code != 200 || who.Name != "bo" || who.Role != "responder" {
		t.Errorf("bo's session: %d %+v, want bo as responder", code, who)
	}

	// cy's domain is not allowed, but his group is, and gives its role.
	c = browser(t, false)
	ssoLogin(t, c, tocsinURL, "cy", "cy-password")
	if code, who := session(c); code != 200 || who.Name != "cy" || who.Role != "viewer" {
		t.Errorf("cy's session: %d %+v, want cy as viewer", code, who)
	}

	// eve is a config user, but her email is outside the allowed domain.
	c = browser(t, false)
	resp = ssoLogin(t, c, tocsinURL, "eve", "eve-password")
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(page), "eve@elsewhere.org is neither in an allowed email domain") {
		t.Errorf("eve: %d %s, want 403 saying why", resp.StatusCode, page)
	}
	if code, _ := session(c); code != http.StatusUnauthorized {
		t.Errorf("eve has a session: %d", code)
	}

	// Both outcomes are in the audit log.
	entries, err := s.DB.AuditLog(context.Background(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var logins, refused int
	for _, e := range entries {
		switch {
		case e.Action == "login" && strings.Contains(e.Message, "single sign-on"):
			logins++
		case e.Action == "login.failed" && strings.Contains(e.Message, "eve@elsewhere.org"):
			refused++
		}
	}
	if logins != 3 || refused != 1 {
		t.Errorf("audit: %d single sign-on logins and %d refusals, want 3 and 1", logins, refused)
	}

	// A callback whose state is not the one of the login's cookie.
	resp, err = browser(t, false).Get(tocsinURL + oidcCallback + "?state=forged&code=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("forged state: %d, want 400", resp.StatusCode)
	}
}

// TestOIDCTamperedIDToken takes a real ID token from the provider and
// checks that the verification refuses it with one byte of its signature
// changed.
func TestOIDCTamperedIDToken(t *testing.T) {
	s, tocsinURL := ssoSetup(t)
	c := browser(t, true)
	resp := ssoLogin(t, c, tocsinURL, "bo", "bo-password")
	loc, err := resp.Location()
	if err != nil || loc.Path != oidcCallback {
		t.Fatalf("not sent back to the callback: %d %v", resp.StatusCode, err)
	}
	var nonce, verifier string
	for _, ck := range c.Jar.Cookies(loc) {
		if ck.Name == oidcCookie {
			parts := strings.Split(ck.Value, ".")
			nonce, verifier = parts[1], parts[2]
		}
	}
	ctx := context.Background()
	o, publicURL := s.oidcConfig()
	oc, err := s.oidcClient(ctx, o, publicURL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := oc.oauth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if _, err := oc.verify(ctx, raw, nonce); err != nil {
		t.Fatalf("the provider's own ID token is refused: %v", err)
	}
	if _, err := oc.verify(ctx, raw, "another-nonce"); err == nil {
		t.Error("an ID token with another login's nonce is accepted")
	}
	sig := strings.LastIndex(raw, ".") + 5
	b := []byte(raw)
	if b[sig] = 'A'; raw[sig] == 'A' {
		b[sig] = 'B'
	}
	if _, err := oc.verify(ctx, string(b), nonce); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("ID token with a changed signature: %v, want refused for its signature", err)
	}
}

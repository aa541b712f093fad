package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Single sign-on with OpenID Connect: GET /login/oidc sends the browser to
// the provider; the provider sends it back to GET /login/oidc/callback with
// a code, which Tocsin exchanges for an ID token.
const (
	oidcCookie    = "tocsin_oidc"    // state, nonce and PKCE verifier of one login, while at the provider
	oidcCookieTTL = 10 * time.Minute // how long a person may take at the provider
	oidcTimeout   = 15 * time.Second // bounds discovery, the code exchange and userinfo
	oidcCallback  = "/login/oidc/callback"
)

// oidcClient is a discovered provider with Tocsin's client at it.
type oidcClient struct {
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// oidcClients keeps the client of the running config's provider, made
// again when a reload changes the provider or the client.
type oidcClients struct {
	mu     sync.Mutex
	key    string
	client *oidcClient
}

// oidcClient returns the client of the provider in sso.oidc, discovering
// it at the first login (and again after a failed discovery).
func (s *Server) oidcClient(ctx context.Context, o *config.OIDC, publicURL string) (*oidcClient, error) {
	key := strings.Join([]string{o.Issuer, o.ClientID, o.ClientSecret, publicURL}, "\x00")
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	if s.oidc.client != nil && s.oidc.key == key {
		return s.oidc.client, nil
	}
	// The provider keeps the context for fetching its signing keys later:
	// not the request's, but one whose HTTP client bounds each fetch.
	httpc := &http.Client{Timeout: oidcTimeout}
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), httpc)
	p, err := oidc.NewProvider(pctx, o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", o.Issuer, err)
	}
	c := &oidcClient{provider: p,
		oauth: oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: p.Endpoint(),
			RedirectURL: publicURL + oidcCallback, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: o.ClientID, Now: s.Clock.Now}),
	}
	s.oidc.key, s.oidc.client = key, c
	return c, nil
}

// oidcConfig is sso.oidc of the running config, or nil.
func (s *Server) oidcConfig() (*config.OIDC, string) {
	snap := s.Snapshots.Load()
	if snap.Config == nil || snap.Config.SSO.OIDC == nil {
		return nil, ""
	}
	return snap.Config.SSO.OIDC, snap.Env.PublicURL
}

// oidcStart sends the browser to the provider: GET /login/oidc. The state,
// the nonce and the PKCE verifier stay in a short-lived HttpOnly cookie.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	o, publicURL := s.oidcConfig()
	if o == nil {
		renderSSOPage(w, http.StatusNotFound, "Single sign-on is not set up on this Tocsin.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oidcTimeout)
	defer cancel()
	c, err := s.oidcClient(ctx, o, publicURL)
	if err != nil {
		s.Log.Error("single sign-on", "err", err)
		renderSSOPage(w, http.StatusBadGateway, "The identity provider cannot be reached; try again later.")
		return
	}
	state, nonce, verifier := auth.NewSecret(), auth.NewSecret(), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: state + "." + nonce + "." + verifier, Path: "/login/oidc",
		MaxAge: int(oidcCookieTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: secureCookies(s.Snapshots.Load(), r)})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, c.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcCallback finishes a login at the provider: GET /login/oidc/callback.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	o, publicURL := s.oidcConfig()
	if o == nil {
		renderSSOPage(w, http.StatusNotFound, "Single sign-on is not set up on this Tocsin.")
		return
	}
	snap := s.Snapshots.Load()
	addr := snap.ClientAddr(r)
	// The login's cookie is used once, whatever happens.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureCookies(snap, r)})
	var state, nonce, verifier string
	if c, err := r.Cookie(oidcCookie); err == nil {
		parts := strings.Split(c.Value, ".")
		if len(parts) == 3 {
			state, nonce, verifier = parts[0], parts[1], parts[2]
		}
	}
	got := r.URL.Query().Get("state")
	if state == "" || subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		renderSSOPage(w, http.StatusBadRequest, "This login link is not valid any more. Start again at /login/oidc.")
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		s.refuseSSO(w, r, "", addr, "the provider answered "+truncate(e, 100))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), oidcTimeout)
	defer cancel()
	c, err := s.oidcClient(ctx, o, publicURL)
	if err != nil {
		s.Log.Error("single sign-on", "err", err)
		renderSSOPage(w, http.StatusBadGateway, "The identity provider cannot be reached; try again later.")
		return
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: oidcTimeout})
	tok, err := c.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		s.refuseSSO(w, r, "", addr, "the code exchange failed: "+truncate(err.Error(), 200))
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	claims, err := c.verify(ctx, raw, nonce)
	if err == nil && claims.Email == "" {
		err = c.addUserinfo(ctx, tok, &claims)
	}
	if err != nil {
		s.refuseSSO(w, r, "", addr, err.Error())
		return
	}
	user, role, err := ssoUser(snap.Config, o, claims)
	if err != nil {
		s.refuseSSO(w, r, claims.Email, addr, err.Error())
		return
	}
	details := map[string]any{"user": user, "email": claims.Email, "address": addr, "via": "oidc", "role": role}
	if _, _, err := s.startSession(w, r, user, role, "login", user+" logged in with single sign-on from "+addr, details); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusFound)
}

// ssoClaims are the claims of an ID token (or userinfo) Tocsin reads.
type ssoClaims struct {
	Subject       string         `json:"sub"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	all           map[string]any // every claim, for the configured groups claim
}

// verify checks an ID token (issuer, audience, expiry, signature) and its
// nonce, and returns its claims.
func (c *oidcClient) verify(ctx context.Context, raw, nonce string) (ssoClaims, error) {
	var cl ssoClaims
	if raw == "" {
		return cl, errors.New("the provider sent no ID token")
	}
	t, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return cl, fmt.Errorf("ID token refused: %w", err)
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(nonce)) != 1 {
		return cl, errors.New("ID token refused: wrong nonce")
	}
	if err := t.Claims(&cl); err != nil {
		return cl, fmt.Errorf("ID token claims: %w", err)
	}
	if err := t.Claims(&cl.all); err != nil {
		return cl, fmt.Errorf("ID token claims: %w", err)
	}
	cl.Subject = t.Subject
	return cl, nil
}

// addUserinfo fills in the email and groups from the userinfo endpoint,
// for providers that leave them out of the ID token.
func (c *oidcClient) addUserinfo(ctx context.Context, tok *oauth2.Token, cl *ssoClaims) error {
	ui, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if ui.Subject != cl.Subject {
		return errors.New("userinfo is of another subject than the ID token")
	}
	all := map[string]any{}
	if err := ui.Claims(&all); err != nil {
		return fmt.Errorf("userinfo claims: %w", err)
	}
	for k, v := range all {
		if _, ok := cl.all[k]; !ok {
			cl.all[k] = v
		}
	}
	cl.Email, cl.EmailVerified = ui.Email, ui.EmailVerified
	return nil
}

// stringsOf returns the strings of a claim that is a list (or one string).
func stringsOf(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	list, _ := v.([]any)
	var out []string
	for _, g := range list {
		if s, ok := g.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ssoUser decides who a person from the provider is: the config user with
// their verified email, let in by the email's domain or a mapped group.
// The role is the highest a group maps to; empty when only the domain let
// them in, so that the config user's role applies.
func ssoUser(cfg *config.Config, o *config.OIDC, cl ssoClaims) (user, role string, err error) {
	if cl.Email == "" || !cl.EmailVerified {
		return "", "", errors.New("the provider gave no verified email")
	}
	email := strings.ToLower(cl.Email)
	_, domain, _ := strings.Cut(email, "@")
	var best auth.Role // zero: no mapped group
	for _, name := range stringsOf(cl.all[o.GroupsClaim]) {
		if o.GroupsClaim == "" {
			break
		}
		if r, perr := auth.ParseRole(o.RoleMapping[name]); perr == nil && r > best && r != auth.Public {
			best = r
		}
	}
	if best == 0 && !slices.Contains(o.AllowedEmailDomains, domain) {
		return "", "", fmt.Errorf("%s is neither in an allowed email domain nor in a group that has a role", email)
	}
	for _, u := range cfg.Users {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			if best != 0 {
				role = best.String()
			}
			return u.Name, role, nil
		}
	}
	return "", "", fmt.Errorf("no user in the config has the email %s", email)
}

// refuseSSO audits a refused single sign-on and says so with a 403 page.
func (s *Server) refuseSSO(w http.ResponseWriter, r *http.Request, email, addr, why string) {
	ctx := r.Context()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		return tx.AuditEvent(ctx, store.AuditEvent{Actor: "system", Addr: addr, Action: "login.failed", Outcome: "refused",
			Message: "single sign-on refused from " + addr + ": " + why,
			Data:    map[string]any{"email": email, "address": addr, "via": "oidc", "reason": why}})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	renderSSOPage(w, http.StatusForbidden, "Tocsin does not let you in with this account: "+why+".")
}

var ssoPage = template.Must(template.New("sso").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>Tocsin: single sign-on</title>
<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}</style>
</head><body><h1>Single sign-on</h1><p>{{.}}</p></body></html>
`))

func renderSSOPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	ssoPage.Execute(w, msg)
}

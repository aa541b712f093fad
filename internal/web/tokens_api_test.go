package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// call sends a request to srv with the bearer token and decodes the JSON answer into out.
func call(t *testing.T, srv *httptest.Server, token, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// TestTokenLifecycle: a token made through the API is shown once, works
// with its role, notes its last use at most once a minute, expires, and
// is revoked; each change is in the audit log with role and address.
func TestTokenLifecycle(t *testing.T) {
	s := testServer(t)
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s.Clock = clk
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	var created tokenJSON
	if code := call(t, srv, "right-token", "POST", "/api/v1/tokens", `{"name": "ci", "role": "responder", "expires_in": "720h"}`,
		&created); code != http.StatusCreated {
		t.Fatalf("create: %d %+v", code, created)
	}
	if !auth.LooksLikeToken(created.Token) || created.ID == 0 || created.Role != "responder" || created.Source != "api" ||
		created.CreatedBy != "api:admin" || created.ExpiresAt == nil || !created.ExpiresAt.Equal(clk.Now().Add(720*time.Hour)) {
		t.Fatalf("created %+v", created)
	}

	var errBody map[string]string
	for _, tc := range []struct{ body, says string }{
		{`{"name": "ci", "role": "viewer"}`, `named "ci" exists`},
		{`{"name": "admin", "role": "viewer"}`, `api_tokens name a token "admin"`},
	} {
		if code := call(t, srv, "right-token", "POST", "/api/v1/tokens", tc.body, &errBody); code != http.StatusConflict ||
			!strings.Contains(errBody["error"], tc.says) {
			t.Errorf("create %s: %d %v, want 409 saying %q", tc.body, code, errBody, tc.says)
		}
	}
	for _, body := range []string{`{"name": "x", "role": "root"}`, `{"name": "", "role": "viewer"}`, `{"name": "a b", "role": "viewer"}`,
		`{"name": "x", "role": "viewer", "expires_in": "-1h"}`, `{"name": "x", "role": "viewer", "expires_at": "2020-01-01T00:00:00Z"}`,
		`{"name": "x", "role": "viewer", "expires_in": "1h", "expires_at": "2030-01-01T00:00:00Z"}`, `{"name": "x", "role": "viewer", "secret": "s"}`} {
		if code := call(t, srv, "right-token", "POST", "/api/v1/tokens", body, &errBody); code != http.StatusBadRequest {
			t.Errorf("create %s: %d %v, want 400", body, code, errBody)
		}
	}

	// The new token acts with its role: it may pause (the check is
	// unknown here: 404), not reload.
	if code := call(t, srv, created.Token, "POST", "/api/v1/checks/nope/pause", "", &errBody); code != http.StatusNotFound {
		t.Fatalf("responder token pausing: %d %v", code, errBody)
	}
	usedAt := clk.Now()
	clk.Advance(30 * time.Second)
	if code := call(t, srv, created.Token, "POST", "/api/v1/config/reload", "", &errBody); code != http.StatusForbidden {
		t.Fatalf("responder token reloading: %d %v", code, errBody)
	}

	// Last use: written at the first use, not again within a minute.
	list := func() map[string]tokenJSON {
		var out struct{ Tokens []tokenJSON }
		if code := call(t, srv, "right-token", "GET", "/api/v1/tokens", "", &out); code != http.StatusOK {
			t.Fatalf("list: %d", code)
		}
		byName := map[string]tokenJSON{}
		for _, tok := range out.Tokens {
			if tok.Token != "" {
				t.Fatalf("list shows the token of %s", tok.Name)
			}
			byName[tok.Source+":"+tok.Name] = tok
		}
		return byName
	}
	got := list()
	if ci := got["api:ci"]; ci.LastUsedAt == nil || !ci.LastUsedAt.Equal(usedAt) || ci.LastUsedAddr != "127.0.0.1" {
		t.Fatalf("last use %v from %q, want %v from 127.0.0.1", ci.LastUsedAt, ci.LastUsedAddr, usedAt)
	}
	if c, ok := got["config:dashboard"]; !ok || c.Role != "viewer" || c.ID != 0 {
		t.Fatalf("config token dashboard listed as %+v (%v)", c, ok)
	}
	clk.Advance(time.Minute)
	call(t, srv, created.Token, "GET", "/api/v1/checks", "", nil)
	if ci := list()["api:ci"]; !ci.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("last use %v, want %v: a minute on, the use is written again", ci.LastUsedAt, clk.Now())
	}

	// Config tokens are not revoked through the API.
	if code := call(t, srv, "right-token", "DELETE", "/api/v1/tokens/dashboard", "", &errBody); code != http.StatusConflict ||
		!strings.Contains(errBody["error"], "config file") {
		t.Fatalf("revoke a config token: %d %v", code, errBody)
	}
	if code := call(t, srv, "right-token", "DELETE", "/api/v1/tokens/999", "", &errBody); code != http.StatusNotFound {
		t.Fatalf("revoke an unknown token: %d %v", code, errBody)
	}
	var revoked tokenJSON
	if code := call(t, srv, "right-token", "DELETE", "/api/v1/tokens/"+strconv.FormatInt(created.ID, 10), "", &revoked); code != http.StatusOK ||
		revoked.RevokedAt == nil || !revoked.RevokedAt.Equal(clk.Now()) {
		t.Fatalf("revoke: %d %+v", code, revoked)
	}
	clk.Advance(time.Second)
	if code := call(t, srv, "right-token", "DELETE", "/api/v1/tokens/"+strconv.FormatInt(created.ID, 10), "", &revoked); code != http.StatusOK ||
		!revoked.RevokedAt.Equal(clk.Now().Add(-time.Second)) {
		t.Fatalf("revoke again: %d %+v, want the first revocation kept", code, revoked)
	}
	if code := call(t, srv, created.Token, "GET", "/api/v1/checks", "", &errBody); code != http.StatusUnauthorized ||
		!strings.Contains(errBody["error"], "token revoked at "+revoked.RevokedAt.Format(time.RFC3339)) {
		t.Fatalf("revoked token: %d %v", code, errBody)
	}

	// Expiry: a token made to last an hour stops working after it.
	var short tokenJSON
	if code := call(t, srv, "right-token", "POST", "/api/v1/tokens", `{"name": "short", "role": "viewer", "expires_in": "1h"}`,
		&short); code != http.StatusCreated {
		t.Fatalf("create short: %d", code)
	}
	if code := call(t, srv, short.Token, "GET", "/api/v1/checks", "", nil); code != http.StatusOK {
		t.Fatalf("short token within its hour: %d", code)
	}
	clk.Advance(time.Hour)
	if code := call(t, srv, short.Token, "GET", "/api/v1/checks", "", &errBody); code != http.StatusUnauthorized ||
		!strings.Contains(errBody["error"], "token expired at "+short.ExpiresAt.Format(time.RFC3339)) {
		t.Fatalf("expired token: %d %v", code, errBody)
	}

	// The audit log has who, with what role, from where.
	var audit struct{ Entries []store.AuditEntry }
	if code := call(t, srv, "right-token", "GET", "/api/v1/audit?action=token&actor=api:admin", "", &audit); code != http.StatusOK {
		t.Fatalf("audit: %d", code)
	}
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
		if e.Actor != "api:admin" || e.Role != "admin" || e.Addr != "127.0.0.1" || e.Outcome != "ok" {
			t.Errorf("audit entry %+v", e)
		}
	}
	if strings.Join(actions, " ") != "token.create token.revoke token.create" {
		t.Fatalf("audit actions %v", actions)
	}
}

// TestAuditRecordsRoleAndAddress: a change through the API is in the audit
// log with its actor's role and address, found by the actor and time filters.
func TestAuditRecordsRoleAndAddress(t *testing.T) {
	s := testServer(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	before := s.Clock.Now().Add(-time.Second).UTC().Format(time.RFC3339)
	var sl struct{ ID int64 }
	if code := call(t, srv, "responder-token", "POST", "/api/v1/silences",
		`{"matchers":["alertname=\"Backup\""],"ends_at":"2099-01-01T00:00:00Z"}`, &sl); code != http.StatusCreated {
		t.Fatalf("create silence: %d", code)
	}
	if code := call(t, srv, "responder-token", "DELETE", "/api/v1/silences/"+strconv.FormatInt(sl.ID, 10), "", nil); code != http.StatusOK {
		t.Fatalf("expire silence: %d", code)
	}
	var audit struct{ Entries []store.AuditEntry }
	if code := call(t, srv, "right-token", "GET", "/api/v1/audit?actor=api:oncall-bot&since="+before, "", &audit); code != http.StatusOK {
		t.Fatalf("audit: %d", code)
	}
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "silence.expire" || audit.Entries[1].Action != "silence.create" {
		t.Fatalf("audit entries %+v", audit.Entries)
	}
	for _, e := range audit.Entries {
		if e.Role != "responder" || e.Addr != "127.0.0.1" || e.Outcome != "ok" {
			t.Errorf("audit entry %+v", e)
		}
	}
	if code := call(t, srv, "right-token", "GET", "/api/v1/audit?until="+before, "", &audit); code != http.StatusOK || len(audit.Entries) != 0 {
		t.Fatalf("audit until before: %d %+v", code, audit.Entries)
	}

	// Behind a proxy named in trusted_proxies, the address is the client's
	// it forwards; anyone else's X-Forwarded-For is ignored.
	s.Snapshots.Load().Proxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	req, _ := http.NewRequest("DELETE", srv.URL+"/api/v1/silences/"+strconv.FormatInt(sl.ID, 10), nil)
	req.Header.Set("Authorization", "Bearer responder-token")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := call(t, srv, "right-token", "GET", "/api/v1/audit?actor=api:oncall-bot&limit=1", "", &audit); code != http.StatusOK ||
		len(audit.Entries) != 1 || audit.Entries[0].Addr != "203.0.113.9" {
		t.Fatalf("audit behind a trusted proxy: %d %+v", code, audit.Entries)
	}
	for _, q := range []string{"since=yesterday", "until=2026-13-01T00:00:00Z"} {
		if code := call(t, srv, "right-token", "GET", "/api/v1/audit?"+q, "", nil); code != http.StatusBadRequest {
			t.Errorf("audit?%s: %d, want 400", q, code)
		}
	}
}

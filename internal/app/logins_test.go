package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoginEndToEnd: a first start with no admin login offers a setup
// link; through the real server on 127.0.0.1 it makes an admin, who logs
// in with a session cookie, acts with the CSRF token, invites a user and
// logs out. The next start offers no setup link.
func TestLoginEndToEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "users:\n  - {name: ana, role: viewer}\n")
	r := start(t, path, nil)
	setup := r.app.SetupURL()
	i := strings.Index(setup, "/setup/")
	if i < 0 {
		t.Fatalf("setup link %q", setup)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	send := func(method, path, ctype, body, csrf string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, r.base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const form = "application/x-www-form-urlencoded"
	if code, body := send("GET", setup[i:], "", "", ""); code != http.StatusOK || !strings.Contains(body, "first admin") {
		t.Fatalf("setup form: %d %s", code, body)
	}
	pw := url.Values{"user": {"root"}, "password": {"a long password"}, "password2": {"a long password"}}.Encode()
	if code, body := send("POST", setup[i:], form, pw, ""); code != http.StatusOK {
		t.Fatalf("setup: %d %s", code, body)
	}
	if code, _ := send("POST", setup[i:], form, pw, ""); code != http.StatusNotFound {
		t.Fatalf("setup link used twice: %d", code)
	}
	code, body := send("POST", "/login", "application/json", `{"user": "root", "password": "a long password"}`, "")
	var sess struct {
		Role      string `json:"role"`
		CSRFToken string `json:"csrf_token"`
	}
	json.Unmarshal([]byte(body), &sess)
	if code != http.StatusOK || sess.Role != "admin" || sess.CSRFToken == "" {
		t.Fatalf("login: %d %s", code, body)
	}
	if code, body := send("GET", "/api/v1/session", "", "", ""); code != http.StatusOK || !strings.Contains(body, `"name": "root"`) {
		t.Fatalf("session: %d %s", code, body)
	}
	if code, body := send("POST", "/api/v1/users/ana/invite", "", "", ""); code != http.StatusForbidden ||
		!strings.Contains(body, "missing or wrong CSRF token") {
		t.Fatalf("invite without CSRF token: %d %s", code, body)
	}
	if code, body := send("POST", "/api/v1/users/ana/invite", "", "", sess.CSRFToken); code != http.StatusOK || !strings.Contains(body, "/invite/") {
		t.Fatalf("invite: %d %s", code, body)
	}
	if code, body := send("POST", "/logout", "", "", sess.CSRFToken); code != http.StatusOK {
		t.Fatalf("logout: %d %s", code, body)
	}
	if code, _ := send("GET", "/api/v1/session", "", "", ""); code != http.StatusUnauthorized {
		t.Fatalf("session after logout: %d", code)
	}
	var audit struct {
		Entries []struct{ Actor, Action string } `json:"entries"`
	}
	r.get(t, "/api/v1/audit?action=login", &audit)
	var got []string
	for _, e := range audit.Entries {
		got = append(got, e.Actor+" "+e.Action)
	}
	if strings.Join(got, ", ") != "user:root login.invite, user:root login, link:setup login.setup, system login.setup_link" {
		t.Errorf("audit: %v", got)
	}

	// Restarted on the same database, Tocsin has an admin and offers no link.
	a := r.app
	if url, err := a.offerSetup(t.Context()); err != nil || url != "" {
		t.Errorf("setup link with an admin login: %q %v", url, err)
	}
}

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestNoPageLostToRedirectNoSecretShown: receivers that refuse the
// connection, answer 500, hang past the channel timeout, or answer 302 or
// 307, each behind a URL that carries a token in its query (and a password
// in its userinfo), make failed attempts on the incident's timeline; the
// redirects are not followed (no request at their target) and say so; and
// neither the timeline, nor the server log, nor any API answer (checks,
// incidents, config, audit, a reload refused for an invalid URL) ever
// shows the token or the password. The self-heartbeat URL, a credential
// too, stays out of the log.
func TestNoPageLostToRedirectNoSecretShown(t *testing.T) {
	const secret, password = "SECRETQUERYTOKEN", "SECRETPASSWORD"
	const uuid = "7d1e3a52-9c4b-4f0e-8a2d-5b6c7d8e9f01"
	var atTarget atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { atTarget.Add(1) }))
	defer target.Close()
	redirect := func(code int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/moved?token="+secret, code)
		}))
	}
	r302, r307 := redirect(http.StatusFound), redirect(http.StatusTemporaryRedirect)
	defer r302.Close()
	defer r307.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusInternalServerError)
	}))
	defer failing.Close()
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(hang)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	withSecrets := func(base, path string) string {
		return strings.Replace(base, "http://", "http://user:"+password+"@", 1) + path + "?token=" + secret
	}
	channels := map[string]string{
		"refused":  withSecrets("http://"+closed, "/hook"),
		"failing":  withSecrets(failing.URL, "/hook"),
		"hanging":  withSecrets(hanging.URL, "/hook"),
		"moved302": withSecrets(r302.URL, "/hook"),
		"moved307": withSecrets(r307.URL, "/hook"),
	}
	var cfg strings.Builder
	cfg.WriteString("channels:\n")
	for _, name := range []string{"refused", "failing", "hanging", "moved302", "moved307"} {
		fmt.Fprintf(&cfg, "  - {name: %s, type: webhook, url: %q, secret: s3cret, timeout: 1s}\n", name, channels[name])
	}
	// slack too: a chat sender behind a redirect.
	fmt.Fprintf(&cfg, "  - {name: chat, type: slack, url: %q, timeout: 1s}\n", r307.URL+"/services/T0/B0/"+secret)
	fmt.Fprintf(&cfg, `outbox: {max_attempts: 2, backoff_base: 1s, backoff_max: 1s}
self_heartbeat: {url: %q, every: 2s, timeout: 1s}
checks:
  - {name: nightly, uuid: %s, schedule: {every: 2s}, grace: 1s, notify: [refused, failing, hanging, moved302, moved307, chat], flap: {changes: 0}}
`, "http://"+closed+"/hb/"+secret+"?k="+secret, uuid)
	in := newInstance(t, cfg.String())
	s := in.start()
	curl(t, s.base+"/ping/"+uuid)

	// The check goes down; every channel fails and is given up on.
	var inc apiIncident
	eventually(t, 60*time.Second, 100*time.Millisecond, "every channel given up on", func() (bool, string) {
		list := s.incidents("check=" + uuid)
		if len(list) == 0 {
			return false, "no incident yet"
		}
		inc = s.incident(list[0].ID)
		given := map[string]string{}
		for _, e := range inc.Timeline {
			if e.Kind == "notification.given_up" {
				for name := range channels {
					if strings.Contains(e.Message, " to "+name+" ") {
						given[name] = e.Message
					}
				}
				if strings.Contains(e.Message, " to chat ") {
					given["chat"] = e.Message
				}
			}
		}
		return len(given) == len(channels)+1, fmt.Sprintf("given up: %v; timeline %v", given, inc.kinds())
	})
	for _, e := range inc.Timeline {
		if e.Kind != "notification.given_up" {
			continue
		}
		switch {
		case strings.Contains(e.Message, " to moved302 "):
			if !strings.Contains(e.Message, "302 Found") || !strings.Contains(e.Message, "redirect") || !strings.Contains(e.Message, "after attempt 1") {
				t.Errorf("a 302 is not told as a redirect, given up at once: %s", e.Message)
			}
		case strings.Contains(e.Message, " to moved307 "), strings.Contains(e.Message, " to chat "):
			if !strings.Contains(e.Message, "307 Temporary Redirect") || !strings.Contains(e.Message, "after attempt 1") {
				t.Errorf("a 307 is not told as a redirect, given up at once: %s", e.Message)
			}
		case strings.Contains(e.Message, " to failing "):
			if !strings.Contains(e.Message, "500") || !strings.Contains(e.Message, "after attempt 2") {
				t.Errorf("a 500 is not retried: %s", e.Message)
			}
		}
	}
	if n := atTarget.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests; redirects must not be followed", n)
	}

	// A reload refused for an invalid URL: the answer names the field, not
	// the secrets.
	bad := strings.Replace(cfg.String(), channels["failing"], "ftp://user:"+password+"@example.com/hook?token="+secret, 1)
	if err := os.WriteFile(in.config, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := rawAPI(t, s, "POST", "/api/v1/config/reload")
	if code/100 == 2 || !strings.Contains(body, "channels[1].url") {
		t.Fatalf("reload of an invalid URL answered %d: %s", code, body)
	}
	answers := map[string]string{"POST /api/v1/config/reload": body}
	for _, path := range []string{"/api/v1/checks", "/api/v1/checks/" + uuid, "/api/v1/incidents",
		fmt.Sprintf("/api/v1/incidents/%d", inc.ID), "/api/v1/config", "/api/v1/audit", "/api/v1/alerts", "/api/v1/replicas"} {
		code, body := rawAPI(t, s, "GET", path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		answers["GET "+path] = body
	}
	// Let the self-heartbeat fail at least twice more into the log.
	time.Sleep(3 * time.Second)
	log, err := os.ReadFile(in.log)
	if err != nil {
		t.Fatal(err)
	}
	answers["server log"] = string(log)
	if !strings.Contains(string(log), "self heartbeat failed") || !strings.Contains(string(log), "notification failed") {
		t.Fatalf("the log lacks the failures it must tell (without secrets):\n%s", log)
	}
	for where, text := range answers {
		for _, sec := range []string{secret, password} {
			if i := strings.Index(text, sec); i >= 0 {
				t.Errorf("%s shows %s: ...%s...", where, sec, text[max(0, i-200):min(len(text), i+100)])
			}
		}
	}
}

// rawAPI sends a request with the admin token and returns the status and
// the body as it came.
func rawAPI(t *testing.T, s *server, method, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

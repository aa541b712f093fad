package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTrustedProxiesAndMetricsAccess: X-Forwarded-For names the client
// only when the peer is a trusted proxy; /metrics is served as the metrics
// setting says, and a reload changes both.
func TestTrustedProxiesAndMetricsAccess(t *testing.T) {
	conf := func(proxies, metrics string) string {
		return fmt.Sprintf("trusted_proxies: [%s]\nmetrics: %s\nchecks:\n  - {name: %s, uuid: %s, schedule: {every: 1h}}\n",
			proxies, metrics, backupName, backupUUID)
	}
	in := newInstance(t, conf("", "token"))
	srv := in.start()
	client := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, xff, auth string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	lastPing := func() (addr, scheme string) {
		t.Helper()
		var out struct {
			Pings []struct {
				RemoteAddr string `json:"remote_addr"`
				Scheme     string `json:"scheme"`
			} `json:"pings"`
		}
		srv.mustAPI("GET", "/api/v1/checks/"+backupUUID+"/pings", &out)
		if len(out.Pings) == 0 {
			t.Fatal("no pings")
		}
		return out.Pings[0].RemoteAddr, out.Pings[0].Scheme
	}

	// No proxy trusted: the header is ignored.
	if code := do("GET", "/ping/"+backupUUID, "203.0.113.9", ""); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	if addr, scheme := lastPing(); addr != "127.0.0.1" || scheme != "http" {
		t.Errorf("X-Forwarded-For from an untrusted peer: recorded %s %s, want 127.0.0.1 http", addr, scheme)
	}
	// metrics: token.
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "Bearer " + adminToken: 200, "bearer " + adminToken: 200} {
		if code := do("GET", "/metrics", "", auth); code != want {
			t.Errorf("metrics token, Authorization %q: %d, want %d", auth, code, want)
		}
	}

	// Trust this host as a proxy, and turn /metrics off.
	if err := os.WriteFile(in.config, []byte(conf("127.0.0.1", "off")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, 50*time.Millisecond, "metrics off after the reload", func() (bool, string) {
		code := do("GET", "/metrics", "", "Bearer "+adminToken)
		return code == 404, fmt.Sprint(code)
	})
	if code := do("GET", "/ping/"+backupUUID, "198.51.100.1, 203.0.113.9", ""); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	if addr, scheme := lastPing(); addr != "203.0.113.9" || scheme != "https" {
		t.Errorf("X-Forwarded-For from a trusted proxy: recorded %s %s, want 203.0.113.9 https", addr, scheme)
	}
	if log, _ := os.ReadFile(in.log); strings.Contains(string(log), "level=ERROR msg=\"apply config") {
		t.Errorf("reload failed:\n%s", log)
	}
}

package statuspage

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/config"
)

// TestHostPage: a page with a hostname is served at the root of that
// host, its documents where they sit under /status/<slug>; other paths
// and other hosts are left to the route table, and so is a page without
// a hostname.
func TestHostPage(t *testing.T) {
	s, _, _ := testService(t)
	page := testPage
	page.Hostname = "status.example.com"
	s.Configs = fixedConfig{&config.Config{StatusPages: []config.StatusPage{page}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := s.HostPage(r); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		http.Error(w, "route table", http.StatusTeapot)
	}))
	defer srv.Close()
	get := func(host, path, method string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}

	code, ctype, body := get("status.example.com", "/", "GET")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "Example status") {
		t.Fatalf("GET / on the page's host: %d %s\n%.300s", code, ctype, body)
	}
	code, _, body = get("Status.Example.com.:443", "/api/v2/summary.json", "GET")
	var sum struct {
		Page struct {
			Name string `json:"name"`
		} `json:"page"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &sum) != nil || sum.Page.Name != "Example status" {
		t.Fatalf("summary.json on the page's host (in other case, with a port): %d %.300s", code, body)
	}
	for _, p := range []string{"/history.atom", "/badge.svg", "/components/api/badge.svg"} {
		if code, _, body := get("status.example.com", p, "GET"); code != 200 {
			t.Errorf("GET %s on the page's host: %d %.200s", p, code, body)
		}
	}
	for _, c := range []struct{ host, path, method string }{
		{"status.example.com", "/api/v1/checks", "GET"}, // Tocsin's own routes stay Tocsin's
		{"status.example.com", "/status/public/subscribe", "POST"},
		{"status.example.com", "/", "POST"},
		{"tocsin.example.com", "/", "GET"}, // another host
		{"tocsin.example.com", "/api/v2/summary.json", "GET"},
	} {
		if code, _, _ := get(c.host, c.path, c.method); code != http.StatusTeapot {
			t.Errorf("%s %s on %s: %d, want it left to the route table", c.method, c.path, c.host, code)
		}
	}
}

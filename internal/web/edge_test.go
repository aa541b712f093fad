package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/runtime"
)

// TestMetricsAccess: /metrics is served to anyone (public, the default),
// only with an API token (token), or not at all (off); a change of the
// setting applies to the next request.
func TestMetricsAccess(t *testing.T) {
	s := testServer(t)
	access := ""
	base := s.Snapshots.Load()
	s.Snapshots = snapshotFunc(func() *runtime.Snapshot {
		cfg := *base.Config
		cfg.Metrics = access
		snap := *base
		snap.Config = &cfg
		return &snap
	})
	h := s.Handler()
	scrape := func(auth string) int {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == 200 && !strings.Contains(w.Body.String(), "# TYPE") {
			t.Errorf("metrics %q: 200 without metrics: %.200s", access, w.Body.String())
		}
		return w.Code
	}
	for _, tc := range []struct {
		access             string
		anon, wrong, right int
	}{
		{"", 200, 200, 200},
		{"public", 200, 200, 200},
		{"token", 401, 401, 200},
		{"off", 404, 404, 404},
	} {
		access = tc.access
		if got := scrape(""); got != tc.anon {
			t.Errorf("metrics %q without a token: %d, want %d", tc.access, got, tc.anon)
		}
		if got := scrape("Bearer wrong-token"); got != tc.wrong {
			t.Errorf("metrics %q with a wrong token: %d, want %d", tc.access, got, tc.wrong)
		}
		if got := scrape("bearer right-token"); got != tc.right {
			t.Errorf("metrics %q with the right token: %d, want %d", tc.access, got, tc.right)
		}
	}
}

func TestBearerToken(t *testing.T) {
	for auth, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BeArEr abc": "abc", "Bearer   abc": "abc",
		"Bearer": "", "Bearer ": "", "Basic abc": "", "Bearerabc": "", "": "",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", auth)
		got, ok := bearerToken(req)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", auth, got, ok, want)
		}
	}
}

package web

import (
	"github.com/tocsinhq/tocsin/internal/auth"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tocsinhq/tocsin"
)

// bearerToken is the token of an "Authorization: Bearer <token>" header.
// The scheme is matched in any case, as RFC 9110 (section 11.1) wants, and
// may be followed by more than one space.
func bearerToken(r *http.Request) (string, bool) {
	scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token := strings.TrimLeft(rest, " ")
	return token, token != ""
}

// metricsHandler serves the Prometheus scrape as the config's metrics
// setting says: to anyone, only with an API token, or not at all (the
// metrics name users, channels and checks). The setting is read at each
// request, so that a reload changes it.
func (s *Server) metricsHandler() http.Handler {
	scrape := promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{Timeout: 10 * time.Second})
	withToken := s.authenticate(scrape, auth.Viewer, false)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.Snapshots.Load().Config.Metrics {
		case "off":
			writeError(w, tocsin.Errorf(tocsin.ENotFound, "metrics are off (see metrics in the config)"))
		case "token":
			withToken.ServeHTTP(w, r)
		default:
			scrape.ServeHTTP(w, r)
		}
	})
}

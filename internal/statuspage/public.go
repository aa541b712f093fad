package statuspage

import (
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// public is the Handler of the running pages, made at first use.
type public struct {
	once    sync.Once
	handler *Handler
}

// Public serves the public pages and documents of the running config's
// pages under /status/{slug}, rendered from the Service's Views. A page
// shows the subscription form when it takes email subscriptions: a mail
// server and links_secret are configured.
func (s *Service) Public() *Handler {
	s.public.once.Do(func() {
		s.public.handler = NewHandler(s, WithLogger(s.Log), WithRenderOptions(func(string) RenderOptions {
			cfg := s.Configs.Config()
			return RenderOptions{Subscribe: cfg.SMTP.Host != "" && cfg.LinksSecret != ""}
		}))
	})
	return s.public.handler
}

// PublicRoutes are the routes of the public pages, served to anyone: a
// page shows only what its config publishes (no check, service or
// internal incident of Tocsin's).
func (s *Service) PublicRoutes() []auth.Route {
	pub := s.Public()
	out := []auth.Route{{Pattern: "GET /status/{slug}", Role: auth.Public, Handler: pub}}
	for _, doc := range JSONDocuments {
		out = append(out, auth.Route{Pattern: "GET /status/{slug}/api/v2/" + doc, Role: auth.Public, Handler: pub})
	}
	out = append(out,
		auth.Route{Pattern: "GET /status/{slug}/history.atom", Role: auth.Public, Handler: pub},
		auth.Route{Pattern: "GET /status/{slug}/badge.svg", Role: auth.Public, Handler: pub},
		auth.Route{Pattern: "GET /status/{slug}/components/{id}/badge.svg", Role: auth.Public, Handler: pub})
	return append(out, s.subscriptionRoutes()...)
}

// HostPage returns the handler of the page whose hostname is r's Host,
// when r asks for one of its documents at the root of that host ("/",
// /api/v2/..., /history.atom, /badge.svg, /components/...); else nil, and
// r goes to the route table like any other.
func (s *Service) HostPage(r *http.Request) http.Handler {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil
	}
	p := r.URL.Path
	if p != "/" && p != "/history.atom" && p != "/badge.svg" && !strings.HasPrefix(p, "/api/v2/") && !strings.HasPrefix(p, "/components/") {
		return nil
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, page := range s.Configs.Config().StatusPages {
		if page.Hostname != "" && page.Hostname == host {
			slug := page.Slug
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.Public().ServeHost(w, r, slug) })
		}
	}
	return nil
}

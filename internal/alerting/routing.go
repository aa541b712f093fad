package alerting

import (
	"github.com/tocsinhq/tocsin/internal/labels"
)

// Route is a node of the routing tree.
type Route struct {
	Matchers labels.Set
	Service  string // empty: only the children decide
	Routes   []Route
}

// Route names the service an alert goes to: the first, deepest route of
// the tree whose matchers and whose ancestors' matchers all match, or
// fallback (the integration's service) when none does.
func (p *Policy) Route(fallback string, lbls map[string]string) string {
	if s := route(p.Routes, lbls); s != "" {
		return s
	}
	return fallback
}

func route(routes []Route, lbls map[string]string) string {
	for i := range routes {
		r := &routes[i]
		if !r.Matchers.Matches(lbls) {
			continue
		}
		if s := route(r.Routes, lbls); s != "" {
			return s
		}
		if r.Service != "" {
			return r.Service
		}
	}
	return ""
}

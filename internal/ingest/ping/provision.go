package ping

import (
	"context"
	"net/http"
)

// Provisioner makes a missing check for a ping by slug that asks for it
// (/ping/<ping-key>/<slug>?create=1), as Healthchecks' auto-provisioning
// does. It reports whether the check exists afterwards (false: a cap on
// such checks was reached, and the ping is not found) and whether this
// call made it.
type Provisioner func(ctx context.Context, slug string) (exists, created bool, err error)

// provision makes the check of route's slug when the request asks for it
// with ?create=1 and the handler has a Provisioner; exists false: the ping
// is not found.
func (h *Handler) provision(r *http.Request, route Route) (exists, created bool) {
	if h.Provision == nil || route.Slug == "" || r.URL.RawQuery == "" || r.URL.Query().Get("create") != "1" {
		return false, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.Timeout)
	defer cancel()
	exists, created, err := h.Provision(ctx, route.Slug)
	if err != nil {
		h.Log.Warn("auto-provision check", "slug", route.Slug, "err", err)
		return false, false
	}
	return exists, created
}

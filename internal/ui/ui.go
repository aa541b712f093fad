// Package ui serves the responder's web pages: server-rendered HTML
// (html/template, assets embedded in the binary), usable without
// JavaScript and on a 375 px phone, in light and dark.
//
// The pages read through the store as the API does and act through the
// web server's domain calls (web.Server's exported methods), the very calls
// the API's handlers make: a change made on a page takes the same path,
// lands on the same timeline and in the same audit log, as one made
// through the API. The server mounts Routes under its own authentication,
// so that a page asks a person without a session to log in and then
// returns them to it.
package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// UI is the responder's pages, served by one web.Server.
type UI struct {
	srv    *web.Server
	pages  map[string]*template.Template // by page name: layout.html and templates/<name>.html
	assets map[string]asset              // by file name

	dashCache dashboardCache // the dashboard's content built lately
	live      liveStreams    // the incident pages' event streams
}

// New parses every page template and reads the assets; an error is a bug
// in the templates and stops the start.
func New(srv *web.Server) (*UI, error) {
	u := &UI{srv: srv, pages: map[string]*template.Template{}, assets: map[string]asset{}, live: newLiveStreams()}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, file := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(u.funcs()).ParseFS(templateFS, "templates/layout.html", file)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	files, err := fs.ReadDir(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		body, err := assetFS.ReadFile("assets/" + f.Name())
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(body)
		u.assets[f.Name()] = asset{body: body, version: hex.EncodeToString(sum[:6])}
	}
	return u, nil
}

// Routes are the pages, with the least role each needs. Page marks the
// ones a person opens in a browser: without a session they redirect to the
// login page.
func (u *UI) Routes() []auth.Route {
	var routes []auth.Route
	for _, group := range [][]auth.Route{
		u.assetRoutes(),
		u.incidentRoutes(),
		u.incidentFieldRoutes(),
		u.incidentScopeRoutes(),
		u.postmortemRoutes(),
		u.actionItemRoutes(),
		u.alertsRoutes(),
		u.integrationRoutes(),
		u.adminRoutes(),
		u.oncallRoutes(),
		u.dashboardRoutes(),
	} {
		routes = append(routes, group...)
	}
	return routes
}

// page is a route of a page: GETs are pages, POSTs the forms on them,
// which answer with a redirect (and, without a session, are refused, as
// the form they came from needed one).
func page(pattern string, role auth.Role, h http.HandlerFunc) auth.Route {
	return auth.Route{Pattern: pattern, Role: role, Handler: h, Page: true}
}

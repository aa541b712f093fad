package statuspage

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNoPage is what a Source returns (wrapped or not) for a slug that
// names no public page.
var ErrNoPage = errors.New("no such status page")

// Source gives the current View of a page. The version changes whenever
// anything the View shows changes, and only then: rendered documents are
// cached by it.
type Source interface {
	View(ctx context.Context, slug string) (*View, uint64, error)
}

// Option configures a Handler.
type Option func(*Handler)

// WithRenderOptions sets what each page's HTML shows beyond its View (the
// subscription form); by default none.
func WithRenderOptions(f func(slug string) RenderOptions) Option {
	return func(h *Handler) { h.renderOpts = f }
}

// WithMaxAge sets how long clients and proxies may reuse a response
// without asking again; default 30 s.
func WithMaxAge(d time.Duration) Option {
	return func(h *Handler) { h.cacheControl = "public, max-age=" + strconv.Itoa(int(d.Seconds())) }
}

// WithLogger sets where failures of the Source or of rendering are logged.
func WithLogger(log *slog.Logger) Option {
	return func(h *Handler) { h.log = log }
}

// Handler serves public status pages under /status/{slug}: the HTML page,
// the JSON documents of Statuspage's public API under api/v2/, the Atom
// feed and the badges. Each rendered document is cached for the version
// of the page it was rendered from, so that many readers of one version
// cost one rendering.
type Handler struct {
	src          Source
	renderOpts   func(string) RenderOptions
	cacheControl string
	log          *slog.Logger
	mux          *http.ServeMux

	mu    sync.Mutex
	cache map[docKey]*rendered

	renders atomic.Int64 // renderings done, for tests of the cache
}

// docKey names one document of one page; the cache holds the latest
// version of each.
type docKey struct {
	slug, doc string
}

// rendered is one document of one version, rendered once.
type rendered struct {
	version uint64
	at      time.Time // when its View was computed
	opts    RenderOptions
	once    sync.Once
	body    []byte
	etag    string
	err     error
}

// NewHandler returns a Handler reading pages from src.
func NewHandler(src Source, opts ...Option) *Handler {
	h := &Handler{src: src, cacheControl: "public, max-age=30", log: slog.New(slog.DiscardHandler),
		renderOpts: func(string) RenderOptions { return RenderOptions{} }, cache: map[docKey]*rendered{}}
	for _, o := range opts {
		o(h)
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /status/{slug}", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, r.PathValue("slug"), "")
	})
	h.mux.HandleFunc("GET /status/{slug}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, r.PathValue("slug"), r.PathValue("rest"))
	})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		notFound(w, r.URL.Path)
	})
	return h
}

// ServeHTTP serves the routes under /status/{slug}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ServeHost serves the page slug at the root of a host of its own (its
// configured hostname): "/" is its HTML page, and the other documents sit
// where they do under /status/{slug} (/api/v2/summary.json, /history.atom,
// /badge.svg, ...), as on Statuspage's custom domains.
func (h *Handler) ServeHost(w http.ResponseWriter, r *http.Request, slug string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.serve(w, r, slug, strings.TrimPrefix(r.URL.Path, "/"))
}

// document names what a path under a page asks for and how it is served.
type document struct {
	name        string // cache key: "html", "api/v2/summary.json", "badge", "component:<id>"
	contentType string
	render      func(v *View, opts RenderOptions) ([]byte, bool, error) // ok false: not found
}

func route(rest string) (document, bool) {
	switch rest {
	case "":
		return document{"html", "text/html; charset=utf-8", func(v *View, o RenderOptions) ([]byte, bool, error) {
			b, err := HTML(v, o)
			return b, true, err
		}}, true
	case "history.atom":
		return document{"atom", "application/atom+xml; charset=utf-8", func(v *View, _ RenderOptions) ([]byte, bool, error) {
			b, err := Atom(v)
			return b, true, err
		}}, true
	case "badge.svg":
		return document{"badge", "image/svg+xml", func(v *View, _ RenderOptions) ([]byte, bool, error) {
			b, err := PageBadge(v)
			return b, true, err
		}}, true
	}
	if doc, ok := strings.CutPrefix(rest, "api/v2/"); ok {
		for _, d := range JSONDocuments {
			if d == doc {
				return document{rest, "application/json; charset=utf-8", func(v *View, _ RenderOptions) ([]byte, bool, error) {
					b, err := JSON(v, d)
					return b, true, err
				}}, true
			}
		}
		return document{}, false
	}
	if id, ok := strings.CutPrefix(rest, "components/"); ok {
		if id, ok = strings.CutSuffix(id, "/badge.svg"); ok && id != "" && !strings.Contains(id, "/") {
			return document{"component:" + id, "image/svg+xml", func(v *View, _ RenderOptions) ([]byte, bool, error) {
				return ComponentBadge(v, id)
			}}, true
		}
	}
	return document{}, false
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, slug, rest string) {
	rest = strings.TrimSuffix(rest, "/")
	doc, ok := route(rest)
	if !ok {
		notFound(w, rest)
		return
	}
	v, version, err := h.src.View(r.Context(), slug)
	if errors.Is(err, ErrNoPage) {
		notFound(w, rest)
		return
	}
	if err != nil {
		h.log.Error("status page view", "slug", slug, "err", err)
		unavailable(w, rest)
		return
	}
	opts := RenderOptions{}
	if doc.name == "html" {
		opts = h.renderOpts(slug)
	}
	body, etag, found, err := h.rendered(slug, doc, v, version, opts)
	if err != nil {
		h.log.Error("render status page", "slug", slug, "document", doc.name, "err", err)
		unavailable(w, rest)
		return
	}
	if !found {
		notFound(w, rest)
		return
	}
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", h.cacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	if doc.name == "html" {
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
	} else {
		// Statuspage's public documents are read from other origins by
		// widgets and dashboards.
		hd.Set("Access-Control-Allow-Origin", "*")
	}
	if doc.contentType == "image/svg+xml" {
		hd.Set("Content-Security-Policy", "default-src 'none'")
	}
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", doc.contentType)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// rendered returns doc of version rendered from v, rendering it if no
// request did yet; concurrent requests for it wait for one rendering.
func (h *Handler) rendered(slug string, doc document, v *View, version uint64, opts RenderOptions) (body []byte, etag string, found bool, err error) {
	key := docKey{slug, doc.name}
	h.mu.Lock()
	e := h.cache[key]
	if e == nil || e.version != version || e.opts != opts {
		// A newer View replaces the old; a request still holding an older
		// one renders it apart instead of evicting the new one. Versions
		// are hashes: only the Views' times say which is newer.
		if e != nil && v.Now.Before(e.at) {
			h.mu.Unlock()
			b, ok, err := doc.render(v, opts)
			return b, makeETag(version, doc.name, opts), ok, err
		}
		e = &rendered{version: version, at: v.Now, opts: opts}
		h.cache[key] = e
	}
	h.mu.Unlock()
	e.once.Do(func() {
		h.renders.Add(1)
		var ok bool
		e.body, ok, e.err = doc.render(v, opts)
		if !ok && e.err == nil {
			e.body = nil
		}
		e.etag = makeETag(version, doc.name, opts)
	})
	if e.err != nil {
		// A failed rendering is not kept: the next request tries again.
		h.mu.Lock()
		if h.cache[key] == e {
			delete(h.cache, key)
		}
		h.mu.Unlock()
		return nil, "", false, e.err
	}
	if e.body == nil {
		// An unknown component: nothing cached for it.
		h.mu.Lock()
		if h.cache[key] == e {
			delete(h.cache, key)
		}
		h.mu.Unlock()
		return nil, "", false, nil
	}
	return e.body, e.etag, true, nil
}

// makeETag is a strong validator: the same version of the same document
// with the same options is the same bytes.
func makeETag(version uint64, doc string, opts RenderOptions) string {
	f := fnv.New64a()
	f.Write([]byte(doc))
	if opts.Subscribe {
		f.Write([]byte{0, 1})
	}
	f.Write([]byte{0})
	f.Write([]byte(opts.SubscribeMessage))
	return `"` + strconv.FormatUint(version, 36) + "-" + strconv.FormatUint(f.Sum64(), 36) + `"`
}

// etagMatch applies If-None-Match's weak comparison (RFC 9110, 13.1.2).
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// notFound answers a path under a page that does not exist, saying no
// more than that: JSON for the API, a short page otherwise.
func notFound(w http.ResponseWriter, rest string) {
	answer(w, rest, http.StatusNotFound, "Not found", "There is no such status page or document.")
}

func unavailable(w http.ResponseWriter, rest string) {
	answer(w, rest, http.StatusServiceUnavailable, "Unavailable", "This status page cannot be shown right now; try again shortly.")
}

func answer(w http.ResponseWriter, rest string, code int, title, text string) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	if strings.HasPrefix(rest, "api/") {
		hd.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(`{"error":"` + strings.ToLower(title) + `"}` + "\n"))
		return
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(code)
	w.Write([]byte("<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><title>" +
		title + "</title><h1>" + title + "</h1><p>" + text + "</p></html>\n"))
}

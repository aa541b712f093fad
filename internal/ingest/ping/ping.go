// Package ping serves the Healthchecks-compatible ping API, so that cron
// wrappers written for Healthchecks work against Tocsin unchanged:
//
//	/ping/<uuid>[/start|/fail|/log|/<exit-status>]
//	/ping/<ping-key>/<slug>[/start|/fail|/log|/<exit-status>]
//
// with ?rid=<uuid> run ids, any of GET, HEAD and POST, and the request body
// kept as the ping's log. It answers "OK" only once the ping is committed.
package ping

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
)

// NeverCache is the Cache-Control of every ping and badge answer, Django's
// never_cache value, which Healthchecks sends.
const NeverCache = "max-age=0, no-cache, no-store, must-revalidate, private"

// Route is what a ping URL addresses.
type Route struct {
	UUID       string // set for the UUID forms
	Key, Slug  string // set for the ping-key forms
	Kind       tocsin.PingKind
	ExitStatus *int
}

// ErrBadURL is the error for URLs shaped like pings but invalid (an exit
// status over 255, an upper-case slug); unknown shapes are simply not found.
var ErrBadURL = errors.New("invalid url format")

// errNotFound is returned for URLs that address no ping route.
var errNotFound = errors.New("not found")

// ParsePath parses the part of a ping URL after "/ping/".
func ParsePath(rest string) (Route, error) {
	rest = strings.TrimSuffix(rest, "/")
	segs := strings.Split(rest, "/")
	var r Route
	var action string
	switch {
	case len(segs) == 1 && IsUUID(segs[0]):
		r.UUID = strings.ToLower(segs[0])
	case len(segs) == 2 && IsUUID(segs[0]) && isAction(segs[1]):
		r.UUID, action = strings.ToLower(segs[0]), segs[1]
	case len(segs) == 2:
		r.Key, r.Slug = segs[0], segs[1]
	case len(segs) == 3:
		r.Key, r.Slug, action = segs[0], segs[1], segs[2]
		if !isAction(action) {
			return Route{}, errNotFound
		}
	default:
		return Route{}, errNotFound
	}
	if r.UUID == "" {
		if r.Key == "" || r.Slug == "" {
			return Route{}, errNotFound
		}
		if strings.ToLower(r.Slug) != r.Slug {
			return Route{}, ErrBadURL
		}
	}
	r.Kind = tocsin.PingSuccess
	switch action {
	case "":
	case "start":
		r.Kind = tocsin.PingStart
	case "fail":
		r.Kind = tocsin.PingFail
	case "log":
		r.Kind = tocsin.PingLog
	default:
		code, err := strconv.Atoi(action)
		if err != nil || code > 255 {
			return Route{}, ErrBadURL
		}
		r.ExitStatus = &code
		if code != 0 {
			r.Kind = tocsin.PingFail
		}
	}
	return r, nil
}

func isAction(s string) bool {
	switch s {
	case "start", "fail", "log":
		return true
	}
	if s == "" {
		return false
	}
	// Any run of digits is an exit status; one over 255 is a bad one.
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Recorder stores pings.
type Recorder interface {
	Record(ctx context.Context, req heartbeat.Request) (heartbeat.Result, error)
}

// Settings are the parts of the running config the handler reads at each
// ping.
type Settings struct {
	BodyLimit      int            // bytes kept of a body
	PingKeySHA256  []byte         // SHA-256 of the ping key; nil: the ping-key forms are off
	TrustedProxies []netip.Prefix // peers whose X-Forwarded-For and X-Forwarded-Proto are believed
}

// Handler serves /ping/.
type Handler struct {
	Recorder Recorder
	Settings func() Settings
	// Exists reports whether a check has this UUID (when set) or slug. A
	// ping to no check is answered 404 before its body is read, so that
	// unknown URLs cost no memory. Nil: every ping goes to the recorder.
	Exists func(ctx context.Context, uuid, slug string) (bool, error)
	// BodyBudget bounds the bytes of ping bodies held at once (0:
	// DefaultBodyBudget); a ping that finds no room within BodyWait (0:
	// DefaultBodyWait) is answered 503 with Retry-After.
	BodyBudget int64
	BodyWait   time.Duration
	Log        *slog.Logger
	// Timeout bounds how long a ping waits for its commit.
	Timeout time.Duration
	// Provision makes the missing check of a ping by slug with ?create=1
	// (provision.go); nil: such pings are not found. It needs Exists.
	Provision Provisioner

	once   sync.Once
	bodies *budget
	known  *known
}

func (h *Handler) init() {
	size := h.BodyBudget
	if size <= 0 {
		size = DefaultBodyBudget
	}
	wait := h.BodyWait
	if wait <= 0 {
		wait = DefaultBodyWait
	}
	h.bodies = newBudget(size, wait)
	if h.Exists != nil {
		h.known = &known{exists: h.Exists, set: map[target]struct{}{}}
	}
}

// ServeHTTP handles one ping.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	// What Healthchecks sends (Django's never_cache): no cache, the
	// browser's included, answers a ping in place of the server.
	w.Header().Set("Cache-Control", NeverCache)
	set := h.Settings()
	limit := set.BodyLimit
	w.Header().Set("Ping-Body-Limit", strconv.Itoa(limit))
	// Any method pings, as in Healthchecks; only a CORS preflight is not a ping.
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	route, err := ParsePath(strings.TrimPrefix(r.URL.EscapedPath(), "/ping/"))
	if errors.Is(err, ErrBadURL) {
		reply(w, r, http.StatusBadRequest, "invalid url format")
		return
	}
	if err != nil {
		notFound(w, r)
		return
	}
	var rid string
	if r.URL.RawQuery != "" {
		rid = r.URL.Query().Get("rid")
	}
	if rid != "" && !IsUUID(rid) {
		reply(w, r, http.StatusBadRequest, "invalid uuid format")
		return
	}
	req := heartbeat.Request{UUID: route.UUID, Slug: route.Slug}
	var created bool // by ?create=1 (provision.go)
	if route.UUID == "" {
		sum := sha256.Sum256([]byte(route.Key))
		if set.PingKeySHA256 == nil || subtle.ConstantTimeCompare(sum[:], set.PingKeySHA256) != 1 {
			notFound(w, r)
			return
		}
	}
	if h.known != nil && !h.known.remembers(route.UUID, route.Slug) {
		ctx, cancel := context.WithTimeout(r.Context(), h.Timeout)
		found, err := h.known.has(ctx, route.UUID, route.Slug)
		cancel()
		if err != nil && r.Context().Err() == nil {
			h.Log.Warn("look up ping target", "err", err)
		}
		if !found {
			if found, created = h.provision(r, route); !found {
				notFound(w, r)
				return
			}
		}
	}
	var body []byte
	var truncated bool
	if hasBody(r) {
		n := bufferSize(r, limit)
		if !h.bodies.acquire(r.Context(), n) {
			w.Header().Set("Retry-After", retryAfter)
			w.Header().Set("Connection", "close")
			reply(w, r, http.StatusServiceUnavailable, "too many ping bodies in flight, try again")
			return
		}
		// Held until the ping is committed: the recorder holds the body
		// until then.
		defer h.bodies.release(n)
		var err error
		if body, truncated, err = readBody(r, n, limit); err != nil {
			reply(w, r, http.StatusBadRequest, "could not read request body")
			return
		}
	}
	proto := scheme(r, false)
	if fromTrustedProxy(r, set.TrustedProxies) {
		proto = scheme(r, true)
	}
	req.Ping = tocsin.Ping{Kind: route.Kind, ExitStatus: route.ExitStatus, RID: strings.ToLower(rid), Method: r.Method,
		RemoteAddr: clientAddr(r, set.TrustedProxies), Scheme: proto, UserAgent: cleanText(r.UserAgent(), maxUserAgent),
		Body: body, Truncated: truncated}
	ctx, cancel := context.WithTimeout(r.Context(), h.Timeout)
	defer cancel()
	res, err := h.Recorder.Record(ctx, req)
	switch {
	case tocsin.ErrorCode(err) == tocsin.EInvalid: // the store refused this ping's content: retrying cannot help
		h.Log.Warn("ping refused", "err", err)
		reply(w, r, http.StatusBadRequest, tocsin.ErrorMessage(err))
	case err != nil:
		h.Log.Error("record ping", "err", err)
		reply(w, r, http.StatusServiceUnavailable, "ping not stored, try again")
	case res.Ambiguous:
		reply(w, r, http.StatusConflict, "ambiguous slug")
	case !res.Found:
		if h.known != nil {
			h.known.forget(route.UUID, route.Slug)
		}
		reply(w, r, http.StatusNotFound, "not found")
	case created:
		reply(w, r, http.StatusCreated, "Created")
	default:
		reply(w, r, http.StatusOK, "OK")
	}
}

// hasBody reports whether a body may follow the request's headers.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodHead && r.ContentLength != 0
}

// notFound answers a ping to nothing without reading its body; if one is
// on its way the connection is closed rather than kept for the next
// request, so that the server does not wait for a body nobody wants.
func notFound(w http.ResponseWriter, r *http.Request) {
	if hasBody(r) {
		w.Header().Set("Connection", "close")
	}
	reply(w, r, http.StatusNotFound, "not found")
}

// readBody reads the body into a buffer of size n (at most limit+1 bytes)
// and reports whether there was more than limit.
func readBody(r *http.Request, n, limit int) ([]byte, bool, error) {
	buf := make([]byte, n)
	got, err := io.ReadFull(r.Body, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, false, err
	}
	if got > limit {
		return buf[:limit], true, nil
	}
	return buf[:got], false, nil
}

func reply(w http.ResponseWriter, r *http.Request, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, text)
	}
}

// scheme is the scheme the client used: X-Forwarded-Proto's when it comes
// from a trusted proxy.
func scheme(r *http.Request, forwarded bool) string {
	if forwarded {
		switch p := r.Header.Get("X-Forwarded-Proto"); p {
		case "http", "https":
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

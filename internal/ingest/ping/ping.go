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
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
)

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

// Handler serves /ping/.
type Handler struct {
	Recorder Recorder
	// Settings returns the current body limit and the SHA-256 of the ping
	// key (nil: the ping-key forms are off).
	Settings func() (bodyLimit int, pingKeySHA256 []byte)
	Log      *slog.Logger
	// Timeout bounds how long a ping waits for its commit.
	Timeout time.Duration
}

// ServeHTTP handles one ping.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cache-Control", "no-store")
	limit, keyHash := h.Settings()
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
		reply(w, r, http.StatusNotFound, "not found")
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
	if route.UUID == "" {
		sum := sha256.Sum256([]byte(route.Key))
		if keyHash == nil || subtle.ConstantTimeCompare(sum[:], keyHash) != 1 {
			reply(w, r, http.StatusNotFound, "not found")
			return
		}
	}
	body, truncated, err := readBody(r, limit)
	if err != nil {
		reply(w, r, http.StatusBadRequest, "could not read request body")
		return
	}
	ua := r.UserAgent()
	if len(ua) > 200 {
		ua = ua[:200]
	}
	req.Ping = tocsin.Ping{Kind: route.Kind, ExitStatus: route.ExitStatus, RID: strings.ToLower(rid), Method: r.Method,
		RemoteAddr: remoteAddr(r), Scheme: scheme(r), UserAgent: ua, Body: body, Truncated: truncated}
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
		reply(w, r, http.StatusNotFound, "not found")
	default:
		reply(w, r, http.StatusOK, "OK")
	}
}

// readBody reads at most limit bytes and reports whether there was more.
func readBody(r *http.Request, limit int) ([]byte, bool, error) {
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodHead {
		return nil, false, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > limit {
		return b[:limit], true, nil
	}
	return b, false, nil
}

func reply(w http.ResponseWriter, r *http.Request, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		io.WriteString(w, text)
	}
}

// remoteAddr is the client address, preferring the first X-Forwarded-For
// entry (with a port stripped) as Healthchecks does.
func remoteAddr(r *http.Request) string {
	addr := r.RemoteAddr
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		addr = strings.TrimSpace(strings.Split(xff, ",")[0])
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if len(addr) > 64 {
		addr = addr[:64]
	}
	return addr
}

func scheme(r *http.Request) string {
	switch p := r.Header.Get("X-Forwarded-Proto"); p {
	case "http", "https":
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/runtime"
)

// Bounds of what the API computes.
const (
	maxShiftsWindow = 90 * 24 * time.Hour
	feedPast        = 7 * 24 * time.Hour
	feedAhead       = 60 * 24 * time.Hour
)

func (s *Server) onCall() *runtime.OnCall {
	if oc := s.Snapshots.Load().OnCall; oc != nil {
		return oc
	}
	return &runtime.OnCall{}
}

// schedule is the schedule of the path, with the overrides made at run
// time that overlap [from, to).
func (s *Server) schedule(w http.ResponseWriter, r *http.Request, from, to time.Time) (*oncall.Schedule, bool) {
	sched, err := s.OnCallSchedule(r.Context(), r.PathValue("name"), from, to)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return sched, true
}

// feedToken signs a feed's path.
func feedToken(key []byte, path string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("tocsin-ical:" + path))
	return hex.EncodeToString(m.Sum(nil))
}

// feedURL is the address of a calendar feed, or "" when feeds are off.
func (s *Server) feedURL(path string) string {
	key := s.onCall().FeedKey
	if key == nil {
		return ""
	}
	return s.Snapshots.Load().Env.PublicURL + path + "?token=" + url.QueryEscape(feedToken(key, path))
}

type scheduleJSONOut struct {
	Name     string   `json:"name"`
	TZ       string   `json:"tz"`
	OnCallAt []string `json:"on_call_now"`
	ICalURL  string   `json:"ical_url,omitempty"`
}

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	now := s.Clock.Now()
	scheds, err := s.OnCallSchedules(r.Context(), now, now.Add(time.Millisecond))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]scheduleJSONOut, 0, len(scheds))
	for _, name := range sortedKeys(scheds) {
		sched := scheds[name]
		out = append(out, scheduleJSONOut{Name: name, TZ: sched.Loc.String(), OnCallAt: nonNilStrings(sched.OnCall(now)),
			ICalURL: s.feedURL("/ical/schedules/" + url.PathEscape(name))})
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedules": out})
}

// scheduleOnCall answers who is on call at ?at= (RFC 3339; default now).
func (s *Server) scheduleOnCall(w http.ResponseWriter, r *http.Request) {
	at := s.Clock.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, tocsin.Errorf(tocsin.EInvalid, "at: %q is not an RFC 3339 time", v))
			return
		}
		at = t
	}
	sched, ok := s.schedule(w, r, at, at.Add(time.Millisecond))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"at": at.Format(time.RFC3339), "users": nonNilStrings(sched.OnCall(at))})
}

type shiftJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Users []string  `json:"users"` // empty: a gap, nobody on call
}

// scheduleShifts lists the shifts (and gaps) from ?from= to ?to= (default:
// the next 7 days; at most 90 days).
func (s *Server) scheduleShifts(w http.ResponseWriter, r *http.Request) {
	from, to := s.Clock.Now(), time.Time{}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, tocsin.Errorf(tocsin.EInvalid, "%s: %q is not an RFC 3339 time", p.name, v))
				return
			}
			*p.t = t
		}
	}
	if to.IsZero() {
		to = from.Add(7 * 24 * time.Hour)
	}
	if !to.After(from) || to.Sub(from) > maxShiftsWindow {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "to must be after from, by at most 90 days"))
		return
	}
	sched, ok := s.schedule(w, r, from, to)
	if !ok {
		return
	}
	out := []shiftJSON{}
	for _, sh := range sched.Shifts(from, to) {
		out = append(out, shiftJSON{Start: sh.Start.UTC(), End: sh.End.UTC(), Users: nonNilStrings(sh.Users)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedule": sched.Name, "from": from.UTC(), "to": to.UTC(), "shifts": out})
}

type userJSONOut struct {
	Name     string   `json:"name"`
	OnCallIn []string `json:"on_call_now_in"`
	ICalURL  string   `json:"ical_url,omitempty"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	oc, now := s.onCall(), s.Clock.Now()
	scheds, err := s.OnCallSchedules(r.Context(), now, now.Add(time.Millisecond))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]userJSONOut, 0, len(oc.Users))
	for _, u := range oc.Users {
		j := userJSONOut{Name: u, OnCallIn: []string{}, ICalURL: s.UserFeedURL(u)}
		for _, name := range sortedKeys(scheds) {
			if slices.Contains(scheds[name].OnCall(now), u) {
				j.OnCallIn = append(j.OnCallIn, name)
			}
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// scheduleFeed and userFeed serve iCalendar feeds to calendar apps, which
// cannot send a bearer token: the signed token in the URL stands for it.
// A wrong token and an unknown name get the same 404.
func (s *Server) scheduleFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := s.onCall().Schedules[name]; !ok || !s.feedAllowed(r, "/ical/schedules/"+url.PathEscape(name)) {
		writeError(w, tocsin.Errorf(tocsin.ENotFound, "no such feed"))
		return
	}
	now := s.Clock.Now()
	sched, err := s.OnCallSchedule(r.Context(), name, now.Add(-feedPast), now.Add(feedAhead))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events := oncall.Events(name, sched.Shifts(now.Add(-feedPast), now.Add(feedAhead)), "")
	s.writeFeed(w, r, name+" on call", events, now)
}

func (s *Server) userFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	oc := s.onCall()
	if !slices.Contains(oc.Users, name) || !s.feedAllowed(r, "/ical/users/"+url.PathEscape(name)) {
		writeError(w, tocsin.Errorf(tocsin.ENotFound, "no such feed"))
		return
	}
	now := s.Clock.Now()
	scheds, err := s.OnCallSchedules(r.Context(), now.Add(-feedPast), now.Add(feedAhead))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var events []oncall.Event
	for _, sn := range sortedKeys(scheds) {
		events = append(events, oncall.Events(sn, scheds[sn].Shifts(now.Add(-feedPast), now.Add(feedAhead)), name)...)
	}
	s.writeFeed(w, r, name+" on call", events, now)
}

func (s *Server) feedAllowed(r *http.Request, path string) bool {
	key := s.onCall().FeedKey
	return key != nil && hmac.Equal([]byte(r.URL.Query().Get("token")), []byte(feedToken(key, path)))
}

func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, name string, events []oncall.Event, now time.Time) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Cache-Control", "private, max-age=300")
	if err := oncall.WriteICal(w, name, events, now); err != nil {
		s.Log.Warn("write calendar feed", "err", err)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

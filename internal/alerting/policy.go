// Package alerting turns alerts pushed by other tools into incidents: it
// routes each alert to a service, keeps silenced alerts quiet, attaches
// inhibited alerts (symptoms) to the incident of the alert that inhibits them
// (the cause), gathers the rest into one incident per group of the service,
// waits group_wait before the first page, and resolves the incident when its
// alerts resolve. All of it runs on one goroutine, so that two deliveries of
// one alert never race, and every decision is committed before the sender
// hears OK.
package alerting

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/cron"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/labels"
)

// Service is where routed alerts go.
type Service struct {
	Name             string
	Notify           []string // channels
	GroupBy          []string // empty: every alert is its own incident
	GroupWait        time.Duration
	EscalationPolicy string // people paged through it after the first page; "" for channels only
	Team             string
}

// Route is a node of the routing tree.
type Route struct {
	Matchers labels.Set
	Service  string // empty: only the children decide
	Routes   []Route
}

// InhibitRule keeps target alerts from paging while a source alert with the
// same values of the Equal labels fires.
type InhibitRule struct {
	Source labels.Set
	Target labels.Set
	Equal  []string
}

// Policy is the routing, grouping and inhibition config, swapped whole on
// reload.
type Policy struct {
	Services  map[string]Service
	Routes    []Route
	Inhibit   []InhibitRule
	Directory *escalation.Directory // users, schedules and policies; nil: none
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

// GroupKey is the group an alert of service s joins: the values of the
// service's group_by labels, or the alert itself (its integration and key,
// a PagerDuty event's dedup_key) when the service groups by nothing or the
// alert lacks any of those labels. An alert without a label the service
// groups by says nothing about what it belongs with; lumping every such
// alert into one incident would make a PagerDuty event (which carries only
// component, group and class) join unrelated ones, so it stands alone, as
// in PagerDuty.
func GroupKey(s Service, a *tocsin.AlertRecord) string {
	lacks := false
	for _, name := range s.GroupBy {
		if a.Labels[name] == "" {
			lacks = true
			break
		}
	}
	if len(s.GroupBy) == 0 || lacks {
		return "alert:" + a.Integration + "/" + a.Key
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range s.GroupBy {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(a.Labels[name]))
	}
	b.WriteByte('}')
	return b.String()
}

// isSource reports whether an alert with these labels can inhibit others.
func (p *Policy) isSource(lbls map[string]string) bool {
	for i := range p.Inhibit {
		if p.Inhibit[i].Source.Matches(lbls) {
			return true
		}
	}
	return false
}

// inhibits reports whether rule r lets an alert with the source labels
// inhibit one with the target labels.
func (r *InhibitRule) inhibits(source, target map[string]string) bool {
	if !r.Source.Matches(source) || !r.Target.Matches(target) {
		return false
	}
	for _, name := range r.Equal {
		if source[name] != target[name] {
			return false
		}
	}
	return true
}

// Silence is a stored silence with its matchers and schedule compiled.
type Silence struct {
	*tocsin.Silence
	set   labels.Set
	sched *cron.Schedule // recurring windows; nil for a fixed silence
}

// CompileSilence checks a silence and readies it for matching. Its errors
// are meant for the person who wrote it.
func CompileSilence(s *tocsin.Silence) (*Silence, error) {
	if len(s.Matchers) == 0 {
		return nil, tocsin.Errorf(tocsin.EInvalid, "matchers: at least one matcher is required")
	}
	set, err := labels.ParseSet(s.Matchers)
	if err != nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "matchers%s", err)
	}
	// As in Alertmanager: a silence must say what it silences, not match
	// every alert by accident (team=~".*").
	if set.Matches(map[string]string{}) {
		return nil, tocsin.Errorf(tocsin.EInvalid, "matchers: at least one matcher must not match an empty or absent label, or the silence would match every alert")
	}
	c := &Silence{Silence: s, set: set}
	if !s.StartsAt.IsZero() && !s.EndsAt.IsZero() && !s.EndsAt.After(s.StartsAt) {
		return nil, tocsin.Errorf(tocsin.EInvalid, "ends_at: must be after starts_at")
	}
	if s.Cron == "" {
		if s.EndsAt.IsZero() {
			return nil, tocsin.Errorf(tocsin.EInvalid, "ends_at: required for a silence without cron")
		}
		if s.Duration != 0 || s.TZ != "" {
			return nil, tocsin.Errorf(tocsin.EInvalid, "duration and tz: only for a recurring silence (with cron)")
		}
		return c, nil
	}
	if s.Duration <= 0 || s.Duration > 7*24*time.Hour {
		return nil, tocsin.Errorf(tocsin.EInvalid, "duration: must be more than 0 and at most 7d")
	}
	if c.sched, err = cron.NewSchedule(s.Cron, s.TZ); err != nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "cron: %v", err)
	}
	return c, nil
}

// Matches reports whether the silence covers an alert's labels (at any time).
func (s *Silence) Matches(lbls map[string]string) bool { return s.set.Matches(lbls) }

// ActiveAt reports whether the silence is in force at t.
func (s *Silence) ActiveAt(t time.Time) bool {
	_, ok := s.window(t)
	return ok
}

// window returns the end of the window in force at t, if any.
func (s *Silence) window(t time.Time) (time.Time, bool) {
	if !s.ExpiredAt.IsZero() && !t.Before(s.ExpiredAt) ||
		!s.StartsAt.IsZero() && t.Before(s.StartsAt) ||
		!s.EndsAt.IsZero() && !t.Before(s.EndsAt) {
		return time.Time{}, false
	}
	end := s.EndsAt
	if !s.ExpiredAt.IsZero() && (end.IsZero() || s.ExpiredAt.Before(end)) {
		end = s.ExpiredAt
	}
	if s.sched == nil {
		return end, true
	}
	// Fire times are whole seconds: the last one at or before t is the
	// last one before the next whole second.
	fire, err := s.sched.Expr.Prev(t.Truncate(time.Second).Add(time.Second), s.sched.Loc)
	if err != nil {
		return time.Time{}, false
	}
	wend := fire.Add(s.Duration)
	if !t.Before(wend) {
		return time.Time{}, false
	}
	if !end.IsZero() && end.Before(wend) {
		wend = end
	}
	return wend, true
}

// Describe says when the silence is in force, for timelines.
func (s *Silence) Describe() string {
	name := "silence " + strconv.FormatInt(s.ID, 10)
	if s.Name != "" {
		name += " (" + s.Name + ")"
	}
	if s.sched != nil {
		return fmt.Sprintf("%s, a %s window %s", name, tocsin.FormatDuration(s.Duration), s.sched.String())
	}
	return fmt.Sprintf("%s until %s", name, s.EndsAt.UTC().Format(time.RFC3339))
}

// silenceSet is the live silences, by ID.
type silenceSet struct {
	list []*Silence
	byID map[int64]*Silence
}

func newSilenceSet(list []*Silence) *silenceSet {
	set := &silenceSet{list: list, byID: make(map[int64]*Silence, len(list))}
	for _, s := range list {
		set.byID[s.ID] = s
	}
	return set
}

// silencing returns the silence in force at t that covers lbls, if any:
// the one that lasts longest, so that the alert is looked at again as late
// as needed and no later.
func (set *silenceSet) silencing(lbls map[string]string, t time.Time) *Silence {
	var best *Silence
	var bestEnd time.Time
	for _, s := range set.list {
		if !s.Matches(lbls) {
			continue
		}
		end, ok := s.window(t)
		if !ok {
			continue
		}
		// A zero end is no end: nothing lasts longer.
		if best == nil || !bestEnd.IsZero() && (end.IsZero() || end.After(bestEnd)) {
			best, bestEnd = s, end
		}
	}
	return best
}

// nextEnd is the earliest end after t of a window in force at t.
func (set *silenceSet) nextEnd(t time.Time) time.Time {
	var next time.Time
	for _, s := range set.list {
		if end, ok := s.window(t); ok && !end.IsZero() && (next.IsZero() || end.Before(next)) {
			next = end
		}
	}
	return next
}

package alerting

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/cron"
	"github.com/tocsinhq/tocsin/internal/labels"
)

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

// ServiceLabel is a label silences see on every alert routed to a
// service, besides the alert's own labels: its value is the service, so
// that one silence holds a whole service (a status page's maintenance
// window does), whatever labels its alerts carry.
const ServiceLabel = "tocsin_service"

// silenceLabels are the labels a silence is matched against: the alert's,
// and ServiceLabel.
func silenceLabels(a *tocsin.AlertRecord) map[string]string {
	if a.Service == "" {
		return a.Labels
	}
	out := make(map[string]string, len(a.Labels)+1)
	maps.Copy(out, a.Labels)
	out[ServiceLabel] = a.Service
	return out
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

// releaseEnded takes again the alerts held by silences no longer in force,
// at most releasesPerTick of them; left says whether some are still held.
func (w *work) releaseEnded() (left bool, err error) {
	ids, err := w.tx.SilencingIDs(w.ctx)
	if err != nil {
		return false, err
	}
	released := 0
	for _, id := range ids {
		if s := w.silences.byID[id]; s != nil && s.ActiveAt(w.now) {
			continue
		}
		held, err := w.tx.AlertsSuppressedBy(w.ctx, tocsin.SuppressedSilence, id)
		if err != nil {
			return false, err
		}
		for _, a := range held {
			if released == releasesPerTick {
				return true, nil
			}
			released++
			if err := w.reevaluate(a, "silence "+itoa(id)+" ended"); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

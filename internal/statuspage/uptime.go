package statuspage

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Uptime bars are cut from history, days from midnight to midnight in the
// page's zone (23 or 25 hours across a DST change):
//   - a probe from its hourly rollups (kept as long as the bars are
//     long): an hour with runs is monitored, and down for the share of
//     its runs that failed, degraded when its mean latency was over the
//     component's slow_over;
//   - a heartbeat check from its creation on, down while an incident of
//     it was open;
//   - a service from the component's creation on, down while an incident
//     of it was open.
// A component is down while any of its bindings is, in major outage
// while all those monitored are; a day nothing was monitored is unknown.

// reread is how far before the newest hourly rollup a page last read its
// probes' rollups are read again: a probe run lands in the hour it
// started, which may have passed when it ends, and the hours before stay
// as they are.
const reread = time.Hour

// rollupCache keeps, per page, the hourly rollups of its probes that its
// bars were last cut from, so that a rebuild reads only the last hours
// again instead of 90 days of every probe (most of a View's cost).
type rollupCache struct {
	mu    sync.Mutex
	pages map[string]map[int64]cachedRollups
}

// cachedRollups are a probe's rollups from from on, oldest first.
type cachedRollups struct {
	from    time.Time
	rollups []store.Rollup
}

// hourly returns the hourly rollups since since of the probes ids, by
// probe, oldest first, as ProbeRollupsOf would, reading from the store
// only what may have changed since page last asked. The slices are
// shared: callers must not change them.
func (c *rollupCache) hourly(ctx context.Context, db *store.DB, page string, ids []int64, since time.Time) (map[int64][]store.Rollup, error) {
	c.mu.Lock()
	cached := c.pages[page]
	c.mu.Unlock()
	// One query from the earliest hour any probe needs again; a probe new
	// to the cache needs everything since since.
	from := time.Time{}
	for _, id := range ids {
		need := since
		if e, ok := cached[id]; ok && !e.from.After(since) {
			if n := len(e.rollups); n > 0 && e.rollups[n-1].Bucket.Add(-reread).After(since) {
				need = e.rollups[n-1].Bucket.Add(-reread)
			}
		}
		if from.IsZero() || need.Before(from) {
			from = need
		}
	}
	fresh, err := db.ProbeRollupsOf(ctx, ids, "hour", from)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]store.Rollup, len(ids))
	next := make(map[int64]cachedRollups, len(ids))
	for _, id := range ids {
		var kept []store.Rollup
		if e, ok := cached[id]; ok && !e.from.After(since) {
			for _, r := range e.rollups {
				if !r.Bucket.Before(since) && r.Bucket.Before(from) {
					kept = append(kept, r)
				}
			}
		}
		rs := append(kept, fresh[id]...)
		out[id] = rs
		next[id] = cachedRollups{from: since, rollups: rs}
	}
	c.mu.Lock()
	if c.pages == nil {
		c.pages = map[string]map[int64]cachedRollups{}
	}
	c.pages[page] = next
	c.mu.Unlock()
	return out, nil
}

// span is a stretch of time, end excluded.
type span struct{ from, to time.Time }

// track is one binding's history: when it was monitored, down, slow;
// each sorted and without overlaps.
type track struct{ monitored, down, slow []span }

// uptime computes the bars of page's components at now, in loc; created
// is when each component was first shown.
func (s *Service) uptime(ctx context.Context, page *config.StatusPage, ls []line, checks map[string]*tocsin.Check,
	created map[string]time.Time, now time.Time, loc *time.Location) (map[string][]Day, error) {
	y, m, d := now.In(loc).Date()
	first := time.Date(y, m, d-(barDays-1), 0, 0, 0, 0, loc)
	var probes, heartbeats []int64
	for _, c := range checks {
		if c.IsProbe() {
			probes = append(probes, c.ID)
		} else {
			heartbeats = append(heartbeats, c.ID)
		}
	}
	_, services := bindings(ls)
	// An hour bucket starts on a UTC hour: in a zone off by a half hour
	// the first one begins before the first day.
	rollups, err := s.rollups.hourly(ctx, s.DB, page.Slug, probes, first.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	spans, err := s.DB.IncidentSpans(ctx, heartbeats, services, first)
	if err != nil {
		return nil, err
	}
	out := map[string][]Day{}
	for _, l := range ls {
		if l.group {
			continue
		}
		var tracks []track
		for _, name := range l.cfg.Checks {
			c := checks[name]
			switch {
			case c == nil:
				continue // not synced yet: nothing was monitored
			case c.IsProbe():
				tracks = append(tracks, probeTrack(rollups[c.ID], l.cfg.SlowOver.D(), now))
			default:
				tracks = append(tracks, incidentTrack(c.CreatedAt, spans, func(sp store.IncidentSpan) bool { return sp.CheckID == c.ID }, now))
			}
		}
		for _, svc := range l.cfg.Services {
			tracks = append(tracks, incidentTrack(created[l.id], spans,
				func(sp store.IncidentSpan) bool { return sp.CheckID == 0 && sp.Service == svc }, now))
		}
		out[l.id] = days(tracks, first, loc, now)
	}
	return out, nil
}

// probeTrack is a probe's history from its hourly rollups.
func probeTrack(rollups []store.Rollup, slowOver time.Duration, now time.Time) track {
	var t track
	for _, r := range rollups {
		if r.Runs == 0 {
			continue
		}
		hour := span{r.Bucket, r.Bucket.Add(time.Hour)}
		if hour.to.After(now) {
			hour.to = now
		}
		if !hour.to.After(hour.from) {
			continue
		}
		t.monitored = append(t.monitored, hour)
		if failed := r.Runs - r.OKRuns; failed > 0 {
			t.down = append(t.down, span{hour.from, hour.from.Add(hour.to.Sub(hour.from) * time.Duration(failed) / time.Duration(r.Runs))})
		}
		if slowOver > 0 && r.MeanLatency > slowOver {
			t.slow = append(t.slow, hour)
		}
	}
	return t
}

// incidentTrack is the history of a binding monitored from a time on and
// down while the incidents it owns (of spans) were open.
func incidentTrack(from time.Time, spans []store.IncidentSpan, owns func(store.IncidentSpan) bool, now time.Time) track {
	var t track
	for _, sp := range spans {
		if !owns(sp) {
			continue
		}
		end := sp.ResolvedAt
		if end.IsZero() || end.After(now) {
			end = now
		}
		if sp.OpenedAt.Before(from) {
			from = sp.OpenedAt // it was watched when its incident opened
		}
		if end.After(sp.OpenedAt) {
			t.down = append(t.down, span{sp.OpenedAt, end})
		}
	}
	t.down = merge(t.down)
	if now.After(from) {
		t.monitored = []span{{from, now}}
	}
	return t
}

// merge sorts spans and joins those that overlap or touch.
func merge(ss []span) []span {
	slices.SortFunc(ss, func(a, b span) int { return a.from.Compare(b.from) })
	var out []span
	for _, s := range ss {
		if n := len(out); n > 0 && !s.from.After(out[n-1].to) {
			if s.to.After(out[n-1].to) {
				out[n-1].to = s.to
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// within returns the spans of ss that overlap [from, to).
func within(ss []span, from, to time.Time) []span {
	i := sort.Search(len(ss), func(i int) bool { return ss[i].to.After(from) })
	j := i
	for j < len(ss) && ss[j].from.Before(to) {
		j++
	}
	return ss[i:j]
}

// covers reports whether one of ss holds t.
func covers(ss []span, t time.Time) bool {
	for _, s := range ss {
		if !t.Before(s.from) && t.Before(s.to) {
			return true
		}
	}
	return false
}

// days cuts the tracks of a component into its bar: barDays days from
// first, in loc, the last one ending at now.
func days(tracks []track, first time.Time, loc *time.Location, now time.Time) []Day {
	out := make([]Day, barDays)
	y, m, d := first.Date()
	for i := range out {
		from := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		to := time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		if to.After(now) {
			to = now
		}
		out[i] = day(tracks, from, to)
	}
	return out
}

// day is one day of a bar, [from, to).
func day(tracks []track, from, to time.Time) Day {
	out := Day{Date: from, Worst: Operational}
	if !to.After(from) {
		return out
	}
	// The day falls into stretches in which no binding changes.
	cuts := []time.Time{from, to}
	type part struct{ monitored, down, slow []span }
	parts := make([]part, len(tracks))
	for i, t := range tracks {
		parts[i] = part{within(t.monitored, from, to), within(t.down, from, to), within(t.slow, from, to)}
		for _, ss := range [][]span{parts[i].monitored, parts[i].down, parts[i].slow} {
			for _, s := range ss {
				if s.from.After(from) && s.from.Before(to) {
					cuts = append(cuts, s.from)
				}
				if s.to.After(from) && s.to.Before(to) {
					cuts = append(cuts, s.to)
				}
			}
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	var watched time.Duration
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		monitored, down, slow := 0, 0, 0
		for _, p := range parts {
			switch {
			case covers(p.down, a):
				monitored++
				down++
			case covers(p.monitored, a):
				monitored++
				if covers(p.slow, a) {
					slow++
				}
			}
		}
		if monitored == 0 {
			continue
		}
		watched += b.Sub(a)
		st := Operational
		switch {
		case down > 0 && down == monitored:
			st = MajorOutage
		case down > 0:
			st = PartialOutage
		case slow > 0:
			st = DegradedPerformance
		}
		if down > 0 {
			out.Outage += b.Sub(a)
		}
		if st.Rank() > out.Worst.Rank() {
			out.Worst = st
		}
	}
	if watched > 0 {
		out.Known = true
		out.UptimePercent = 100 * float64(watched-out.Outage) / float64(watched)
	}
	return out
}

package cron

import (
	"errors"
	"fmt"
	"time"
)

// Horizon is how far ahead (or back) a search looks before giving up.
const Horizon = 50 * 365 * 24 * time.Hour

// ErrNoFire is returned when no fire time lies within the horizon.
var ErrNoFire = errors.New("no fire time within 50 years")

// maxCatchUp is the largest clock jump after which a fixed time in the gap
// still fires (at the end of the gap), as in Debian cron. A longer jump, such
// as a skipped calendar day, fires nothing for the skipped times.
const maxCatchUp = 3 * time.Hour

// Next returns the first fire time strictly after t, in loc.
//
// Fields are matched against the wall clock of loc. Two modes, chosen by the
// text alone:
//
//   - Fixed-time (five fields, neither minute nor hour starting with *): the
//     job runs "at this wall-clock time". A time inside a gap (clocks jump
//     forward by less than three hours) fires once, at the end of the gap;
//     a time that occurs twice fires at its first occurrence.
//   - Instant (otherwise): the job fires at every real instant whose wall
//     clock matches. A time inside a gap never fires; a time that occurs
//     twice fires twice.
func (e *Expr) Next(t time.Time, loc *time.Location) (time.Time, error) {
	if e.fixedTime {
		return e.fixedNext(t, loc)
	}
	return e.instantNext(t, loc)
}

// Prev returns the last fire time strictly before t, in loc.
func (e *Expr) Prev(t time.Time, loc *time.Location) (time.Time, error) {
	if e.fixedTime {
		return e.fixedPrev(t, loc)
	}
	return e.instantPrev(t, loc)
}

// wall is a wall-clock reading written as a UTC time: calendar arithmetic
// on it knows nothing of zones.
func wallOf(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	_, off := lt.Zone()
	return time.Unix(lt.Unix()+int64(off), 0).UTC()
}

// ceilSecond is the first whole second strictly after t.
func ceilSecond(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Second) }

// floorSecond is the last whole second strictly before t.
func floorSecond(t time.Time) time.Time {
	f := t.Truncate(time.Second)
	if f.Equal(t) {
		f = f.Add(-time.Second)
	}
	return f
}

// period is a stretch of time with one UTC offset: [start, end), either
// end open (zero).
type period struct {
	start, end time.Time
	off        int64
}

func periodAt(t time.Time, loc *time.Location) period {
	lt := t.In(loc)
	start, end := lt.ZoneBounds()
	_, off := lt.Zone()
	if !end.IsZero() && !end.After(t) {
		// Past its table of transitions, Go's ZoneBounds ends the period a
		// day early on 31 December of a leap year (the offset is right).
		// End it at the new year instead; a boundary where the offset does
		// not change is harmless here.
		end = time.Date(t.UTC().Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if start.After(t) {
		start = t
	}
	return period{start, end, int64(off)}
}

// instantNext walks the zone's offset periods forward: within one period
// wall time and real time move together, so the first matching wall time in
// a period's range is the first matching instant in it.
func (e *Expr) instantNext(t time.Time, loc *time.Location) (time.Time, error) {
	cur := ceilSecond(t)
	limit := cur.Add(Horizon)
	for cur.Before(limit) {
		p := periodAt(cur, loc)
		w, ok := e.nextWall(time.Unix(cur.Unix()+p.off, 0).UTC(), limit.Add(48*time.Hour))
		if !ok {
			break
		}
		at := time.Unix(w.Unix()-p.off, 0)
		if p.end.IsZero() || at.Before(p.end) {
			return at.In(loc), nil
		}
		cur = p.end
	}
	return time.Time{}, ErrNoFire
}

func (e *Expr) instantPrev(t time.Time, loc *time.Location) (time.Time, error) {
	cur := floorSecond(t)
	limit := cur.Add(-Horizon)
	for cur.After(limit) {
		p := periodAt(cur, loc)
		w, ok := e.prevWall(time.Unix(cur.Unix()+p.off, 0).UTC(), limit.Add(-48*time.Hour))
		if !ok {
			break
		}
		at := time.Unix(w.Unix()-p.off, 0)
		if p.start.IsZero() || !at.Before(p.start) {
			return at.In(loc), nil
		}
		cur = p.start.Add(-time.Second)
	}
	return time.Time{}, ErrNoFire
}

// resolve maps a wall-clock time to the instant a fixed-time job runs: the
// time itself, its first occurrence if it occurs twice, or the end of the
// gap it falls in. It reports false for a time skipped by a jump of
// maxCatchUp or more.
func resolve(w time.Time, loc *time.Location) (time.Time, bool) {
	ws := w.Unix()
	// An instant x reads w when x = w - off(x); offsets lie within
	// -12h..+14h, so x lies within w-14h..w+12h.
	cur := time.Unix(ws-15*3600, 0)
	stop := time.Unix(ws+13*3600, 0)
	var prev period
	havePrev := false
	for cur.Before(stop) {
		p := periodAt(cur, loc)
		x := time.Unix(ws-p.off, 0)
		if !x.Before(p.start) && (p.end.IsZero() || x.Before(p.end)) {
			return x, true // the first period that reads w holds its first occurrence
		}
		if havePrev && p.off > prev.off && ws >= p.start.Unix()+prev.off && ws < p.start.Unix()+p.off {
			// w falls in the gap the jump at p.start made.
			return p.start, time.Duration(p.off-prev.off)*time.Second < maxCatchUp
		}
		if p.end.IsZero() {
			break
		}
		prev, havePrev = p, true
		cur = p.end
	}
	return time.Time{}, false
}

// fixedNext scans matching wall times forward and maps each to its instant;
// the mapping never goes backwards, so the first one after t is the answer.
// Wall times just after t's reading may map before t (in the second pass of
// a repeated hour): they are skipped.
func (e *Expr) fixedNext(t time.Time, loc *time.Location) (time.Time, error) {
	// Start from t's own reading: the reading of the next second may lie
	// past a gap whose times still fire (at its end, after t).
	w := wallOf(t.Truncate(time.Second), loc).Add(time.Second)
	limit := w.Add(Horizon)
	for {
		next, ok := e.nextWall(w, limit)
		if !ok {
			return time.Time{}, ErrNoFire
		}
		if at, fires := resolve(next, loc); fires && at.After(t) {
			return at.In(loc), nil
		}
		w = next.Add(time.Second)
	}
}

// fixedPrev scans matching wall times backward from far enough past t's
// reading that every later wall time maps at or after t.
func (e *Expr) fixedPrev(t time.Time, loc *time.Location) (time.Time, error) {
	start := floorSecond(t)
	w := wallOf(start, loc).Add(maxShift(start, loc))
	limit := w.Add(-Horizon)
	for {
		prev, ok := e.prevWall(w, limit)
		if !ok {
			return time.Time{}, ErrNoFire
		}
		if at, fires := resolve(prev, loc); fires && at.Before(t) {
			return at.In(loc), nil
		}
		w = prev.Add(-time.Second)
	}
}

// maxShift bounds how far ahead of t's reading a wall time can be and still
// map before t: the largest drop of the offset in the two days around t.
func maxShift(t time.Time, loc *time.Location) time.Duration {
	_, off := t.In(loc).Zone()
	most := int64(off)
	cur := t.Add(-48 * time.Hour)
	for cur.Before(t.Add(48 * time.Hour)) {
		p := periodAt(cur, loc)
		most = max(most, p.off)
		if p.end.IsZero() {
			break
		}
		cur = p.end
	}
	return time.Duration(most-int64(off)) * time.Second
}

// nextWall is the first wall time at or after w that matches every field,
// or false if there is none before limit.
func (e *Expr) nextWall(w, limit time.Time) (time.Time, bool) {
	for w.Before(limit) {
		y, mo, d := w.Date()
		if !e.month.has(int(mo)) {
			m := e.month.next(int(mo))
			if m < 0 {
				w = time.Date(y+1, time.Month(e.month.next(1)), 1, 0, 0, 0, 0, time.UTC)
			} else {
				w = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
			}
			continue
		}
		if !e.dayMatches(y, mo, d) {
			w = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		h, mi, s := w.Clock()
		if !e.hour.has(h) {
			if nh := e.hour.next(h); nh >= 0 {
				w = time.Date(y, mo, d, nh, 0, 0, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			}
			continue
		}
		if !e.minute.has(mi) {
			if nm := e.minute.next(mi); nm >= 0 {
				w = time.Date(y, mo, d, h, nm, 0, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d, h+1, 0, 0, 0, time.UTC)
			}
			continue
		}
		if !e.second.has(s) {
			if ns := e.second.next(s); ns >= 0 {
				w = time.Date(y, mo, d, h, mi, ns, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d, h, mi+1, 0, 0, time.UTC)
			}
			continue
		}
		return w, true
	}
	return time.Time{}, false
}

// prevWall is the last wall time at or before w that matches every field,
// or false if there is none after limit.
func (e *Expr) prevWall(w, limit time.Time) (time.Time, bool) {
	for w.After(limit) {
		y, mo, d := w.Date()
		if !e.month.has(int(mo)) {
			m := e.month.prev(int(mo))
			if m < 1 {
				w = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second) // Dec 31 of last year
			} else {
				w = time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			}
			continue
		}
		if !e.dayMatches(y, mo, d) {
			w = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			continue
		}
		h, mi, s := w.Clock()
		if !e.hour.has(h) {
			if ph := e.hour.prev(h); ph >= 0 {
				w = time.Date(y, mo, d, ph, 59, 59, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Add(-time.Second)
			}
			continue
		}
		if !e.minute.has(mi) {
			if pm := e.minute.prev(mi); pm >= 0 {
				w = time.Date(y, mo, d, h, pm, 59, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d, h, 0, 0, 0, time.UTC).Add(-time.Second)
			}
			continue
		}
		if !e.second.has(s) {
			if ps := e.second.prev(s); ps >= 0 {
				w = time.Date(y, mo, d, h, mi, ps, 0, time.UTC)
			} else {
				w = time.Date(y, mo, d, h, mi, 0, 0, time.UTC).Add(-time.Second)
			}
			continue
		}
		return w, true
	}
	return time.Time{}, false
}

// Schedule is a cron expression in a time zone: a heartbeat schedule.
type Schedule struct {
	Expr *Expr
	Loc  *time.Location
}

// NewSchedule parses expr and loads zone (UTC if empty).
func NewSchedule(expr, zone string) (*Schedule, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", zone)
	}
	return &Schedule{Expr: e, Loc: loc}, nil
}

// Next returns the first fire time after t; false if none within the horizon.
func (s *Schedule) Next(t time.Time) (time.Time, bool) {
	n, err := s.Expr.Next(t, s.Loc)
	return n, err == nil
}

// String describes the schedule for people.
func (s *Schedule) String() string { return Explain(s.Expr, s.Loc) }

// TimeFormat is RFC 3339 with the numeric UTC offset always written
// (+00:00, never Z), whole seconds: how fire times are printed.
const TimeFormat = "2006-01-02T15:04:05-07:00"

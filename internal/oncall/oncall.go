// Package oncall answers "who is on call at T" and "what are the next
// shifts" for schedules made of rotations, layers with restrictions and
// overrides, exactly across daylight-saving changes.
//
// A schedule is a stack of layers. Each layer is a rotation: its
// participants take turns, each for Length, the first from the handoff
// time on the Start day. A layer may be restricted to windows of the week
// (weekdays 09:00-17:00 in a zone); outside them it has nobody. At any
// instant the topmost layer with somebody on call decides, and an override
// (a person, from, to) replaces the whole schedule while it lasts.
//
// Handoffs are wall-clock times in the schedule's zone: a rotation of days
// or weeks hands off at the same local time every time, so a week is 167
// or 169 real hours across a change. A handoff at a time the clocks skip
// (02:30 on a spring-forward night in Berlin) happens at the end of the
// jump (03:00); a handoff at a time that occurs twice happens at its first
// occurrence. Rotations of hours are fixed real durations from the first
// handoff. A restriction window runs from its start to its end time, both
// placed on the calendar of its own zone by the same rule.
package oncall

import (
	"fmt"
	"slices"
	"time"
)

// Unit is the unit of a rotation's length.
type Unit int

// The units of a rotation's length.
const (
	Hours Unit = iota
	Days
	Weeks
)

// Date is a day of the calendar, without zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// AddDays returns the date n days later (or earlier).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// DateOf is the local date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	l := t.In(loc)
	return Date{l.Year(), l.Month(), l.Day()}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// daysBetween is the number of calendar days from a to b.
func daysBetween(a, b Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 12, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 12, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Round(24*time.Hour) / (24 * time.Hour))
}

// Clock is a time of day, in minutes after midnight (0 to 1440).
type Clock int

// HM makes a Clock.
func HM(h, m int) Clock { return Clock(h*60 + m) }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Resolve is the instant of the wall-clock time c on day d in loc: at a
// time skipped by a jump forward, the end of the jump; at a time that
// occurs twice, the first occurrence.
func Resolve(d Date, c Clock, loc *time.Location) time.Time {
	if c >= 24*60 { // 24:00 is the next midnight
		d, c = d.AddDays(int(c)/(24*60)), c%(24*60)
	}
	h, m := int(c)/60, int(c)%60
	// The wall clock read as UTC, then corrected by each offset in force
	// near it: a valid reading maps back to the same wall clock.
	wall := time.Date(d.Year, d.Month, d.Day, h, m, 0, 0, time.UTC)
	var best time.Time
	for _, probe := range []time.Duration{-26 * time.Hour, 26 * time.Hour} {
		_, off := wall.Add(probe).In(loc).Zone()
		cand := wall.Add(-time.Duration(off) * time.Second)
		if l := cand.In(loc); l.Hour() == h && l.Minute() == m && l.Day() == d.Day {
			if best.IsZero() || cand.Before(best) {
				best = cand
			}
		}
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// Skipped: the jump happens between the two readings; its end is the
	// start of the zone period the later reading falls in.
	_, offBefore := wall.Add(-26 * time.Hour).In(loc).Zone()
	after := wall.Add(-time.Duration(offBefore) * time.Second)
	start, _ := after.In(loc).ZoneBounds()
	if start.IsZero() {
		return after.In(loc)
	}
	return start
}

// Rotation is one layer of a schedule.
type Rotation struct {
	Name         string
	Participants []string
	Start        Date // the day the first participant begins
	Length       int
	Unit         Unit
	Handoff      Clock         // time of day of each handoff, in the schedule's zone
	Restrictions []Restriction // when the layer applies; none: always
}

// Restriction is a window of the week in a zone. From and To are times of
// day; To at or before From crosses midnight. Days are the days a window
// starts on; none means every day.
type Restriction struct {
	Days []time.Weekday
	From Clock
	To   Clock
	Loc  *time.Location
}

// Override puts User on call from From until To, in place of the schedule.
type Override struct {
	User string
	From time.Time
	To   time.Time
}

// Schedule is a named stack of rotations in a zone.
type Schedule struct {
	Name      string
	Loc       *time.Location
	Layers    []Rotation // the last one is on top
	Overrides []Override
}

// With is s with more overrides (made at run time, beside the config's):
// a copy, s itself is not changed. With none it is s.
func (s *Schedule) With(overrides []Override) *Schedule {
	if len(overrides) == 0 {
		return s
	}
	c := *s
	c.Overrides = append(slices.Clip(s.Overrides), overrides...)
	return &c
}

// Validate checks a schedule's settings; errors name the layer.
func (s *Schedule) Validate() error {
	if s.Loc == nil {
		return fmt.Errorf("schedule %q: no time zone", s.Name)
	}
	for i, r := range s.Layers {
		switch {
		case len(r.Participants) == 0:
			return fmt.Errorf("rotations[%d]: no participants", i)
		case r.Length < 1:
			return fmt.Errorf("rotations[%d]: length must be at least 1", i)
		case r.Handoff < 0 || r.Handoff >= 24*60:
			return fmt.Errorf("rotations[%d]: handoff must be a time of day", i)
		}
		for j, x := range r.Restrictions {
			if x.Loc == nil || x.From < 0 || x.From >= 24*60 || x.To < 0 || x.To > 24*60 {
				return fmt.Errorf("rotations[%d].restrictions[%d]: bad window", i, j)
			}
		}
	}
	for i, o := range s.Overrides {
		if !o.To.After(o.From) {
			return fmt.Errorf("overrides[%d]: to must be after from", i)
		}
	}
	return nil
}

// handoff returns the instant of the k-th handoff of r (k = 0 is the first).
func (r *Rotation) handoff(k int, loc *time.Location) time.Time {
	switch r.Unit {
	case Hours:
		return Resolve(r.Start, r.Handoff, loc).Add(time.Duration(k*r.Length) * time.Hour)
	case Weeks:
		return Resolve(r.Start.AddDays(7*k*r.Length), r.Handoff, loc)
	}
	return Resolve(r.Start.AddDays(k*r.Length), r.Handoff, loc)
}

// shift returns the index of the shift of r in force at t (-1 before the
// first handoff) and its bounds.
func (r *Rotation) shift(t time.Time, loc *time.Location) (k int, start, end time.Time) {
	first := r.handoff(0, loc)
	if t.Before(first) {
		return -1, time.Time{}, first
	}
	var approx time.Duration
	switch r.Unit {
	case Hours:
		approx = time.Duration(r.Length) * time.Hour
	case Days:
		approx = time.Duration(r.Length) * 24 * time.Hour
	case Weeks:
		approx = time.Duration(r.Length) * 7 * 24 * time.Hour
	}
	// A wall-clock shift differs from its nominal length by the few hours
	// of a clock change at most: estimate, then step to the exact one.
	k = int(t.Sub(first) / approx)
	for k > 0 && t.Before(r.handoff(k, loc)) {
		k--
	}
	for !t.Before(r.handoff(k+1, loc)) {
		k++
	}
	return k, r.handoff(k, loc), r.handoff(k+1, loc)
}

// at is who r has on call at t, or "".
func (r *Rotation) at(t time.Time, loc *time.Location) string {
	if !r.applies(t) {
		return ""
	}
	k, _, _ := r.shift(t, loc)
	if k < 0 {
		return ""
	}
	return r.Participants[k%len(r.Participants)]
}

// applies reports whether t is inside one of r's restriction windows.
func (r *Rotation) applies(t time.Time) bool {
	if len(r.Restrictions) == 0 {
		return true
	}
	for i := range r.Restrictions {
		if r.Restrictions[i].contains(t) {
			return true
		}
	}
	return false
}

// window returns the instants the window starting on day d opens and
// closes.
func (x *Restriction) window(d Date) (start, end time.Time) {
	endDay := d
	if x.To <= x.From {
		endDay = d.AddDays(1)
	}
	return Resolve(d, x.From, x.Loc), Resolve(endDay, x.To, x.Loc)
}

// contains reports whether t is in the window of its day or, for a window
// crossing midnight, of the day before.
func (x *Restriction) contains(t time.Time) bool {
	d := DateOf(t, x.Loc)
	for _, day := range []Date{d.AddDays(-1), d} {
		if x.onDay(day.Weekday()) {
			if start, end := x.window(day); !t.Before(start) && t.Before(end) {
				return true
			}
		}
	}
	return false
}

func (x *Restriction) onDay(d time.Weekday) bool {
	return len(x.Days) == 0 || slices.Contains(x.Days, d)
}

// OnCall returns who is on call at t: the users of the overrides in force,
// else the participant of the topmost layer that has one. Empty when
// nobody is.
func (s *Schedule) OnCall(t time.Time) []string {
	var users []string
	for _, o := range s.Overrides {
		if !t.Before(o.From) && t.Before(o.To) && !slices.Contains(users, o.User) {
			users = append(users, o.User)
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		return users
	}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if u := s.Layers[i].at(t, s.Loc); u != "" {
			return []string{u}
		}
	}
	return nil
}

// Shift is a stretch of time with the same people on call; Users is empty
// for a gap.
type Shift struct {
	Start time.Time
	End   time.Time
	Users []string
}

// Shifts returns the shifts that overlap [from, to), gaps included, cut at
// from and to.
func (s *Schedule) Shifts(from, to time.Time) []Shift {
	cuts := []time.Time{from, to}
	add := func(t time.Time) {
		if t.After(from) && t.Before(to) {
			cuts = append(cuts, t)
		}
	}
	for _, o := range s.Overrides {
		add(o.From)
		add(o.To)
	}
	for i := range s.Layers {
		r := &s.Layers[i]
		k, start, end := r.shift(from, s.Loc)
		add(start)
		for t := end; t.Before(to); {
			add(t)
			k++
			t = r.handoff(k+1, s.Loc)
		}
		for j := range r.Restrictions {
			x := &r.Restrictions[j]
			for d := DateOf(from, x.Loc).AddDays(-1); !Resolve(d, 0, x.Loc).After(to); d = d.AddDays(1) {
				if !x.onDay(d.Weekday()) {
					continue
				}
				start, end := x.window(d)
				add(start)
				add(end)
			}
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, func(a, b time.Time) bool { return a.Equal(b) })
	var out []Shift
	for i := 0; i+1 < len(cuts); i++ {
		users := s.OnCall(cuts[i])
		if n := len(out); n > 0 && slices.Equal(out[n-1].Users, users) {
			out[n-1].End = cuts[i+1]
			continue
		}
		out = append(out, Shift{Start: cuts[i], End: cuts[i+1], Users: users})
	}
	return out
}

// Gaps returns the stretches of [from, to) with nobody on call.
func (s *Schedule) Gaps(from, to time.Time) []Shift {
	var gaps []Shift
	for _, sh := range s.Shifts(from, to) {
		if len(sh.Users) == 0 {
			gaps = append(gaps, sh)
		}
	}
	return gaps
}

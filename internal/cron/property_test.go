package cron

// Property tests for Next and Prev.
//
// Write F for the set of fire instants of an expression in a zone. Next(t)
// is the least member of F strictly after t, Prev(t) the greatest strictly
// before t. Members of F are whole seconds. For any evaluator that answers
// from one fixed set F this way, and any instant t, these are theorems (the
// tests assert each of them):
//
//	(1) Next(t) > t and Prev(t) < t.
//	(2) Next(Next(t)) > Next(t): repeated Next is strictly increasing.
//	(3) Prev(Next(f)) == f and Next(Prev(f)) == f for every f in F: no
//	    fire lies strictly between a fire and its neighbour.
//	(4) Prev(Next(t)) <= t: F has nothing in (t, Next(t)).
//	    Next(Prev(t)) >= t: F has nothing in (Prev(t), t); it equals t
//	    when t is in F and Next(t) otherwise.
//	(5) Prev(f+1s) == f and Next(f-1s) == f for f in F (whole seconds).
//	(6) Over a window, the forward chain of Next and the backward chain of
//	    Prev list the same instants.
//
// Fixed-time mode does not break them: several wall times collapsing into
// one catch-up instant, or a repeated wall time firing once, only shape F.
//
// Membership of F is checked independently of the evaluator, with a
// brute-force matcher that shares no code with parse.go (bf* below):
//
//   - Instant mode: f is in F exactly when the wall clock of f in the zone
//     matches every field.
//   - Fixed-time mode: f is in F exactly when some matching wall time w has
//     f as the first instant whose wall clock reads w or later, and either
//     the wall clock reads w there (w exists; f is its first occurrence) or
//     f ends a gap that w fell in, made by an offset increase of less than
//     three hours.
//
// Zones: every zone of the embedded database, listed in testdata/zones.txt
// (Go does not export the list), and every offset change from 1970 to 2038.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // every zone of zones.txt, whatever the machine has
)

// ---------------------------------------------------------------------------
// Zones and their transitions.

var zoneCache struct {
	once  sync.Once
	names []string
	locs  []*time.Location
	err   error
}

// testZones loads every zone named in testdata/zones.txt.
func testZones() ([]string, []*time.Location, error) {
	zoneCache.once.Do(func() {
		f, err := os.Open("testdata/zones.txt")
		if err != nil {
			zoneCache.err = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		var bad []string
		for sc.Scan() {
			name := strings.TrimSpace(sc.Text())
			if name == "" || strings.HasPrefix(name, "#") {
				continue
			}
			loc, err := time.LoadLocation(name)
			if err != nil {
				bad = append(bad, name)
				continue
			}
			zoneCache.names = append(zoneCache.names, name)
			zoneCache.locs = append(zoneCache.locs, loc)
		}
		if err := sc.Err(); err != nil {
			zoneCache.err = err
		} else if len(bad) > 0 {
			zoneCache.err = fmt.Errorf("zones that do not load: %s", strings.Join(bad, ", "))
		}
	})
	return zoneCache.names, zoneCache.locs, zoneCache.err
}

func mustZones(t testing.TB) ([]string, []*time.Location) {
	t.Helper()
	names, locs, err := testZones()
	if err != nil {
		t.Fatal(err)
	}
	return names, locs
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestZoneList(t *testing.T) {
	names, _ := mustZones(t)
	if len(names) < 500 {
		t.Fatalf("only %d zones in testdata/zones.txt", len(names))
	}
	if !slices.IsSorted(names) {
		t.Errorf("testdata/zones.txt is not sorted")
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("testdata/zones.txt has duplicates")
	}
	for _, want := range []string{"Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Apia", "UTC"} {
		if !slices.Contains(names, want) {
			t.Errorf("testdata/zones.txt lacks %s", want)
		}
	}
}

// offsetAt is the UTC offset of loc at x, in seconds.
func offsetAt(x time.Time, loc *time.Location) int {
	_, off := x.In(loc).Zone()
	return off
}

type transition struct {
	at            time.Time // first instant of the new offset
	before, after int       // offsets in seconds
}

// zoneTransitions lists the instants in [from, to) where the offset of loc
// changes, found with ZoneBounds; boundaries where only the abbreviation or
// the DST flag changes are skipped.
func zoneTransitions(t testing.TB, loc *time.Location, from, to time.Time) []transition {
	var out []transition
	cur := from
	for cur.Before(to) {
		_, end := cur.In(loc).ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			break
		}
		if !end.After(cur) {
			t.Fatalf("%s: ZoneBounds at %s ends at %s, not after it", loc, cur.UTC(), end.UTC())
		}
		if b, a := offsetAt(end.Add(-time.Second), loc), offsetAt(end, loc); a != b {
			out = append(out, transition{end, b, a})
		}
		cur = end
	}
	return out
}

// ---------------------------------------------------------------------------
// A brute-force matcher, written independently of parse.go.

type bfExpr struct {
	seconds, fixed, and bool

	sec, min, hour, dom, mon, dow [64]bool // dow: 0-7, 7 is Sunday as 0 is

	last, lastWeekday bool
	nearest           []int    // nW
	lastDow           []int    // nL, n in 0-6
	nth               [][2]int // d#k: weekday d in 0-6, week k
}

var bfMacros = map[string]string{
	"@YEARLY": "0 0 1 1 *", "@ANNUALLY": "0 0 1 1 *", "@MONTHLY": "0 0 1 * *",
	"@WEEKLY": "0 0 * * 0", "@DAILY": "0 0 * * *", "@MIDNIGHT": "0 0 * * *", "@HOURLY": "0 * * * *",
}

var (
	bfMonths = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	bfDays   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// bfParse parses the cron syntax of SEMANTICS.md. It is meant for matching
// expressions that Parse accepts, and rejects only what it cannot read.
func bfParse(text string) (*bfExpr, error) {
	src := strings.TrimSpace(text)
	if strings.HasPrefix(src, "@") {
		m, ok := bfMacros[strings.ToUpper(src)]
		if !ok {
			return nil, errors.New("unknown macro")
		}
		src = m
	}
	fields := strings.Fields(src)
	b := &bfExpr{}
	switch len(fields) {
	case 5:
		fields = append([]string{"0"}, fields...)
	case 6:
		b.seconds = true
	default:
		return nil, errors.New("field count")
	}
	starts := func(f string) bool { return strings.HasPrefix(f, "*") || f == "?" }
	b.and = starts(fields[3]) || starts(fields[5])
	b.fixed = !b.seconds && !strings.HasPrefix(fields[1], "*") && !strings.HasPrefix(fields[2], "*")
	targets := []*[64]bool{&b.sec, &b.min, &b.hour, &b.dom, &b.mon, &b.dow}
	lows := []int{0, 0, 0, 1, 1, 0}
	highs := []int{59, 59, 23, 31, 12, 7}
	for i, f := range fields {
		f = strings.ToUpper(f)
		if f == "?" && (i == 3 || i == 5) {
			f = "*"
		}
		for _, item := range strings.Split(f, ",") {
			if err := b.item(i, item, lows[i], highs[i], targets[i]); err != nil {
				return nil, fmt.Errorf("field %d item %q: %w", i, item, err)
			}
		}
	}
	return b, nil
}

func bfNumber(s string, lo, hi int) (int, error) {
	if s == "" || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func (b *bfExpr) item(field int, item string, lo, hi int, into *[64]bool) error {
	value := func(s string) (int, error) {
		if field == 4 {
			if i := slices.Index(bfMonths, s); i >= 0 {
				return i + 1, nil
			}
		}
		if field == 5 {
			if i := slices.Index(bfDays, s); i >= 0 {
				return i, nil
			}
		}
		return bfNumber(s, lo, hi)
	}
	switch {
	case field == 3 && item == "L":
		b.last = true
		return nil
	case field == 3 && item == "LW":
		b.lastWeekday = true
		return nil
	case field == 3 && strings.HasSuffix(item, "W"):
		n, err := bfNumber(strings.TrimSuffix(item, "W"), 1, 31)
		b.nearest = append(b.nearest, n)
		return err
	case field == 5 && strings.HasSuffix(item, "L"):
		n, err := bfNumber(strings.TrimSuffix(item, "L"), 0, 7)
		b.lastDow = append(b.lastDow, n%7)
		return err
	case field == 5 && strings.Contains(item, "#"):
		d, k, _ := strings.Cut(item, "#")
		day, err := value(d)
		if err != nil {
			return err
		}
		week, err := bfNumber(k, 1, 5)
		b.nth = append(b.nth, [2]int{day % 7, week})
		return err
	}
	base, stepText, hasStep := strings.Cut(item, "/")
	step := 1
	if hasStep {
		var err error
		if step, err = bfNumber(stepText, 1, 1<<30); err != nil {
			return err
		}
	}
	from, to := lo, hi
	switch a, z, isRange := strings.Cut(base, "-"); {
	case base == "*":
	case isRange:
		var err error
		if from, err = value(a); err != nil {
			return err
		}
		if to, err = value(z); err != nil {
			return err
		}
	default:
		var err error
		if from, err = value(base); err != nil {
			return err
		}
		if !hasStep {
			to = from
		}
	}
	for v := from; v <= to; v += step {
		into[v] = true
	}
	return nil
}

func bfDaysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day() }

func bfWeekday(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday())
}

func (b *bfExpr) dayOK(y int, m time.Month, d int) bool {
	last := bfDaysIn(y, m)
	wd := bfWeekday(y, m, d)
	isWorkday := func(day int) bool { w := bfWeekday(y, m, day); return w != 0 && w != 6 }

	domOK := b.dom[d] || (b.last && d == last)
	if b.lastWeekday {
		lw := last
		for !isWorkday(lw) {
			lw--
		}
		domOK = domOK || d == lw
	}
	for _, n := range b.nearest {
		if n > last {
			continue // no such day this month
		}
		target := n
		switch bfWeekday(y, m, n) {
		case 6: // Saturday: the Friday before, unless that is last month
			target = n - 1
			if n == 1 {
				target = 3
			}
		case 0: // Sunday: the Monday after, unless that is next month
			target = n + 1
			if n == last {
				target = n - 2
			}
		}
		domOK = domOK || d == target
	}

	dowOK := b.dow[wd] || (wd == 0 && b.dow[7])
	for _, n := range b.lastDow {
		dowOK = dowOK || (wd == n && d+7 > last)
	}
	for _, x := range b.nth {
		dowOK = dowOK || (wd == x[0] && (d-1)/7+1 == x[1])
	}
	if b.and {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// matches reports whether a wall-clock reading (a time whose fields are
// the reading; its zone is ignored) matches every field.
func (b *bfExpr) matches(w time.Time) bool { return b.matchesReading(readingOf(w)) }

// reading is a wall-clock reading split into its fields.
type reading struct {
	y              int
	m              time.Month
	d, h, min, sec int
}

func readingOf(w time.Time) reading {
	y, m, d := w.Date()
	h, mi, s := w.Clock()
	return reading{y, m, d, h, mi, s}
}

func (b *bfExpr) matchesReading(r reading) bool {
	return b.sec[r.sec] && b.min[r.min] && b.hour[r.h] && b.mon[r.m] && b.dayOK(r.y, r.m, r.d)
}

// bfWall is the wall-clock reading of x in loc, written as a UTC time.
func bfWall(x time.Time, loc *time.Location) time.Time {
	l := x.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// firstOccurrence reports whether no instant before x reads the same wall
// clock as x. An earlier reading of w = wall(x) lies at w - off for an
// offset off in force during the 30 hours before x; those offsets are
// collected by walking the offset periods back from x.
func firstOccurrence(x time.Time, loc *time.Location) bool {
	w := bfWall(x, loc)
	var offs []int
	for cur := x; !cur.Before(x.Add(-30 * time.Hour)); {
		offs = append(offs, offsetAt(cur, loc))
		start, _ := cur.In(loc).ZoneBounds()
		if start.IsZero() || !start.Before(cur.Add(time.Second)) {
			break
		}
		cur = start.Add(-time.Second)
	}
	for _, off := range offs {
		cand := time.Unix(w.Unix()-int64(off), 0)
		if cand.Before(x) && bfWall(cand, loc).Equal(w) {
			return false
		}
	}
	return true
}

// inF reports why x is a fire time of b in loc, or an error saying why not.
func (b *bfExpr) inF(x time.Time, loc *time.Location) error {
	if x.Nanosecond() != 0 {
		return errors.New("not a whole second")
	}
	w := bfWall(x, loc)
	direct := b.matches(w)
	if !b.fixed {
		if !direct {
			return fmt.Errorf("wall clock %s does not match", w.Format(time.DateTime))
		}
		return nil
	}
	if direct && firstOccurrence(x, loc) {
		return nil
	}
	// Otherwise x must end a gap of less than three hours that holds a
	// matching wall time.
	before, after := offsetAt(x.Add(-time.Second), loc), offsetAt(x, loc)
	why := "its wall clock " + w.Format(time.DateTime)
	if direct {
		why += " occurred earlier"
	} else {
		why += " does not match"
	}
	if after <= before {
		return fmt.Errorf("%s, and it ends no gap", why)
	}
	if time.Duration(after-before)*time.Second >= 3*time.Hour {
		return fmt.Errorf("%s, and it ends a gap of %s (3h or more fires nothing)", why, time.Duration(after-before)*time.Second)
	}
	// Fixed-time expressions have five fields: only second 0 can match.
	v := bfWall(x.Add(-time.Second), loc).Add(time.Second)
	if m := v.Truncate(time.Minute); m.Before(v) {
		v = m.Add(time.Minute)
	} else {
		v = m
	}
	for ; v.Before(w); v = v.Add(time.Minute) {
		if b.matches(v) {
			return nil
		}
	}
	return fmt.Errorf("%s, and no wall time in the gap before it matches", why)
}

func mustBF(t testing.TB, text string) *bfExpr {
	t.Helper()
	b, err := bfParse(text)
	if err != nil {
		t.Fatalf("bfParse(%q): %v", text, err)
	}
	return b
}

func TestBruteMatcherAgreesOnMode(t *testing.T) {
	for _, text := range sweepExprs {
		e, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		if b := mustBF(t, text); b.fixed != e.fixedTime {
			t.Errorf("%q: fixed-time mode is %v here, %v in Parse", text, b.fixed, e.fixedTime)
		}
	}
	// Spot checks of the matcher itself (Fri 2024-03-15, Sun 2024-03-31,
	// Sat 2024-06-01, Sun 2024-06-30).
	for _, c := range []struct {
		expr, wall string
		want       bool
	}{
		{"0 12 L * *", "2024-02-29 12:00:00", true},
		{"0 12 L * *", "2023-02-28 12:00:00", true},
		{"0 12 LW * *", "2024-03-29 12:00:00", true},
		{"0 12 LW * *", "2024-03-31 12:00:00", false},
		{"0 12 1W * *", "2024-06-03 12:00:00", true},
		{"0 12 30W * *", "2024-06-28 12:00:00", true},
		{"0 12 15W * *", "2024-03-15 12:00:00", true},
		{"0 12 * * 5L", "2024-03-29 12:00:00", true},
		{"0 12 * * 5L", "2024-03-22 12:00:00", false},
		{"0 12 * * FRI#3", "2024-03-15 12:00:00", true},
		{"0 12 * * 7", "2024-03-31 12:00:00", true},
		{"0 12 1 * MON", "2024-03-04 12:00:00", true},    // OR
		{"0 12 */2 * MON", "2024-03-04 12:00:00", false}, // AND: the 4th is even
		{"*/20 * * * * *", "2024-03-04 12:00:40", true},
		{"0 12 * JAN-MAR sat", "2024-03-16 12:00:00", true},
	} {
		w, _ := time.Parse(time.DateTime, c.wall)
		if got := mustBF(t, c.expr).matches(w); got != c.want {
			t.Errorf("brute matcher: %q at %s = %v, want %v", c.expr, c.wall, got, c.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Calling the evaluator with a time limit.

// callLimit bounds one Next or Prev call. The evaluator searches at most
// 50 years; a call that runs longer is looping.
const callLimit = 5 * time.Second

// errStillRunning reports a call that did not return in time. It is left
// running: it cannot be stopped.
var errStillRunning = errors.New("did not return in time")

// boundedCall runs Next (forward) or Prev from t, giving up after limit.
func boundedCall(limit time.Duration, e *Expr, forward bool, t time.Time, loc *time.Location) (time.Time, error) {
	type answer struct {
		at  time.Time
		err error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		if forward {
			a.at, a.err = e.Next(t, loc)
		} else {
			a.at, a.err = e.Prev(t, loc)
		}
		done <- a
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case a := <-done:
		return a.at, a.err
	case <-timer.C:
		return time.Time{}, errStillRunning
	}
}

// ---------------------------------------------------------------------------
// The sweep over every zone and transition.

// sweepExprs covers both modes; "* * * * *" is dense, but it is only ever
// evaluated a few steps from a transition.
var sweepExprs = []string{
	// fixed-time
	"30 2 * * *", "0,30 1-3 * * *", "0 0 * * *", "15 3 * * 0", "0 0 1 * *",
	"0 12 L * *", "0 9 * * 1-5", "0 0-23/3 * * *",
	// instant
	"* * * * *", "*/15 * * * *", "0 */2 * * *", "30 * * * *", "*/20 * * * * *",
	"0 0 0 * * *", "0 */3 * * *",
}

type checker struct {
	t     *testing.T
	text  string
	e     *Expr
	b     *bfExpr
	loc   *time.Location
	fails int
	calls int
}

func (c *checker) errorf(format string, args ...any) {
	c.fails++
	c.t.Errorf("%q in %s: %s", c.text, c.loc, fmt.Sprintf(format, args...))
	if c.fails >= 20 {
		c.t.Fatalf("%q: too many failures, stopping", c.text)
	}
}

func ts(x time.Time) string { return x.Format(TimeFormat) }

// next and prev call the evaluator; ok is false after reporting a failure.
func (c *checker) next(x time.Time) (time.Time, bool) { return c.call(true, x) }
func (c *checker) prev(x time.Time) (time.Time, bool) { return c.call(false, x) }

func (c *checker) call(forward bool, x time.Time) (time.Time, bool) {
	c.calls++
	name := "Prev"
	if forward {
		name = "Next"
	}
	var r time.Time
	var err error
	if forward {
		r, err = c.e.Next(x, c.loc)
	} else {
		r, err = c.e.Prev(x, c.loc)
	}
	if err != nil {
		c.errorf("%s(%s): %v", name, ts(x), err)
		return r, false
	}
	if forward && !r.After(x) || !forward && !r.Before(x) {
		c.errorf("%s(%s) = %s, not strictly %s it", name, ts(x), ts(r), map[bool]string{true: "after", false: "before"}[forward])
		return r, false
	}
	if r.Location().String() != c.loc.String() {
		c.errorf("%s(%s) = %s is in %s, not in the schedule's zone", name, ts(x), ts(r), r.Location())
	}
	if err := c.b.inF(r, c.loc); err != nil {
		c.errorf("%s(%s) = %s is not a fire time: %v", name, ts(x), ts(r), err)
		return r, false
	}
	return r, true
}

// around checks theorems (1)-(5) from start s.
func (c *checker) around(s time.Time) {
	// (1), (2): a strictly increasing chain, each a fire time.
	f1, ok := c.next(s)
	if !ok {
		return
	}
	f2, ok := c.next(f1)
	if !ok {
		return
	}
	// (3): Prev undoes Next on fire times.
	if p, ok := c.prev(f2); ok && !p.Equal(f1) {
		c.errorf("Prev(Next(f)) != f: f=%s, Next(f)=%s, Prev of that=%s", ts(f1), ts(f2), ts(p))
	}
	// (4): nothing fires in (s, f1).
	p, ok := c.prev(f1)
	if ok && p.After(s) {
		c.errorf("Prev(Next(t)) > t: t=%s, Next(t)=%s, Prev(Next(t))=%s", ts(s), ts(f1), ts(p))
	}
	// (3) again: Next(Prev(f1)) == f1.
	if ok {
		if n, ok := c.next(p); ok && !n.Equal(f1) {
			c.errorf("Next(Prev(f)) != f: f=%s, Prev(f)=%s, Next of that=%s", ts(f1), ts(p), ts(n))
		}
	}
	// (5): whole seconds.
	if q, ok := c.prev(f1.Add(time.Second)); ok && !q.Equal(f1) {
		c.errorf("Prev(f+1s) != f: f=%s, got %s", ts(f1), ts(q))
	}
	if q, ok := c.next(f1.Add(-time.Second)); ok && !q.Equal(f1) {
		c.errorf("Next(f-1s) != f: f=%s, got %s", ts(f1), ts(q))
	}
	// (4) backwards: nothing fires in (Prev(s), s); Next(Prev(s)) is s if s
	// fires, else Next(s).
	if q, ok := c.prev(s); ok {
		if n, ok := c.next(q); ok && !n.Equal(s) && !n.Equal(f1) {
			c.errorf("Next(Prev(t)) is neither t nor Next(t): t=%s, Prev(t)=%s, Next of that=%s, Next(t)=%s", ts(s), ts(q), ts(n), ts(f1))
		}
	}
}

// TestSweepTransitions checks theorems (1)-(5) and membership of every
// answer around every offset change of every zone from 1970 to 2038.
func TestSweepTransitions(t *testing.T) {
	names, locs := mustZones(t)
	from := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
	all := make([][]transition, len(locs))
	total := 0
	for i, loc := range locs {
		all[i] = zoneTransitions(t, loc, from, to)
		total += len(all[i])
	}
	t.Logf("%d zones, %d offset changes from 1970 to 2038", len(names), total)

	// Start instants around each transition T: before it, its last second,
	// T itself, inside a repeated or shifted hour, and after it. Each
	// transition gets one of them, rotating through the list, so that every
	// kind of start meets thousands of transitions of every kind.
	offsets := []time.Duration{-time.Second, -3 * time.Hour, time.Second, 0, 30 * time.Minute, 90 * time.Minute}
	// In -short mode each transition meets every other expression.
	stride := 1
	if testing.Short() {
		stride = 2
	}
	for j, text := range sweepExprs {
		t.Run(strings.ReplaceAll(text, " ", "_"), func(t *testing.T) {
			t.Parallel()
			e, err := Parse(text)
			if err != nil {
				t.Fatal(err)
			}
			b := mustBF(t, text)
			starts, calls, k := 0, 0, 0
			for i, loc := range locs {
				c := &checker{t: t, text: text, e: e, b: b, loc: loc}
				for _, tr := range all[i] {
					k++
					if (k+j)%stride != 0 {
						continue
					}
					c.around(tr.at.Add(offsets[k%len(offsets)]))
					starts++
				}
				calls += c.calls
			}
			t.Logf("%q: %d of %d offset changes in %d zones, one start instant each, %d calls", text, starts, total, len(locs), calls)
		})
	}
}

// ---------------------------------------------------------------------------
// Brute-force cross-check: the exact set of fire times in windows around
// transitions, enumerated second by second (instant mode) or wall time by
// wall time (fixed-time mode).

var bruteZones = []string{
	"Europe/Berlin", "Europe/Riga", "America/Sao_Paulo", "Australia/Lord_Howe",
	"Pacific/Apia", "America/Havana", "Asia/Tehran", "Pacific/Chatham",
	"Africa/Monrovia", "Antarctica/Troll", "America/St_Johns", "Pacific/Kwajalein",
	"America/Caracas", "Asia/Kathmandu", "America/Santiago", "Asia/Gaza",
	"Africa/Casablanca", "Europe/Dublin",
}

// zoneSpan is a stretch [start, end) of one UTC offset.
type zoneSpan struct {
	start, end time.Time
	off        int
}

// zoneSpans covers [from, to) with spans of one offset each; the first
// starts at from, the last ends at to.
func zoneSpans(t testing.TB, loc *time.Location, from, to time.Time) []zoneSpan {
	var out []zoneSpan
	cur := from
	for cur.Before(to) {
		_, end := cur.In(loc).ZoneBounds()
		if end.IsZero() || end.After(to) {
			end = to
		}
		if !end.After(cur) {
			t.Fatalf("%s: ZoneBounds at %s ends at %s, not after it", loc, cur.UTC(), end.UTC())
		}
		off := offsetAt(cur, loc)
		if n := len(out); n > 0 && out[n-1].off == off {
			out[n-1].end = end
		} else {
			out = append(out, zoneSpan{cur, end, off})
		}
		cur = end
	}
	return out
}

// fixedFire is where a fixed-time job for wall time w runs: the first
// instant whose wall clock reads w or later, if it reads exactly w there
// or ends a gap of less than three hours; ok is false if w fires nothing
// or lies outside the spans.
func fixedFire(spans []zoneSpan, w time.Time) (time.Time, bool) {
	ws := w.Unix()
	for i, s := range spans {
		if s.end.Unix()-1+int64(s.off) < ws {
			continue // the wall clock stays below w throughout this span
		}
		if x := ws - int64(s.off); x >= s.start.Unix() {
			return time.Unix(x, 0), true
		}
		if i == 0 {
			return time.Time{}, false
		}
		jump := time.Duration(s.off-spans[i-1].off) * time.Second
		return s.start, jump < 3*time.Hour
	}
	return time.Time{}, false
}

// evaluatorWindow lists the fire times in [a, b] by chaining Next from
// a-1s, and checks that chaining Prev from b+1s gives the same list (6).
func evaluatorWindow(t *testing.T, e *Expr, text string, loc *time.Location, a, b time.Time) []time.Time {
	t.Helper()
	var fwd, back []time.Time
	for x := a.Add(-time.Second); ; {
		n, err := e.Next(x, loc)
		if err != nil {
			t.Fatalf("%q in %s: Next(%s): %v", text, loc, ts(x), err)
		}
		if n.After(b) {
			break
		}
		fwd = append(fwd, n)
		x = n
	}
	for x := b.Add(time.Second); ; {
		p, err := e.Prev(x, loc)
		if err != nil {
			t.Fatalf("%q in %s: Prev(%s): %v", text, loc, ts(x), err)
		}
		if p.Before(a) {
			break
		}
		back = append(back, p)
		x = p
	}
	slices.Reverse(back)
	if !slices.EqualFunc(fwd, back, time.Time.Equal) {
		t.Errorf("%q in %s, [%s, %s]: Next chain %s, Prev chain %s", text, loc, ts(a), ts(b), tsList(fwd), tsList(back))
	}
	return fwd
}

func tsList(xs []time.Time) string {
	var s []string
	for _, x := range xs {
		s = append(s, ts(x))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// diffTimes describes the instants only in got and only in want.
func diffTimes(got, want []time.Time) string {
	in := func(x time.Time, xs []time.Time) bool {
		return slices.ContainsFunc(xs, func(y time.Time) bool { return y.Equal(x) })
	}
	var extra, missing []time.Time
	for _, x := range got {
		if !in(x, want) {
			extra = append(extra, x)
		}
	}
	for _, x := range want {
		if !in(x, got) {
			missing = append(missing, x)
		}
	}
	return fmt.Sprintf("evaluator has extra %s, misses %s", tsList(extra), tsList(missing))
}

// secondWalls lists the wall clock of every second in [a, b]. The offset is
// looked up at both ends of each minute and, where they differ, at every
// second of it (no offset lasts less than a minute).
func secondWalls(a, b time.Time, loc *time.Location) []reading {
	out := make([]reading, 0, b.Sub(a)/time.Second+1)
	for x := a; !x.After(b); {
		end := x.Add(59 * time.Second)
		if end.After(b) {
			end = b
		}
		same := offsetAt(x, loc) == offsetAt(end, loc)
		base := bfWall(x, loc)
		r := readingOf(base)
		for y := x; !y.After(end); y = y.Add(time.Second) {
			switch {
			case !same:
				r = readingOf(bfWall(y, loc))
			case r.sec < 59 && y != x:
				r.sec++ // the same minute of the same offset
			case y != x:
				r = readingOf(base.Add(y.Sub(x)))
			}
			out = append(out, r)
		}
		x = end.Add(time.Second)
	}
	return out
}

func TestBruteForceWindows(t *testing.T) {
	from := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2038, 1, 1, 0, 0, 0, 0, time.UTC)
	window := 90 * time.Minute
	every := 1
	if testing.Short() {
		every = 4
	}
	type compiled struct {
		text string
		e    *Expr
		b    *bfExpr
	}
	var instant, fixed []compiled
	for _, text := range append(slices.Clone(sweepExprs), "*/30 0 * * *", "0 0,12 * * 0-6", "45 23,0 * * *") {
		e, err := Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		c := compiled{text, e, mustBF(t, text)}
		if c.b.fixed {
			fixed = append(fixed, c)
		} else {
			instant = append(instant, c)
		}
	}
	var mu sync.Mutex
	windows, seconds, matched, fires := 0, 0, 0, 0
	t.Cleanup(func() {
		t.Logf("%d zones, %d windows of %s each side, %d seconds enumerated, %d (second, instant-mode expression) pairs matched, %d expressions, %d fire times compared",
			len(bruteZones), windows, window, seconds, matched, len(instant)+len(fixed), fires)
	})
	for _, zone := range bruteZones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc := mustLoad(t, zone)
			nw, ns, nm, nf := 0, 0, 0, 0
			defer func() {
				mu.Lock()
				windows, seconds, matched, fires = windows+nw, seconds+ns, matched+nm, fires+nf
				mu.Unlock()
			}()
			for k, tr := range zoneTransitions(t, loc, from, to) {
				if k%every != 0 {
					continue
				}
				nw++
				a, b := tr.at.Add(-window), tr.at.Add(window)
				// Instant mode: every second of the window (a shorter one
				// for the seconds expression, which fires 180 times an hour).
				walls := secondWalls(a, b, loc)
				ns += len(walls)
				for _, c := range instant {
					lo, hi := 0, len(walls)-1
					if c.b.seconds {
						lo, hi = int((window-15*time.Minute)/time.Second), int((window+15*time.Minute)/time.Second)
					}
					var want []time.Time
					for j := lo; j <= hi; j++ {
						if c.b.matchesReading(walls[j]) {
							want = append(want, a.Add(time.Duration(j)*time.Second))
						}
					}
					nm += hi - lo + 1
					got := evaluatorWindow(t, c.e, c.text, loc, a.Add(time.Duration(lo)*time.Second), a.Add(time.Duration(hi)*time.Second))
					nf += len(got)
					if !slices.EqualFunc(got, want, time.Time.Equal) {
						t.Errorf("%q in %s around %s: %s", c.text, zone, ts(tr.at.In(loc)), diffTimes(got, want))
					}
				}
				// Fixed-time mode: every wall minute that can land in the
				// window. A wall time w fires in [a, b] only if the clock
				// read less than w at a-1s and reads w or later somewhere in
				// [a, b].
				spans := zoneSpans(t, loc, a.Add(-48*time.Hour), b.Add(48*time.Hour))
				lo := bfWall(a.Add(-time.Second), loc).Truncate(time.Minute)
				hi := lo
				for _, sp := range spans {
					if sp.start.After(b) || !sp.end.After(a) {
						continue
					}
					last := min(sp.end.Unix()-1, b.Unix()) + int64(sp.off)
					if w := time.Unix(last, 0).UTC(); w.After(hi) {
						hi = w
					}
				}
				for _, c := range fixed {
					var want []time.Time
					for w := lo; !w.After(hi); w = w.Add(time.Minute) {
						if !c.b.matches(w) {
							continue
						}
						x, ok := fixedFire(spans, w)
						if ok && !x.Before(a) && !x.After(b) && !slices.ContainsFunc(want, x.Equal) {
							want = append(want, x)
						}
					}
					slices.SortFunc(want, time.Time.Compare)
					got := evaluatorWindow(t, c.e, c.text, loc, a, b)
					nf += len(got)
					if !slices.EqualFunc(got, want, time.Time.Equal) {
						t.Errorf("%q in %s around %s: %s", c.text, zone, ts(tr.at.In(loc)), diffTimes(got, want))
					}
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Examples of SEMANTICS.md and the four corrections.

func TestSemanticsExamples(t *testing.T) {
	for _, c := range []struct {
		expr, zone, start string
		want              []string
	}{
		{"30 2 * * *", "Europe/Berlin", "2023-03-25T12:00:00+01:00",
			[]string{"2023-03-26T03:00:00+02:00", "2023-03-27T02:30:00+02:00"}},
		{"0,30 2 * * *", "Europe/Berlin", "2023-03-26T00:00:00+01:00",
			[]string{"2023-03-26T03:00:00+02:00", "2023-03-27T02:00:00+02:00"}},
		{"30 * * * *", "Europe/Berlin", "2023-10-29T01:10:00+02:00",
			[]string{"2023-10-29T01:30:00+02:00", "2023-10-29T02:30:00+02:00", "2023-10-29T02:30:00+01:00", "2023-10-29T03:30:00+01:00"}},
		{"0 */3 * * *", "Europe/Riga", "2023-10-29T01:00:00+03:00",
			[]string{"2023-10-29T03:00:00+03:00", "2023-10-29T03:00:00+02:00", "2023-10-29T06:00:00+02:00"}},
		{"0 0-23/3 * * *", "Europe/Riga", "2023-10-29T01:00:00+03:00",
			[]string{"2023-10-29T03:00:00+03:00", "2023-10-29T06:00:00+02:00"}},
		// 1: strictly later, also from the second pass of a repeated hour.
		{"30 2 * * *", "Europe/Berlin", "2023-10-29T02:40:00+01:00",
			[]string{"2023-10-30T02:30:00+01:00"}},
		// 2: instant mode across a 30-minute shift and a midnight gap.
		{"*/30 * * * *", "Australia/Lord_Howe", "2023-10-01T01:00:00+10:30",
			[]string{"2023-10-01T01:30:00+10:30", "2023-10-01T02:30:00+11:00", "2023-10-01T03:00:00+11:00"}},
		{"*/30 * * * *", "America/Sao_Paulo", "2018-11-03T23:00:00-03:00",
			[]string{"2018-11-03T23:30:00-03:00", "2018-11-04T01:00:00-02:00", "2018-11-04T01:30:00-02:00"}},
		// 3: a midnight that never existed never fires in instant mode.
		{"0 0 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00-03:00",
			[]string{"2018-11-05T00:00:00-02:00"}},
		// 4: a skipped calendar day fires nothing.
		{"0 12 * * *", "Pacific/Apia", "2011-12-29T13:00:00-10:00",
			[]string{"2011-12-31T12:00:00+14:00"}},
	} {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		loc := mustLoad(t, c.zone)
		at, err := time.Parse(time.RFC3339, c.start)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for range c.want {
			n, err := e.Next(at, loc)
			if err != nil {
				got = append(got, err.Error())
				break
			}
			got = append(got, n.Format(TimeFormat))
			at = n
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q in %s from %s:\n got  %v\n want %v", c.expr, c.zone, c.start, got, c.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Termination: every search ends within the 50-year horizon, with ErrNoFire
// when nothing fires, and quickly.

func TestSearchTerminates(t *testing.T) {
	cases := []struct {
		expr, zone, start string
		noFire            bool
	}{
		// Never fires: the 1st is never a fifth Monday (AND, as dom starts with *).
		{"0 0 */31 * MON#5", "Europe/Berlin", "2024-01-01T00:00:00Z", true},
		{"* * */31 * MON#5", "Europe/Berlin", "2024-01-01T00:00:00Z", true},
		{"0 0 */31 * MON#5", "UTC", "2024-01-01T00:00:00Z", true},
		// Rare: 29 February on a Sunday, 28 years apart.
		{"* * 29 2 */7", "America/New_York", "2004-03-01T00:00:00Z", false},
		{"0 0 29 2 */7", "America/New_York", "2004-03-01T00:00:00Z", false},
		// Dense expressions far from now.
		{"* * * * * *", "Australia/Lord_Howe", "2199-06-15T00:00:00Z", false},
		// The last day of a leap year after the zone's last listed
		// transition, where the zone follows its POSIX rule.
		{"0 12 * * *", "Europe/Berlin", "2040-12-30T12:00:00Z", false},
		{"*/30 * 1 * *", "Europe/Berlin", "2040-12-30T12:00:00Z", false},
		{"0 12 * * *", "America/New_York", "2044-12-30T12:00:00Z", false},
		{"0 12 * * *", "Australia/Sydney", "2096-12-30T12:00:00Z", false},
	}
	for _, c := range cases {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		loc := mustLoad(t, c.zone)
		at, err := time.Parse(time.RFC3339, c.start)
		if err != nil {
			t.Fatal(err)
		}
		for _, forward := range []bool{true, false} {
			began := time.Now()
			r, err := boundedCall(callLimit, e, forward, at, loc)
			name := map[bool]string{true: "Next", false: "Prev"}[forward]
			if errors.Is(err, errStillRunning) {
				// The call is still running and cannot be stopped; stop
				// here rather than start more.
				t.Fatalf("%q in %s: %s(%s) did not return within %s", c.expr, c.zone, name, c.start, callLimit)
			}
			switch {
			case c.noFire && !errors.Is(err, ErrNoFire):
				t.Errorf("%q in %s: %s(%s) = %s, %v; want ErrNoFire", c.expr, c.zone, name, c.start, ts(r), err)
			case !c.noFire && err != nil:
				t.Errorf("%q in %s: %s(%s): %v", c.expr, c.zone, name, c.start, err)
			case !c.noFire:
				if err := mustBF(t, c.expr).inF(r, loc); err != nil {
					t.Errorf("%q in %s: %s(%s) = %s is not a fire time: %v", c.expr, c.zone, name, c.start, ts(r), err)
				}
			}
			t.Logf("%q in %s: %s(%s) took %s", c.expr, c.zone, name, c.start, time.Since(began).Round(time.Millisecond))
		}
	}
}

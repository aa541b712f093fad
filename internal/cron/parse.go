// Package cron parses cron expressions and finds their fire times in any
// IANA time zone, exactly across daylight-saving transitions. It follows
// Debian cron (as Healthchecks' evaluator does) with the corrections listed
// in the package documentation of Next. It has no dependencies.
package cron

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// field bounds and names, in the order of a six-field expression.
type fieldKind int

const (
	fSecond fieldKind = iota
	fMinute
	fHour
	fDOM
	fMonth
	fDOW
)

var fieldNames = [...]string{"second", "minute", "hour", "day-of-month", "month", "day-of-week"}

var fieldBounds = [...]struct{ min, max int }{{0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dayNames = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}

var macros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// set is a set of small numbers (0-63).
type set uint64

func (s set) has(i int) bool { return i >= 0 && i < 64 && s&(1<<uint(i)) != 0 }

// next is the smallest member >= i, or -1.
func (s set) next(i int) int {
	if i >= 64 {
		return -1
	}
	if i < 0 {
		i = 0
	}
	rest := s >> uint(i) << uint(i)
	if rest == 0 {
		return -1
	}
	return bits.TrailingZeros64(uint64(rest))
}

// prev is the largest member <= i, or -1.
func (s set) prev(i int) int {
	if i < 0 {
		return -1
	}
	if i < 63 {
		s &= 1<<uint(i+1) - 1
	}
	return bits.Len64(uint64(s)) - 1
}

func span(lo, hi, step int) set {
	var s set
	for i := lo; i <= hi; i += step {
		s |= 1 << uint(i)
	}
	return s
}

// Expr is a parsed cron expression.
type Expr struct {
	text string

	second, minute, hour, dom, month, dow set

	lastDay     bool  // L in day-of-month
	lastWeekday bool  // LW
	nearest     []int // nW: the weekday nearest to day n
	lastDOW     set   // nL in day-of-week: the last weekday n of the month
	nth         []nth // d#k

	domStar, dowStar bool // the field starts with * or is ?: day matching is AND
	fixedTime        bool // five fields, minute and hour not starting with *
	seconds          bool // six fields
}

type nth struct{ dow, k int }

// Error is a parse error; Field names the field at fault.
type Error struct {
	Expr  string
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cron %q: %s", e.Expr, e.Msg)
	}
	return fmt.Sprintf("cron %q: bad %s field: %s", e.Expr, e.Field, e.Msg)
}

// Parse parses a cron expression of five fields (minute hour day-of-month
// month day-of-week), six with a leading seconds field, or a macro such as
// @daily. An expression that can never fire is an error.
func Parse(text string) (*Expr, error) {
	e := &Expr{text: text}
	src := strings.TrimSpace(text)
	if strings.HasPrefix(src, "@") {
		exp, ok := macros[strings.ToLower(src)]
		if !ok {
			return nil, &Error{Expr: text, Msg: fmt.Sprintf("unknown macro %s (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly; use the every: form for intervals)", src)}
		}
		src = exp
	}
	fields := strings.Fields(src)
	switch len(fields) {
	case 5:
		fields = append([]string{"0"}, fields...)
	case 6:
		e.seconds = true
	default:
		return nil, &Error{Expr: text, Msg: fmt.Sprintf("wrong number of fields: want 5 (minute hour day-of-month month day-of-week) or 6 (with seconds first), got %d", len(fields))}
	}
	sets := []*set{&e.second, &e.minute, &e.hour, &e.dom, &e.month, &e.dow}
	for k, f := range fields {
		kind := fieldKind(k)
		if err := e.parseField(kind, f, sets[k]); err != nil {
			return nil, &Error{Expr: text, Field: fieldNames[kind], Msg: err.Error()}
		}
	}
	if e.dow.has(7) {
		e.dow = e.dow&^(1<<7) | 1 // 7 is Sunday too
	}
	e.domStar = strings.HasPrefix(fields[3], "*") || fields[3] == "?"
	e.dowStar = strings.HasPrefix(fields[5], "*") || fields[5] == "?"
	e.fixedTime = !e.seconds && !strings.HasPrefix(fields[1], "*") && !strings.HasPrefix(fields[2], "*")
	if !e.possible() {
		return nil, &Error{Expr: text, Field: "day-of-month", Msg: "no chosen month has any of the chosen days, so it would never fire"}
	}
	return e, nil
}

// String returns the expression as written.
func (e *Expr) String() string { return e.text }

// parseField parses one field into s, and the day specials into e.
func (e *Expr) parseField(kind fieldKind, f string, s *set) error {
	if f == "?" {
		if kind != fDOM && kind != fDOW {
			return fmt.Errorf("? is allowed only in day-of-month and day-of-week")
		}
		f = "*"
	}
	for _, part := range strings.Split(f, ",") {
		if err := e.parsePart(kind, part, s); err != nil {
			return err
		}
	}
	return nil
}

func (e *Expr) parsePart(kind fieldKind, part string, s *set) error {
	b := fieldBounds[kind]
	up := strings.ToUpper(part)
	switch {
	case part == "":
		return fmt.Errorf("empty list item")
	case kind == fDOM && up == "L":
		e.lastDay = true
		return nil
	case kind == fDOM && up == "LW":
		e.lastWeekday = true
		return nil
	case kind == fDOM && strings.HasSuffix(up, "W"):
		n, err := strconv.Atoi(up[:len(up)-1])
		if err != nil || !isDigits(up[:len(up)-1]) || n < 1 || n > 31 {
			return fmt.Errorf("%q: W needs a day from 1 to 31 before it, as in 15W", part)
		}
		e.nearest = append(e.nearest, n)
		return nil
	case kind == fDOW && strings.HasSuffix(up, "L"):
		d := up[:len(up)-1]
		n, err := strconv.Atoi(d)
		if err != nil || !isDigits(d) || n < 0 || n > 7 {
			return fmt.Errorf("%q: L needs a day number from 0 to 7 before it, as in 5L (last Friday)", part)
		}
		e.lastDOW |= 1 << uint(n%7)
		return nil
	case kind == fDOW && strings.Contains(up, "#"):
		d, k, _ := strings.Cut(up, "#")
		day, err := e.value(fDOW, d)
		if err != nil {
			return fmt.Errorf("%q: %v", part, err)
		}
		n, err := strconv.Atoi(k)
		if err != nil || !isDigits(k) || n < 1 || n > 5 {
			return fmt.Errorf("%q: # needs a week number from 1 to 5 after it, as in FRI#3", part)
		}
		e.nth = append(e.nth, nth{day % 7, n})
		return nil
	}
	rng, stepText, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || !isDigits(stepText) || n < 1 {
			return fmt.Errorf("%q: the step after / must be a number of at least 1", part)
		}
		step = n
	}
	var lo, hi int
	switch {
	case rng == "*":
		lo, hi = b.min, b.max
		if kind == fDOW && !hasStep {
			hi = 6
		}
	case strings.Contains(rng, "-"):
		a, z, _ := strings.Cut(rng, "-")
		var err error
		if lo, err = e.value(kind, a); err != nil {
			return fmt.Errorf("%q: %v", part, err)
		}
		if hi, err = e.value(kind, z); err != nil {
			return fmt.Errorf("%q: %v", part, err)
		}
		if lo > hi {
			return fmt.Errorf("%q: a range must go up (%d-%d); write wrapping ranges as two, like 22-23,0-2", part, lo, hi)
		}
	default:
		var err error
		if lo, err = e.value(kind, rng); err != nil {
			return fmt.Errorf("%q: %v", part, err)
		}
		hi = lo
		if hasStep {
			hi = b.max // a/n runs from a to the field's maximum
		}
	}
	if step > b.max-b.min+1 && hasStep && lo != hi {
		return fmt.Errorf("%q: step %d is larger than the field", part, step)
	}
	*s |= span(lo, hi, step)
	return nil
}

// value parses one number or name of a field.
func (e *Expr) value(kind fieldKind, v string) (int, error) {
	b := fieldBounds[kind]
	up := strings.ToUpper(v)
	if kind == fMonth {
		if n, ok := monthNames[up]; ok {
			return n, nil
		}
	}
	if kind == fDOW {
		if n, ok := dayNames[up]; ok {
			return n, nil
		}
	}
	if !isDigits(v) {
		return 0, fmt.Errorf("%q is not a number%s", v, nameHint(kind))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < b.min || n > b.max {
		return 0, fmt.Errorf("%s is out of range %d-%d", v, b.min, b.max)
	}
	return n, nil
}

func nameHint(kind fieldKind) string {
	switch kind {
	case fMonth:
		return " or a month name (JAN-DEC)"
	case fDOW:
		return " or a day name (SUN-SAT)"
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// possible reports whether some day of some year can match. Only the AND
// form with a restricted day-of-month can fail: the OR form and a
// restricted day-of-week always find a day.
func (e *Expr) possible() bool {
	if !e.dowStar || e.domStar {
		return true
	}
	if e.lastDay || e.lastWeekday {
		return true
	}
	for m := 1; m <= 12; m++ {
		if !e.month.has(m) {
			continue
		}
		days := maxDays(m)
		if e.dom.prev(days) >= 1 {
			return true
		}
		for _, n := range e.nearest {
			if n <= days {
				return true
			}
		}
	}
	return false
}

// maxDays is the longest a month can be (February in a leap year).
func maxDays(m int) int {
	return [...]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dayMatches reports whether the calendar day matches the day fields.
func (e *Expr) dayMatches(y int, m time.Month, d int) bool {
	if !e.month.has(int(m)) {
		return false
	}
	wd := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Weekday())
	// A field starting with * may still restrict (*/10): it only makes the
	// two day fields combine with AND instead of OR.
	domOK := e.domMatches(y, m, d, wd)
	dowOK := e.dowMatches(y, m, d, wd)
	if e.domStar || e.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

func (e *Expr) domMatches(y int, m time.Month, d, wd int) bool {
	if e.dom.has(d) {
		return true
	}
	if !e.lastDay && !e.lastWeekday && len(e.nearest) == 0 {
		return false
	}
	last := daysIn(y, m)
	if e.lastDay && d == last {
		return true
	}
	if e.lastWeekday && d == nearestWeekday(y, m, last, last) {
		return true
	}
	for _, n := range e.nearest {
		if n <= last && d == nearestWeekday(y, m, n, last) {
			return true
		}
	}
	return false
}

// nearestWeekday is the Monday-Friday nearest to day n, within the month.
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 0, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd: Friday would be last month
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday: Monday would be next month
		}
		return n + 1
	}
	return n
}

func (e *Expr) dowMatches(y int, m time.Month, d, wd int) bool {
	if e.dow.has(wd) {
		return true
	}
	if e.lastDOW.has(wd) && d+7 > daysIn(y, m) {
		return true
	}
	for _, x := range e.nth {
		if x.dow == wd && (d-1)/7+1 == x.k {
			return true
		}
	}
	return false
}

package cron

import (
	"errors"
	"testing"
	"time"
)

// fuzzCallLimit bounds each Next or Prev call of the fuzz target. The
// search horizon is 50 years; a correct search takes milliseconds.
const fuzzCallLimit = 2 * time.Second

var (
	fuzzFrom = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	fuzzTo   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// fuzzInstant maps any number into [1900, 2200), keeping those inside.
func fuzzInstant(unix int64) time.Time {
	span := fuzzTo - fuzzFrom
	return time.Unix(fuzzFrom+((unix-fuzzFrom)%span+span)%span, 0)
}

// FuzzParseNext parses any text and, if it is a valid expression, runs Next
// and Prev from an instant between 1900 and 2200 in one of the zones of
// testdata/zones.txt. It asserts: no panic; every call returns within
// fuzzCallLimit; a failed search says ErrNoFire; Next is strictly after
// and Prev strictly before the start; Prev(Next(t)) <= t and
// Next(Prev(t)) >= t (no fire between t and either answer); and, when the
// brute-force matcher of property_test.go reads the expression, each
// answer is a fire time by its rules.
//
// Seeds: testdata/fuzz/FuzzParseNext, and those added below.
func FuzzParseNext(f *testing.F) {
	names, _, err := testZones()
	if err != nil {
		f.Fatal(err)
	}
	zone := func(name string) uint16 {
		for i, n := range names {
			if n == name {
				return uint16(i)
			}
		}
		f.Fatalf("no zone %s", name)
		return 0
	}
	at := func(s string) int64 {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			f.Fatal(err)
		}
		return x.Unix()
	}
	f.Add("30 2 * * *", zone("Europe/Berlin"), at("2023-03-26T01:59:59+01:00"))
	f.Add("*/30 * * * *", zone("Australia/Lord_Howe"), at("2023-10-01T01:00:00+10:30"))
	f.Add("0 0 0 * * *", zone("America/Sao_Paulo"), at("2018-11-03T12:00:00-03:00"))
	f.Add("0 12 * * *", zone("Pacific/Apia"), at("2011-12-29T13:00:00-10:00"))
	f.Add("0 0 */31 * MON#5", zone("Europe/Berlin"), at("2024-01-01T00:00:00Z"))
	f.Add("0 0 29 2 */7", zone("America/New_York"), at("2004-03-01T00:00:00Z"))
	f.Add("0-59 0-23 * * *", zone("Pacific/Kwajalein"), at("1993-08-20T12:00:00Z"))
	f.Add("@every 5m", uint16(0), int64(0))

	f.Fuzz(func(t *testing.T, expr string, zoneIndex uint16, unix int64) {
		e, err := Parse(expr)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || err.Error() == "" {
				t.Fatalf("Parse(%q): error %v is not a *Error", expr, err)
			}
			return
		}
		names, locs, err := testZones()
		if err != nil {
			t.Fatal(err)
		}
		i := int(zoneIndex) % len(locs)
		loc := locs[i]
		start := fuzzInstant(unix)
		_ = Explain(e, loc)
		b, _ := bfParse(expr) // nil if the matcher cannot read it

		call := func(forward bool, x time.Time) (time.Time, bool) {
			name := map[bool]string{true: "Next", false: "Prev"}[forward]
			began := time.Now()
			r, err := boundedCall(fuzzCallLimit, e, forward, x, loc)
			if errors.Is(err, errStillRunning) {
				t.Fatalf("%q in %s: %s(%s) did not return within %s", expr, names[i], name, ts(x.In(loc)), fuzzCallLimit)
			}
			if d := time.Since(began); d > fuzzCallLimit {
				t.Fatalf("%q in %s: %s(%s) took %s", expr, names[i], name, ts(x.In(loc)), d)
			}
			if err != nil {
				if !errors.Is(err, ErrNoFire) {
					t.Fatalf("%q in %s: %s(%s): %v, not ErrNoFire", expr, names[i], name, ts(x.In(loc)), err)
				}
				return r, false
			}
			if forward && !r.After(x) || !forward && !r.Before(x) {
				t.Fatalf("%q in %s: %s(%s) = %s, not strictly %s it", expr, names[i], name, ts(x.In(loc)), ts(r),
					map[bool]string{true: "after", false: "before"}[forward])
			}
			if b != nil {
				if err := b.inF(r, loc); err != nil {
					t.Fatalf("%q in %s: %s(%s) = %s is not a fire time: %v", expr, names[i], name, ts(x.In(loc)), ts(r), err)
				}
			}
			return r, true
		}

		n, nok := call(true, start)
		p, pok := call(false, start)
		if nok {
			if q, ok := call(false, n); ok && q.After(start) {
				t.Fatalf("%q in %s: Prev(Next(t)) > t: t=%s, Next(t)=%s, Prev of that=%s", expr, names[i], ts(start.In(loc)), ts(n), ts(q))
			}
		}
		if pok {
			if q, ok := call(true, p); ok && q.Before(start) {
				t.Fatalf("%q in %s: Next(Prev(t)) < t: t=%s, Prev(t)=%s, Next of that=%s", expr, names[i], ts(start.In(loc)), ts(p), ts(q))
			}
		}
	})
}

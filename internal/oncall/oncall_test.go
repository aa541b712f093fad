package oncall

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func TestResolveAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		zone string
		date Date
		hm   Clock
		want string // RFC 3339 with offset
	}{
		{"Europe/Berlin", Date{2026, 3, 29}, HM(2, 30), "2026-03-29T03:00:00+02:00"}, // skipped: end of the jump
		{"Europe/Berlin", Date{2026, 3, 29}, HM(3, 0), "2026-03-29T03:00:00+02:00"},
		{"Europe/Berlin", Date{2026, 3, 29}, HM(1, 59), "2026-03-29T01:59:00+01:00"},
		{"Europe/Berlin", Date{2026, 10, 25}, HM(2, 30), "2026-10-25T02:30:00+02:00"}, // repeated: first occurrence
		{"Europe/Berlin", Date{2026, 10, 25}, HM(3, 0), "2026-10-25T03:00:00+01:00"},
		{"America/New_York", Date{2026, 3, 8}, HM(2, 15), "2026-03-08T03:00:00-04:00"},
		{"America/New_York", Date{2026, 11, 1}, HM(1, 30), "2026-11-01T01:30:00-04:00"},
		{"Australia/Lord_Howe", Date{2026, 10, 4}, HM(2, 10), "2026-10-04T02:30:00+11:00"}, // a 30-minute jump
		{"Australia/Lord_Howe", Date{2026, 4, 5}, HM(1, 45), "2026-04-05T01:45:00+11:00"},
		{"Pacific/Apia", Date{2011, 12, 30}, HM(9, 0), "2011-12-31T00:00:00+14:00"}, // a whole day skipped
		{"Asia/Tokyo", Date{2026, 6, 1}, HM(9, 0), "2026-06-01T09:00:00+09:00"},
		{"Europe/Berlin", Date{2026, 6, 1}, HM(24, 0), "2026-06-02T00:00:00+02:00"},
	} {
		got := Resolve(tc.date, tc.hm, zone(t, tc.zone)).Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s %s %s: got %s, want %s", tc.zone, tc.date, tc.hm, got, tc.want)
		}
	}
}

func TestWeeklyRotationAcrossDST(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := &Schedule{Name: "primary", Loc: berlin, Layers: []Rotation{{Participants: []string{"ana", "bo"},
		Start: Date{2026, 1, 5}, Length: 1, Unit: Weeks, Handoff: HM(9, 0)}}}
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2026-01-05 08:59", ""},
		{"2026-01-05 09:00", "ana"},
		{"2026-01-12 08:59", "ana"},
		{"2026-01-12 09:00", "bo"},
		{"2026-03-30 08:59", "bo"}, // the end of the week of the spring-forward Sunday
		{"2026-03-30 09:00", "ana"},
		{"2026-10-26 09:00", "ana"}, // the week of the fall-back Sunday
	} {
		if got := strings.Join(s.OnCall(at(berlin, tc.at)), ","); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.at, got, tc.want)
		}
	}
	// Handoffs stay at 09:00 local: the DST weeks are 167 and 169 hours.
	sh := s.Shifts(at(berlin, "2026-03-23 00:00"), at(berlin, "2026-04-08 00:00"))
	if len(sh) != 4 || sh[1].End.Sub(sh[1].Start) != 167*time.Hour || sh[1].Start.In(berlin).Hour() != 9 {
		t.Fatalf("shifts %v", sh)
	}
	sh = s.Shifts(at(berlin, "2026-10-15 00:00"), at(berlin, "2026-11-03 00:00"))
	if len(sh) != 4 || sh[1].End.Sub(sh[1].Start) != 169*time.Hour {
		t.Fatalf("shifts %v", sh)
	}
}

func TestDailyHandoffInTheSkippedHour(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := &Schedule{Loc: berlin, Layers: []Rotation{{Participants: []string{"ana", "bo", "cy"},
		Start: Date{2026, 3, 27}, Length: 1, Unit: Days, Handoff: HM(2, 30)}}}
	// 27 ana, 28 bo, 29 cy from 03:00 CEST (02:30 does not exist), 30 ana.
	for _, tc := range []struct{ at, want string }{
		{"2026-03-29 01:59", "bo"},
		{"2026-03-29 03:00", "cy"},
		{"2026-03-30 02:29", "cy"},
		{"2026-03-30 02:30", "ana"},
	} {
		if got := strings.Join(s.OnCall(at(berlin, tc.at)), ","); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.at, got, tc.want)
		}
	}
	// In the repeated hour of 25 October the handoff is at the first 02:30.
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // 02:30 CEST
	before, after := s.OnCall(first.Add(-time.Second)), s.OnCall(first)
	if slices.Equal(before, after) {
		t.Errorf("no handoff at the first 02:30: %v", before)
	}
	if again := s.OnCall(first.Add(time.Hour)); !slices.Equal(again, after) { // 02:30 CET
		t.Errorf("handed off again at the second 02:30: %v then %v", after, again)
	}
}

func TestLayersRestrictionsAndOverrides(t *testing.T) {
	berlin, ny, tokyo := zone(t, "Europe/Berlin"), zone(t, "America/New_York"), zone(t, "Asia/Tokyo")
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	s := &Schedule{Loc: berlin, Layers: []Rotation{
		{Name: "nights", Participants: []string{"night"}, Start: Date{2026, 1, 1}, Length: 1, Unit: Weeks},
		{Name: "berlin-days", Participants: []string{"ana"}, Start: Date{2026, 1, 1}, Length: 1, Unit: Days,
			Restrictions: []Restriction{{Days: weekdays, From: HM(9, 0), To: HM(17, 0), Loc: berlin}}},
		{Name: "new-york-days", Participants: []string{"nyc"}, Start: Date{2026, 1, 1}, Length: 1, Unit: Days,
			Restrictions: []Restriction{{Days: weekdays, From: HM(9, 0), To: HM(17, 0), Loc: ny}}},
		{Name: "tokyo-weekend-evenings", Participants: []string{"tyo"}, Start: Date{2026, 1, 1}, Length: 1, Unit: Days,
			Restrictions: []Restriction{{Days: []time.Weekday{time.Saturday, time.Sunday}, From: HM(22, 0), To: HM(2, 0), Loc: tokyo}}}, // crosses midnight
	}, Overrides: []Override{
		{User: "cy", From: at(berlin, "2026-02-03 12:00"), To: at(berlin, "2026-02-03 14:00")},
		{User: "dee", From: at(berlin, "2026-02-03 13:00"), To: at(berlin, "2026-02-03 15:00")},
	}}
	for _, tc := range []struct{ at, want string }{
		{"2026-02-03 10:00", "ana"},    // Tuesday, Berlin day
		{"2026-02-03 16:00", "nyc"},    // 10:00 in New York: the higher layer wins
		{"2026-02-03 23:30", "nyc"},    // 17:30 in New York? no: 17:30 is past 17:00...
		{"2026-02-03 14:30", "ana"},    // after cy's override; dee's still runs
		{"2026-02-03 12:30", "cy"},     // override
		{"2026-02-03 13:30", "cy,dee"}, // overlapping overrides
		{"2026-02-07 10:00", "night"},  // Saturday
		{"2026-02-07 14:30", "tyo"},    // 22:30 in Tokyo
		{"2026-02-07 17:59", "tyo"},    // 01:59 in Tokyo, the window of the day before
		{"2026-02-07 18:00", "night"},  // 02:00 in Tokyo
	} {
		_ = tc
	}
	cases := []struct{ at, want string }{
		{"2026-02-03 10:00", "ana"},
		{"2026-02-03 16:00", "nyc"},
		{"2026-02-03 23:30", "night"},
		{"2026-02-03 12:30", "cy"},
		{"2026-02-03 13:30", "cy,dee"},
		{"2026-02-03 14:30", "dee"},
		{"2026-02-03 15:00", "nyc"},
		{"2026-02-07 10:00", "night"},
		{"2026-02-07 14:30", "tyo"},
		{"2026-02-07 17:59", "tyo"},
		{"2026-02-07 18:00", "night"},
	}
	for _, tc := range cases {
		if got := strings.Join(s.OnCall(at(berlin, tc.at)), ","); got != tc.want {
			t.Errorf("at %s: %q, want %q", tc.at, got, tc.want)
		}
	}
	// New York changes its clocks two weeks before Berlin: in between, its
	// window starts at 14:00 Berlin time instead of 15:00.
	if got := s.OnCall(at(berlin, "2026-03-10 14:30")); !slices.Equal(got, []string{"nyc"}) {
		t.Errorf("New York after its change, Berlin before: %v", got)
	}
	if got := s.OnCall(at(berlin, "2026-03-03 14:30")); !slices.Equal(got, []string{"ana"}) {
		t.Errorf("both in winter time: %v", got)
	}
}

func TestGaps(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := &Schedule{Loc: berlin, Layers: []Rotation{{Participants: []string{"ana"}, Start: Date{2026, 1, 1}, Length: 1, Unit: Days,
		Restrictions: []Restriction{{From: HM(8, 0), To: HM(20, 0), Loc: berlin}}}}}
	gaps := s.Gaps(at(berlin, "2026-02-02 00:00"), at(berlin, "2026-02-03 00:00"))
	var got []string
	for _, g := range gaps {
		got = append(got, g.Start.In(berlin).Format("15:04")+"-"+g.End.In(berlin).Format("15:04"))
	}
	if strings.Join(got, " ") != "00:00-08:00 20:00-00:00" {
		t.Fatalf("gaps %v", got)
	}
	s.Layers[0].Restrictions = nil
	if gaps := s.Gaps(at(berlin, "2026-02-02 00:00"), at(berlin, "2026-03-02 00:00")); len(gaps) != 0 {
		t.Fatalf("24/7 rotation has gaps %v", gaps)
	}
}

// --- property test -------------------------------------------------------

// brute evaluates schedules the slow way: wall-clock times are placed by
// scanning real minutes, shifts by walking every handoff from the first.
type brute struct {
	resolved map[resolveKey]time.Time
}

type resolveKey struct {
	d   Date
	c   Clock
	loc *time.Location
}

// resolve finds the first real minute whose local date and time reach
// (d, c): the first occurrence of a repeated time, the end of a jump for a
// skipped one.
func (b *brute) resolve(d Date, c Clock, loc *time.Location) time.Time {
	if c >= 24*60 {
		d, c = d.AddDays(1), c-24*60
	}
	key := resolveKey{d, c, loc}
	if t, ok := b.resolved[key]; ok {
		return t
	}
	// No zone is more than 14 hours from UTC (and a skipped day adds 24).
	start := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Add(-15 * time.Hour)
	for u := start; ; u = u.Add(time.Minute) {
		l := u.In(loc)
		ld := Date{l.Year(), l.Month(), l.Day()}
		lc := Clock(l.Hour()*60 + l.Minute())
		if daysBetween(d, ld) > 0 || ld == d && lc >= c {
			b.resolved[key] = u
			return u
		}
	}
}

func (b *brute) onCall(s *Schedule, t time.Time) []string {
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
		r := &s.Layers[i]
		if len(r.Restrictions) > 0 {
			in := false
			for _, x := range r.Restrictions {
				d := DateOf(t, x.Loc)
				for _, day := range []Date{d.AddDays(-1), d} {
					if len(x.Days) > 0 && !slices.Contains(x.Days, day.Weekday()) {
						continue
					}
					end := day
					if x.To <= x.From {
						end = day.AddDays(1)
					}
					if !t.Before(b.resolve(day, x.From, x.Loc)) && t.Before(b.resolve(end, x.To, x.Loc)) {
						in = true
					}
				}
			}
			if !in {
				continue
			}
		}
		handoff := func(k int) time.Time {
			switch r.Unit {
			case Hours:
				return b.resolve(r.Start, r.Handoff, s.Loc).Add(time.Duration(k*r.Length) * time.Hour)
			case Weeks:
				return b.resolve(r.Start.AddDays(7*k*r.Length), r.Handoff, s.Loc)
			}
			return b.resolve(r.Start.AddDays(k*r.Length), r.Handoff, s.Loc)
		}
		if t.Before(handoff(0)) {
			continue
		}
		k := 0
		for !t.Before(handoff(k + 1)) {
			k++
		}
		return []string{r.Participants[k%len(r.Participants)]}
	}
	return nil
}

var propertyZones = []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
	"Asia/Tehran", "Europe/London", "Pacific/Chatham", "America/St_Johns", "Asia/Kolkata", "UTC"}

func randomSchedule(rng *rand.Rand, t testing.TB) *Schedule {
	loc := zone(t, propertyZones[rng.IntN(len(propertyZones))])
	s := &Schedule{Name: "p", Loc: loc}
	people := []string{"ana", "bo", "cy", "dee", "eli"}
	start := Date{2025, time.Month(1 + rng.IntN(12)), 1 + rng.IntN(28)}
	for range 1 + rng.IntN(3) {
		r := Rotation{Participants: people[:1+rng.IntN(len(people))], Start: start.AddDays(rng.IntN(20)),
			Handoff: Clock(rng.IntN(24*4) * 15)}
		switch rng.IntN(3) {
		case 0:
			r.Unit, r.Length = Hours, 4+rng.IntN(20)
		case 1:
			r.Unit, r.Length = Days, 1+rng.IntN(3)
		default:
			r.Unit, r.Length = Weeks, 1+rng.IntN(2)
		}
		if rng.IntN(2) == 0 {
			x := Restriction{From: Clock(rng.IntN(24*4) * 15), To: Clock(rng.IntN(24*4+1) * 15),
				Loc: zone(t, propertyZones[rng.IntN(len(propertyZones))])}
			for d := range 7 {
				if rng.IntN(3) > 0 {
					x.Days = append(x.Days, time.Weekday(d))
				}
			}
			r.Restrictions = append(r.Restrictions, x)
		}
		s.Layers = append(s.Layers, r)
	}
	base := Resolve(start, 0, loc)
	for range rng.IntN(3) {
		from := base.Add(time.Duration(rng.IntN(400*24)) * time.Hour)
		s.Overrides = append(s.Overrides, Override{User: people[rng.IntN(len(people))], From: from,
			To: from.Add(time.Duration(1+rng.IntN(72)) * time.Hour)})
	}
	return s
}

// TestOnCallMatchesBruteForce checks, for random schedules in zones with
// odd clock changes, that OnCall agrees with the brute-force evaluation at
// instants around every clock change, every shift boundary and at random,
// and that Shifts agrees with OnCall everywhere inside each shift.
func TestOnCallMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	schedules := 60
	if testing.Short() {
		schedules = 10
	}
	b := &brute{resolved: map[resolveKey]time.Time{}}
	checked := 0
	for range schedules {
		s := randomSchedule(rng, t)
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		from := Resolve(s.Layers[0].Start, 0, s.Loc).Add(-48 * time.Hour)
		to := from.Add(400 * 24 * time.Hour)
		var instants []time.Time
		for range 150 {
			instants = append(instants, from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))).Truncate(time.Minute))
		}
		// Around each clock change of the schedule's zone.
		for u := from; u.Before(to); {
			_, end := u.In(s.Loc).ZoneBounds()
			if end.IsZero() || !end.Before(to) {
				break
			}
			for _, d := range []time.Duration{-61, -60, -31, -30, -1, 0, 1, 30, 59, 60, 61, 119, 120} {
				instants = append(instants, end.Add(d*time.Minute))
			}
			u = end
		}
		shifts := s.Shifts(from, to)
		for _, sh := range shifts {
			instants = append(instants, sh.Start, sh.End.Add(-time.Minute))
		}
		for _, u := range instants {
			got, want := s.OnCall(u), b.onCall(s, u)
			if !slices.Equal(got, want) {
				t.Fatalf("schedule %+v\nat %s (%s): OnCall %v, brute force %v", s, u.Format(time.RFC3339), u.In(s.Loc), got, want)
			}
			checked++
		}
		for i, sh := range shifts {
			if i > 0 && !shifts[i-1].End.Equal(sh.Start) {
				t.Fatalf("shifts not contiguous at %d: %v", i, shifts[i-1:i+1])
			}
			mid := sh.Start.Add(sh.End.Sub(sh.Start) / 2)
			if got := s.OnCall(mid); !slices.Equal(got, sh.Users) {
				t.Fatalf("shift %v, but OnCall in its middle %v", sh, got)
			}
		}
	}
	t.Logf("%d instants in %d schedules agree", checked, schedules)
}

// With adds overrides to a copy: the copy has them on call, the schedule
// itself is unchanged.
func TestWithAddsOverridesToACopy(t *testing.T) {
	base := &Schedule{Name: "p", Loc: time.UTC, Layers: []Rotation{{Participants: []string{"ana"}, Start: Date{2026, 1, 5},
		Length: 1, Unit: Weeks}}, Overrides: []Override{{User: "cid", From: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC),
		To: time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)}}}
	at := time.Date(2026, 1, 8, 12, 0, 0, 0, time.UTC)
	with := base.With([]Override{{User: "bob", From: at.Add(-time.Hour), To: at.Add(time.Hour)}})
	if got := with.OnCall(at); len(got) != 1 || got[0] != "bob" {
		t.Errorf("with the override: %v", got)
	}
	if got := base.OnCall(at); len(got) != 1 || got[0] != "ana" || len(base.Overrides) != 1 {
		t.Errorf("the schedule itself changed: %v, %d overrides", got, len(base.Overrides))
	}
	if got := with.OnCall(time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC)); len(got) != 1 || got[0] != "cid" {
		t.Errorf("the config's override is kept: %v", got)
	}
	if base.With(nil) != base {
		t.Error("With(nil) copies")
	}
}

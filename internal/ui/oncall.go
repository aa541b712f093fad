package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/web"
)

func (u *UI) oncallRoutes() []auth.Route {
	return []auth.Route{
		page("GET /oncall", auth.Viewer, u.oncallPage),
		page("POST /oncall/overrides", auth.Responder, u.createOverride),
		page("POST /oncall/schedules/{name}/overrides/{id}/remove", auth.Responder, u.removeOverride),
	}
}

// Bounds of what the on-call page computes.
const (
	upcomingAhead   = 14 * 24 * time.Hour // each user's upcoming shifts
	upcomingPerUser = 10
	nowAhead        = 60 * 24 * time.Hour // how far "on call until" looks
)

// oncallView is the on-call page's data.
type oncallView struct {
	Now       []scheduleNow
	Month     bool // the calendar shows a month, else a week
	Period    string
	Prev      string // links to the period before and after, and to this one
	Next      string
	This      string
	Other     string // the same period in the other view
	Days      []calendarDay
	Overrides []overrideRow
	Users     []userShifts
	Schedules []string // for the form
	Choosable []string // users an override may name: not disabled
	From, To  string   // the form's defaults, in the viewer's zone
	ZoneName  string
}

type scheduleNow struct {
	Name     string
	TZ       string
	Users    []string // empty: a gap
	Until    string   // when this changes; "" beyond the horizon
	Override bool     // an override has them on call
}

type calendarDay struct {
	Label     string // "Mon 4 May"
	Today     bool
	Schedules []daySchedule
}

type daySchedule struct {
	Name     string
	Segments []segment
}

type segment struct {
	From, To string // "09:00", "24:00"
	Users    []string
}

type overrideRow struct {
	web.Override
	When      string
	Made      string // when it was made, for runtime ones
	InForce   bool
	Removable bool
}

type userShifts struct {
	Name     string
	Disabled bool
	Shifts   []userShift
	More     bool // more than upcomingPerUser in the span
	ICalURL  string
}

type userShift struct {
	Schedule string
	When     string
	Now      bool
}

// oncallPage shows who is on call now, a week's or a month's shifts in
// the viewer's zone with the gaps, the overrides with a form to make one,
// and each user's upcoming shifts with their calendar feed. It reads the
// store twice (the overrides of the span shown, then the list of them)
// and computes every shift of a schedule in one call.
func (u *UI) oncallPage(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	zone, now := u.zoneOf(p), u.srv.Clock.Now()
	q := r.URL.Query()
	v := oncallView{Month: q.Get("view") == "month", ZoneName: zone.String()}
	today := oncall.DateOf(now, zone)
	start := today
	if s := q.Get("start"); s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, zone)
		if err != nil {
			u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "start: %q is not a date (YYYY-MM-DD)", s))
			return
		}
		start = oncall.DateOf(t, zone)
	}
	var end oncall.Date
	if v.Month {
		start = oncall.Date{Year: start.Year, Month: start.Month, Day: 1}
		next := time.Date(start.Year, start.Month+1, 1, 12, 0, 0, 0, time.UTC)
		prev := time.Date(start.Year, start.Month-1, 1, 12, 0, 0, 0, time.UTC)
		end = oncall.DateOf(next, time.UTC)
		v.Period = time.Date(start.Year, start.Month, 1, 12, 0, 0, 0, time.UTC).Format("January 2006")
		v.Prev = "/oncall?view=month&start=" + oncall.DateOf(prev, time.UTC).String()
		v.Next = "/oncall?view=month&start=" + end.String()
		v.This = "/oncall?view=month"
		v.Other = "/oncall?start=" + start.String()
	} else {
		start = start.AddDays(-((int(start.Weekday()) + 6) % 7)) // back to Monday
		end = start.AddDays(7)
		v.Period = "Week of " + dayLabel(start)
		v.Prev = "/oncall?start=" + start.AddDays(-7).String()
		v.Next = "/oncall?start=" + end.String()
		v.This = "/oncall"
		v.Other = "/oncall?view=month&start=" + start.String()
	}
	from, to := oncall.Resolve(start, 0, zone), oncall.Resolve(end, 0, zone)

	// One read of the overrides for everything computed below.
	spanFrom, spanTo := from, to
	if now.Before(spanFrom) {
		spanFrom = now
	}
	if t := now.Add(nowAhead); t.After(spanTo) {
		spanTo = t
	}
	scheds, err := u.srv.OnCallSchedules(r.Context(), spanFrom, spanTo)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names := make([]string, 0, len(scheds))
	for name := range scheds {
		names = append(names, name)
	}
	slices.Sort(names)
	v.Schedules = names

	overrides, err := u.srv.Overrides(r.Context(), "", now, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	responder := p.Role.Allows(auth.Responder)
	for _, o := range overrides {
		row := overrideRow{Override: o, When: span(o.Start, o.End, zone), InForce: !o.Start.After(now),
			Removable: responder && !o.FromConfig}
		if !o.FromConfig {
			row.Made = stamp(o.CreatedAt, zone)
		}
		v.Overrides = append(v.Overrides, row)
	}

	for _, name := range names {
		sc := scheds[name]
		n := scheduleNow{Name: name, TZ: sc.Loc.String()}
		if shifts := sc.Shifts(now, now.Add(nowAhead)); len(shifts) > 0 {
			n.Users = shifts[0].Users
			n.Override = slices.ContainsFunc(v.Overrides, func(o overrideRow) bool { return o.Schedule == name && o.InForce })
			if shifts[0].End.Before(now.Add(nowAhead)) {
				n.Until = stamp(shifts[0].End, zone)
			}
		}
		v.Now = append(v.Now, n)
	}

	v.Days = calendar(scheds, names, start, end, today, zone)

	// Each user's upcoming shifts.
	cfg := u.srv.Snapshots.Load().Config
	byUser := map[string]int{} // index in v.Users
	if cfg != nil {
		for _, cu := range cfg.Users {
			byUser[cu.Name] = len(v.Users)
			v.Users = append(v.Users, userShifts{Name: cu.Name, Disabled: cu.Disabled, ICalURL: u.srv.UserFeedURL(cu.Name)})
			if !cu.Disabled {
				v.Choosable = append(v.Choosable, cu.Name)
			}
		}
	}
	type userShiftAt struct {
		start time.Time
		userShift
	}
	upcoming := map[string][]userShiftAt{}
	for _, name := range names {
		for _, sh := range scheds[name].Shifts(now, now.Add(upcomingAhead)) {
			for _, user := range sh.Users {
				upcoming[user] = append(upcoming[user], userShiftAt{sh.Start, userShift{Schedule: name,
					When: span(sh.Start, sh.End, zone), Now: !sh.Start.After(now)}})
			}
		}
	}
	for user, list := range upcoming {
		i, ok := byUser[user]
		if !ok {
			continue
		}
		us := &v.Users[i]
		slices.SortStableFunc(list, func(a, b userShiftAt) int { return a.start.Compare(b.start) })
		if len(list) > upcomingPerUser {
			list, us.More = list[:upcomingPerUser], true
		}
		for _, s := range list {
			us.Shifts = append(us.Shifts, s.userShift)
		}
	}

	hour := now.In(zone).Truncate(time.Hour).Add(time.Hour)
	v.From, v.To = hour.Format(localInput), hour.Add(24*time.Hour).Format(localInput)
	u.render(w, r, "oncall", "On call", "oncall", v)
}

// calendar cuts each schedule's shifts from start to end into days of
// zone: one Shifts call per schedule.
func calendar(scheds map[string]*oncall.Schedule, names []string, start, end, today oncall.Date, zone *time.Location) []calendarDay {
	var days []calendarDay
	var bounds []time.Time
	for d := start; d != end; d = d.AddDays(1) {
		days = append(days, calendarDay{Label: dayLabel(d), Today: d == today})
		bounds = append(bounds, oncall.Resolve(d, 0, zone))
	}
	bounds = append(bounds, oncall.Resolve(end, 0, zone))
	for _, name := range names {
		shifts := scheds[name].Shifts(bounds[0], bounds[len(bounds)-1])
		i := 0 // the first shift that may overlap day k
		for k := range days {
			d0, d1 := bounds[k], bounds[k+1]
			ds := daySchedule{Name: name}
			for j := i; j < len(shifts) && shifts[j].Start.Before(d1); j++ {
				sh := shifts[j]
				if !sh.End.After(d0) {
					i = j + 1
					continue
				}
				s, e := sh.Start, sh.End
				if s.Before(d0) {
					s = d0
				}
				seg := segment{From: s.In(zone).Format("15:04"), Users: sh.Users}
				if e.Before(d1) {
					seg.To = e.In(zone).Format("15:04")
				} else {
					seg.To = "24:00"
				}
				ds.Segments = append(ds.Segments, seg)
			}
			days[k].Schedules = append(days[k].Schedules, ds)
		}
	}
	return days
}

// localInput is the form of a datetime-local field's value.
const localInput = "2006-01-02T15:04"

func dayLabel(d oncall.Date) string {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Format("Mon 2 Jan")
}

// stamp is a moment for people, in zone: "Mon 4 May 2026 09:00 CEST".
func stamp(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("Mon 2 Jan 2006 15:04 MST")
}

// span is a stretch of time for people, in zone, said once when it
// starts and ends on the same day: "Mon 4 May 2026 09:00–17:00 CEST".
func span(from, to time.Time, zone *time.Location) string {
	f, t := from.In(zone), to.In(zone)
	if f.YearDay() == t.YearDay() && f.Year() == t.Year() {
		return f.Format("Mon 2 Jan 2006 15:04") + "–" + t.Format("15:04 MST")
	}
	return stamp(from, zone) + " – " + stamp(to, zone)
}

// createOverride is the override form: the same CreateOverride the API
// calls, with from and to read in the viewer's zone.
func (u *UI) createOverride(w http.ResponseWriter, r *http.Request) {
	p, _ := auth.PrincipalFrom(r.Context())
	zone := u.zoneOf(p)
	in := web.NewOverride{Schedule: r.PostFormValue("schedule"), User: r.PostFormValue("user"),
		Note: strings.TrimSpace(r.PostFormValue("note"))}
	for _, f := range []struct {
		name, label string
		t           *time.Time
	}{{"from", "From", &in.Start}, {"to", "To", &in.End}} {
		v := r.PostFormValue(f.name)
		t, err := time.ParseInLocation(localInput, v, zone)
		if err != nil {
			t, err = time.ParseInLocation(localInput+":05", v, zone)
		}
		if err != nil {
			u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "%s: %q is not a date and time (YYYY-MM-DDTHH:MM)", f.label, v))
			return
		}
		*f.t = t
	}
	if _, err := u.srv.CreateOverride(r, in); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/oncall", "override-created")
}

// removeOverride is an override's Remove button: the API's RemoveOverride.
func (u *UI) removeOverride(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		u.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "schedule %s has no override %q", name, r.PathValue("id")))
		return
	}
	if _, err := u.srv.RemoveOverride(r, name, id); err != nil {
		u.fail(w, r, err)
		return
	}
	done(w, r, "/oncall", "override-removed")
}

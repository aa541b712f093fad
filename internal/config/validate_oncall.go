package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/oncall"
)

// Limits of rotations: a turn of at most a year, first turns in years the
// schedule arithmetic handles exactly.
const (
	maxRotationHours = 366 * 24
	minStartYear     = 2000
	maxStartYear     = 2199
)

var (
	rotationLenRE = regexp.MustCompile(`^([0-9]{1,6})([hdw])$`)
	clockRE       = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{2})$`)
	dateRE        = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// weekdays maps the day names of handoffs and restrictions, lowercase.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// onCallCheck validates the on-call sections. Each map of names is nil
// when its section could not be read, so that references to it are not
// reported as unknown.
type onCallCheck struct {
	d         *decoder
	cfg       *Config
	channels  map[string]bool
	users     map[string]*User
	teams     map[string]bool
	schedules map[string]*OnCallSchedule
	policies  map[string]bool
	zones     map[string]*time.Location // loaded time zones, by name
}

// validateOnCall checks users, teams, schedules, escalation policies, the
// on-call references of services, the gap check and the links secret;
// channels is nil when the channels could not be read.
func (d *decoder) validateOnCall(cfg *Config, channels map[string]bool) {
	c := &onCallCheck{d: d, cfg: cfg, channels: channels, zones: map[string]*time.Location{}}
	c.validateUsers()
	c.validateTeams()
	c.validateSchedules()
	c.validatePolicies()
	c.validateServices()

	oc := &cfg.OnCall
	d.durationRange("oncall.gap_horizon", &oc.GapHorizon, DefaultGapHorizon, MinGapHorizon, MaxGapHorizon)
	d.durationRange("oncall.gap_check_every", &oc.GapCheckEvery, DefaultGapCheckEvery, MinGapCheckEvery, MaxGapCheckEvery)

	switch n := utf8.RuneCountInString(cfg.LinksSecret); {
	case n > 0 && n < MinLinksSecretLen:
		d.fieldErrorf("links_secret", "must be at least %d characters (like the output of openssl rand -hex 32), got %d", MinLinksSecretLen, n)
	case n == 0 && len(cfg.EscalationPolicies) > 0:
		d.warnf("links_secret", "not set: the acknowledge and resolve links in pages need it; set at least %d random characters (openssl rand -hex 32)", MinLinksSecretLen)
	}
}

// durationRange applies a default to the duration field at p, or checks
// that the value from the file lies in [lo, hi].
func (d *decoder) durationRange(p string, v *Duration, def, lo, hi time.Duration) {
	if !d.set[p] {
		*v = Duration(def)
		return
	}
	if v.D() < lo || v.D() > hi {
		d.fieldErrorf(p, "must be between %s and %s, got %s", Duration(lo), Duration(hi), *v)
	}
}

// uniqueName checks the name of item i of the list at list: required,
// channelNameRE, unique. seen maps the names so far to their index.
func (d *decoder) uniqueName(list string, i int, name string, seen map[string]int) {
	p := fmt.Sprintf("%s[%d].name", list, i)
	switch {
	case name == "":
		d.fieldErrorf(p, "required")
	case !channelNameRE.MatchString(name):
		d.fieldErrorf(p, "must be 1 to 64 lowercase letters, digits, _ or -, starting with a letter or digit, got %s", quote(name))
	default:
		if j, dup := seen[name]; dup {
			d.fieldErrorf(p, "%s is also the name of %s[%d]", quote(name), list, j)
		} else {
			seen[name] = i
		}
	}
}

// readable reports whether the list at list, its n items and their names
// were all decoded, so that the names are known.
func (d *decoder) readable(list string, n int) bool {
	if d.bad[list] {
		return false
	}
	for i := range n {
		p := fmt.Sprintf("%s[%d]", list, i)
		if d.bad[p] || d.bad[p+".name"] {
			return false
		}
	}
	return true
}

// zone loads the time zone tz named at p, or reports it and returns nil.
func (c *onCallCheck) zone(p, tz string) *time.Location {
	if loc := c.zones[tz]; loc != nil {
		return loc
	}
	loc := c.d.loadTZ(p, tz)
	if loc != nil {
		c.zones[tz] = loc
	}
	return loc
}

func (c *onCallCheck) validateUsers() {
	d, cfg := c.d, c.cfg
	seen := map[string]int{}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		p := fmt.Sprintf("users[%d]", i)
		d.uniqueName("users", i, u.Name, seen)
		if u.Role == "" {
			u.Role = auth.Responder.String()
		} else if _, err := auth.ParseRole(u.Role); err != nil {
			d.fieldErrorf(p+".role", "%s", err)
		}
		if u.Email != "" {
			if err := checkEmail(u.Email); err != nil {
				d.fieldErrorf(p+".email", "%s", err)
			}
		}
		if u.TZ == "" {
			u.TZ = "UTC"
		} else {
			c.zone(p+".tz", u.TZ)
		}
		contacts := map[Contact]int{}
		for j := range u.Contacts {
			ct := &u.Contacts[j]
			cp := fmt.Sprintf("%s.contacts[%d]", p, j)
			if !c.validateContact(cp, ct) {
				continue
			}
			if k, dup := contacts[*ct]; dup {
				d.fieldErrorf(cp, "same contact as %s.contacts[%d]", p, k)
			} else {
				contacts[*ct] = j
			}
		}
		if len(u.Contacts) == 0 && !u.Disabled && !d.related(p+".contacts") {
			d.warnf(p, "user %s has no contacts: pages cannot reach them", quote(u.Name))
		}
	}
	if d.readable("users", len(cfg.Users)) {
		c.users = make(map[string]*User, len(seen))
		for name, i := range seen {
			c.users[name] = &cfg.Users[i]
		}
	}
}

// validateContact checks the contact at p and reports whether it is good.
func (c *onCallCheck) validateContact(p string, ct *Contact) bool {
	d := c.d
	supported := strings.Join(contactTypes, ", ")
	k, known := notify.LookupContact(ct.Type)
	switch {
	case ct.Type == "":
		d.fieldErrorf(p+".type", "required; one of %s", supported)
		return false
	case !known:
		d.fieldErrorf(p+".type", "unsupported type %s; supported: %s", quote(ct.Type), supported)
		return false
	}
	spec := k.Spec()
	tp := p + ".to"
	if ct.To == "" {
		d.fieldErrorf(tp, "required: %s", spec.ContactHint)
		return false
	}
	bad := func(format string, args ...any) bool {
		d.fieldErrorf(tp, format, args...)
		return false
	}
	if !spec.ContactNamesChannel {
		if err := k.CheckContact(ct.To); err != nil {
			return bad("%s", err)
		}
		return true
	}
	if c.channels == nil {
		return true
	}
	if !c.channels[ct.To] {
		return bad("unknown channel %s; defined: %s", quote(ct.To), definedList(c.channels))
	}
	if ch, _ := c.cfg.ChannelByName(ct.To); ch.Type != spec.Name {
		return bad("channel %s is of type %s; %s contacts need a channel of type %s", quote(ct.To), quote(ch.Type), spec.Name, spec.Name)
	}
	return true
}

// userRefs checks the user names of the list at p: each must be a user;
// unless dupOK, each at most once. It reports whether all are good.
func (c *onCallCheck) userRefs(p string, list []string, dupOK bool) bool {
	ok := true
	seen := map[string]int{}
	for i, name := range list {
		ip := fmt.Sprintf("%s[%d]", p, i)
		if j, dup := seen[name]; dup && !dupOK {
			c.d.fieldErrorf(ip, "user %s is already listed at %s[%d]", quote(name), p, j)
			ok = false
			continue
		}
		seen[name] = i
		if !c.userRef(ip, name) {
			ok = false
		}
	}
	return ok
}

// userRef checks that name, at p, is a user; it reports whether it is.
func (c *onCallCheck) userRef(p, name string) bool {
	if c.users == nil {
		return !c.d.related(p)
	}
	if c.users[name] == nil {
		c.d.fieldErrorf(p, "unknown user %s; defined: %s", quote(name), definedList(c.users))
		return false
	}
	return true
}

func (c *onCallCheck) validateTeams() {
	d, cfg := c.d, c.cfg
	seen := map[string]int{}
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		p := fmt.Sprintf("teams[%d]", i)
		d.uniqueName("teams", i, t.Name, seen)
		c.userRefs(p+".members", t.Members, false)
		d.validateNotify(p+".fallback", t.Fallback, c.channels)
		if len(t.Fallback) == 0 && !d.related(p+".fallback") {
			d.warnf(p, "team %s has no fallback channel: when none of its people can be reached, nobody hears", quote(t.Name))
		}
	}
	if d.readable("teams", len(cfg.Teams)) {
		c.teams = make(map[string]bool, len(seen))
		for name := range seen {
			c.teams[name] = true
		}
	}
}

// teamRef checks that name, at p, is a team, if set.
func (c *onCallCheck) teamRef(p, name string) {
	if name != "" && c.teams != nil && !c.teams[name] {
		c.d.fieldErrorf(p, "unknown team %s; defined: %s", quote(name), definedList(c.teams))
	}
}

func (c *onCallCheck) validateSchedules() {
	d, cfg := c.d, c.cfg
	seen := map[string]int{}
	for i := range cfg.Schedules {
		s := &cfg.Schedules[i]
		p := fmt.Sprintf("schedules[%d]", i)
		d.uniqueName("schedules", i, s.Name, seen)
		ok := true
		compiled := &oncall.Schedule{Name: s.Name}
		if s.TZ == "" {
			if !d.related(p + ".tz") {
				d.fieldErrorf(p+".tz", "required: the IANA time zone of handoffs, like Europe/Berlin")
			}
			ok = false
		} else if compiled.Loc = c.zone(p+".tz", s.TZ); compiled.Loc == nil {
			ok = false
		}
		c.teamRef(p+".team", s.Team)
		if len(s.Rotations) == 0 {
			if !d.related(p + ".rotations") {
				d.fieldErrorf(p+".rotations", "required: at least one rotation")
			}
			ok = false
		}
		names := map[string]int{}
		for j := range s.Rotations {
			rp := fmt.Sprintf("%s.rotations[%d]", p, j)
			r := &s.Rotations[j]
			if r.Name != "" {
				if err := checkName(r.Name); err != nil {
					d.fieldErrorf(rp+".name", "%s", err)
				} else if k, dup := names[r.Name]; dup {
					d.fieldErrorf(rp+".name", "%s is also the name of %s.rotations[%d]", quote(r.Name), p, k)
				} else {
					names[r.Name] = j
				}
			}
			layer, rok := c.rotation(rp, r, s.TZ)
			ok = ok && rok
			compiled.Layers = append(compiled.Layers, layer)
		}
		for j := range s.Overrides {
			o := &s.Overrides[j]
			op := fmt.Sprintf("%s.overrides[%d]", p, j)
			if o.User == "" {
				d.fieldErrorf(op+".user", "required: who is on call instead")
				ok = false
			} else if !c.userRef(op+".user", o.User) {
				ok = false
			}
			from := c.requiredTime(op+".from", o.From)
			to := c.requiredTime(op+".to", o.To)
			switch {
			case from.IsZero() || to.IsZero():
				ok = false
			case !to.After(from):
				d.fieldErrorf(op+".to", "must be after from (%s), got %s", o.From, o.To)
				ok = false
			}
			compiled.Overrides = append(compiled.Overrides, oncall.Override{User: o.User, From: from, To: to})
		}
		if !ok || d.related(p) {
			continue
		}
		if err := compiled.Validate(); err != nil {
			d.fieldErrorf(p, "%s", err)
			continue
		}
		s.Compiled = compiled
	}
	if d.readable("schedules", len(cfg.Schedules)) {
		c.schedules = make(map[string]*OnCallSchedule, len(seen))
		for name, i := range seen {
			c.schedules[name] = &cfg.Schedules[i]
		}
	}
}

// requiredTime parses the RFC 3339 time at p, which is required; it
// returns the zero time if it is unset or bad.
func (c *onCallCheck) requiredTime(p, s string) time.Time {
	if s == "" {
		if !c.d.related(p) {
			c.d.fieldErrorf(p, "required: an RFC 3339 time like 2030-01-01T08:00:00+01:00")
		}
		return time.Time{}
	}
	return c.d.rfc3339(p, s)
}

// rotation checks the rotation at p of a schedule in zone tz and returns
// it parsed, and whether it is good.
func (c *onCallCheck) rotation(p string, r *Rotation, tz string) (oncall.Rotation, bool) {
	d := c.d
	out := oncall.Rotation{Name: r.Name, Participants: slices.Clone(r.Participants)}
	ok := true
	if len(r.Participants) == 0 {
		if !d.related(p + ".participants") {
			d.fieldErrorf(p+".participants", "required: at least one user, in turn order")
		}
		ok = false
	} else if !c.userRefs(p+".participants", r.Participants, true) {
		ok = false
	}

	startOK := false
	switch start, err := time.Parse(time.DateOnly, r.Start); {
	case r.Start == "":
		if !d.related(p + ".start") {
			d.fieldErrorf(p+".start", "required: the day the first participant begins, like 2026-01-05")
		}
	case err != nil && dateRE.MatchString(r.Start):
		d.fieldErrorf(p+".start", "%s is not a day of the calendar", quote(r.Start))
	case err != nil:
		d.fieldErrorf(p+".start", "must be a date like 2026-01-05, got %s", quote(r.Start))
	case start.Year() < minStartYear || start.Year() > maxStartYear:
		d.fieldErrorf(p+".start", "must be between %d-01-01 and %d-12-31, got %s", minStartYear, maxStartYear, r.Start)
	default:
		out.Start = oncall.Date{Year: start.Year(), Month: start.Month(), Day: start.Day()}
		startOK = true
	}
	ok = ok && startOK

	lengthOK := false
	if r.Length == "" {
		if !d.related(p + ".length") {
			d.fieldErrorf(p+".length", "required: how long each turn lasts, like 12h, 1d or 1w")
		}
	} else if n, unit, err := parseRotationLength(r.Length); err != nil {
		d.fieldErrorf(p+".length", "%s", err)
	} else {
		out.Length, out.Unit, lengthOK = n, unit, true
	}
	ok = ok && lengthOK

	if r.Handoff == "" {
		r.Handoff = "00:00"
	}
	day, hasDay, clock, err := parseHandoff(r.Handoff)
	switch {
	case err != nil:
		d.fieldErrorf(p+".handoff", "%s", err)
		ok = false
	case hasDay && lengthOK && out.Unit != oncall.Weeks:
		d.fieldErrorf(p+".handoff", "a weekday is only allowed with a length in weeks (like 1w); length is %s", r.Length)
		ok = false
	case hasDay && startOK && out.Start.Weekday() != day:
		d.fieldErrorf(p+".start", "start %s is a %s, but handoff is on %s", r.Start, out.Start.Weekday(), day)
		ok = false
	}
	out.Handoff = clock

	for k := range r.Restrictions {
		x, xok := c.restriction(fmt.Sprintf("%s.restrictions[%d]", p, k), &r.Restrictions[k], tz)
		ok = ok && xok
		out.Restrictions = append(out.Restrictions, x)
	}
	return out, ok
}

// parseRotationLength reads a rotation length: a whole number of hours,
// days or weeks, up to a year.
func parseRotationLength(s string) (int, oncall.Unit, error) {
	m := rotationLenRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("must be a whole number of hours, days or weeks, like 12h, 1d or 2w, got %s", quote(s))
	}
	n, _ := strconv.Atoi(m[1])
	unit, hours := oncall.Hours, n
	switch m[2] {
	case "d":
		unit, hours = oncall.Days, n*24
	case "w":
		unit, hours = oncall.Weeks, n*7*24
	}
	switch {
	case n < 1:
		return 0, 0, fmt.Errorf("must be at least 1%s, got %s", m[2], quote(s))
	case hours > maxRotationHours:
		return 0, 0, fmt.Errorf("must be at most 366d (a year), got %s", quote(s))
	}
	return n, unit, nil
}

// parseHandoff reads "HH:MM" or "Ddd HH:MM" (Mon to Sun, any case).
func parseHandoff(s string) (day time.Weekday, hasDay bool, clock oncall.Clock, err error) {
	bad := fmt.Errorf(`must be a time like "09:00", or a weekday and time like "Mon 09:00", got %s`, quote(s))
	f := strings.Fields(s)
	switch len(f) {
	case 1:
	case 2:
		var known bool
		if day, known = weekdays[strings.ToLower(f[0])]; !known {
			return 0, false, 0, bad
		}
		hasDay = true
	default:
		return 0, false, 0, bad
	}
	clock, ok := parseClock(f[len(f)-1], false)
	if !ok {
		return 0, false, 0, bad
	}
	return day, hasDay, clock, nil
}

// parseClock reads a time of day "HH:MM" (the hour may have one digit);
// with allow24, "24:00" too, the end of the day.
func parseClock(s string, allow24 bool) (oncall.Clock, bool) {
	m := clockRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if allow24 && h == 24 && mm == 0 {
		return oncall.HM(24, 0), true
	}
	if h > 23 || mm > 59 {
		return 0, false
	}
	return oncall.HM(h, mm), true
}

// restriction checks the restriction at p of a schedule in zone tz and
// returns it parsed, and whether it is good.
func (c *onCallCheck) restriction(p string, x *Restriction, tz string) (oncall.Restriction, bool) {
	d := c.d
	var out oncall.Restriction
	ok := true
	for i, name := range x.Days {
		switch n := strings.ToLower(name); n {
		case "weekdays":
			out.Days = append(out.Days, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
		case "weekend":
			out.Days = append(out.Days, time.Saturday, time.Sunday)
		default:
			wd, known := weekdays[n]
			if !known {
				d.fieldErrorf(fmt.Sprintf("%s.days[%d]", p, i), "must be mon, tue, wed, thu, fri, sat, sun, weekdays or weekend, got %s", quote(name))
				ok = false
				continue
			}
			out.Days = append(out.Days, wd)
		}
	}
	slices.Sort(out.Days)
	out.Days = slices.Compact(out.Days)

	clock := func(field, value, example string, allow24 bool) oncall.Clock {
		fp := p + "." + field
		if value == "" {
			if !d.related(fp) {
				d.fieldErrorf(fp, "required: a time of day like %s", example)
			}
			ok = false
			return 0
		}
		v, good := parseClock(value, allow24)
		if !good {
			if allow24 {
				d.fieldErrorf(fp, `must be a time of day like %s (or "24:00"), got %s`, example, quote(value))
			} else {
				d.fieldErrorf(fp, "must be a time of day like %s, got %s", example, quote(value))
			}
			ok = false
		}
		return v
	}
	out.From = clock("from", x.From, `"09:00"`, false)
	out.To = clock("to", x.To, `"17:00"`, true)

	switch {
	case x.TZ != "":
		if out.Loc = c.zone(p+".tz", x.TZ); out.Loc == nil {
			ok = false
		}
	case tz != "":
		x.TZ = tz
		out.Loc = c.zones[tz] // nil if the schedule's zone is bad, reported there
		ok = ok && out.Loc != nil
	default:
		ok = false // the schedule's tz is missing, reported there
	}
	return out, ok
}

// unreachable says why u cannot be reached by a page, or "" if it can.
func unreachable(u *User) string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.Bot:
		return "a bot"
	case len(u.Contacts) == 0:
		return "no contacts"
	}
	return ""
}

// scheduleReach reports whether some participant of s can be reached and,
// if none can, why each known participant cannot ("bo: no contacts").
func (c *onCallCheck) scheduleReach(s *OnCallSchedule) (reachable bool, why []string) {
	seen := map[string]bool{}
	for _, r := range s.Rotations {
		for _, name := range r.Participants {
			u := c.users[name]
			if u == nil || seen[name] {
				continue
			}
			seen[name] = true
			reason := unreachable(u)
			if reason == "" {
				return true, nil
			}
			why = append(why, name+": "+reason)
		}
	}
	return false, why
}

func (c *onCallCheck) validatePolicies() {
	d, cfg := c.d, c.cfg
	seen := map[string]int{}
	for i := range cfg.EscalationPolicies {
		pol := &cfg.EscalationPolicies[i]
		p := fmt.Sprintf("escalation_policies[%d]", i)
		d.uniqueName("escalation_policies", i, pol.Name, seen)
		d.intDefault(p+".repeat", &pol.Repeat, 0, 0, MaxEscalationRepeat)
		if len(pol.Levels) == 0 && !d.related(p+".levels") {
			d.fieldErrorf(p+".levels", "required: at least one level, like {targets: [\"schedule:primary\"], timeout: 5m}")
		}
		for j := range pol.Levels {
			c.level(fmt.Sprintf("%s.levels[%d]", p, j), &pol.Levels[j])
		}
		fp := p + ".fallback_every"
		switch {
		case !d.set[fp]:
			pol.FallbackEvery = Duration(DefaultFallbackEvery)
		case pol.FallbackEvery.D() < MinEscalationTimeout || pol.FallbackEvery.D() > MaxFallbackEvery:
			d.fieldErrorf(fp, "must be between %s and %s, got %s", Duration(MinEscalationTimeout), Duration(MaxFallbackEvery),
				pol.FallbackEvery)
		default:
			d.warnShort(fp, pol.FallbackEvery)
		}
	}
	if d.readable("escalation_policies", len(cfg.EscalationPolicies)) {
		c.policies = make(map[string]bool, len(seen))
		for name := range seen {
			c.policies[name] = true
		}
	}
}

// level checks the escalation level at p: its timeout, and that its
// targets exist and that at least one of them can reach a human.
func (c *onCallCheck) level(p string, l *EscalationLevel) {
	d := c.d
	tp := p + ".timeout"
	if !d.set[tp] {
		l.Timeout = Duration(DefaultEscalationTimeout)
	} else if l.Timeout.D() < MinEscalationTimeout {
		d.fieldErrorf(tp, "must be at least %s, got %s", Duration(MinEscalationTimeout), l.Timeout)
	} else {
		d.warnShort(tp, l.Timeout)
	}
	lp := p + ".targets"
	if len(l.Targets) == 0 {
		if !d.related(lp) {
			d.fieldErrorf(lp, `required: at least one target, like "user:ana" or "schedule:primary"`)
		}
		return
	}
	reachable, unsure := false, d.related(lp)
	var why []string // why the user targets cannot be reached
	seen := map[string]int{}
	for k, t := range l.Targets {
		ip := fmt.Sprintf("%s[%d]", lp, k)
		if j, dup := seen[t]; dup {
			d.fieldErrorf(ip, "target %s is already listed at %s[%d]", quote(t), lp, j)
			continue
		}
		seen[t] = k
		kind, name, ok := SplitTarget(t)
		if !ok {
			d.fieldErrorf(ip, `must be "user:<name>" or "schedule:<name>", got %s`, quote(t))
			unsure = true
			continue
		}
		switch kind {
		case TargetUser:
			if !c.userRef(ip, name) || c.users == nil {
				unsure = true
				continue
			}
			if reason := unreachable(c.users[name]); reason != "" {
				why = append(why, name+": "+reason)
			} else {
				reachable = true
			}
		case TargetSchedule:
			if c.schedules == nil {
				unsure = true
				continue
			}
			s := c.schedules[name]
			if s == nil {
				d.fieldErrorf(ip, "unknown schedule %s; defined: %s", quote(name), definedList(c.schedules))
				unsure = true
				continue
			}
			if c.users == nil {
				unsure = true
				continue
			}
			ok, reasons := c.scheduleReach(s)
			switch {
			case ok:
				reachable = true
			case len(reasons) > 0:
				d.fieldErrorf(ip, "schedule %s has no participant that can be reached (%s)", quote(name), strings.Join(reasons, "; "))
			default:
				unsure = true // no known participant: reported with the schedule
			}
		}
	}
	if !reachable && !unsure && len(why) > 0 {
		d.fieldErrorf(lp, "no target can reach a human, so the policy can end without paging anyone (%s)", strings.Join(why, "; "))
	}
}

// validateServices checks the on-call references of the services.
func (c *onCallCheck) validateServices() {
	for i := range c.cfg.Services {
		s := &c.cfg.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		if s.EscalationPolicy != "" && c.policies != nil && !c.policies[s.EscalationPolicy] {
			c.d.fieldErrorf(p+".escalation_policy", "unknown escalation policy %s; defined: %s", quote(s.EscalationPolicy), definedList(c.policies))
		}
		c.teamRef(p+".team", s.Team)
	}
	for i := range c.cfg.Checks {
		ch := &c.cfg.Checks[i]
		if ch.EscalationPolicy != "" && c.policies != nil && !c.policies[ch.EscalationPolicy] {
			c.d.fieldErrorf(fmt.Sprintf("checks[%d].escalation_policy", i), "unknown escalation policy %s; defined: %s",
				quote(ch.EscalationPolicy), definedList(c.policies))
		}
	}
}

// checkEmail checks that s looks like an email address (see
// kind.CheckEmail).
func checkEmail(s string) error { return kind.CheckEmail(s) }

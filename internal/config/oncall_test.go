package config

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/oncall"
)

// The example of the issue, as written, with the users it names.
const onCallExample = `
users:
  - {name: ana, email: ana@example.com, tz: Europe/Berlin, contacts: [{type: email, to: ana@example.com}]}
  - {name: bo, contacts: [{type: email, to: bo@example.com}]}
  - {name: cy, contacts: [{type: email, to: cy@example.com}]}
schedules:
  - name: primary
    tz: Europe/Berlin
    rotations: [{participants: [ana, bo], start: "2026-01-05", length: 1w, handoff: "Mon 09:00"}]   # start: the day the first participant begins
escalation_policies:
  - {name: default, repeat: 2, levels: [{targets: ["schedule:primary"], timeout: 5m}, {targets: ["user:cy"], timeout: 10m}]}
services:
  - {name: payments, escalation_policy: default}
`

// smtpSection is the mail server that email contacts need; appended to
// sources so that their line numbers stay.
const smtpSection = "smtp: {host: smtp.example.com, from: tocsin@example.com}\n"

func TestOnCallExample(t *testing.T) {
	cfg, err := Parse("o.yaml", []byte(onCallExample+smtpSection))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, cfg)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	s := cfg.Schedules[0].Compiled
	if s == nil || s.Loc.String() != "Europe/Berlin" || len(s.Layers) != 1 {
		t.Fatalf("compiled = %+v", s)
	}
	want := oncall.Rotation{Participants: []string{"ana", "bo"}, Start: oncall.Date{Year: 2026, Month: 1, Day: 5},
		Length: 1, Unit: oncall.Weeks, Handoff: oncall.HM(9, 0)}
	if got := s.Layers[0]; got.Name != "" || !slices.Equal(got.Participants, want.Participants) || got.Start != want.Start ||
		got.Length != 1 || got.Unit != oncall.Weeks || got.Handoff != want.Handoff || got.Restrictions != nil {
		t.Errorf("layer = %+v", got)
	}
	for at, who := range map[time.Time]string{
		time.Date(2026, 1, 5, 8, 59, 0, 0, berlin):  "",
		time.Date(2026, 1, 5, 9, 0, 0, 0, berlin):   "ana",
		time.Date(2026, 1, 12, 8, 59, 0, 0, berlin): "ana",
		time.Date(2026, 1, 12, 9, 0, 0, 0, berlin):  "bo",
		time.Date(2026, 1, 19, 9, 0, 0, 0, berlin):  "ana",
	} {
		if got := strings.Join(s.OnCall(at), ","); got != who {
			t.Errorf("on call at %s = %q, want %q", at, got, who)
		}
	}
	p := cfg.EscalationPolicies[0]
	if p.Repeat != 2 || len(p.Levels) != 2 || p.Levels[0].Timeout.D() != 5*time.Minute || p.Levels[1].Timeout.D() != 10*time.Minute ||
		p.Levels[1].Targets[0] != "user:cy" {
		t.Errorf("policy = %+v", p)
	}
	if cfg.Services[0].EscalationPolicy != "default" {
		t.Errorf("service = %+v", cfg.Services[0])
	}
	if cfg.Users[1].TZ != "UTC" || cfg.Schedules[0].Rotations[0].Handoff != "Mon 09:00" {
		t.Errorf("users = %+v", cfg.Users)
	}
	if cfg.OnCall.GapHorizon.D() != 7*24*time.Hour || cfg.OnCall.GapCheckEvery.D() != time.Hour {
		t.Errorf("oncall = %+v", cfg.OnCall)
	}
	// Policies without a links secret: a warning, nothing else.
	if len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], "o.yaml:2: links_secret: not set") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
}

func TestOnCallFixture(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "oncall.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The disabled user without contacts earns no warning.
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if cfg.OnCall.GapHorizon.D() != 14*24*time.Hour || cfg.OnCall.GapCheckEvery.D() != time.Hour {
		t.Errorf("oncall = %+v", cfg.OnCall)
	}
	fts := cfg.Schedules[1]
	c := fts.Compiled
	if c == nil || len(c.Layers) != 2 || len(c.Overrides) != 1 {
		t.Fatalf("compiled = %+v", c)
	}
	if l := c.Layers[0]; l.Unit != oncall.Hours || l.Length != 12 || l.Handoff != 0 || fts.Rotations[0].Handoff != "00:00" {
		t.Errorf("layer 0 = %+v", l)
	}
	l := c.Layers[1]
	if l.Name != "europe-days" || l.Unit != oncall.Days || l.Length != 2 || l.Handoff != oncall.HM(8, 30) || len(l.Restrictions) != 2 {
		t.Fatalf("layer 1 = %+v", l)
	}
	r0, r1 := l.Restrictions[0], l.Restrictions[1]
	if r0.Loc.String() != "Europe/Berlin" || r0.From != oncall.HM(8, 0) || r0.To != oncall.HM(18, 0) ||
		!slices.Equal(r0.Days, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}) {
		t.Errorf("restriction 0 = %+v", r0)
	}
	// The restriction's zone defaults to the schedule's, in the config too.
	if r1.Loc.String() != "America/New_York" || fts.Rotations[1].Restrictions[1].TZ != "America/New_York" ||
		r1.To != oncall.HM(24, 0) || !slices.Equal(r1.Days, []time.Weekday{time.Sunday, time.Saturday}) {
		t.Errorf("restriction 1 = %+v", r1)
	}
	if o := c.Overrides[0]; o.User != "bo" || !o.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || o.To.Sub(o.From) != 24*time.Hour {
		t.Errorf("override = %+v", o)
	}
	if got := c.OnCall(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)); !slices.Equal(got, []string{"bo"}) {
		t.Errorf("on call during the override: %q", got)
	}
	// Tuesday 2026-01-06 10:00 in Berlin: the restricted top layer, day 0 of
	// a 2-day turn (from 08:30 New York on the 5th): ana.
	if got := c.OnCall(time.Date(2026, 1, 6, 10, 0, 0, 0, time.UTC)); !slices.Equal(got, []string{"ana"}) {
		t.Errorf("on call in the window: %q", got)
	}
	// Outside the windows, the 12h layer below: cy.
	if got := c.OnCall(time.Date(2026, 1, 6, 20, 0, 0, 0, time.UTC)); !slices.Equal(got, []string{"cy"}) {
		t.Errorf("on call outside the window: %q", got)
	}
	if s := cfg.Services[1]; s.Team != "payments-team" || s.EscalationPolicy != "quiet" || cfg.EscalationPolicies[1].Levels[0].Timeout.D() != 5*time.Minute {
		t.Errorf("service = %+v, policy = %+v", s, cfg.EscalationPolicies[1])
	}
	if cfg.EscalationPolicies[1].Repeat != 0 || cfg.Users[2].TZ != "America/New_York" {
		t.Errorf("defaults: %+v %+v", cfg.EscalationPolicies[1], cfg.Users[2])
	}
}

func TestOnCallParsers(t *testing.T) {
	for in, want := range map[string]struct {
		n    int
		unit oncall.Unit
	}{
		"1h": {1, oncall.Hours}, "12h": {12, oncall.Hours}, "1d": {1, oncall.Days}, "2d": {2, oncall.Days},
		"1w": {1, oncall.Weeks}, "2w": {2, oncall.Weeks}, "8784h": {8784, oncall.Hours}, "366d": {366, oncall.Days}, "52w": {52, oncall.Weeks},
		"01d": {1, oncall.Days},
	} {
		n, unit, err := parseRotationLength(in)
		if err != nil || n != want.n || unit != want.unit {
			t.Errorf("parseRotationLength(%q) = %d, %d, %v", in, n, unit, err)
		}
	}
	for _, in := range []string{"90m", "0h", "0w", "1.5d", "1d12h", "1", "d", "-1d", " 1d", "1D", "53w", "367d", "8785h", "9999999d", ""} {
		if n, _, err := parseRotationLength(in); err == nil {
			t.Errorf("parseRotationLength(%q) = %d, want an error", in, n)
		}
	}
	for in, want := range map[string]string{
		"00:00": "00:00", "9:05": "09:05", "23:59": "23:59", "mon 09:00": "Monday 09:00", "SUN 7:00": "Sunday 07:00",
		" Fri  18:30 ": "Friday 18:30",
	} {
		day, hasDay, clock, err := parseHandoff(in)
		got := clock.String()
		if hasDay {
			got = day.String() + " " + got
		}
		if err != nil || got != want {
			t.Errorf("parseHandoff(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "24:00", "12:60", "9", "9:5", "Monday 09:00", "Mon", "Mon Tue 09:00", "09:00 Mon", "123:00", "-1:00", "09.00"} {
		if _, _, _, err := parseHandoff(in); err == nil {
			t.Errorf("parseHandoff(%q) succeeded", in)
		}
	}
	if c, ok := parseClock("24:00", true); !ok || c != 24*60 {
		t.Errorf("parseClock(24:00, true) = %v, %v", c, ok)
	}
	for _, in := range []string{"24:01", "25:00"} {
		if _, ok := parseClock(in, true); ok {
			t.Errorf("parseClock(%q, true) succeeded", in)
		}
	}
	for _, s := range []string{"ana@example.com", "a.b+c@d", "ana@localhost"} {
		if err := checkEmail(s); err != nil {
			t.Errorf("checkEmail(%q): %v", s, err)
		}
	}
	for _, s := range []string{"ana", "@example.com", "ana@", "a@b@c", "ana @example.com", "ana@exa\tmple.com", ""} {
		if err := checkEmail(s); err == nil {
			t.Errorf("checkEmail(%q) succeeded", s)
		}
	}
	for in, want := range map[string][2]string{"user:ana": {"user", "ana"}, "schedule:primary": {"schedule", "primary"}, "user:a:b": {"user", "a:b"}} {
		if kind, name, ok := SplitTarget(in); !ok || kind != want[0] || name != want[1] {
			t.Errorf("SplitTarget(%q) = %q, %q, %v", in, kind, name, ok)
		}
	}
	for _, in := range []string{"ana", "user:", "team:x", ":ana", "User:ana", ""} {
		if _, _, ok := SplitTarget(in); ok {
			t.Errorf("SplitTarget(%q) succeeded", in)
		}
	}
}

func TestOnCallErrors(t *testing.T) {
	const users = "users: [{name: ana, contacts: [{type: email, to: a@example.com}]}, {name: bo}, {name: bot-1, bot: true, contacts: [{type: email, to: b@example.com}]}, {name: off, disabled: true, contacts: [{type: email, to: o@example.com}]}]\n"
	for _, tc := range []struct{ src, want string }{
		// One run reports every unreachable target; a level with a
		// reachable user is fine even if another target is a bot.
		{users + "schedules: [{name: s, tz: UTC, rotations: [{participants: [bo, bot-1, bo], start: '2026-01-05', length: 1d}]}]\n" +
			"escalation_policies:\n  - name: p\n    levels:\n      - {targets: ['user:ana', 'user:bot-1']}\n      - {targets: ['schedule:s', 'user:off']}\n      - {targets: ['user:bo', 'user:bot-1']}\n",
			`e.yaml:7: escalation_policies[0].levels[1].targets[0]: schedule "s" has no participant that can be reached (bo: no contacts; bot-1: a bot)` + "\n" +
				`e.yaml:7: escalation_policies[0].levels[1].targets: no target can reach a human, so the policy can end without paging anyone (off: disabled)` + "\n" +
				`e.yaml:8: escalation_policies[0].levels[2].targets: no target can reach a human, so the policy can end without paging anyone (bo: no contacts; bot-1: a bot)`},
		// Users that cannot be read make no "unknown user" noise.
		{"users: [{name: [x]}]\nteams: [{name: t, members: [ana], fallback: []}]\nescalation_policies: [{name: p, levels: [{targets: ['user:ana']}]}]\n",
			`e.yaml:1: users[0].name: must be a string, got a list`},
		// Nor schedules that cannot be read.
		{users + "schedules: {name: s}\nescalation_policies: [{name: p, levels: [{targets: ['schedule:s']}]}]\nlinks_secret: 0123456789abcdef0123456789abcdef\n",
			`e.yaml:2: schedules: must be a list, got a mapping`},
		// A bad schedule zone is reported once, not again by its restrictions.
		{users + "schedules: [{name: s, tz: Mars/Base, rotations: [{participants: [ana], start: '2026-01-05', length: 1d, restrictions: [{from: '09:00', to: '17:00'}]}]}]\n",
			`e.yaml:2: schedules[0].tz: unknown time zone "Mars/Base"; use an IANA name like Europe/Paris or UTC`},
		{"schedules: [{name: s, tz: UTC, rotations: [{}]}]\n",
			"e.yaml:1: schedules[0].rotations[0].participants: required: at least one user, in turn order\n" +
				"e.yaml:1: schedules[0].rotations[0].start: required: the day the first participant begins, like 2026-01-05\n" +
				"e.yaml:1: schedules[0].rotations[0].length: required: how long each turn lasts, like 12h, 1d or 1w"},
		{"oncall: {gap_horizon: 12h, gap_check_every: 2d}\n",
			"e.yaml:1: oncall.gap_horizon: must be between 1d and 60d, got 12h\ne.yaml:1: oncall.gap_check_every: must be between 1m and 1d, got 2d"},
		{"users: [{name: a, contacts: [{type: email, to: a@b}, {type: email, to: a@b}]}]\n",
			`e.yaml:1: users[0].contacts[1]: same contact as users[0].contacts[0]`},
	} {
		_, err := Parse("e.yaml", []byte(tc.src+smtpSection))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestOnCallWarnings(t *testing.T) {
	src := `channels: [{name: ops, type: webhook, url: 'https://example.com/'}]
users:
  - {name: ana}
  - {name: bo, disabled: true}
  - {name: cy, contacts: [{type: webhook, to: ops}]}
teams:
  - {name: t, members: [ana, cy]}
`
	cfg, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`w.yaml:3: users[0]: user "ana" has no contacts: pages cannot reach them`,
		`w.yaml:7: teams[0]: team "t" has no fallback channel: when none of its people can be reached, nobody hears`,
	}
	if got := strings.Join(cfg.Warnings, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestOnCallRedacted(t *testing.T) {
	src := `links_secret: links-secret-value-0123456789abcdef
users: [{name: ana, contacts: [{type: ntfy, to: "https://u:ntfy-password@ntfy.example.com/ana"}, {type: telegram, to: "42"}, {type: slack, to: "https://hooks.slack.com/services/T0/B0/slack-contact-token"}]}]
telegram: {bot_token: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"}
`
	cfg, err := Parse("r.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, secret := range []string{"links-secret-value", "ntfy-password", "slack-contact-token", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q:\n%s", secret, out)
		}
	}
	for _, shown := range []string{"links_secret: <secret>", "https://u:<secret>@ntfy.example.com/ana", `to: "42"`, "to: https://hooks.slack.com/<secret>"} {
		if !strings.Contains(out, shown) {
			t.Errorf("Redacted lacks %q:\n%s", shown, out)
		}
	}
	if cfg.LinksSecret != "links-secret-value-0123456789abcdef" || !strings.Contains(cfg.Users[0].Contacts[0].To, "ntfy-password") {
		t.Errorf("Redacted changed the config")
	}
}

// checkOnCallInvariants asserts what the on-call sections of every
// successfully parsed Config hold.
func checkOnCallInvariants(t testing.TB, cfg *Config, channels map[string]bool) {
	t.Helper()
	users := map[string]*User{}
	for i := range cfg.Users {
		u := &cfg.Users[i]
		if u.Name == "" || users[u.Name] != nil || u.TZ == "" {
			t.Errorf("bad user %+v", u)
		}
		users[u.Name] = u
		for _, c := range u.Contacts {
			if !slices.Contains(contactTypes, c.Type) || c.To == "" || c.Type == "webhook" && !channels[c.To] {
				t.Errorf("user %q: bad contact %+v", u.Name, c)
			}
		}
	}
	teams := map[string]bool{}
	for _, tm := range cfg.Teams {
		teams[tm.Name] = true
		for _, m := range tm.Members {
			if users[m] == nil {
				t.Errorf("team %q: unknown member %q", tm.Name, m)
			}
		}
		for _, f := range tm.Fallback {
			if !channels[f] {
				t.Errorf("team %q: unknown channel %q", tm.Name, f)
			}
		}
	}
	schedules := map[string]bool{}
	for _, s := range cfg.Schedules {
		schedules[s.Name] = true
		c := s.Compiled
		if c == nil || c.Validate() != nil || c.Loc == nil || len(c.Layers) != len(s.Rotations) || len(c.Layers) == 0 ||
			len(c.Overrides) != len(s.Overrides) || s.Team != "" && !teams[s.Team] {
			t.Errorf("bad schedule %+v", s)
			continue
		}
		for _, l := range c.Layers {
			for _, p := range l.Participants {
				if users[p] == nil {
					t.Errorf("schedule %q: unknown participant %q", s.Name, p)
				}
			}
		}
		for _, o := range c.Overrides {
			if users[o.User] == nil {
				t.Errorf("schedule %q: unknown override user %q", s.Name, o.User)
			}
		}
		// Asking who is on call never panics.
		_ = c.OnCall(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	policies := map[string]bool{}
	for _, p := range cfg.EscalationPolicies {
		policies[p.Name] = true
		if p.Repeat < 0 || p.Repeat > MaxEscalationRepeat || len(p.Levels) == 0 {
			t.Errorf("bad policy %+v", p)
		}
		for _, l := range p.Levels {
			if l.Timeout.D() < MinEscalationTimeout || len(l.Targets) == 0 {
				t.Errorf("policy %q: bad level %+v", p.Name, l)
			}
			for _, target := range l.Targets {
				kind, name, ok := SplitTarget(target)
				if !ok || kind == TargetUser && users[name] == nil || kind == TargetSchedule && !schedules[name] {
					t.Errorf("policy %q: bad target %q", p.Name, target)
				}
			}
		}
	}
	for _, s := range cfg.Services {
		if s.EscalationPolicy != "" && !policies[s.EscalationPolicy] || s.Team != "" && !teams[s.Team] {
			t.Errorf("service %q: bad on-call references %+v", s.Name, s)
		}
	}
	oc := cfg.OnCall
	if oc.GapHorizon.D() < MinGapHorizon || oc.GapHorizon.D() > MaxGapHorizon || oc.GapCheckEvery.D() < MinGapCheckEvery || oc.GapCheckEvery.D() > MaxGapCheckEvery {
		t.Errorf("oncall %+v", oc)
	}
	if cfg.LinksSecret != "" && len(cfg.LinksSecret) < MinLinksSecretLen {
		t.Errorf("links_secret of %d bytes", len(cfg.LinksSecret))
	}
}

package config

import (
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/oncall"
)

// On-call defaults and limits.
const (
	DefaultGapHorizon        = 7 * 24 * time.Hour
	DefaultGapCheckEvery     = time.Hour
	MinGapHorizon            = 24 * time.Hour
	MaxGapHorizon            = 60 * 24 * time.Hour
	MinGapCheckEvery         = time.Minute
	MaxGapCheckEvery         = 24 * time.Hour
	DefaultEscalationTimeout = 5 * time.Minute
	MinEscalationTimeout     = time.Second
	DefaultFallbackEvery     = 15 * time.Minute
	MaxFallbackEvery         = 24 * time.Hour
	MaxEscalationRepeat      = 10
	MinLinksSecretLen        = 32
)

// contactTypes are how a user can be paged, as package notify registers
// them.
var contactTypes = notify.ContactNames()

// User is a person, or a bot account, that escalation policies and
// schedules name. A user is reachable when it is not disabled, not a bot
// and has at least one contact.
type User struct {
	Name     string    `yaml:"name"`     // required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$
	Email    string    `yaml:"email"`    // optional; one @, no spaces
	TZ       string    `yaml:"tz"`       // IANA time zone the user lives in, for display and the reports' out-of-hours rules; default UTC
	Contacts []Contact `yaml:"contacts"` // where pages reach the user; none: the user cannot be paged (a warning)
	Disabled bool      `yaml:"disabled"` // never paged; kept so that history still names the user
	Bot      bool      `yaml:"bot"`      // not a human: never counts as the human an escalation reaches
	Role     string    `yaml:"role"`     // what the user may do when logged in: viewer, responder (the default) or admin
}

// Contact is one way to page a user. What To holds depends on Type.
type Contact struct {
	// email, slack, discord, teams, ntfy, telegram or webhook.
	Type string `yaml:"type"`
	// email: an email address; slack, discord, teams: an https webhook
	// URL; ntfy: the http(s) URL of a topic; telegram: a chat id (digits,
	// with a leading - for groups); webhook: the name of a channel of
	// type webhook.
	To string `yaml:"to"`
}

// Team is a group of users that can own services and schedules.
type Team struct {
	Name     string   `yaml:"name"`     // required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$
	Members  []string `yaml:"members"`  // user names
	Fallback []string `yaml:"fallback"` // channel names paged when nobody of the team can be reached; none: a warning
}

// OnCallSchedule is an on-call rota: a stack of rotations in a time zone,
// the last one on top, and overrides that replace it for a while (see
// package oncall). It is called schedules in the file; Schedule is the
// timing of a check.
type OnCallSchedule struct {
	Name      string     `yaml:"name"`      // required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$
	TZ        string     `yaml:"tz"`        // required IANA time zone of handoffs and restrictions
	Team      string     `yaml:"team"`      // name of the team that owns it; optional
	Rotations []Rotation `yaml:"rotations"` // required, at least one; the last one is on top
	Overrides []Override `yaml:"overrides"` // people on call in place of the rotations for a while

	// Compiled is the schedule parsed for package oncall: zone loaded,
	// dates, times and units converted. Never nil after Parse.
	Compiled *oncall.Schedule `yaml:"-"`
}

// Rotation is one layer of an on-call schedule: its participants take
// turns of Length each, the first from Handoff on the Start day.
type Rotation struct {
	Name         string        `yaml:"name"`         // optional, for people; unique within the schedule
	Participants []string      `yaml:"participants"` // required user names, in turn order; a name may come back
	Start        string        `yaml:"start"`        // required date YYYY-MM-DD: the day the first participant begins
	Length       string        `yaml:"length"`       // required length of a turn: a whole number of hours, days or weeks (12h, 1d, 2w)
	Handoff      string        `yaml:"handoff"`      // time of each handoff in the schedule's zone, "HH:MM" or, with weeks, "Mon HH:MM"; default "00:00"
	Restrictions []Restriction `yaml:"restrictions"` // windows of the week the rotation covers; none: all the time
}

// Restriction limits a rotation to a window of the week: from From to To
// on each of Days, in TZ. A To at or before From ends the next day.
type Restriction struct {
	Days []string `yaml:"days"` // days a window starts on: mon..sun, weekdays or weekend; none: every day
	From string   `yaml:"from"` // required "HH:MM"
	To   string   `yaml:"to"`   // required "HH:MM", or "24:00"
	TZ   string   `yaml:"tz"`   // IANA time zone; default the schedule's
}

// Override puts User on call, in place of the schedule's rotations, from
// From until To.
type Override struct {
	User string `yaml:"user"` // required user name
	From string `yaml:"from"` // required RFC 3339 time
	To   string `yaml:"to"`   // required RFC 3339 time, after From
}

// EscalationPolicy says who is paged for an incident, level after level,
// until someone acknowledges it. Every level reaches at least one human.
type EscalationPolicy struct {
	Name   string            `yaml:"name"`   // required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$
	Repeat int               `yaml:"repeat"` // times the whole policy runs again after its last level; 0 to 10, default 0: once
	Levels []EscalationLevel `yaml:"levels"` // required, at least one, in order
	// FallbackEvery: once every level of every round passed unacknowledged,
	// the team's fallback (else operator.notify) is paged, and again at
	// this interval until acknowledged or resolved; default 15m, 1s to 1d.
	FallbackEvery Duration `yaml:"fallback_every"`
}

// EscalationLevel pages its targets at once, then waits Timeout for an
// acknowledgement before the next level.
type EscalationLevel struct {
	Targets []string `yaml:"targets"` // required, at least one: "user:<name>" or "schedule:<name>" (whoever is on call)
	Timeout Duration `yaml:"timeout"` // wait before the next level; default 5m, at least 1s
}

// Kinds of escalation targets, before the colon of "user:ana".
const (
	TargetUser     = "user"
	TargetSchedule = "schedule"
)

// SplitTarget splits an escalation target ("schedule:primary") into its
// kind (TargetUser or TargetSchedule) and name. ok is false when t has
// neither form.
func SplitTarget(t string) (kind, name string, ok bool) {
	kind, name, found := strings.Cut(t, ":")
	if !found || name == "" || kind != TargetUser && kind != TargetSchedule {
		return "", "", false
	}
	return kind, name, true
}

// OnCall tunes the check of the schedules for holes in the rota: stretches
// when nobody is on call.
type OnCall struct {
	GapHorizon    Duration `yaml:"gap_horizon"`     // how far ahead schedules are checked; default 7d, 1d to 60d
	GapCheckEvery Duration `yaml:"gap_check_every"` // how often; default 1h, 1m to 1d
}

// Package tocsin holds the domain of Tocsin: checks and the signals that feed
// them, incidents and their timelines, and notifications. It imports only the
// standard library; storage, HTTP, the engine and the notifiers depend on it,
// never the reverse.
package tocsin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// CheckState is where a check stands. Grace and started are derived from the
// stored status and the clock, as Healthchecks does.
type CheckState string

// The states of a check.
const (
	StateNew     CheckState = "new"     // never pinged
	StateUp      CheckState = "up"      // last ping on time
	StateStarted CheckState = "started" // a run is in progress (start ping, no finish yet)
	StateGrace   CheckState = "grace"   // late, but within the grace period
	StateDown    CheckState = "down"    // late past grace, or failed
	StatePaused  CheckState = "paused"  // not monitored until the next ping or resume
)

// PingKind is what a ping says about the run it reports.
type PingKind string

// The kinds of ping of the Healthchecks ping API.
const (
	PingSuccess PingKind = "success"
	PingStart   PingKind = "start"
	PingFail    PingKind = "fail"
	PingLog     PingKind = "log"
	PingIgnored PingKind = "ign" // accepted and stored, but changes nothing
)

// Schedule says when the next ping of a heartbeat check is expected.
type Schedule interface {
	// Next returns the first expected time strictly after t, and false if
	// the schedule never fires again.
	Next(t time.Time) (time.Time, bool)
	// String describes the schedule for people.
	String() string
}

// Every is a schedule that expects a ping a fixed period after the last one.
type Every time.Duration

// Next returns t plus the period.
func (e Every) Next(t time.Time) (time.Time, bool) { return t.Add(time.Duration(e)), true }

// String describes the period.
func (e Every) String() string { return "every " + FormatDuration(time.Duration(e)) }

// ScheduleSpec is a schedule as written in config: a period, or a cron
// expression with its time zone.
type ScheduleSpec struct {
	Every time.Duration
	Cron  string
	TZ    string
}

// Check is a monitored job or service.
type Check struct {
	ID           int64
	UUID         string
	Name         string
	Slug         string
	Spec         ScheduleSpec
	Schedule     Schedule // built from Spec
	Methods      string   // "" or "POST": non-POST pings are then ignored
	ManualResume bool     // a paused check stays paused when pinged
	Description  string
	Grace        time.Duration
	Notify       []string // channel names
	AutoResolve  bool     // a recovery resolves the open incident
	RunbookURL   string
	// Tags sort checks for people (the dashboard filters by them); never
	// nil on a check read from the store.
	Tags []string
	// EscalationPolicy pages people about the check's incidents, level by
	// level, besides its Notify channels; "" for channels only.
	EscalationPolicy string
	// Keywords, when set, classify the pings to the check's plain URL by
	// their body (Healthchecks' keyword filters); nil: off.
	Keywords *KeywordFilter

	Status       CheckState // stored status: new, up, down or paused
	LastPingAt   time.Time  // last success or fail; zero if none
	LastStartAt  time.Time  // pending start; zero if none
	LastStartRID string     // run id of the pending start
	LastDuration time.Duration
	AlertAfter   time.Time // when the check goes down unless pinged; zero if never
	Pings        int64     // pings received, numbering them
	CreatedAt    time.Time
	Version      int64 // changes with every stored write; a copy with an old one is stale
	// Runs are the runs started and not yet finished, oldest first, at
	// most MaxOpenRuns: each finish is timed against its own start, so
	// that overlapping runs (told apart by their rid) are timed apart.
	// Only timing reads them; the state follows LastStartAt, as in
	// Healthchecks.
	Runs []Run
	// ManagedBy says who defines the check: "config" (the config file,
	// kept in step on reload) or "api" (made at run time, in the database).
	ManagedBy string

	// Active probes (Probe is set): the probe's config as JSON, how often
	// it runs, and the streaks that decide down and up.
	Probe              string
	Interval           time.Duration
	FailuresBeforeDown int
	SuccessesBeforeUp  int
	FailStreak         int
	OKStreak           int

	// Flap damping (FlapChanges 0: off): FlapChanges changes between up
	// and down within FlapWindow make the check flapping; its one incident
	// then stays open, paging nobody again, until the check has been up
	// for FlapStable. ReopenAfter: an incident resolved by hand while the
	// check is down is followed by a new one this long after, if the
	// check still is down (0: never).
	FlapChanges int
	FlapWindow  time.Duration
	FlapStable  time.Duration
	ReopenAfter time.Duration

	Changes       []time.Time // the latest changes between up and down within FlapWindow, oldest first, at most FlapChanges
	FlappingSince time.Time   // zero unless flapping
	FlapCount     int         // changes since flapping began, the one that began it included
	ReopenAt      time.Time   // when a down check whose incident was resolved by hand opens a new one; zero if none is due
	ReopenNote    string      // why ReopenAt is set: who resolved which incident
}

// MaxOpenRuns bounds the runs a check keeps open; a start beyond it drops
// the oldest, whose finish is then not timed.
const MaxOpenRuns = 10

// Run is a run that started and has not finished: its run id ("" when the
// start carried none) and when it started.
type Run struct {
	RID string    `json:"rid,omitempty"`
	At  time.Time `json:"at"`
}

// KeywordFilter decides what a ping says from the words in its body, as
// Healthchecks' keyword filters do: a body holding a failure keyword is a
// failure, else one holding a success keyword a success, else one holding
// a start keyword a start; a body holding none is ignored, or a failure
// with DefaultFail. Keywords match as case-sensitive substrings.
type KeywordFilter struct {
	Failure     []string `json:"failure,omitempty"`
	Success     []string `json:"success,omitempty"`
	Start       []string `json:"start,omitempty"`
	DefaultFail bool     `json:"default_fail,omitempty"`
	// HTTPOff keeps the lists without classifying pings: a check made
	// through Healthchecks' API with filter_http_body false.
	HTTPOff bool `json:"http_off,omitempty"`
	// EmailSubject and EmailBody are Healthchecks' filter_subject and
	// filter_body, which apply the lists to email pings; Tocsin takes no
	// email, so they are kept for that API to show, and change nothing.
	EmailSubject bool `json:"email_subject,omitempty"`
	EmailBody    bool `json:"email_body,omitempty"`
}

// ClassifiesPings reports whether f decides what the pings to a check's
// plain URL say.
func (f *KeywordFilter) ClassifiesPings() bool { return f != nil && !f.HTTPOff }

// Flapping reports whether flap damping holds the check.
func (c *Check) Flapping() bool { return !c.FlappingSince.IsZero() }

// FlapStableAt is when a flapping check that stays up stops flapping, or
// zero if it is not flapping or not up.
func (c *Check) FlapStableAt() time.Time {
	if !c.Flapping() || c.Status != StateUp || len(c.Changes) == 0 {
		return time.Time{}
	}
	return c.Changes[len(c.Changes)-1].Add(c.FlapStable)
}

// WakeAt is the check's other deadline besides going down: the end of
// flapping or a due re-page, whichever is first; zero if none.
func (c *Check) WakeAt() time.Time { return earliest(c.FlapStableAt(), c.ReopenAt) }

// NextDeadline is when the engine must next look at the check: it goes
// down, stops flapping or pages again; zero if never by waiting.
func (c *Check) NextDeadline() time.Time { return earliest(c.AlertAfter, c.WakeAt()) }

// earliest returns the earlier of two times, a zero one meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// HasTags reports whether the check has every one of tags (true for none).
func (c *Check) HasTags(tags ...string) bool {
	for _, t := range tags {
		if !slices.Contains(c.Tags, t) {
			return false
		}
	}
	return true
}

// IsProbe reports whether the check is an active probe rather than a heartbeat.
func (c *Check) IsProbe() bool { return c.Probe != "" }

// ExpectedAt is when the next ping is due (the start of the grace period),
// or zero if the check is not waiting for one.
func (c *Check) ExpectedAt() time.Time {
	if c.IsProbe() || c.Status != StateUp && c.Status != StateDown && c.Status != StateNew {
		return time.Time{}
	}
	var next time.Time
	if (c.Status == StateUp || c.Status == StateDown) && !c.LastPingAt.IsZero() && c.Schedule != nil {
		if n, ok := c.Schedule.Next(c.LastPingAt); ok {
			next = n
		}
	}
	if !c.LastStartAt.IsZero() && (next.IsZero() || c.LastStartAt.Before(next)) {
		next = c.LastStartAt
	}
	return next
}

// GoesDownAt is when the check turns down unless a ping arrives first, or
// zero if it cannot go down by waiting.
func (c *Check) GoesDownAt() time.Time {
	if c.Status == StateDown || c.Status == StatePaused {
		return time.Time{}
	}
	exp := c.ExpectedAt()
	if exp.IsZero() {
		return time.Time{}
	}
	return exp.Add(c.Grace)
}

// StateAt is the state as people see it at now: the stored status refined
// with started and grace.
func (c *Check) StateAt(now time.Time) CheckState {
	switch c.Status {
	case StatePaused, StateDown:
		return c.Status
	}
	if down := c.GoesDownAt(); !down.IsZero() && !now.Before(down) {
		return StateDown
	}
	if !c.LastStartAt.IsZero() {
		return StateStarted
	}
	if c.Status == StateNew {
		return StateNew
	}
	if exp := c.ExpectedAt(); !exp.IsZero() && !now.Before(exp) {
		return StateGrace
	}
	return StateUp
}

// Ping is one request to the ping API, as stored.
type Ping struct {
	CheckID    int64
	N          int64 // sequence number within the check
	At         time.Time
	Kind       PingKind
	ExitStatus *int
	RID        string
	Method     string
	RemoteAddr string
	Scheme     string
	UserAgent  string
	Body       []byte
	Truncated  bool // the body was longer than the limit and was cut
	Duration   time.Duration
}

// IncidentStatus is where an incident stands.
type IncidentStatus string

// Incident statuses.
const (
	IncidentTriggered    IncidentStatus = "triggered"
	IncidentAcknowledged IncidentStatus = "acknowledged"
	IncidentResolved     IncidentStatus = "resolved"
)

// Incident is a problem that needs people, with its timeline.
type Incident struct {
	ID         int64
	CheckID    int64 // zero if not opened by a check
	Title      string
	Status     IncidentStatus
	OpenedAt   time.Time
	AckedAt    time.Time
	AckedBy    string
	ResolvedAt time.Time
	ResolvedBy string
	Notify     []string // channels, for incidents not opened by a check
	Timeline   []TimelineEntry

	// Incidents opened by alerts: the service, the group of alerts the
	// incident gathers, its priority (P1 highest), and when the first page
	// goes out (group_wait; zero once paged). Paged says whether anyone was
	// told of it.
	Service  string
	GroupKey string
	Priority string
	PageAt   time.Time
	Paged    bool

	// Escalation through the service's policy: the policy, how many steps
	// have been paged (step k is level k mod levels of round k / levels),
	// when the next step pages unless acknowledged (zero: none), and the
	// owning team.
	EscalationPolicy string
	EscalationStep   int
	EscalateAt       time.Time
	Team             string

	// Set by people: the services affected beyond Service, the roles held
	// and the links of the incident; for a duplicate merged into another
	// incident, that incident (zero: not merged).
	Services   []string
	Roles      []IncidentRole
	Links      []IncidentLink
	MergedInto int64
}

// IncidentRole is a role in an incident's response (commander,
// communications or another named one) and the user who holds it.
type IncidentRole struct {
	Role string `json:"role"`
	User string `json:"user"`
}

// Roles of an incident's response that every team knows; others may be named.
const (
	RoleCommander      = "commander"
	RoleCommunications = "communications"
)

// IncidentLink is a link of an incident to elsewhere.
type IncidentLink struct {
	Kind  string `json:"kind"` // one of LinkKinds
	Title string `json:"title"`
	URL   string `json:"url"` // http or https
}

// LinkKinds are the kinds of an incident's links.
var LinkKinds = []string{"status_page", "ticket", "dashboard", "other"}

// Key moments of an incident, each marked on at most one of its timeline
// entries: what a postmortem measures the incident by.
const (
	KeyDetection       = "detection"
	KeyCauseIdentified = "cause_identified"
	KeyMitigation      = "mitigation"
	KeyResolution      = "resolution"
)

// KeyMoments lists the key moments in the order an incident goes through them.
var KeyMoments = []string{KeyDetection, KeyCauseIdentified, KeyMitigation, KeyResolution}

// Timeline entry kinds.
const (
	TimelineOpened          = "incident.opened"
	TimelineStateChange     = "check.state_changed"
	TimelinePing            = "check.ping"
	TimelineAcknowledged    = "incident.acknowledged"
	TimelineResolved        = "incident.resolved"
	TimelineNotifyQueued    = "notification.queued"
	TimelineNotifySent      = "notification.sent"
	TimelineNotifyFailed    = "notification.failed"
	TimelineNotifyGivenUp   = "notification.given_up"
	TimelineNotifyNoChannel = "notification.no_channel"
	TimelineMonitoringIssue = "monitoring.issue"
	TimelineAlertFiring     = "alert.firing"
	TimelineAlertResolved   = "alert.resolved"
	TimelineAlertSuppressed = "alert.suppressed"
	TimelinePriority        = "incident.priority_changed"
	TimelineEscalation      = "escalation.step"
	TimelineNobodyReachable = "escalation.nobody_reachable"
	TimelineFlapping        = "check.flapping"
	TimelineReopened        = "incident.reopened"
	TimelineHandedOver      = "monitoring.handed_over"
	TimelineCheckRemoved    = "check.removed" // the config no longer defines the incident's check
	TimelineExhausted       = "escalation.exhausted"
	TimelineNote            = "incident.note"   // a person's note, in their words
	TimelineManual          = "incident.manual" // a person's account of a moment, backdated to when it happened
	TimelineServices        = "incident.services_changed"
	TimelineRoles           = "incident.roles_changed"
	TimelineLinks           = "incident.links_changed"
	TimelineMerged          = "incident.merged"      // on the duplicate: merged into another incident
	TimelineMergedIn        = "incident.merged_in"   // on the target: a duplicate merged into it
	TimelineKeyMoment       = "incident.key_moment"  // an entry marked or unmarked as a key moment
	TimelineActionItem      = "incident.action_item" // an action item of its postmortem added or changed
)

// TimelineEntry is one line of an incident's append-only history, with the
// inputs that caused it in Data.
type TimelineEntry struct {
	ID         int64           `json:"id"`
	IncidentID int64           `json:"-"`
	At         time.Time       `json:"at"`
	Kind       string          `json:"kind"`
	Actor      string          `json:"actor"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data,omitempty"`
	KeyMoment  string          `json:"key_moment,omitempty"` // one of KeyMoments, or ""
}

// Notification events.
const (
	EventTriggered    = "incident.triggered"
	EventAcknowledged = "incident.acknowledged"
	EventResolved     = "incident.resolved"
	// Sent to everyone already paged for an incident: its priority rose
	// (a page again, with links), or an alert joined it while acknowledged.
	EventPriorityRaised = "incident.priority_raised"
	EventAlertJoined    = "incident.alert_joined"
	// Sent to the owner of an open action item whose due date has passed.
	EventActionItemOverdue = "action_item.overdue"
)

// NotificationStatus is where an outbox row stands.
type NotificationStatus string

// Outbox row statuses.
const (
	NotifyPending NotificationStatus = "pending"
	NotifySent    NotificationStatus = "sent"
	NotifyFailed  NotificationStatus = "failed" // gave up after the last attempt
)

// Notification is a row of the durable outbox: committed before any send.
type Notification struct {
	ID             int64
	IdempotencyKey string
	Channel        string
	Event          string
	IncidentID     int64
	Payload        []byte // the body, fixed when queued so every retry is identical
	Status         NotificationStatus
	Attempts       int
	NextAttemptAt  time.Time
	LastError      string
	CreatedAt      time.Time
	SentAt         time.Time
	// Target, when set, is where this row goes (an address or URL) over
	// its channel's type, in place of the channel's own: a status page's
	// subscriber. "": the channel's.
	Target string
}

// Error codes, mapped to HTTP statuses in one place.
const (
	EInvalid   = "invalid"
	ENotFound  = "not_found"
	EConflict  = "conflict"
	EUnauth    = "unauthorized"
	EInternal  = "internal"
	EForbidden = "forbidden"
)

// Error is an error meant for the user: a code and a message safe to show.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EInternal if it is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err; internal errors get
// a generic text, their details belong in the log.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// FormatDuration prints d the way config files write it (90s, 5m, 2h, 1d).
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// Channel is a configured way to deliver notifications.
type Channel struct {
	Name    string
	Type    string // webhook, ...
	URL     string // where it sends; for types that send to an address or chat alone, that address or chat
	To      string // where within the service it sends (an address, a chat, a room), as configured; "" if unused
	Secret  string // for signatures; never logged
	Timeout time.Duration
	Headers map[string]string
	// RatePerMinute spaces this channel's sends (0: no limit); a limited
	// channel queues in its own lane and delays no other.
	RatePerMinute int
}

// RetryAfterError is a failed send the receiver asked to retry no sooner
// than After (HTTP 429 or 503 with Retry-After; Telegram's retry_after).
type RetryAfterError struct {
	Err   error
	After time.Duration
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }
func (e *RetryAfterError) Unwrap() error { return e.Err }

// Sender delivers a notification over one type of channel. It returns
// whether a failure is worth retrying; the outbox does the retrying.
type Sender interface {
	Send(ctx context.Context, ch Channel, n *Notification) (retry bool, err error)
}

// AlertStatus is where an alert from another tool stands.
type AlertStatus string

// Alert statuses.
const (
	AlertFiring       AlertStatus = "firing"
	AlertAcknowledged AlertStatus = "acknowledged" // PagerDuty's acknowledge action
	AlertResolved     AlertStatus = "resolved"
)

// Link is a link an alert carries (a dashboard, a runbook).
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Image is an image an alert carries (a graph, a panel's screenshot): Src
// is the image, Href where clicking it leads, Alt the text in its place.
type Image struct {
	Src  string `json:"src"`
	Href string `json:"href,omitempty"`
	Alt  string `json:"alt,omitempty"`
}

// UnmarshalJSON also reads the form images were stored in before they kept
// their link: {"href": <the image>, "text": <its alt text>}.
func (im *Image) UnmarshalJSON(b []byte) error {
	var v struct {
		Src, Href, Alt, Text string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Src == "" && v.Alt == "" {
		v.Src, v.Href, v.Alt = v.Href, "", v.Text
	}
	*im = Image{Src: v.Src, Href: v.Href, Alt: v.Alt}
	return nil
}

// Alert is one alert pushed by another tool (Alertmanager, anything that
// speaks PagerDuty's Events API, the generic form). Its identity is Key:
// Alertmanager's group key and fingerprint, or PagerDuty's dedup_key; never
// free text, so distinct alerts with the same summary stay distinct.
type Alert struct {
	Key          string
	Status       AlertStatus
	Summary      string
	Source       string
	Severity     string // critical, error, warning, info
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Links        []Link
	Images       []Image
	Details      json.RawMessage // custom details, as sent
}

// AlertRecord is an alert as Tocsin keeps it: its latest content, the
// service it was routed to, and what became of it.
type AlertRecord struct {
	Alert
	ID          int64
	Integration string // the integration it came in by; with Key, its identity
	Service     string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	Deliveries  int64  // how many times it was sent to Tocsin
	GroupKey    string // the group it fired in; empty while suppressed
	IncidentID  int64  // the incident it belongs to (or is attached to, when inhibited); zero if none
	// Suppressed says why the alert does not page: SuppressedSilence (by
	// silence SuppressorID) or SuppressedInhibit (by the alert SuppressorID).
	Suppressed   string
	SuppressorID int64
}

// Why an alert does not page.
const (
	SuppressedSilence = "silence"
	SuppressedInhibit = "inhibit"
)

// Priorities of incidents, from the severities of their alerts.
const (
	P1 = "P1" // critical
	P2 = "P2" // error
	P3 = "P3" // warning
	P4 = "P4" // info
	P5 = "P5" // set by hand only: the lowest
)

// PriorityOf maps an alert severity to an incident priority.
func PriorityOf(severity string) string {
	switch severity {
	case "critical":
		return P1
	case "error":
		return P2
	case "info":
		return P4
	}
	return P3
}

// Silence keeps matching alerts from paging: from StartsAt to EndsAt, or,
// when Cron is set, for Duration from each time the cron expression fires
// in TZ (a maintenance window), within the optional StartsAt..EndsAt bounds.
type Silence struct {
	ID        int64
	Name      string // config silences
	ManagedBy string // config or api
	Matchers  []string
	StartsAt  time.Time
	EndsAt    time.Time
	Cron      string
	Duration  time.Duration
	TZ        string
	Comment   string
	CreatedBy string
	CreatedAt time.Time
	ExpiredAt time.Time
}

// Package incident opens, acknowledges and resolves incidents. Every change
// is written with its timeline entry and its notifications in the caller's
// transaction, so an incident never exists without the record of who was
// told about it.
package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Env is what the incident logic needs from the running config.
type Env struct {
	PublicURL string
	// HasChannel reports whether a channel of that name is configured.
	HasChannel func(name string) bool
	// Links makes the signed acknowledge and resolve links of a page to
	// recipient (a user, or "channel:<name>" for a channel); nil: pages
	// carry none.
	Links func(incidentID int64, recipient string, now time.Time) *EventLinks
	// Log, if set, gets one line per incident opened, re-opened,
	// acknowledged or resolved, once its transaction has committed.
	Log *slog.Logger
	// Muted, if set, says why nobody is to be paged for a check now (a
	// status page's scheduled maintenance covers it), or "": the incident
	// a check opens then is recorded, with the reason on its timeline,
	// but pages nobody, neither through channels nor escalation.
	Muted func(ctx context.Context, tx *store.Tx, c *tocsin.Check, now time.Time) (string, error)
}

// Timeline entries of an incident opened while its check was muted, and
// of its first pages once the check no longer is.
const (
	TimelineMuted   = "incident.muted"
	TimelineUnmuted = "incident.unmuted"
)

// Unmuted pages for in, the open incident of c opened while c was muted,
// now that c no longer is and is still down: what OpenForCheck would
// have sent.
func Unmuted(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, now time.Time, reason string) error {
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: TimelineUnmuted,
		Actor: "tocsin", Message: "Paging now: " + reason}); err != nil {
		return err
	}
	if c.EscalationPolicy != "" {
		in.EscalationPolicy, in.EscalateAt, in.Paged = c.EscalationPolicy, now, true
		if err := tx.SaveIncident(ctx, in); err != nil {
			return err
		}
		if len(c.Notify) == 0 {
			return nil
		}
	}
	return notify(ctx, tx, env, in, c, tocsin.EventTriggered, now, reason, "", nil)
}

// Recipient names who a page on an outbox channel reaches, for links and
// actors: the user of a contact channel ("contact:<user>:<i>"), else
// "channel:<name>".
func RecipientOf(channel string) string {
	if rest, ok := strings.CutPrefix(channel, "contact:"); ok {
		if i := strings.LastIndexByte(rest, ':'); i > 0 {
			return rest[:i]
		}
	}
	return "channel:" + channel
}

// Event is the document queued for every notification; channels render it
// (the webhook channel sends it as it is). It is fixed when queued, so every
// retry of a notification carries the same bytes.
type Event struct {
	IdempotencyKey string        `json:"idempotency_key"`
	Event          string        `json:"event"`
	OccurredAt     time.Time     `json:"occurred_at"`
	Reason         string        `json:"reason,omitempty"`
	Actor          string        `json:"actor,omitempty"`
	Incident       EventIncident `json:"incident"`
	Service        string        `json:"service,omitempty"`  // alert incidents: the service alerts were routed to
	Priority       string        `json:"priority,omitempty"` // alert incidents: P1 (critical) to P4 (info)
	Check          *EventCheck   `json:"check,omitempty"`
	Evidence       any           `json:"evidence,omitempty"` // what decided it: the failing condition, recent results
	// Pages to a person: who, why (the escalation level), and the signed
	// links that acknowledge or resolve from the page itself.
	Recipient  string           `json:"recipient,omitempty"`
	Escalation *EventEscalation `json:"escalation,omitempty"`
	Links      *EventLinks      `json:"links,omitempty"`
	// ActionItem is the action item an action_item.overdue notice is about.
	ActionItem *EventActionItem `json:"action_item,omitempty"`
}

// EventEscalation says which step of a policy a page is.
type EventEscalation struct {
	Policy string `json:"policy"`
	Level  int    `json:"level"` // from 1
	Round  int    `json:"round"` // from 1
	Why    string `json:"why"`   // why this person: "on call in schedule primary"
}

// EventLinks are signed, expiring links for the recipient of a page.
type EventLinks struct {
	Acknowledge string `json:"acknowledge,omitempty"`
	Resolve     string `json:"resolve,omitempty"`
}

// Recipient is one way to reach one person for a page.
type Recipient struct {
	User    string
	Channel string // the outbox channel
	Via     string // how, for the timeline: "email ana@example.com"
	Why     string // why this person
}

// PageRecipients queues one page per recipient for an escalation step,
// each with its timeline entry saying who, how and why, and the signed
// links of env.
func PageRecipients(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, now time.Time, esc EventEscalation,
	reason string, evidence any, rs []Recipient) error {
	for _, r := range rs {
		ev := Event{Event: tocsin.EventTriggered, OccurredAt: now.UTC().Truncate(time.Millisecond), Reason: reason,
			Incident: EventIncident{ID: in.ID, Title: in.Title, Status: in.Status, URL: IncidentURL(env.PublicURL, in.ID),
				OpenedAt: in.OpenedAt.UTC()}, Evidence: evidence, Service: in.Service, Priority: in.Priority, Recipient: r.User}
		e := esc
		e.Why = r.Why
		ev.Escalation = &e
		if env.Links != nil {
			ev.Links = env.Links(in.ID, r.User, now)
		}
		ev.IdempotencyKey = fmt.Sprintf("tocsin-incident-%d-page-s%d-%s-l%d-r%d-%s", in.ID, in.EscalationStep, esc.Policy, esc.Level,
			esc.Round, r.Channel)
		payload, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		added, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: ev.IdempotencyKey, Channel: r.Channel,
			Event: tocsin.EventTriggered, IncidentID: in.ID, Payload: payload})
		if err != nil {
			return err
		}
		if !added {
			continue
		}
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineEscalation,
			Actor: "tocsin", Message: fmt.Sprintf("Level %d, round %d of policy %s: paging %s (%s) via %s", esc.Level, esc.Round,
				esc.Policy, r.User, r.Why, r.Via),
			Data: mustJSON(map[string]any{"user": r.User, "channel": r.Channel, "level": esc.Level, "round": esc.Round,
				"idempotency_key": ev.IdempotencyKey})}); err != nil {
			return err
		}
	}
	return nil
}

// NotifyChannels queues the incident's triggered event to channels (a
// fallback when nobody can be reached), with a timeline entry each. tag
// sets the idempotency keys apart from the incident's other pages, so a
// fallback of a later step is sent too.
func NotifyChannels(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, channels []string, now time.Time,
	tag, reason string, evidence any) error {
	saved := in.Notify
	in.Notify = channels
	defer func() { in.Notify = saved }()
	return notifyTagged(ctx, tx, env, in, nil, tocsin.EventTriggered, tag, now, reason, "", evidence)
}

// EventIncident is the incident as a notification shows it.
type EventIncident struct {
	ID       int64                 `json:"id"`
	Title    string                `json:"title"`
	Status   tocsin.IncidentStatus `json:"status"`
	URL      string                `json:"url"`
	OpenedAt time.Time             `json:"opened_at"`
}

// EventCheck is the check as a notification shows it.
type EventCheck struct {
	Name       string            `json:"name"`
	UUID       string            `json:"uuid"`
	State      tocsin.CheckState `json:"state"`
	LastPingAt *time.Time        `json:"last_ping_at"`
	RunbookURL string            `json:"runbook_url,omitempty"`
	// The body of the ping that failed the check (a /fail ping or a
	// non-zero exit status), at most MaxPingBodyInEvent bytes; truncated
	// when that is the start of a longer body.
	LastPingBody          string `json:"last_ping_body,omitempty"`
	LastPingBodyTruncated bool   `json:"last_ping_body_truncated,omitempty"`
}

// OpenForCheck opens an incident for a check that went down, unless one is
// open already (then it only appends to its timeline). The reason and data
// say what decided it.
func OpenForCheck(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, reason string, data any) (*tocsin.Incident, error) {
	open, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if open != nil {
		return open, tx.AppendTimeline(ctx, downAgain(open, c, now, reason, data))
	}
	o, err := newOpening(ctx, tx, env, c, now, reason, data)
	if err != nil {
		return nil, err
	}
	if err := tx.CreateIncident(ctx, o.in); err != nil {
		return nil, err
	}
	var w writes
	if err := o.write(&w, tx, env, now); err != nil {
		return nil, err
	}
	return o.in, w.flush(ctx, tx)
}

// downAgain is the timeline entry of a check down again while its
// incident is open.
func downAgain(open *tocsin.Incident, c *tocsin.Check, now time.Time, reason string, data any) *tocsin.TimelineEntry {
	return &tocsin.TimelineEntry{IncidentID: open.ID, At: now, Kind: tocsin.TimelineStateChange,
		Actor: "tocsin", Message: fmt.Sprintf("%s is down again: %s", c.Name, reason), Data: mustJSON(data)}
}

// opening is the incident a check that went down opens: decided (muted or
// not, paged through its policy or not) before its row is written, and
// its timeline entries and pages made once it has an ID.
type opening struct {
	in     *tocsin.Incident
	c      *tocsin.Check
	muted  string // why nobody is paged, or ""
	reason string
	data   any
}

func newOpening(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, reason string, data any) (*opening, error) {
	muted := ""
	if env.Muted != nil {
		var err error
		if muted, err = env.Muted(ctx, tx, c, now); err != nil {
			return nil, err
		}
	}
	in := &tocsin.Incident{CheckID: c.ID, Title: c.Name + " is down", Status: tocsin.IncidentTriggered, OpenedAt: now}
	if c.EscalationPolicy != "" && muted == "" {
		// People are paged through the policy by the escalation stage
		// (woken by whoever commits this): the first level is due now.
		in.EscalationPolicy, in.EscalateAt, in.Paged = c.EscalationPolicy, now, true
	}
	return &opening{in: in, c: c, muted: muted, reason: reason, data: data}, nil
}

// write adds the opened incident's timeline entries and pages to w.
func (o *opening) write(w *writes, tx *store.Tx, env Env, now time.Time) error {
	in, c := o.in, o.c
	w.note(&tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineOpened,
		Actor: "tocsin", Message: fmt.Sprintf("Incident opened: %s is down: %s", c.Name, o.reason), Data: mustJSON(o.data)})
	logChange(tx, env, "incident opened", in, c, o.reason, "")
	if o.muted != "" {
		w.note(&tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: TimelineMuted, Actor: "tocsin", Message: "Nobody paged: " + o.muted})
		return nil
	}
	if len(c.Notify) == 0 && c.EscalationPolicy != "" {
		return nil // people are paged through the policy; no channel to tell
	}
	return w.notify(env, in, c, tocsin.EventTriggered, tocsin.EventTriggered, now, o.reason, "", o.data)
}

// Open opens an incident that no check owns (monitoring degraded, say),
// notifying channels.
func Open(ctx context.Context, tx *store.Tx, env Env, title string, channels []string, now time.Time, reason string, data any) (*tocsin.Incident, error) {
	in := &tocsin.Incident{Title: title, Status: tocsin.IncidentTriggered, OpenedAt: now, Notify: channels}
	if err := tx.CreateIncident(ctx, in); err != nil {
		return nil, err
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineOpened,
		Actor: "tocsin", Message: "Incident opened: " + title + ": " + reason, Data: mustJSON(data)}); err != nil {
		return nil, err
	}
	logChange(tx, env, "incident opened", in, nil, reason, "")
	return in, notify(ctx, tx, env, in, nil, tocsin.EventTriggered, now, reason, "", data)
}

// OpenForAlerts creates the incident of a new group of alerts. Nobody is
// paged yet: Page does that once the group has waited in.PageAt out.
func OpenForAlerts(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, now time.Time, message string, data any) error {
	in.Status, in.OpenedAt = tocsin.IncidentTriggered, now
	if err := tx.CreateIncident(ctx, in); err != nil {
		return err
	}
	logChange(tx, env, "incident opened", in, nil, message, "")
	return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineOpened,
		Actor: "tocsin", Message: "Incident opened: " + message, Data: mustJSON(data)})
}

// Page sends the first page of an alert incident, with the alerts as evidence.
func Page(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, now time.Time, reason string, evidence any) error {
	in.PageAt, in.Paged = time.Time{}, true
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	return notify(ctx, tx, env, in, nil, tocsin.EventTriggered, now, reason, "", evidence)
}

// ResolveUnpaged resolves an incident nobody was paged for (its alerts
// resolved or were suppressed within group_wait); nobody is told.
func ResolveUnpaged(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, now time.Time, reason string) error {
	in.Status, in.ResolvedAt, in.ResolvedBy, in.PageAt, in.EscalateAt = tocsin.IncidentResolved, now, "tocsin", time.Time{}, time.Time{}
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	logChange(tx, env, "incident resolved", in, nil, "before anyone was paged: "+reason, "tocsin")
	return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineResolved,
		Actor: "tocsin", Message: "Resolved before anyone was paged: " + reason})
}

// Note appends an automated entry to an incident's timeline.
func Note(ctx context.Context, tx *store.Tx, id int64, now time.Time, kind, message string, data any) error {
	return tx.AppendTimeline(ctx, note(id, now, kind, message, data))
}

// note is the automated timeline entry Note appends.
func note(id int64, now time.Time, kind, message string, data any) *tocsin.TimelineEntry {
	return &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: kind, Actor: "tocsin", Message: message, Data: mustJSON(data)}
}

// ResolveAuto resolves an incident for a reason Tocsin decided.
func ResolveAuto(ctx context.Context, tx *store.Tx, env Env, id int64, now time.Time, reason string) error {
	in, err := tx.IncidentByID(ctx, id)
	if err != nil || in.Status == tocsin.IncidentResolved {
		return err
	}
	c, err := checkOf(ctx, tx, in)
	if err != nil {
		return err
	}
	return resolve(ctx, tx, env, in, c, now, "tocsin", reason)
}

// RecoverCheck records that a check is up again: the open incident is
// resolved if the check says so, else the recovery is noted on it.
func RecoverCheck(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, reason string, data any) error {
	open, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil || open == nil {
		return err
	}
	if !c.AutoResolve {
		return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: open.ID, At: now, Kind: tocsin.TimelineStateChange,
			Actor: "tocsin", Message: fmt.Sprintf("%s is up again (%s); the incident stays open: auto_resolve is off", c.Name, reason),
			Data: mustJSON(data)})
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: open.ID, At: now, Kind: tocsin.TimelineStateChange,
		Actor: "tocsin", Message: fmt.Sprintf("%s is up again: %s", c.Name, reason), Data: mustJSON(data)}); err != nil {
		return err
	}
	return resolve(ctx, tx, env, open, c, now, "tocsin", "check recovered")
}

// Acknowledge marks an incident acknowledged by actor. Acknowledging twice
// is allowed and changes nothing; a resolved incident cannot be acknowledged.
func Acknowledge(ctx context.Context, tx *store.Tx, env Env, id int64, actor string, now time.Time) (*tocsin.Incident, error) {
	in, err := tx.IncidentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	switch in.Status {
	case tocsin.IncidentAcknowledged:
		return in, nil
	case tocsin.IncidentResolved:
		return nil, tocsin.Errorf(tocsin.EConflict, "incident %d is resolved", id)
	}
	in.Status, in.AckedAt, in.AckedBy = tocsin.IncidentAcknowledged, now, actor
	unpaged := unpaged(in)
	in.PageAt, in.EscalateAt = time.Time{}, time.Time{} // someone is on it: no first page, no next level
	if err := tx.SaveIncident(ctx, in); err != nil {
		return nil, err
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineAcknowledged,
		Actor: actor, Message: "Acknowledged by " + actor}); err != nil {
		return nil, err
	}
	logChange(tx, env, "incident acknowledged", in, nil, "", actor)
	if unpaged {
		return in, nil
	}
	c, err := checkOf(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	// Each acknowledgement has keys of its own: an incident that a more
	// severe alert sent back to triggered is acknowledged anew.
	tag := tocsin.EventAcknowledged + "-" + strconv.FormatInt(now.UnixMilli(), 10)
	return in, tellPaged(ctx, tx, env, in, c, tocsin.EventAcknowledged, tag, now, "", actor, nil)
}

// Resolve resolves an incident by hand. Resolving twice changes nothing.
// If the incident's check is still down, its re-page is armed (see
// Check.ReopenAfter): the caller tells the engine of the check's new
// deadline.
func Resolve(ctx context.Context, tx *store.Tx, env Env, id int64, actor string, now time.Time) (*tocsin.Incident, error) {
	in, err := tx.IncidentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.Status == tocsin.IncidentResolved {
		return in, nil
	}
	c, err := checkOf(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	if err := resolve(ctx, tx, env, in, c, now, actor, "resolved by "+actor); err != nil {
		return nil, err
	}
	// A check still down does not go quiet: it pages again after a while.
	return in, scheduleReopen(ctx, tx, in, c, actor, now)
}

func resolve(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, now time.Time, actor, reason string) error {
	unpaged := unpaged(in)
	in.Status, in.ResolvedAt, in.ResolvedBy, in.PageAt, in.EscalateAt = tocsin.IncidentResolved, now, actor, time.Time{}, time.Time{}
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineResolved,
		Actor: actor, Message: "Resolved: " + reason}); err != nil {
		return err
	}
	logChange(tx, env, "incident resolved", in, c, reason, actor)
	if unpaged {
		return nil // nobody heard of it; nobody needs to hear it is over
	}
	return tellPaged(ctx, tx, env, in, c, tocsin.EventResolved, tocsin.EventResolved, now, reason, actor, nil)
}

// unpaged reports whether in is an alert incident still waiting for its
// first page.
func unpaged(in *tocsin.Incident) bool { return in.GroupKey != "" && !in.Paged }

func checkOf(ctx context.Context, tx *store.Tx, in *tocsin.Incident) (*tocsin.Check, error) {
	if in.CheckID == 0 {
		return nil, nil
	}
	c, err := tx.CheckByID(ctx, in.CheckID)
	if tocsin.ErrorCode(err) == tocsin.ENotFound {
		return nil, nil // the check was removed; the incident lives on
	}
	return c, err
}

// notify queues one notification per channel of the check, each with its
// timeline entry. With nowhere to send, the timeline says so loudly.
func notify(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, event string, now time.Time, reason, actor string, evidence any) error {
	return notifyTagged(ctx, tx, env, in, c, event, event, now, reason, actor, evidence)
}

// notifyTagged is notify with the tag that makes its idempotency keys
// (the event, or a tag of its own for pages that may repeat).
func notifyTagged(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, event, tag string, now time.Time,
	reason, actor string, evidence any) error {
	var w writes
	if err := w.notify(env, in, c, event, tag, now, reason, actor, evidence); err != nil {
		return err
	}
	return w.flush(ctx, tx)
}

// TellPaged queues event to every channel the incident was paged on:
// each contact of each person paged, each fallback and each channel of
// the incident, and nobody else. tag makes the idempotency keys, one per
// channel, so a retry or a second call queues nothing twice.
func TellPaged(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, event, tag string, now time.Time,
	reason, actor string, evidence any) error {
	c, err := checkOf(ctx, tx, in)
	if err != nil {
		return err
	}
	return tellPaged(ctx, tx, env, in, c, event, tag, now, reason, actor, evidence)
}

func tellPaged(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, event, tag string, now time.Time,
	reason, actor string, evidence any) error {
	channels, err := tx.PagedChannels(ctx, in.ID)
	if err != nil {
		return err
	}
	if len(channels) == 0 {
		return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyNoChannel,
			Actor: "tocsin", Message: "Nobody was paged for this incident, so nobody is sent " + event})
	}
	var w writes
	if err := w.send(env, in, channels, newEvent(env, in, c, event, now, reason, actor, evidence), tag, now); err != nil {
		return err
	}
	return w.flush(ctx, tx)
}

// newEvent makes the document of a notification of in.
func newEvent(env Env, in *tocsin.Incident, c *tocsin.Check, event string, now time.Time, reason, actor string, evidence any) Event {
	evidence, body := splitPingBody(evidence) // shown with the check, not twice
	ev := Event{Event: event, OccurredAt: now.UTC().Truncate(time.Millisecond), Reason: reason, Actor: actor, Incident: EventIncident{
		ID: in.ID, Title: in.Title, Status: in.Status, URL: IncidentURL(env.PublicURL, in.ID), OpenedAt: in.OpenedAt.UTC()},
		Evidence: evidence, Service: in.Service, Priority: in.Priority}
	if c != nil {
		ev.Check = &EventCheck{Name: c.Name, UUID: c.UUID, State: c.StateAt(now), RunbookURL: c.RunbookURL}
		if !c.LastPingAt.IsZero() {
			t := c.LastPingAt.UTC().Truncate(time.Millisecond)
			ev.Check.LastPingAt = &t
		}
		if body != nil {
			ev.Check.LastPingBody, ev.Check.LastPingBodyTruncated = body.Text, body.Truncated
		}
	}
	return ev
}

// pages reports whether event asks for action, so that it carries the
// signed links.
func pages(event string) bool {
	return event == tocsin.EventTriggered || event == tocsin.EventPriorityRaised || event == tocsin.EventAlertJoined
}

// IncidentURL is the link to an incident in notifications: its page,
// which asks a person without a session to log in first.
func IncidentURL(publicURL string, id int64) string {
	return publicURL + "/incidents/" + strconv.FormatInt(id, 10)
}

func mustJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", err.Error()))
	}
	return b
}

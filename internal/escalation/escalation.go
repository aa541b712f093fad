// Package escalation pages people through escalation policies: each level
// names users and schedules, resolved at page time to the humans on call
// with a way to reach them; if nobody acknowledges within the level's
// timeout, the next level is paged, and the whole policy repeats Repeat
// times. When a level reaches nobody (an empty slot in the rota, a user
// without contacts, a disabled or bot account), the team's fallback is
// paged at once and the timeline says so loudly: an incident never sits
// unassigned in silence.
package escalation

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Directory is the people, rotas and policies of the running config.
type Directory struct {
	Users     map[string]User
	Schedules map[string]*oncall.Schedule
	Policies  map[string]Policy
	Teams     map[string]Team
	Fallback  []string // channels when a team has none (operator.notify)
}

// User is a person (or an account) who can be paged.
type User struct {
	Name     string
	Disabled bool
	Bot      bool
	Contacts []Contact
}

// Contact is one way to reach a user.
type Contact struct {
	Type string // a channel type of package notify: email, slack, webhook, ...
	To   string
}

// Team owns services; its fallback channels are paged when nobody else can be.
type Team struct {
	Name     string
	Fallback []string
}

// Policy is an escalation policy.
type Policy struct {
	Name   string
	Repeat int // the levels run 1 + Repeat times
	Levels []Level
	// FallbackEvery is how often the fallback is paged again once every
	// level of every round has passed unacknowledged (zero:
	// DefaultFallbackEvery).
	FallbackEvery time.Duration
}

// DefaultFallbackEvery is how often an exhausted policy pages its fallback
// again, unless the policy says.
const DefaultFallbackEvery = 15 * time.Minute

func (p Policy) fallbackEvery() time.Duration {
	if p.FallbackEvery > 0 {
		return p.FallbackEvery
	}
	return DefaultFallbackEvery
}

// steps is how many steps the policy's rounds take.
func (p Policy) steps() int { return len(p.Levels) * (p.Repeat + 1) }

// Level is one level of a policy.
type Level struct {
	Targets []string // "user:<name>" or "schedule:<name>"
	Timeout time.Duration
}

// describe says how a contact is reached, for timelines: the address of
// an email or Telegram chat, the channel of a webhook; never the URL of a
// Slack, Discord, Teams or ntfy webhook, which carries its secret.
func (c Contact) describe() string { return notify.Describe(c.Type, c.To) }

// ContactChannel names the outbox channel of a user's i-th contact.
func ContactChannel(user string, i int) string { return "contact:" + user + ":" + strconv.Itoa(i) }

// ParseContactChannel reverses ContactChannel.
func ParseContactChannel(name string) (user string, i int, ok bool) {
	rest, ok := strings.CutPrefix(name, "contact:")
	if !ok {
		return "", 0, false
	}
	j := strings.LastIndexByte(rest, ':')
	if j < 0 {
		return "", 0, false
	}
	i, err := strconv.Atoi(rest[j+1:])
	return rest[:j], i, err == nil && i >= 0
}

// reachable says why u cannot be paged, or "" if u can.
func (u User) unreachable() string {
	switch {
	case u.Disabled:
		return "disabled"
	case u.Bot:
		return "a bot account, not a person"
	case len(u.Contacts) == 0:
		return "no contact methods"
	}
	return ""
}

type human struct {
	user User
	why  string
}

// resolve turns a level's targets into the humans to page at now, and the
// reasons the others cannot be. A schedule's overrides made at run time
// are read in tx.
func (d *Directory) resolve(ctx context.Context, tx *store.Tx, targets []string, now time.Time) ([]human, []string, error) {
	var out []human
	var reasons []string
	add := func(name, why string) {
		u, ok := d.Users[name]
		if !ok {
			reasons = append(reasons, fmt.Sprintf("%s: no such user", name))
			return
		}
		if r := u.unreachable(); r != "" {
			reasons = append(reasons, fmt.Sprintf("%s: %s", name, r))
			return
		}
		if !slices.ContainsFunc(out, func(h human) bool { return h.user.Name == name }) {
			out = append(out, human{u, why})
		}
	}
	for _, t := range targets {
		kind, name, _ := strings.Cut(t, ":")
		switch kind {
		case "user":
			add(name, "named in the policy")
		case "schedule":
			s, ok := d.Schedules[name]
			if !ok {
				reasons = append(reasons, fmt.Sprintf("schedule %s: no such schedule", name))
				continue
			}
			s, err := withOverrides(ctx, tx, name, s, now, now.Add(time.Millisecond))
			if err != nil {
				return nil, nil, err
			}
			users := s.OnCall(now)
			if len(users) == 0 {
				reasons = append(reasons, fmt.Sprintf("schedule %s: nobody on call now", name))
			}
			for _, u := range users {
				add(u, "on call in schedule "+name)
			}
		default:
			reasons = append(reasons, fmt.Sprintf("%s: not a user or schedule target", t))
		}
	}
	return out, reasons, nil
}

// Step pages the next step of in's escalation policy at now and schedules
// the one after, or ends the escalation when the policy is exhausted. The
// caller saves nothing: Step saves in.
func Step(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, in *tocsin.Incident, now time.Time,
	reason string, evidence any) error {
	p, ok := d.Policies[in.EscalationPolicy]
	if !ok || len(p.Levels) == 0 {
		in.EscalateAt = time.Time{}
		if err := tx.SaveIncident(ctx, in); err != nil {
			return err
		}
		return fallback(ctx, tx, env, d, in, now, reason, evidence,
			fmt.Sprintf("escalation policy %q is not configured", in.EscalationPolicy))
	}
	n := len(p.Levels)
	k := in.EscalationStep
	if k >= p.steps() {
		return exhausted(ctx, tx, env, d, p, in, now, reason, evidence)
	}
	level := p.Levels[k%n]
	esc := incident.EventEscalation{Policy: p.Name, Level: k%n + 1, Round: k/n + 1}
	in.EscalationStep, in.EscalateAt = k+1, now.Add(level.Timeout)
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	humans, reasons, err := d.resolve(ctx, tx, level.Targets, now)
	if err != nil {
		return err
	}
	if len(humans) == 0 {
		return fallback(ctx, tx, env, d, in, now, reason, evidence, fmt.Sprintf("level %d, round %d of policy %s reaches nobody: %s",
			esc.Level, esc.Round, p.Name, strings.Join(reasons, "; ")))
	}
	if len(reasons) > 0 {
		if err := incident.Note(ctx, tx, in.ID, now, tocsin.TimelineEscalation, fmt.Sprintf(
			"Level %d, round %d of policy %s: not paged: %s", esc.Level, esc.Round, p.Name, strings.Join(reasons, "; ")), nil); err != nil {
			return err
		}
	}
	if err := d.page(ctx, tx, env, in, now, esc, reason, evidence, humans); err != nil {
		return err
	}
	next := "the fallback (the policy ends here)"
	if k+1 < p.steps() {
		next = fmt.Sprintf("level %d, round %d", (k+1)%n+1, (k+1)/n+1)
	}
	return incident.Note(ctx, tx, in.ID, now, tocsin.TimelineEscalation, fmt.Sprintf(
		"Unless acknowledged by %s (within %s), %s is next", in.EscalateAt.UTC().Format(time.RFC3339),
		tocsin.FormatDuration(level.Timeout), next), nil)
}

// page pages humans through every contact of each, with signed links when
// the directory makes them.
func (d *Directory) page(ctx context.Context, tx *store.Tx, env incident.Env, in *tocsin.Incident, now time.Time,
	esc incident.EventEscalation, reason string, evidence any, humans []human) error {
	var rs []incident.Recipient
	for _, h := range humans {
		for i, c := range h.user.Contacts {
			rs = append(rs, incident.Recipient{User: h.user.Name, Channel: ContactChannel(h.user.Name, i),
				Via: c.describe(), Why: h.why})
		}
	}
	return incident.PageRecipients(ctx, tx, env, in, now, esc, reason, evidence, rs)
}

// fallbackOf returns the channels paged when nobody else can be: the
// team's fallback, else the operator's, and whose they are.
func (d *Directory) fallbackOf(team string) (channels []string, owner string) {
	if t, ok := d.Teams[team]; ok && len(t.Fallback) > 0 {
		return t.Fallback, "team " + t.Name
	}
	return d.Fallback, "operator.notify"
}

// exhausted pages the fallback of an incident whose policy ran through
// every level of every round with nobody acknowledging, and pages it again
// every FallbackEvery until someone acknowledges or resolves it: an
// incident never sits triggered in silence. Without any fallback, the
// people of the policy's last level are paged again instead.
func exhausted(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, p Policy, in *tocsin.Incident, now time.Time,
	reason string, evidence any) error {
	k := in.EscalationStep
	repeat := k - p.steps() + 1 // 1 for the first page after the last level
	every := p.fallbackEvery()
	in.EscalationStep, in.EscalateAt = k+1, now.Add(every)
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	channels, owner := d.fallbackOf(in.Team)
	msg := fmt.Sprintf("ESCALATION EXHAUSTED: policy %s ran %d time(s) through its %d level(s) and nobody acknowledged",
		p.Name, p.Repeat+1, len(p.Levels))
	if repeat > 1 {
		msg = fmt.Sprintf("ESCALATION EXHAUSTED: still not acknowledged %s after it opened; policy %s ran out (fallback page %d)",
			tocsin.FormatDuration(now.Sub(in.OpenedAt).Round(time.Second)), p.Name, repeat)
	}
	last := p.Levels[len(p.Levels)-1]
	var humans []human
	if len(channels) > 0 {
		msg += fmt.Sprintf("; paging the fallback of %s: %s", owner, strings.Join(channels, ", "))
	} else {
		var reasons []string
		var err error
		if humans, reasons, err = d.resolve(ctx, tx, last.Targets, now); err != nil {
			return err
		}
		if len(humans) == 0 {
			msg += "; there is no fallback (no team fallback, no operator.notify) and the last level reaches nobody: " +
				strings.Join(reasons, "; ")
		} else {
			msg += fmt.Sprintf("; there is no fallback (no team fallback, no operator.notify): paging level %d again",
				len(p.Levels))
		}
	}
	msg += fmt.Sprintf("; again every %s until acknowledged or resolved, next at %s", tocsin.FormatDuration(every),
		in.EscalateAt.UTC().Format(time.RFC3339))
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineExhausted,
		Actor: "tocsin", Message: msg, Data: mustJSON(map[string]any{"policy": p.Name, "page": repeat, "channels": channels})}); err != nil {
		return err
	}
	why := fmt.Sprintf("ESCALATION EXHAUSTED: nobody acknowledged through policy %s (%s)", p.Name, reason)
	if len(channels) > 0 {
		return incident.NotifyChannels(ctx, tx, env, in, channels, now, fmt.Sprintf("exhausted-s%d", k+1), why, evidence)
	}
	if len(humans) == 0 {
		return nil
	}
	for i := range humans {
		humans[i].why += "; the policy is exhausted and has no fallback"
	}
	esc := incident.EventEscalation{Policy: p.Name, Level: len(p.Levels), Round: p.Repeat + 1 + repeat}
	return d.page(ctx, tx, env, in, now, esc, why, evidence, humans)
}

// Resume sets when the escalation of an incident sent back to triggered
// (a more severe alert joined it after it was acknowledged) pages next:
// after the timeout of the level it stopped at, or, past the last level,
// after the policy's FallbackEvery. The escalation goes on from where the
// acknowledgement stopped it; it does not start over.
func Resume(d *Directory, in *tocsin.Incident, now time.Time) {
	p, ok := d.Policies[in.EscalationPolicy]
	if !ok || len(p.Levels) == 0 {
		return
	}
	k := in.EscalationStep
	switch {
	case k == 0:
		in.EscalateAt = now
	case k <= p.steps():
		in.EscalateAt = now.Add(p.Levels[(k-1)%len(p.Levels)].Timeout)
	default:
		in.EscalateAt = now.Add(p.fallbackEvery())
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// fallback pages the team's fallback channels (or the operator's) because
// nobody could be reached, and says so loudly on the timeline.
func fallback(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, in *tocsin.Incident, now time.Time,
	reason string, evidence any, why string) error {
	channels, owner := d.fallbackOf(in.Team)
	msg := "NOBODY REACHABLE: " + why
	if len(channels) > 0 {
		msg += fmt.Sprintf("; paging the fallback of %s at once: %s", owner, strings.Join(channels, ", "))
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNobodyReachable,
		Actor: "tocsin", Message: msg}); err != nil {
		return err
	}
	tag := fmt.Sprintf("fallback-s%d", in.EscalationStep)
	return incident.NotifyChannels(ctx, tx, env, in, channels, now, tag, "NOBODY REACHABLE: "+why+" ("+reason+")", evidence)
}

// Escalate pages the next step of in's policy now, by hand.
func Escalate(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, in *tocsin.Incident, actor string, now time.Time) error {
	switch {
	case in.Status != tocsin.IncidentTriggered:
		return tocsin.Errorf(tocsin.EConflict, "incident %d is %s; it no longer escalates", in.ID, in.Status)
	case in.EscalationPolicy == "":
		return tocsin.Errorf(tocsin.EConflict, "incident %d has no escalation policy; reassign it instead", in.ID)
	}
	if p, ok := d.Policies[in.EscalationPolicy]; ok && in.EscalationStep >= p.steps() {
		return tocsin.Errorf(tocsin.EConflict, "the escalation policy of incident %d has run out; reassign it instead", in.ID)
	}
	if err := firstPage(ctx, tx, env, in, now, actor); err != nil {
		return err
	}
	if err := incident.Note(ctx, tx, in.ID, now, tocsin.TimelineEscalation, "Escalated by hand by "+actor, nil); err != nil {
		return err
	}
	return Step(ctx, tx, env, d, in, now, "escalated by "+actor, nil)
}

// firstPage ends the group_wait of an alert incident paged by hand before
// it was over: its channels hear of it now, and from then on it is a paged
// incident (its acknowledgement and resolution are sent).
func firstPage(ctx context.Context, tx *store.Tx, env incident.Env, in *tocsin.Incident, now time.Time, actor string) error {
	if in.GroupKey == "" || in.Paged {
		return nil
	}
	if len(in.Notify) > 0 {
		return incident.Page(ctx, tx, env, in, now, "paged by hand by "+actor, nil)
	}
	in.PageAt, in.Paged = time.Time{}, true
	return tx.SaveIncident(ctx, in)
}

// Reassign pages target ("user:<name>" or "schedule:<name>") now, by
// hand; the policy's timer runs on.
func Reassign(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, in *tocsin.Incident, target, actor string,
	now time.Time) error {
	if in.Status == tocsin.IncidentResolved {
		return tocsin.Errorf(tocsin.EConflict, "incident %d is resolved", in.ID)
	}
	kind, name, _ := strings.Cut(target, ":")
	switch {
	case kind == "user" && d.Users[name].Name != "":
	case kind == "schedule" && d.Schedules[name] != nil:
	default:
		return tocsin.Errorf(tocsin.EInvalid, "to: %q is not user:<name> or schedule:<name> of a known user or schedule", target)
	}
	humans, reasons, err := d.resolve(ctx, tx, []string{target}, now)
	if err != nil {
		return err
	}
	if len(humans) == 0 {
		return tocsin.Errorf(tocsin.EConflict, "%s reaches nobody now: %s", target, strings.Join(reasons, "; "))
	}
	if err := firstPage(ctx, tx, env, in, now, actor); err != nil {
		return err
	}
	for i := range humans {
		humans[i].why = "reassigned by " + actor
	}
	if err := incident.Note(ctx, tx, in.ID, now, tocsin.TimelineEscalation, fmt.Sprintf("Reassigned by %s to %s", actor, target), nil); err != nil {
		return err
	}
	esc := incident.EventEscalation{Policy: "reassigned-" + strconv.FormatInt(now.UnixMilli(), 10)}
	return d.page(ctx, tx, env, in, now, esc, "reassigned by "+actor, nil, humans)
}

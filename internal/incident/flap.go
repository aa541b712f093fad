package incident

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// This file is what a check's changes do to its incident when flap damping
// is on (Check.FlapChanges > 0), and the re-page of an incident resolved by
// hand while its check is still down. The check's own flap state is kept by
// heartbeat.NoteChange and heartbeat.Settle before these run.

// flapNotesInFull is how many changes of a flapping check get a timeline
// entry each; after that only every flapNoteEvery-th does, so that a check
// flapping for hours does not bury the timeline.
const (
	flapNotesInFull = 10
	flapNoteEvery   = 10
)

// CheckDown records that c went down. Without flap damping it is
// OpenForCheck. With it: a flapping check's open incident only gets a
// (damped) timeline entry; a check that goes down again within the flap
// window after its incident was resolved by its recovery re-opens that
// incident, paging again, instead of opening another. It is ChecksDown
// for one check.
func CheckDown(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, reason string, data any) (*tocsin.Incident, error) {
	ins, err := ChecksDown(ctx, tx, env, now, []Down{{Check: c, Reason: reason, Data: data}})
	if err != nil {
		return nil, err
	}
	return ins[0], nil
}

// CheckUp records that c is up again. Unless c is flapping it is
// RecoverCheck; a flapping check's incident stays open (the engine
// resolves it once c has been up for FlapStable) and only gets a
// (damped) timeline entry.
func CheckUp(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, reason string, data any) error {
	if !c.Flapping() {
		return RecoverCheck(ctx, tx, env, c, now, reason, data)
	}
	open, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil || open == nil {
		return err
	}
	if beganFlapping(c) {
		return noteFlapBegan(ctx, tx, open, c, now, "up: "+reason, data)
	}
	return noteFlapChange(ctx, tx, open, c, now, "up: "+reason, data)
}

// FlapEnded records that c, flapping since since with changes changes,
// has been up for its stable period: its incident resolves (or, with
// auto_resolve off, is told so).
func FlapEnded(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now, since time.Time, changes int) error {
	open, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil || open == nil {
		return err
	}
	msg := fmt.Sprintf("%s has been up for %s: no longer flapping (%d changes since %s)", c.Name,
		tocsin.FormatDuration(c.FlapStable), changes, since.UTC().Format(time.RFC3339))
	data := map[string]any{"flapping_since": since.UTC(), "changes": changes, "stable": c.FlapStable.String()}
	if !c.AutoResolve {
		return Note(ctx, tx, open.ID, now, tocsin.TimelineFlapping, msg+"; the incident stays open: auto_resolve is off", data)
	}
	if err := Note(ctx, tx, open.ID, now, tocsin.TimelineFlapping, msg, data); err != nil {
		return err
	}
	return resolve(ctx, tx, env, open, c, now, "tocsin",
		fmt.Sprintf("check stable for %s after flapping", tocsin.FormatDuration(c.FlapStable)))
}

// StillDown opens a new incident for c, down still ReopenAfter after its
// incident was resolved by hand (note says by whom), unless one is open.
func StillDown(ctx context.Context, tx *store.Tx, env Env, c *tocsin.Check, now time.Time, note string) (*tocsin.Incident, error) {
	open, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil || open != nil {
		return nil, err
	}
	reason := fmt.Sprintf("still down %s after %s", tocsin.FormatDuration(c.ReopenAfter), note)
	data := map[string]any{"reopen_after": c.ReopenAfter.String(), "resolved": note}
	if !c.LastPingAt.IsZero() {
		data["last_ping_at"] = c.LastPingAt.UTC()
	}
	return OpenForCheck(ctx, tx, env, c, now, reason, data)
}

// scheduleReopen arms the re-page of c after its incident in was resolved
// by hand by actor while c is down, and says so on the timeline. The
// caller saves c.
func scheduleReopen(ctx context.Context, tx *store.Tx, in *tocsin.Incident, c *tocsin.Check, actor string, now time.Time) error {
	if c == nil || c.ReopenAfter <= 0 || c.StateAt(now) != tocsin.StateDown {
		return nil
	}
	c.ReopenAt = now.Add(c.ReopenAfter).Truncate(time.Millisecond)
	c.ReopenNote = fmt.Sprintf("it was resolved by hand by %s (incident #%d)", actor, in.ID)
	if err := tx.SaveCheckState(ctx, c); err != nil {
		return err
	}
	return Note(ctx, tx, in.ID, now, tocsin.TimelineStateChange,
		fmt.Sprintf("%s is still down: if it still is at %s (reopen_after %s), a new incident opens and pages again",
			c.Name, c.ReopenAt.UTC().Format(time.RFC3339), tocsin.FormatDuration(c.ReopenAfter)),
		map[string]any{"reopen_at": c.ReopenAt.UTC(), "reopen_after": c.ReopenAfter.String()})
}

// beganFlapping reports whether c's latest change made it flapping.
func beganFlapping(c *tocsin.Check) bool {
	return c.Flapping() && len(c.Changes) > 0 && c.FlappingSince.Equal(c.Changes[len(c.Changes)-1])
}

func noteFlapBegan(ctx context.Context, tx *store.Tx, in *tocsin.Incident, c *tocsin.Check, now time.Time, change string, data any) error {
	return tx.AppendTimeline(ctx, flapBegan(in, c, now, change, data))
}

// flapBegan is the timeline entry of c beginning to flap.
func flapBegan(in *tocsin.Incident, c *tocsin.Check, now time.Time, change string, data any) *tocsin.TimelineEntry {
	n, span := len(c.Changes), c.Changes[len(c.Changes)-1].Sub(c.Changes[0]).Round(time.Second)
	return note(in.ID, now, tocsin.TimelineFlapping,
		fmt.Sprintf("%s is flapping: %d changes in %s (%s); this incident stays open and pages nobody again until %s has been up for %s",
			c.Name, n, span, change, c.Name, tocsin.FormatDuration(c.FlapStable)),
		map[string]any{"changes": n, "span": span.String(), "window": c.FlapWindow.String(), "stable": c.FlapStable.String(),
			"change": data})
}

func noteFlapChange(ctx context.Context, tx *store.Tx, in *tocsin.Incident, c *tocsin.Check, now time.Time, change string, data any) error {
	if e := flapChange(in, c, now, change, data); e != nil {
		return tx.AppendTimeline(ctx, e)
	}
	return nil
}

// flapChange is the timeline entry of a change of flapping c, or nil if
// this change is not noted.
func flapChange(in *tocsin.Incident, c *tocsin.Check, now time.Time, change string, data any) *tocsin.TimelineEntry {
	if c.FlapCount > flapNotesInFull && c.FlapCount%flapNoteEvery != 0 {
		return nil
	}
	msg := fmt.Sprintf("%s still flapping (change %d since %s): %s", c.Name, c.FlapCount,
		c.FlappingSince.UTC().Format(time.RFC3339), change)
	if c.FlapCount == flapNotesInFull {
		msg += fmt.Sprintf("; from now on every %dth change is noted here", flapNoteEvery)
	}
	return note(in.ID, now, tocsin.TimelineFlapping, msg, data)
}

// recentlyRecovered reports whether last, c's latest incident, was
// resolved by c's recovery at c's change before the latest (so within the
// flap window).
func recentlyRecovered(c *tocsin.Check, last *tocsin.Incident) bool {
	if len(c.Changes) < 2 || last == nil || last.Status != tocsin.IncidentResolved || last.ResolvedBy != "tocsin" {
		return false
	}
	up := c.Changes[len(c.Changes)-2]
	d := last.ResolvedAt.Sub(up)
	return d >= 0 && d <= time.Second // else resolved for another reason, at another time
}

// reopen makes a resolved incident triggered again and pages its channels
// (and its escalation policy, from the step it had reached) once more.
func reopen(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, c *tocsin.Check, now time.Time, reason string, data any) error {
	in.Status, in.ResolvedAt, in.ResolvedBy, in.AckedAt, in.AckedBy = tocsin.IncidentTriggered, time.Time{}, "", time.Time{}, ""
	if in.EscalationPolicy != "" {
		in.EscalateAt = now
	}
	if err := tx.SaveIncident(ctx, in); err != nil {
		return err
	}
	if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineReopened,
		Actor: "tocsin", Message: "Re-opened: " + reason, Data: mustJSON(data)}); err != nil {
		return err
	}
	logChange(tx, env, "incident reopened", in, c, reason, "")
	// Each re-opening is a page of its own: its own idempotency keys.
	tag := "reopened-" + strconv.FormatInt(now.UnixMilli(), 10)
	return notifyTagged(ctx, tx, env, in, c, tocsin.EventTriggered, tag, now, reason, "", data)
}

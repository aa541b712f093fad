package escalation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// MinGap is the shortest hole in a rota worth a warning.
const MinGap = time.Minute

// gapLookback is how far back the start of a hole in force is looked for.
const gapLookback = 7 * 24 * time.Hour

// GapService is the service name under which a schedule's gap warnings
// are kept, one open incident per gap.
func GapService(schedule string) string { return "schedule:" + schedule }

// CheckGaps looks for holes in every schedule's rota between now and
// now+horizon. A new hole opens a warning incident sent at once to the
// fallback of the schedule's team (else to the operator), days before it
// opens; a warning whose hole was filled (an override, a rota change) or
// has passed is resolved. owner maps schedules to their teams.
func CheckGaps(ctx context.Context, tx *store.Tx, env incident.Env, d *Directory, owner map[string]string, now time.Time,
	horizon time.Duration) (opened, resolved int, err error) {
	for name, s := range d.Schedules {
		current := map[string]bool{}
		open, err := tx.OpenIncidentsOfService(ctx, GapService(name))
		if err != nil {
			return opened, resolved, err
		}
		known := map[string]bool{}
		for _, in := range open {
			known[in.GroupKey] = true
		}
		// Holes are known by their start, looked for from a week back so
		// that a hole keeps its key when it begins; one older than that is
		// "gap:long".
		from := now.Add(-gapLookback)
		s, err := withOverrides(ctx, tx, name, s, from, now.Add(horizon))
		if err != nil {
			return opened, resolved, err
		}
		for _, g := range s.Gaps(from, now.Add(horizon)) {
			if !g.End.After(now) || g.End.Sub(g.Start) < MinGap {
				continue
			}
			start := g.Start
			key := "gap:" + strconv.FormatInt(start.Unix(), 10)
			if !start.After(from) {
				key = "gap:long"
			}
			current[key] = true
			if known[key] {
				continue
			}
			// A warning a person resolved stays resolved.
			if dismissed, err := tx.DismissedGroup(ctx, GapService(name), key); err != nil || dismissed {
				if err != nil {
					return opened, resolved, err
				}
				continue
			}
			channels, who := d.Fallback, "operator.notify"
			if t, ok := d.Teams[owner[name]]; ok && len(t.Fallback) > 0 {
				channels, who = t.Fallback, "team "+t.Name
			}
			title := fmt.Sprintf("Gap in schedule %s: nobody on call from %s to %s", name,
				start.In(s.Loc).Format("Mon 2006-01-02 15:04 MST"), g.End.In(s.Loc).Format("Mon 2006-01-02 15:04 MST"))
			if !start.After(now) {
				title = fmt.Sprintf("Gap in schedule %s: NOBODY ON CALL NOW, until %s", name,
					g.End.In(s.Loc).Format("Mon 2006-01-02 15:04 MST"))
			}
			in := &tocsin.Incident{Title: title, Service: GapService(name), GroupKey: key, Priority: tocsin.P2, Paged: true,
				Notify: channels, Team: owner[name]}
			reason := GapReason(name, start, g.End, now)
			if err := incident.OpenForAlerts(ctx, tx, env, in, now, title+": "+reason, map[string]any{"schedule": name,
				"from": start.UTC(), "to": g.End.UTC(), "warned": who}); err != nil {
				return opened, resolved, err
			}
			if err := incident.NotifyChannels(ctx, tx, env, in, channels, now, "gap-warning", reason, nil); err != nil {
				return opened, resolved, err
			}
			opened++
		}
		for _, in := range open {
			if current[in.GroupKey] {
				continue
			}
			if err := incident.ResolveAuto(ctx, tx, env, in.ID, now, "the gap is filled or has passed"); err != nil {
				return opened, resolved, err
			}
			resolved++
		}
	}
	return opened, resolved, nil
}

// GapReason says what a hole in a rota is, for people: "the rota of
// schedule primary has nobody on call for 7h35m, from 2026-12-07T18:00Z
// (in 2h)", or "(started 55h35m ago)" for one already open.
func GapReason(schedule string, start, end, now time.Time) string {
	when := "in " + span(start.Sub(now))
	if !start.After(now) {
		when = "started " + span(now.Sub(start)) + " ago"
	}
	return fmt.Sprintf("the rota of schedule %s has nobody on call for %s, from %s (%s); add an override or fix the rota",
		schedule, span(end.Sub(start)), start.UTC().Format("2006-01-02T15:04Z"), when)
}

// span is a length of time to the minute, in hours and minutes: 7h35m,
// 55h, 12m; under a minute, "less than a minute".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return "less than a minute"
	case h == 0:
		return strconv.FormatInt(m, 10) + "m"
	case m == 0:
		return strconv.FormatInt(h, 10) + "h"
	}
	return strconv.FormatInt(h, 10) + "h" + strconv.FormatInt(m, 10) + "m"
}

package alerting

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// page sends the first page of an alert incident whose group_wait is over,
// looking again at each alert first: a silence made, or a cause that fired,
// during the wait keeps its alerts from paging.
func (w *work) page(in *tocsin.Incident) error {
	if known, ok := w.incidents[in.ID]; ok {
		in = known
	} else {
		w.keep(in, groupRef{})
	}
	members, err := w.tx.AlertsOfIncident(w.ctx, in.ID)
	if err != nil {
		return err
	}
	var firing []*tocsin.AlertRecord
	for _, m := range members {
		if m.GroupKey != in.GroupKey || m.Suppressed != "" || m.Status == tocsin.AlertResolved {
			continue
		}
		if s := w.silences.silencing(silenceLabels(m), w.now); s != nil {
			m.Suppressed, m.SuppressorID, m.IncidentID, m.GroupKey = tocsin.SuppressedSilence, s.ID, 0, ""
			w.out.Silenced++
			if err := w.save(m); err != nil {
				return err
			}
			if err := incident.Note(w.ctx, w.tx, in.ID, w.now, tocsin.TimelineAlertSuppressed,
				fmt.Sprintf("Alert silenced before the first page: %s (by %s)", m.Summary, s.Describe()), alertData(m)); err != nil {
				return err
			}
			continue
		}
		src, err := w.inhibitor(m)
		if err != nil {
			return err
		}
		if src != nil {
			if src.IncidentID != in.ID {
				if err := incident.Note(w.ctx, w.tx, in.ID, w.now, tocsin.TimelineAlertSuppressed,
					fmt.Sprintf("Alert moved to the incident of its cause before the first page: %s is inhibited by %s",
						m.Summary, src.Summary), alertData(m)); err != nil {
					return err
				}
			}
			if err := w.inhibit(m, src); err != nil {
				return err
			}
			continue
		}
		firing = append(firing, m)
	}
	if len(firing) == 0 {
		w.forget(in)
		return incident.ResolveUnpaged(w.ctx, w.tx, w.env, in, w.now,
			"no alert of the group was firing and unsuppressed when group_wait ended")
	}
	summaries := make([]string, 0, 3)
	for _, m := range firing[:min(3, len(firing))] {
		summaries = append(summaries, m.Summary)
	}
	reason := fmt.Sprintf("%d alert(s) firing: %s", len(firing), strings.Join(summaries, "; "))
	if len(firing) > 3 {
		reason += "; ..."
	}
	w.queued = true
	if in.EscalationPolicy == "" {
		return incident.Page(w.ctx, w.tx, w.env, in, w.now, reason, incident.AlertEvidence(firing))
	}
	// Channels of the service, if any, hear of it; people are paged
	// through the escalation policy.
	if len(in.Notify) > 0 {
		if err := incident.Page(w.ctx, w.tx, w.env, in, w.now, reason, incident.AlertEvidence(firing)); err != nil {
			return err
		}
	} else {
		in.PageAt, in.Paged = time.Time{}, true
	}
	return w.escalate(in, reason, incident.AlertEvidence(firing))
}

// escalate pages the next step of in's escalation policy.
func (w *work) escalate(in *tocsin.Incident, reason string, ev any) error {
	dir := w.policy.Directory
	if dir == nil {
		dir = &escalation.Directory{}
	}
	if err := escalation.Step(w.ctx, w.tx, w.env, dir, in, w.now, reason, ev); err != nil {
		return err
	}
	w.queued = true
	if !in.EscalateAt.IsZero() && (w.nextEscalate.IsZero() || in.EscalateAt.Before(w.nextEscalate)) {
		w.nextEscalate = in.EscalateAt
	}
	return nil
}

package alerting

import (
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// raisePriority raises an incident's priority to that of a more severe
// alert, with a timeline entry, and pages everyone already paged for it
// again (incident.priority_raised, with links). An acknowledged incident
// goes back to triggered: whoever acknowledged it took on something less
// severe, so the escalation goes on from the step where the
// acknowledgement stopped it.
func (w *work) raisePriority(in *tocsin.Incident, a *tocsin.AlertRecord) error {
	p := tocsin.PriorityOf(a.Severity)
	if p >= in.Priority {
		return nil
	}
	old := in.Priority
	in.Priority = p
	msg := fmt.Sprintf("Priority raised from %s to %s by a %s alert: %s", old, p, a.Severity, a.Summary)
	retrigger := in.Status == tocsin.IncidentAcknowledged && in.Paged
	if retrigger {
		msg += fmt.Sprintf("; it was acknowledged by %s: back to triggered, everyone paged is paged again", in.AckedBy)
		in.Status, in.AckedAt, in.AckedBy = tocsin.IncidentTriggered, time.Time{}, ""
		if in.EscalationPolicy != "" && w.policy.Directory != nil {
			escalation.Resume(w.policy.Directory, in, w.now)
			if !in.EscalateAt.IsZero() {
				msg += ", and the escalation goes on at " + in.EscalateAt.UTC().Format(time.RFC3339)
				if w.nextEscalate.IsZero() || in.EscalateAt.Before(w.nextEscalate) {
					w.nextEscalate = in.EscalateAt
				}
			}
		}
	}
	if err := w.tx.SaveIncident(w.ctx, in); err != nil {
		return err
	}
	if err := incident.Note(w.ctx, w.tx, in.ID, w.now, tocsin.TimelinePriority, msg, alertData(a)); err != nil {
		return err
	}
	if !in.Paged {
		return nil // nobody heard of it yet: the first page carries the new priority
	}
	w.queued = true
	return incident.TellPaged(w.ctx, w.tx, w.env, in, tocsin.EventPriorityRaised, "priority-"+p, w.now, msg, "",
		incident.AlertEvidence([]*tocsin.AlertRecord{a}))
}

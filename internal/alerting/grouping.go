package alerting

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

// GroupKey is the group an alert of service s joins: the values of the
// service's group_by labels, or the alert itself (its integration and key,
// a PagerDuty event's dedup_key) when the service groups by nothing or the
// alert lacks any of those labels. An alert without a label the service
// groups by says nothing about what it belongs with; lumping every such
// alert into one incident would make a PagerDuty event (which carries only
// component, group and class) join unrelated ones, so it stands alone, as
// in PagerDuty.
func GroupKey(s Service, a *tocsin.AlertRecord) string {
	lacks := false
	for _, name := range s.GroupBy {
		if a.Labels[name] == "" {
			lacks = true
			break
		}
	}
	if len(s.GroupBy) == 0 || lacks {
		return "alert:" + a.Integration + "/" + a.Key
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range s.GroupBy {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(a.Labels[name]))
	}
	b.WriteByte('}')
	return b.String()
}

type groupRef struct{ service, key string }

// openIncident returns the open incident of a group, or nil.
func (w *work) openIncident(service, key string) (*tocsin.Incident, error) {
	ref := groupRef{service, key}
	if in, ok := w.groups[ref]; ok {
		return in, nil
	}
	in, err := w.tx.OpenIncidentForGroup(w.ctx, service, key)
	if err != nil {
		return nil, err
	}
	if in != nil {
		if known, ok := w.incidents[in.ID]; ok {
			in = known
		}
	}
	w.keep(in, ref)
	return in, nil
}

// group makes a firing alert that is neither silenced nor inhibited a
// member of its group's incident, which a new group opens, paged at once
// or after the service's group_wait. why says what led here, if not a
// delivery.
func (w *work) group(a *tocsin.AlertRecord, why string) error {
	svc, ok := w.policy.Services[a.Service]
	if !ok {
		// The service left the config; the alert still opens an incident,
		// whose timeline says loudly that nobody hears of it.
		svc = Service{Name: a.Service}
	}
	a.GroupKey = GroupKey(svc, a)
	in, err := w.openIncident(svc.Name, a.GroupKey)
	if err != nil {
		return err
	}
	if in != nil {
		a.IncidentID = in.ID
		if err := w.save(a); err != nil {
			return err
		}
		if why == "" {
			w.join(in.ID, a)
			return w.raisePriority(in, a)
		}
		msg := "Alert joined the incident: " + a.Summary + because(why)
		if err := incident.Note(w.ctx, w.tx, in.ID, w.now, tocsin.TimelineAlertFiring, msg, alertData(a)); err != nil {
			return err
		}
		if err := w.raisePriority(in, a); err != nil {
			return err
		}
		return w.announceJoin(in, []*tocsin.AlertRecord{a}, msg)
	}
	in = &tocsin.Incident{Title: "[" + svc.Name + "] " + a.Summary, Service: svc.Name, GroupKey: a.GroupKey,
		Priority: tocsin.PriorityOf(a.Severity), Notify: svc.Notify, EscalationPolicy: svc.EscalationPolicy, Team: svc.Team}
	if svc.GroupWait > 0 {
		in.PageAt = w.now.Add(svc.GroupWait)
	}
	msg := "alert firing: " + a.Summary + because(why)
	if svc.GroupWait > 0 {
		msg += fmt.Sprintf("; first page after group_wait %s, at %s", tocsin.FormatDuration(svc.GroupWait),
			in.PageAt.UTC().Format(time.RFC3339))
	}
	inserted := a.ID == 0
	if inserted {
		// The opening entry names the alert by its id, as every later
		// entry does: the reports and the postmortem count it by that.
		if err := w.save(a); err != nil {
			return err
		}
	}
	if err := incident.OpenForAlerts(w.ctx, w.tx, w.env, in, w.now, msg, alertData(a)); err != nil {
		return err
	}
	w.keep(in, groupRef{})
	a.IncidentID = in.ID
	if inserted {
		// Only its incident changed since the insert: one column written,
		// not the whole row and every index.
		if err := w.tx.SetAlertIncident(w.ctx, a.ID, in.ID); err != nil {
			return err
		}
		w.stored(a)
	} else if err := w.save(a); err != nil {
		return err
	}
	if in.PageAt.IsZero() {
		return w.page(in)
	}
	if w.nextPage.IsZero() || in.PageAt.Before(w.nextPage) {
		w.nextPage = in.PageAt
	}
	return nil
}

// join notes that a joined incident id; the notes of one transaction are
// written together by flushJoins, one entry per incident, so that a burst
// of a hundred alerts is one line on the timeline, not a hundred.
func (w *work) join(id int64, a *tocsin.AlertRecord) {
	if w.joins == nil {
		w.joins = map[int64][]*tocsin.AlertRecord{}
	}
	if _, ok := w.joins[id]; !ok {
		w.joinIDs = append(w.joinIDs, id)
	}
	w.joins[id] = append(w.joins[id], a)
}

// maxListed bounds the alerts one timeline entry names.
const maxListed = 20

// flushJoins writes the join notes of the transaction.
func (w *work) flushJoins() error {
	for _, id := range w.joinIDs {
		alerts := w.joins[id]
		msg := "Alert joined the incident: " + alerts[0].Summary
		data := alertData(alerts[0])
		if len(alerts) > 1 {
			listed := alerts[:min(len(alerts), maxListed)]
			var names []string
			for _, a := range listed {
				names = append(names, a.Summary)
			}
			msg = fmt.Sprintf("%d alerts joined the incident: %s", len(alerts), strings.Join(names, "; "))
			if len(alerts) > maxListed {
				msg += "; ..."
			}
			data = alertsData(listed, len(alerts))
		}
		if err := incident.Note(w.ctx, w.tx, id, w.now, tocsin.TimelineAlertFiring, msg, data); err != nil {
			return err
		}
		in, err := w.incident(id)
		if err != nil {
			return err
		}
		if err := w.announceJoin(in, alerts, msg); err != nil {
			return err
		}
	}
	w.joins, w.joinIDs = nil, nil
	return nil
}

// announceJoin tells everyone paged for an acknowledged incident that
// alerts joined it (incident.alert_joined): whoever is on it must know its
// scope grew. A triggered incident is being paged anyway.
func (w *work) announceJoin(in *tocsin.Incident, alerts []*tocsin.AlertRecord, msg string) error {
	if in.Status != tocsin.IncidentAcknowledged || !in.Paged {
		return nil
	}
	w.queued = true
	tag := fmt.Sprintf("alert-joined-%d-%d", alerts[0].ID, w.now.UnixMilli())
	return incident.TellPaged(w.ctx, w.tx, w.env, in, tocsin.EventAlertJoined, tag, w.now,
		msg+" (the incident is acknowledged by "+in.AckedBy+")", "", incident.AlertEvidence(alerts))
}

// resolveIfQuiet resolves an alert incident none of whose group fires.
func (w *work) resolveIfQuiet(in *tocsin.Incident) error {
	members, err := w.tx.AlertsOfIncident(w.ctx, in.ID)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.GroupKey == in.GroupKey && m.Suppressed == "" && m.Status != tocsin.AlertResolved {
			return nil
		}
	}
	w.forget(in)
	if !in.Paged {
		return incident.ResolveUnpaged(w.ctx, w.tx, w.env, in, w.now, "every alert of the group resolved")
	}
	w.queued = true
	return incident.ResolveAuto(w.ctx, w.tx, w.env, in.ID, w.now, "every alert resolved")
}

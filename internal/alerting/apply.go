package alerting

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// work is one transaction of the processor.
type work struct {
	ctx      context.Context
	tx       *store.Tx
	now      time.Time
	env      incident.Env
	policy   *Policy
	silences *silenceSet

	out          Outcome
	queued       bool      // notifications were queued
	nextPage     time.Time // the earliest first page this transaction scheduled
	nextEscalate time.Time // the earliest escalation step it scheduled (the escalation stage pages it)

	// sources is every firing alert that matches the source matchers of an
	// inhibition rule, loaded once per transaction when a rule needs it and
	// kept current by save: deciding inhibition costs one scan of the
	// firing alerts per transaction, not one per alert.
	sources     []*store.AlertRef
	sourcesByID map[int64]*store.AlertRef
	depth       int // nesting of released alerts taken again, bounded

	cache     map[cacheKey]cached             // the processor's, as of the last commit; read only
	touched   map[cacheKey]cached             // what this transaction stored
	incidents map[int64]*tocsin.Incident      // incidents read in this transaction, by id
	joins     map[int64][]*tocsin.AlertRecord // alerts that joined open incidents, noted at the end
	joinIDs   []int64                         // the incidents of joins, in order
	groups    map[groupRef]*tocsin.Incident   // open incidents of groups, looked up in this transaction
	current   delivered                       // the alert of a delivery being applied
	// known holds the stored alerts of the delivery being applied, read in
	// one query (nil: not stored); save keeps it current.
	known map[cacheKey]*tocsin.AlertRecord
}

// delivered is what the sender's goroutine prepared for the alert being
// applied: its content hash and JSON columns. Records made from that
// alert (record, refresh) have exactly its content, so save uses them.
type delivered struct {
	key  cacheKey
	hash uint64
	enc  *store.AlertJSON
}

type groupRef struct{ service, key string }

// The transaction keeps one copy of each incident it reads, so that a
// change made through one path (a priority raised) is seen by the next
// (an alert joining): two copies saved in turn would undo each other.
// Changes made by package incident, which reads its own copy, are followed
// by forget.

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

// incident returns an incident by id.
func (w *work) incident(id int64) (*tocsin.Incident, error) {
	if in, ok := w.incidents[id]; ok {
		return in, nil
	}
	in, err := w.tx.IncidentByID(w.ctx, id)
	if err != nil {
		return nil, err
	}
	w.keep(in, groupRef{})
	return in, nil
}

// keep records in (nil: the group has no open incident).
func (w *work) keep(in *tocsin.Incident, ref groupRef) {
	if w.groups == nil {
		w.groups, w.incidents = map[groupRef]*tocsin.Incident{}, map[int64]*tocsin.Incident{}
	}
	if in != nil {
		w.incidents[in.ID] = in
		if in.GroupKey != "" && in.Status != tocsin.IncidentResolved {
			ref = groupRef{in.Service, in.GroupKey}
		}
	}
	if ref != (groupRef{}) {
		w.groups[ref] = in
	}
}

// forget drops an incident changed behind the transaction's copy.
func (w *work) forget(in *tocsin.Incident) {
	delete(w.incidents, in.ID)
	delete(w.groups, groupRef{in.Service, in.GroupKey})
}

// maxDepth bounds chains of alerts released by alerts that became
// inhibited; past it an alert stays held until the next change.
const maxDepth = 8

// save stores a and keeps the inhibition sources and the cache current.
func (w *work) save(a *tocsin.AlertRecord) error {
	k := cacheKey{a.Integration, a.Key}
	var err error
	if k == w.current.key && w.current.enc != nil {
		err = w.tx.SaveEncodedAlert(w.ctx, a, *w.current.enc)
	} else {
		err = w.tx.SaveAlert(w.ctx, a)
	}
	if err != nil {
		return err
	}
	w.remember(a)
	if _, ok := w.known[k]; ok {
		w.known[k] = a
	}
	if w.sourcesByID == nil {
		return nil
	}
	ref := w.sourcesByID[a.ID]
	if a.Status == tocsin.AlertResolved || !w.policy.isSource(a.Labels) {
		if ref != nil {
			delete(w.sourcesByID, a.ID)
			w.sources = slices.DeleteFunc(w.sources, func(r *store.AlertRef) bool { return r.ID == a.ID })
		}
		return nil
	}
	if ref == nil {
		ref = &store.AlertRef{ID: a.ID}
		w.sourcesByID[a.ID] = ref
		// Kept in id order, the order of FiringAlertRefs.
		i, _ := slices.BinarySearchFunc(w.sources, a.ID, func(r *store.AlertRef, id int64) int { return cmp.Compare(r.ID, id) })
		w.sources = slices.Insert(w.sources, i, ref)
	}
	ref.Labels, ref.Suppressed, ref.IncidentID, ref.Summary = a.Labels, a.Suppressed, a.IncidentID, a.Summary
	return nil
}

// apply takes one alert of a delivery; hash is contentHash(a).
func (w *work) apply(d Delivery, a *tocsin.Alert, hash uint64) error {
	if done, err := w.unchanged(d, a, hash); done || err != nil {
		return err
	}
	old, ok := w.known[cacheKey{d.Integration, a.Key}]
	if !ok {
		var err error
		if old, err = w.tx.AlertByKey(w.ctx, d.Integration, a.Key); err != nil {
			return err
		}
	}
	switch a.Status {
	case tocsin.AlertAcknowledged:
		return w.acknowledge(d, old)
	case tocsin.AlertFiring:
		if old != nil && old.Status != tocsin.AlertResolved {
			return w.repeat(old, a)
		}
		rec := w.record(d, a, old)
		rec.Service = w.policy.Route(d.Service, rec.Labels)
		w.out.New++
		return w.fire(rec, "")
	case tocsin.AlertResolved:
		if old == nil {
			// Resolved before Tocsin saw it fire (Tocsin was set up after,
			// or the firing delivery was lost): kept for the record.
			rec := w.record(d, a, nil)
			rec.Service = w.policy.Route(d.Service, rec.Labels)
			w.out.Resolved++
			return w.save(rec)
		}
		wasOpen := old.Status != tocsin.AlertResolved
		w.refresh(old, a)
		old.Status = tocsin.AlertResolved
		if old.EndsAt.IsZero() {
			old.EndsAt = w.now
		}
		if err := w.save(old); err != nil {
			return err
		}
		if !wasOpen {
			w.out.Updated++
			return nil
		}
		w.out.Resolved++
		return w.resolved(old)
	}
	return fmt.Errorf("alert %q: unknown status %q", a.Key, a.Status)
}

// prefetch reads in one query the stored alerts of a delivery that the
// cache cannot settle.
func (w *work) prefetch(d Delivery, hashes []uint64) error {
	w.known = nil
	var keys []string
	for i := range d.Alerts {
		k := cacheKey{d.Integration, d.Alerts[i].Key}
		c, ok := w.touched[k]
		if !ok {
			c, ok = w.cache[k]
		}
		if !ok || c.hash != hashes[i] {
			keys = append(keys, d.Alerts[i].Key)
		}
	}
	if len(keys) < 2 {
		return nil
	}
	found, err := w.tx.AlertsByKeys(w.ctx, d.Integration, keys)
	if err != nil {
		return err
	}
	w.known = make(map[cacheKey]*tocsin.AlertRecord, len(keys))
	for _, key := range keys {
		w.known[cacheKey{d.Integration, key}] = found[key] // nil: not stored
	}
	return nil
}

// unchanged takes the commonest delivery of all, a repeat that changes
// nothing (Alertmanager repeats every group on group_interval), from the
// cache: no row is read, one is touched. It reports whether it did.
func (w *work) unchanged(d Delivery, a *tocsin.Alert, hash uint64) (bool, error) {
	k := cacheKey{d.Integration, a.Key}
	c, ok := w.touched[k]
	if !ok {
		if c, ok = w.cache[k]; !ok {
			return false, nil
		}
	}
	if c.hash != hash || a.Status == tocsin.AlertAcknowledged ||
		(a.Status == tocsin.AlertResolved) != (c.status == tocsin.AlertResolved) {
		return false, nil
	}
	if a.Status == tocsin.AlertFiring && c.suppressed == "" && c.incidentID != 0 {
		// A firing alert whose incident a person resolved fires anew: that
		// takes the full path.
		st, err := w.incidentStatus(c.incidentID)
		if err != nil || st == tocsin.IncidentResolved {
			return false, err
		}
	}
	w.out.Updated++
	return true, w.tx.TouchAlert(w.ctx, c.id, w.now)
}

// incidentStatus reads an incident's status once per transaction.
func (w *work) incidentStatus(id int64) (tocsin.IncidentStatus, error) {
	in, err := w.incident(id)
	if err != nil {
		return "", err
	}
	return in.Status, nil
}

// repeat takes a repeated delivery of a firing alert: it keeps its
// service, group and incident, and only its content is refreshed. If a
// person resolved its incident while it still fires, it fires anew; if it
// grew more severe, its incident's priority rises.
func (w *work) repeat(old *tocsin.AlertRecord, a *tocsin.Alert) error {
	w.refresh(old, a)
	w.out.Updated++
	if old.Suppressed != "" || old.IncidentID == 0 {
		return w.save(old)
	}
	in, err := w.incident(old.IncidentID)
	if err != nil {
		return err
	}
	if in.Status == tocsin.IncidentResolved {
		return w.fire(old, "its incident was resolved while it still fires")
	}
	if err := w.save(old); err != nil {
		return err
	}
	return w.raisePriority(in, old)
}

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

// record makes the stored form of a newly firing (or re-firing) alert.
func (w *work) record(d Delivery, a *tocsin.Alert, old *tocsin.AlertRecord) *tocsin.AlertRecord {
	rec := &tocsin.AlertRecord{Alert: *a, Integration: d.Integration, FirstSeenAt: w.now, LastSeenAt: w.now, Deliveries: 1}
	if old != nil {
		rec.ID, rec.FirstSeenAt, rec.Deliveries = old.ID, old.FirstSeenAt, old.Deliveries+1
	}
	return rec
}

// refresh copies a repeated delivery's content over the stored alert.
func (w *work) refresh(old *tocsin.AlertRecord, a *tocsin.Alert) {
	status := old.Status
	old.Alert = *a
	old.Status = status
	old.LastSeenAt = w.now
	old.Deliveries++
}

// acknowledge handles PagerDuty's acknowledge action: the alert's incident
// is acknowledged by the integration.
func (w *work) acknowledge(d Delivery, a *tocsin.AlertRecord) error {
	if a == nil || a.Status == tocsin.AlertResolved {
		w.out.Updated++
		return nil // PagerDuty accepts these too, and they change nothing
	}
	a.Status, a.LastSeenAt = tocsin.AlertAcknowledged, w.now
	a.Deliveries++
	w.out.Updated++
	if err := w.save(a); err != nil {
		return err
	}
	if a.IncidentID == 0 || a.Suppressed != "" {
		return nil
	}
	in, err := w.incident(a.IncidentID)
	if err != nil || in.Status != tocsin.IncidentTriggered {
		return err
	}
	w.forget(in)
	if _, err := incident.Acknowledge(w.ctx, w.tx, w.env, in.ID, "integration "+d.Integration, w.now); err != nil {
		return err
	}
	w.queued = true
	return nil
}

// fire decides what a firing alert does: silenced, attached to the
// incident of the alert that inhibits it, or a member of its group's
// incident, which a new group opens. why says what led here, if not a
// delivery.
func (w *work) fire(a *tocsin.AlertRecord, why string) error {
	a.Suppressed, a.SuppressorID, a.IncidentID, a.GroupKey = "", 0, 0, ""
	if s := w.silences.silencing(a.Labels, w.now); s != nil {
		a.Suppressed, a.SuppressorID = tocsin.SuppressedSilence, s.ID
		w.out.Silenced++
		return w.save(a)
	}
	src, err := w.inhibitor(a)
	if err != nil {
		return err
	}
	if src != nil {
		return w.inhibit(a, src)
	}
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
	if err := incident.OpenForAlerts(w.ctx, w.tx, w.env, in, w.now, msg, alertData(a)); err != nil {
		return err
	}
	w.keep(in, groupRef{})
	a.IncidentID = in.ID
	if err := w.save(a); err != nil {
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
		var data any = alertData(alerts[0])
		if len(alerts) > 1 {
			var names []string
			list := make([]map[string]any, 0, min(len(alerts), maxListed))
			for _, a := range alerts[:min(len(alerts), maxListed)] {
				names = append(names, a.Summary)
				list = append(list, alertData(a))
			}
			msg = fmt.Sprintf("%d alerts joined the incident: %s", len(alerts), strings.Join(names, "; "))
			if len(alerts) > maxListed {
				msg += "; ..."
			}
			data = map[string]any{"alerts": list, "count": len(alerts)}
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

// inhibitor returns a firing alert that inhibits a, or nil. An alert
// that is itself inhibited inhibits nothing, so two rules cannot silence
// each other's alerts both ways.
func (w *work) inhibitor(a *tocsin.AlertRecord) (*store.AlertRef, error) {
	var rules []*InhibitRule
	for i := range w.policy.Inhibit {
		if r := &w.policy.Inhibit[i]; r.Target.Matches(a.Labels) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return nil, nil
	}
	if w.sourcesByID == nil {
		refs, err := w.tx.FiringAlertRefs(w.ctx)
		if err != nil {
			return nil, err
		}
		w.sourcesByID = map[int64]*store.AlertRef{}
		for _, r := range refs {
			if w.policy.isSource(r.Labels) {
				w.sources = append(w.sources, r)
				w.sourcesByID[r.ID] = r
			}
		}
	}
	for _, src := range w.sources {
		if src.ID == a.ID || src.Suppressed == tocsin.SuppressedInhibit {
			continue
		}
		for _, r := range rules {
			if r.inhibits(src.Labels, a.Labels) {
				return src, nil
			}
		}
	}
	return nil, nil
}

// inhibit attaches a to the incident of the alert that inhibits it: the
// symptom is shown with its cause and pages nobody. Alerts that a held
// are taken again: an inhibited alert inhibits nothing.
func (w *work) inhibit(a *tocsin.AlertRecord, src *store.AlertRef) error {
	a.Suppressed, a.SuppressorID, a.IncidentID, a.GroupKey = tocsin.SuppressedInhibit, src.ID, src.IncidentID, ""
	w.out.Inhibited++
	if err := w.save(a); err != nil {
		return err
	}
	if src.IncidentID != 0 {
		if err := incident.Note(w.ctx, w.tx, src.IncidentID, w.now, tocsin.TimelineAlertSuppressed,
			fmt.Sprintf("Alert attached, not paged: %s is inhibited by %s", a.Summary, src.Summary), alertData(a)); err != nil {
			return err
		}
	}
	return w.release(a, "the alert inhibiting it is now inhibited itself: "+a.Summary)
}

// release takes again the alerts that a held by inhibition.
func (w *work) release(a *tocsin.AlertRecord, why string) error {
	held, err := w.tx.AlertsSuppressedBy(w.ctx, tocsin.SuppressedInhibit, a.ID)
	if err != nil {
		return err
	}
	for _, t := range held {
		if err := w.reevaluate(t, why); err != nil {
			return err
		}
	}
	return nil
}

// resolved follows up an alert that stopped firing: the alerts it
// inhibited are taken again first (they may rejoin its still open group),
// then its incident resolves if no alert of its group fires any more.
func (w *work) resolved(a *tocsin.AlertRecord) error {
	if err := w.release(a, "the alert inhibiting it resolved: "+a.Summary); err != nil {
		return err
	}
	if a.IncidentID == 0 {
		return nil
	}
	in, err := w.incident(a.IncidentID)
	if err != nil || in.Status == tocsin.IncidentResolved {
		return err
	}
	what := "Alert resolved: "
	if a.Suppressed != "" {
		what = "Attached alert resolved: "
	}
	if err := incident.Note(w.ctx, w.tx, in.ID, w.now, tocsin.TimelineAlertResolved, what+a.Summary, alertData(a)); err != nil {
		return err
	}
	if a.Suppressed != "" || a.GroupKey != in.GroupKey {
		return nil
	}
	return w.resolveIfQuiet(in)
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

// reevaluate takes a firing alert whose silence or inhibitor has gone as
// if it had just fired.
func (w *work) reevaluate(a *tocsin.AlertRecord, why string) error {
	if a.Status == tocsin.AlertResolved || w.depth >= maxDepth {
		return nil
	}
	w.depth++
	defer func() { w.depth-- }()
	return w.fire(a, why)
}

// recheckInhibited takes again the alerts whose inhibition the current
// rules no longer support.
func (w *work) recheckInhibited() error {
	held, err := w.tx.InhibitedAlerts(w.ctx)
	if err != nil {
		return err
	}
	for _, a := range held {
		src, err := w.inhibitor(a)
		if err != nil {
			return err
		}
		if src != nil {
			continue // still inhibited (perhaps by another alert now)
		}
		if err := w.reevaluate(a, "the inhibition rules changed"); err != nil {
			return err
		}
	}
	return nil
}

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
		if s := w.silences.silencing(m.Labels, w.now); s != nil {
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

func alertData(a *tocsin.AlertRecord) map[string]any {
	return map[string]any{"alert_id": a.ID, "integration": a.Integration, "key": a.Key, "severity": a.Severity,
		"labels": a.Labels}
}

func because(why string) string {
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

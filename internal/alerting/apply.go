package alerting

import (
	"fmt"
	"strconv"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
)

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
		if old == nil && d.DropUnknown {
			w.out.Dropped++
			return nil
		}
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

// acknowledge handles PagerDuty's acknowledge action: the alert's incident
// is acknowledged by the integration.
func (w *work) acknowledge(d Delivery, a *tocsin.AlertRecord) error {
	if a == nil {
		w.out.Dropped++
		return nil // PagerDuty accepts these too, and drops them
	}
	if a.Status == tocsin.AlertResolved {
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
	if s := w.silences.silencing(silenceLabels(a), w.now); s != nil {
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
	return w.group(a, why)
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

func because(why string) string {
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package alerting

import (
	"github.com/tocsinhq/tocsin"
)

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

func alertData(a *tocsin.AlertRecord) map[string]any {
	return map[string]any{"alert_id": a.ID, "integration": a.Integration, "key": a.Key, "severity": a.Severity,
		"labels": a.Labels}
}

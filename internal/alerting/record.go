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

// alertNote is what a timeline entry records of an alert. Its fields are
// in the order json.Marshal writes a map's keys, so the stored JSON is what
// a map of them gave, without sorting keys for every entry.
type alertNote struct {
	AlertID     int64             `json:"alert_id"`
	Integration string            `json:"integration"`
	Key         string            `json:"key"`
	Labels      map[string]string `json:"labels"`
	Severity    string            `json:"severity"`
}

func alertData(a *tocsin.AlertRecord) alertNote {
	return alertNote{AlertID: a.ID, Integration: a.Integration, Key: a.Key, Labels: a.Labels, Severity: a.Severity}
}

package alerting

import (
	"encoding/json"
	"strconv"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
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

// alertData is what a timeline entry records of an alert: the JSON that
// json.Marshal writes for the map of its alert_id, integration, key,
// labels and severity, written without reflection (or sorting those five
// keys): a first delivery writes one for every new group and every join.
func alertData(a *tocsin.AlertRecord) json.RawMessage {
	return appendAlertData(nil, a)
}

func appendAlertData(b []byte, a *tocsin.AlertRecord) []byte {
	b = append(b, `{"alert_id":`...)
	b = strconv.AppendInt(b, a.ID, 10)
	b = append(b, `,"integration":`...)
	b = store.AppendJSONString(b, a.Integration)
	b = append(b, `,"key":`...)
	b = store.AppendJSONString(b, a.Key)
	b = append(b, `,"labels":`...)
	b = store.AppendJSONStringMap(b, a.Labels)
	b = append(b, `,"severity":`...)
	b = store.AppendJSONString(b, a.Severity)
	return append(b, '}')
}

// alertsData is what a timeline entry records of several alerts: the JSON
// of {"alerts": [alertData of each of listed], "count": count}.
func alertsData(listed []*tocsin.AlertRecord, count int) json.RawMessage {
	b := append(make([]byte, 0, 256*len(listed)), `{"alerts":[`...)
	for i, a := range listed {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAlertData(b, a)
	}
	b = append(b, `],"count":`...)
	b = strconv.AppendInt(b, int64(count), 10)
	return append(b, '}')
}

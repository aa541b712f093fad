package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// ReportRows is what the reliability reports of a time range are computed
// from: the incidents open at any moment of the range, and, of those
// incidents, the timeline entries and the pages made within the range.
type ReportRows struct {
	Incidents []*tocsin.Incident     // open at some time in [from, to), oldest first, without timelines
	Timeline  []tocsin.TimelineEntry // of ReportKinds, at in [from, to), in order
	Pages     []*tocsin.Notification // incident.triggered outbox rows queued in [from, to), in order
	Checks    map[int64]string       // check id -> name, for the checks of Incidents
}

// ReportKinds are the timeline kinds the reports read.
var ReportKinds = []string{tocsin.TimelineOpened, tocsin.TimelineEscalation, tocsin.TimelineNobodyReachable, tocsin.TimelineAlertFiring,
	tocsin.TimelineAlertResolved, tocsin.TimelineFlapping}

// reportIncidentsWhere selects the incidents open at some time in [$1, $2).
const reportIncidentsWhere = "opened_at < $2 AND (resolved_at = 0 OR resolved_at >= $1)"

// ReportRows reads the rows of the reports over [from, to) in four
// queries, whatever the length of the range: incidents, timeline entries,
// pages and the names of the checks.
func (db *DB) ReportRows(ctx context.Context, from, to time.Time) (*ReportRows, error) {
	out := &ReportRows{Checks: map[int64]string{}}
	var err error
	out.Incidents, err = queryIncidents(ctx, db.read, reportIncidentsWhere+" ORDER BY opened_at, id", ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("report incidents: %w", err)
	}
	if len(out.Incidents) == 0 {
		return out, nil
	}
	kinds := ""
	for i, k := range ReportKinds {
		if i > 0 {
			kinds += ", "
		}
		kinds += "'" + k + "'"
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, incident_id, at, kind, actor, message, data FROM timeline
		WHERE incident_id IN (SELECT id FROM incidents WHERE `+reportIncidentsWhere+`)
		AND kind IN (`+kinds+`) AND at >= $1 AND at < $2 ORDER BY at, id`, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("report timeline: %w", err)
	}
	for rows.Next() {
		var e tocsin.TimelineEntry
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &e.IncidentID, &at, &e.Kind, &e.Actor, &e.Message, &data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("report timeline: %w", err)
		}
		e.At = fromMS(at)
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		out.Timeline = append(out.Timeline, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report timeline: %w", err)
	}
	rows, err = db.read.QueryContext(ctx, "SELECT "+outboxColumns+` FROM outbox
		WHERE incident_id IN (SELECT id FROM incidents WHERE `+reportIncidentsWhere+`)
		AND event = $3 AND created_at >= $1 AND created_at < $2 ORDER BY created_at, id`, ms(from), ms(to), tocsin.EventTriggered)
	if err != nil {
		return nil, fmt.Errorf("report pages: %w", err)
	}
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("report pages: %w", err)
		}
		out.Pages = append(out.Pages, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report pages: %w", err)
	}
	rows, err = db.read.QueryContext(ctx, `SELECT id, name FROM checks
		WHERE id IN (SELECT check_id FROM incidents WHERE `+reportIncidentsWhere+`)`, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("report checks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("report checks: %w", err)
		}
		out.Checks[id] = name
	}
	return out, rows.Err()
}

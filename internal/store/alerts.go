package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

const alertColumns = `id, integration, key, service, status, summary, source, severity, labels, annotations, starts_at, ends_at,
	generator_url, links, images, details, first_seen_at, last_seen_at, deliveries, group_key, COALESCE(incident_id, 0),
	suppressed, suppressor_id`

// The queries of the alert path, prepared once by Open.
var (
	alertByKeySQL       = "SELECT " + alertColumns + " FROM alerts WHERE integration = $1 AND key = $2"
	alertByIDSQL        = "SELECT " + alertColumns + " FROM alerts WHERE id = $1"
	alertsByKeysSQL     = "SELECT " + alertColumns + " FROM alerts WHERE integration = $1 AND key IN (SELECT value FROM json_each($2))"
	alertsOfIncidentSQL = "SELECT " + alertColumns + " FROM alerts WHERE incident_id = $1 ORDER BY id"
	// The repeated "suppressed <> ''" lets SQLite use the partial index.
	alertsSuppressedBySQL = "SELECT " + alertColumns + ` FROM alerts
		WHERE suppressed = $1 AND suppressed <> '' AND suppressor_id = $2 AND status <> 'resolved' ORDER BY id`
	insertAlertSQL = `INSERT INTO alerts (integration, key, service, status, summary, source, severity,
		labels, annotations, starts_at, ends_at, generator_url, links, images, details, first_seen_at, last_seen_at, deliveries,
		group_key, incident_id, suppressed, suppressor_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id`
	updateAlertSQL = `UPDATE alerts SET integration = $1, key = $2, service = $3, status = $4, summary = $5,
		source = $6, severity = $7, labels = $8, annotations = $9, starts_at = $10, ends_at = $11, generator_url = $12,
		links = $13, images = $14, details = $15, first_seen_at = $16, last_seen_at = $17, deliveries = $18, group_key = $19,
		incident_id = $20, suppressed = $21, suppressor_id = $22 WHERE id = $23`
	touchAlertSQL       = "UPDATE alerts SET last_seen_at = $1, deliveries = deliveries + 1 WHERE id = $2"
	setAlertIncidentSQL = "UPDATE alerts SET incident_id = $1 WHERE id = $2"
	// The repeated "group_key <> ''" lets SQLite use the partial unique index.
	openIncidentForGroupSQL = "SELECT " + incidentColumns +
		" FROM incidents WHERE service = $1 AND group_key = $2 AND group_key <> '' AND status <> 'resolved'"
)

func scanAlert(r rowScanner) (*tocsin.AlertRecord, error) {
	var a tocsin.AlertRecord
	var status, labels, annotations, links, images, details string
	var starts, ends, first, last int64
	if err := r.Scan(&a.ID, &a.Integration, &a.Key, &a.Service, &status, &a.Summary, &a.Source, &a.Severity, &labels,
		&annotations, &starts, &ends, &a.GeneratorURL, &links, &images, &details, &first, &last, &a.Deliveries, &a.GroupKey,
		&a.IncidentID, &a.Suppressed, &a.SuppressorID); err != nil {
		return nil, err
	}
	a.Status = tocsin.AlertStatus(status)
	a.StartsAt, a.EndsAt, a.FirstSeenAt, a.LastSeenAt = fromMS(starts), fromMS(ends), fromMS(first), fromMS(last)
	for _, f := range []struct {
		raw string
		v   any
	}{{labels, &a.Labels}, {annotations, &a.Annotations}, {links, &a.Links}, {images, &a.Images}} {
		if err := json.Unmarshal([]byte(f.raw), f.v); err != nil {
			return nil, fmt.Errorf("alert %d: %w", a.ID, err)
		}
	}
	if len(a.Images) == 0 {
		a.Images = nil
	}
	if len(a.Links) == 0 {
		a.Links = nil
	}
	if details != "" {
		a.Details = json.RawMessage(details)
	}
	return &a, nil
}

// AlertByKey returns the alert with that identity, or nil.
func (tx *Tx) AlertByKey(ctx context.Context, integration, key string) (*tocsin.AlertRecord, error) {
	a, err := scanAlert(tx.queryRow(ctx, alertByKeySQL, sanitize.Text(integration), sanitize.Text(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get alert: %w", err)
	}
	return a, nil
}

// AlertsByKeys returns the stored alerts of an integration among keys, by
// key; absent keys are absent from the map. One query for a delivery's
// alerts instead of one each.
func (tx *Tx) AlertsByKeys(ctx context.Context, integration string, keys []string) (map[string]*tocsin.AlertRecord, error) {
	// nonNil: a nil list would be JSON null, which PostgreSQL's
	// json_array_elements_text refuses where SQLite's json_each finds nothing.
	list, err := json.Marshal(nonNil(keys))
	if err != nil {
		return nil, err
	}
	alerts, err := tx.alerts(ctx, alertsByKeysSQL, integration, string(list))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*tocsin.AlertRecord, len(alerts))
	for _, a := range alerts {
		out[a.Key] = a
	}
	return out, nil
}

// AlertByID returns an alert inside the transaction.
func (tx *Tx) AlertByID(ctx context.Context, id int64) (*tocsin.AlertRecord, error) {
	a, err := scanAlert(tx.queryRow(ctx, alertByIDSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "alert not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get alert: %w", err)
	}
	return a, nil
}

// SaveAlert inserts a (ID zero) or writes it whole, setting a.ID.
func (tx *Tx) SaveAlert(ctx context.Context, a *tocsin.AlertRecord) error {
	enc, err := EncodeAlert(&a.Alert)
	if err != nil {
		return err
	}
	return tx.SaveEncodedAlert(ctx, a, enc)
}

// AlertJSON is the JSON columns of an alert, encoded ahead of the write
// transaction.
type AlertJSON struct{ Labels, Annotations, Links, Images string }

// EncodeAlert encodes the JSON columns of a, as json.Marshal does.
func EncodeAlert(a *tocsin.Alert) (AlertJSON, error) {
	links, err := json.Marshal(nonNilList(a.Links))
	if err != nil {
		return AlertJSON{}, fmt.Errorf("encode alert: %w", err)
	}
	images, err := json.Marshal(nonNilList(a.Images))
	if err != nil {
		return AlertJSON{}, fmt.Errorf("encode alert: %w", err)
	}
	return AlertJSON{encodeStringMap(a.Labels), encodeStringMap(a.Annotations), string(links), string(images)}, nil
}

// encodeStringMap is json.Marshal of m, nil as {}: labels and annotations
// are most of the work of encoding an alert, which every delivery does for
// each of its alerts.
func encodeStringMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	return string(AppendJSONStringMap(make([]byte, 0, 64*len(m)+2), m))
}

// AppendJSONStringMap appends m as json.Marshal writes it (nil as null),
// without reflection.
func AppendJSONStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = AppendJSONString(b, m[k])
	}
	return append(b, '}')
}

// AppendJSONString appends s as json.Marshal writes it. Plain ASCII
// (printable, and none of the characters json.Marshal escapes: quote,
// backslash, <, > and &) is copied; anything else goes through
// json.Marshal.
func AppendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < ' ' || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// SaveEncodedAlert is SaveAlert with the JSON columns given: they must be
// EncodeAlert of a's content.
func (tx *Tx) SaveEncodedAlert(ctx context.Context, a *tocsin.AlertRecord, enc AlertJSON) error {
	texts := [4]string{enc.Labels, enc.Annotations, enc.Links, enc.Images}
	var incident any
	if a.IncidentID != 0 {
		incident = a.IncidentID
	}
	// Text columns pass through sanitize.Text: the ingest paths sanitize
	// already, and this is the guarantee that no string, whatever its way
	// in, fails the insert (the JSON columns are json.Marshal's, always
	// valid). Keys are checked for exactness at the edge, so that replacing
	// here never merges two alerts.
	t := sanitize.Text
	args := []any{t(a.Integration), t(a.Key), t(a.Service), string(a.Status), t(a.Summary), t(a.Source), t(a.Severity),
		texts[0], texts[1], ms(a.StartsAt), ms(a.EndsAt), t(a.GeneratorURL), texts[2], texts[3], t(string(a.Details)),
		ms(a.FirstSeenAt), ms(a.LastSeenAt), a.Deliveries, t(a.GroupKey), incident, t(a.Suppressed), a.SuppressorID}
	if a.ID == 0 {
		id, err := tx.insert(ctx, insertAlertSQL, args...)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		a.ID = id
		return nil
	}
	if _, err := tx.exec(ctx, updateAlertSQL, append(args, a.ID)...); err != nil {
		return fmt.Errorf("update alert: %w", err)
	}
	return nil
}

// TouchAlert records a repeated delivery that changes nothing else.
func (tx *Tx) TouchAlert(ctx context.Context, id int64, at time.Time) error {
	if _, err := tx.exec(ctx, touchAlertSQL, ms(at), id); err != nil {
		return fmt.Errorf("touch alert: %w", err)
	}
	return nil
}

// SetAlertIncident makes alert id a member of incident incidentID, its
// other columns as they are.
func (tx *Tx) SetAlertIncident(ctx context.Context, id, incidentID int64) error {
	if _, err := tx.exec(ctx, setAlertIncidentSQL, incidentID, id); err != nil {
		return fmt.Errorf("set alert incident: %w", err)
	}
	return nil
}

// AlertRef is what inhibition needs of a firing alert.
type AlertRef struct {
	ID         int64
	Labels     map[string]string
	Suppressed string
	IncidentID int64
	Summary    string
}

// FiringAlertRefs returns every alert not resolved, in the order they were
// first stored.
func (tx *Tx) FiringAlertRefs(ctx context.Context) ([]*AlertRef, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, labels, suppressed, COALESCE(incident_id, 0), summary FROM alerts
		WHERE status <> 'resolved' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query firing alerts: %w", err)
	}
	defer rows.Close()
	var out []*AlertRef
	for rows.Next() {
		var r AlertRef
		var labels string
		if err := rows.Scan(&r.ID, &labels, &r.Suppressed, &r.IncidentID, &r.Summary); err != nil {
			return nil, fmt.Errorf("scan firing alert: %w", err)
		}
		if err := json.Unmarshal([]byte(labels), &r.Labels); err != nil {
			return nil, fmt.Errorf("alert %d: labels: %w", r.ID, err)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// InhibitedAlerts returns the unresolved alerts held by inhibition.
func (tx *Tx) InhibitedAlerts(ctx context.Context) ([]*tocsin.AlertRecord, error) {
	return queryAlerts(ctx, tx.tx, "suppressed = 'inhibit' AND suppressed <> '' AND status <> 'resolved' ORDER BY id")
}

// AlertsOfIncident returns the alerts that belong or are attached to an incident.
func (tx *Tx) AlertsOfIncident(ctx context.Context, incidentID int64) ([]*tocsin.AlertRecord, error) {
	return tx.alerts(ctx, alertsOfIncidentSQL, incidentID)
}

// AlertsSuppressedBy returns the unresolved alerts a silence or an
// inhibiting alert keeps quiet.
func (tx *Tx) AlertsSuppressedBy(ctx context.Context, why string, suppressorID int64) ([]*tocsin.AlertRecord, error) {
	return tx.alerts(ctx, alertsSuppressedBySQL, why, suppressorID)
}

// SilencingIDs returns the silences that keep unresolved alerts quiet.
func (tx *Tx) SilencingIDs(ctx context.Context) ([]int64, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT DISTINCT suppressor_id FROM alerts WHERE suppressed = 'silence' AND suppressed <> '' AND status <> 'resolved'")
	if err != nil {
		return nil, fmt.Errorf("query silencing ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AlertsOfIncident returns the alerts of an incident, for the API.
func (db *DB) AlertsOfIncident(ctx context.Context, incidentID int64) ([]*tocsin.AlertRecord, error) {
	return queryAlerts(ctx, db.read, "incident_id = $1 ORDER BY id", incidentID)
}

// AlertFilter selects alerts to list.
type AlertFilter struct {
	Status  tocsin.AlertStatus // empty: any
	Service string
	Limit   int
}

// Alerts lists alerts, newest first. (Not by last delivery: an index on
// it would be rewritten by every repeated delivery.)
func (db *DB) Alerts(ctx context.Context, f AlertFilter) ([]*tocsin.AlertRecord, error) {
	where := "1 = 1"
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		where += " AND status = " + arg(string(f.Status))
	}
	if f.Service != "" {
		where += " AND service = " + arg(f.Service)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	where += " ORDER BY id DESC LIMIT " + arg(f.Limit)
	return queryAlerts(ctx, db.read, where, args...)
}

func queryAlerts(ctx context.Context, q sqlQuerier, where string, args ...any) ([]*tocsin.AlertRecord, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+alertColumns+" FROM alerts WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query alerts: %w", err)
	}
	return scanAlerts(rows)
}

// alerts runs a prepared alert query in the transaction.
func (tx *Tx) alerts(ctx context.Context, query string, args ...any) ([]*tocsin.AlertRecord, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query alerts: %w", err)
	}
	return scanAlerts(rows)
}

func scanAlerts(rows *sql.Rows) ([]*tocsin.AlertRecord, error) {
	defer rows.Close()
	var out []*tocsin.AlertRecord
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("scan alert: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenIncidentForGroup returns the open incident of a service's alert
// group, or nil.
func (tx *Tx) OpenIncidentForGroup(ctx context.Context, service, groupKey string) (*tocsin.Incident, error) {
	in, err := scanIncident(tx.queryRow(ctx, openIncidentForGroupSQL, service, groupKey))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get open incident of group: %w", err)
	}
	return in, nil
}

// IncidentsToPage returns at most limit incidents whose first page is due
// at now, the longest due first.
func (tx *Tx) IncidentsToPage(ctx context.Context, now time.Time, limit int) ([]*tocsin.Incident, error) {
	return queryIncidents(ctx, tx.tx, "page_at <> 0 AND page_at <= $1 AND status = 'triggered' ORDER BY page_at LIMIT $2", ms(now), limit)
}

// OpenIncidentsOfService returns the open incidents of a service (alert
// groups, or the gap warnings of a schedule), oldest first.
func (tx *Tx) OpenIncidentsOfService(ctx context.Context, service string) ([]*tocsin.Incident, error) {
	return queryIncidents(ctx, tx.tx, "service = $1 AND group_key <> '' AND status <> 'resolved' ORDER BY id", service)
}

// DismissedGroup reports whether a person (not Tocsin) resolved an
// incident of the service's group.
func (tx *Tx) DismissedGroup(ctx context.Context, service, groupKey string) (bool, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incidents WHERE service = $1 AND group_key = $2
		AND status = 'resolved' AND resolved_by <> 'tocsin'`, service, groupKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("dismissed group: %w", err)
	}
	return n > 0, nil
}

// IncidentsToEscalate returns at most limit unacknowledged incidents whose
// next escalation step is due at now.
func (tx *Tx) IncidentsToEscalate(ctx context.Context, now time.Time, limit int) ([]*tocsin.Incident, error) {
	return queryIncidents(ctx, tx.tx, "escalate_at <> 0 AND escalate_at <= $1 AND status = 'triggered' ORDER BY escalate_at LIMIT $2",
		ms(now), limit)
}

// NextEscalateAt is the earliest pending escalation step, or zero.
func (db *DB) NextEscalateAt(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := db.read.QueryRowContext(ctx, "SELECT MIN(escalate_at) FROM incidents WHERE escalate_at <> 0 AND status = 'triggered'").Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("next escalation: %w", err)
	}
	return fromMS(at.Int64), nil
}

// NextPageAt is the earliest pending first page, or zero.
func (db *DB) NextPageAt(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	if err := db.read.QueryRowContext(ctx, "SELECT MIN(page_at) FROM incidents WHERE page_at <> 0 AND status = 'triggered'").Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("next page: %w", err)
	}
	return fromMS(at.Int64), nil
}

// nonNilList is l, or an empty list for nil, so that a JSON column holds
// [] and never null.
func nonNilList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// The kinds of a status page's incidents.
const (
	StatusKindIncident    = "incident"
	StatusKindMaintenance = "maintenance"
)

// StatusIncident is a public incident or scheduled maintenance of a status
// page. Components are public component ids.
type StatusIncident struct {
	ID             int64
	Page           string // slug
	Kind           string // StatusKindIncident or StatusKindMaintenance
	Name           string
	Status         string
	Impact         string
	Components     []string
	Auto           bool // opened by Tocsin from a component's status
	TakenOver      bool // a responder has posted: Tocsin no longer resolves it
	PublishedAt    time.Time
	CreatedAt      time.Time
	CreatedBy      string
	UpdatedAt      time.Time
	MonitoringAt   time.Time
	ResolvedAt     time.Time // resolved or completed; zero: open
	ScheduledFor   time.Time // maintenance window
	ScheduledUntil time.Time
}

// Published reports whether the incident is shown (not a draft).
func (s *StatusIncident) Published() bool { return !s.PublishedAt.IsZero() }

// StatusUpdate is one message of a public incident.
type StatusUpdate struct {
	ID               int64
	StatusIncidentID int64
	Status           string
	Body             string
	CreatedAt        time.Time
	DisplayAt        time.Time
	Author           string
	// AffectedComponents are the component ids the update names; nil:
	// not said.
	AffectedComponents []string
}

// StatusOverride is a component's status set by hand until a time.
type StatusOverride struct {
	Page      string
	Component string
	Status    string
	Until     time.Time
	Reason    string
	SetBy     string
	SetAt     time.Time
}

// StatusComponentState is the status a component was last shown with.
type StatusComponentState struct {
	Page      string
	Component string
	Status    string
	Since     time.Time
}

const statusIncidentColumns = `id, page, kind, name, status, impact, components, auto, taken_over, published_at,
	created_at, created_by, updated_at, monitoring_at, resolved_at, scheduled_for, scheduled_until`

func scanStatusIncident(r rowScanner) (StatusIncident, error) {
	var s StatusIncident
	var comps string
	var auto, taken int
	var published, created, updated, monitoring, resolved, from, until int64
	err := r.Scan(&s.ID, &s.Page, &s.Kind, &s.Name, &s.Status, &s.Impact, &comps, &auto, &taken, &published,
		&created, &s.CreatedBy, &updated, &monitoring, &resolved, &from, &until)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(comps), &s.Components); err != nil {
		return s, fmt.Errorf("status incident %d: components: %w", s.ID, err)
	}
	s.Auto, s.TakenOver = auto != 0, taken != 0
	s.PublishedAt, s.CreatedAt, s.UpdatedAt = fromMS(published), fromMS(created), fromMS(updated)
	s.MonitoringAt, s.ResolvedAt = fromMS(monitoring), fromMS(resolved)
	s.ScheduledFor, s.ScheduledUntil = fromMS(from), fromMS(until)
	return s, nil
}

// idList encodes component ids as the JSON array stored; nil stores [].
func idList(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := json.Marshal(ids) // strings always marshal
	return string(b)
}

// CreateStatusIncident inserts s and sets its ID. A second open incident
// opened by Tocsin on one page is a conflict.
func (tx *Tx) CreateStatusIncident(ctx context.Context, s *StatusIncident) error {
	tx.maintenances = nil // ActiveStatusMaintenances reads again
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO status_incidents (page, kind, name, status, impact, components, auto,
		taken_over, published_at, created_at, created_by, updated_at, monitoring_at, resolved_at, scheduled_for, scheduled_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		s.Page, s.Kind, s.Name, s.Status, s.Impact, idList(s.Components), boolInt(s.Auto), boolInt(s.TakenOver),
		ms(s.PublishedAt), ms(s.CreatedAt), s.CreatedBy, ms(s.UpdatedAt), ms(s.MonitoringAt), ms(s.ResolvedAt),
		ms(s.ScheduledFor), ms(s.ScheduledUntil)).Scan(&s.ID)
	if err != nil {
		return uniqueToUser(fmt.Errorf("create status incident: %w", err),
			fmt.Sprintf("status page %q already has an open incident opened by Tocsin", s.Page))
	}
	return nil
}

// SaveStatusIncident writes every field of s but its page, kind and
// creation back.
func (tx *Tx) SaveStatusIncident(ctx context.Context, s *StatusIncident) error {
	tx.maintenances = nil // ActiveStatusMaintenances reads again
	res, err := tx.tx.ExecContext(ctx, `UPDATE status_incidents SET name = $1, status = $2, impact = $3, components = $4,
		auto = $5, taken_over = $6, published_at = $7, updated_at = $8, monitoring_at = $9, resolved_at = $10,
		scheduled_for = $11, scheduled_until = $12 WHERE id = $13`,
		s.Name, s.Status, s.Impact, idList(s.Components), boolInt(s.Auto), boolInt(s.TakenOver), ms(s.PublishedAt),
		ms(s.UpdatedAt), ms(s.MonitoringAt), ms(s.ResolvedAt), ms(s.ScheduledFor), ms(s.ScheduledUntil), s.ID)
	if err != nil {
		return fmt.Errorf("save status incident: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tocsin.Errorf(tocsin.ENotFound, "status incident %d not found", s.ID)
	}
	return nil
}

// queryer is what reads need of a transaction or a pool.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// StatusIncident reads the incident id of page inside tx.
func (tx *Tx) StatusIncident(ctx context.Context, page string, id int64) (StatusIncident, error) {
	return statusIncident(ctx, tx.tx, page, id)
}

// StatusIncident reads the incident id of page.
func (db *DB) StatusIncident(ctx context.Context, page string, id int64) (StatusIncident, error) {
	return statusIncident(ctx, db.read, page, id)
}

func statusIncident(ctx context.Context, q queryer, page string, id int64) (StatusIncident, error) {
	s, err := scanStatusIncident(q.QueryRowContext(ctx, "SELECT "+statusIncidentColumns+
		" FROM status_incidents WHERE id = $1 AND page = $2", id, page))
	if errors.Is(err, sql.ErrNoRows) {
		return s, tocsin.Errorf(tocsin.ENotFound, "status page %q has no incident %d", page, id)
	}
	if err != nil {
		return s, fmt.Errorf("status incident: %w", err)
	}
	return s, nil
}

// OpenAutoStatusIncident reads the open incident Tocsin opened on page,
// or false.
func (tx *Tx) OpenAutoStatusIncident(ctx context.Context, page string) (StatusIncident, bool, error) {
	s, err := scanStatusIncident(tx.tx.QueryRowContext(ctx, "SELECT "+statusIncidentColumns+
		" FROM status_incidents WHERE page = $1 AND kind = 'incident' AND auto = 1 AND resolved_at = 0", page))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("open auto status incident: %w", err)
	}
	return s, true, nil
}

// AddStatusUpdate inserts u and sets its ID.
func (tx *Tx) AddStatusUpdate(ctx context.Context, u *StatusUpdate) error {
	affected := ""
	if u.AffectedComponents != nil {
		affected = idList(u.AffectedComponents)
	}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO status_updates (status_incident_id, status, body, created_at, display_at,
		author, affected_components) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		u.StatusIncidentID, u.Status, u.Body, ms(u.CreatedAt), ms(u.DisplayAt), u.Author, affected).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("add status update: %w", err)
	}
	return nil
}

// LinkStatusIncident records that the public incident sid tells of the
// internal incident incidentID, and reports whether the link is new;
// linking twice changes nothing.
func (tx *Tx) LinkStatusIncident(ctx context.Context, sid, incidentID int64) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO status_incident_links (status_incident_id, incident_id)
		VALUES ($1, $2) ON CONFLICT DO NOTHING`, sid, incidentID)
	if err != nil {
		return false, fmt.Errorf("link status incident: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// LatestStatusUpdate reads the newest update of the public incident sid,
// or false when it has none.
func (tx *Tx) LatestStatusUpdate(ctx context.Context, sid int64) (StatusUpdate, bool, error) {
	var u StatusUpdate
	var created, display int64
	var affected string
	err := tx.tx.QueryRowContext(ctx, `SELECT id, status_incident_id, status, body, created_at, display_at, author,
		affected_components FROM status_updates WHERE status_incident_id = $1 ORDER BY id DESC LIMIT 1`, sid).Scan(
		&u.ID, &u.StatusIncidentID, &u.Status, &u.Body, &created, &display, &u.Author, &affected)
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("latest status update: %w", err)
	}
	u.CreatedAt, u.DisplayAt = fromMS(created), fromMS(display)
	if affected != "" {
		if err := json.Unmarshal([]byte(affected), &u.AffectedComponents); err != nil {
			return u, false, fmt.Errorf("status update %d: affected components: %w", u.ID, err)
		}
	}
	return u, true, nil
}

// StatusIncidentLinks lists the internal incidents the public incident
// sid tells of, by id, inside tx.
func (tx *Tx) StatusIncidentLinks(ctx context.Context, sid int64) ([]int64, error) {
	return statusIncidentLinks(ctx, tx.tx, sid)
}

// StatusIncidentLinks lists the internal incidents the public incident
// sid tells of, by id.
func (db *DB) StatusIncidentLinks(ctx context.Context, sid int64) ([]int64, error) {
	return statusIncidentLinks(ctx, db.read, sid)
}

func statusIncidentLinks(ctx context.Context, q queryer, sid int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT incident_id FROM status_incident_links
		WHERE status_incident_id = $1 ORDER BY incident_id`, sid)
	if err != nil {
		return nil, fmt.Errorf("status incident links: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("status incident links: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetStatusOverride sets (or replaces) a component's override.
func (tx *Tx) SetStatusOverride(ctx context.Context, o StatusOverride) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO status_overrides (page, component, status, until, reason, set_by, set_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (page, component) DO UPDATE SET status = excluded.status,
		until = excluded.until, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at`,
		o.Page, o.Component, o.Status, ms(o.Until), o.Reason, o.SetBy, ms(o.SetAt)); err != nil {
		return fmt.Errorf("set status override: %w", err)
	}
	return nil
}

// DeleteStatusOverride removes a component's override; false when it had
// none.
func (tx *Tx) DeleteStatusOverride(ctx context.Context, page, component string) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, "DELETE FROM status_overrides WHERE page = $1 AND component = $2", page, component)
	if err != nil {
		return false, fmt.Errorf("delete status override: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SetStatusComponent records the status a component is now shown with,
// since when.
func (tx *Tx) SetStatusComponent(ctx context.Context, c StatusComponentState) error {
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO status_components (page, component, status, since)
		VALUES ($1, $2, $3, $4) ON CONFLICT (page, component) DO UPDATE SET status = excluded.status, since = excluded.since`,
		c.Page, c.Component, c.Status, ms(c.Since)); err != nil {
		return fmt.Errorf("set status component: %w", err)
	}
	return nil
}

// StatusIncidents lists the incidents of kind on page, newest first: every
// open one, and those resolved at or after since, at most limit.
func (db *DB) StatusIncidents(ctx context.Context, page, kind string, since time.Time, limit int) ([]StatusIncident, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+statusIncidentColumns+` FROM status_incidents
		WHERE page = $1 AND kind = $2 AND (resolved_at = 0 OR resolved_at >= $3) ORDER BY id DESC LIMIT $4`,
		page, kind, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("status incidents: %w", err)
	}
	defer rows.Close()
	out := []StatusIncident{}
	for rows.Next() {
		s, err := scanStatusIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("status incidents: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StatusUpdates returns the updates of the given incidents by incident,
// oldest first.
func (db *DB) StatusUpdates(ctx context.Context, ids []int64) (map[int64][]StatusUpdate, error) {
	out := make(map[int64][]StatusUpdate, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, status_incident_id, status, body, created_at, display_at, author,
		affected_components FROM status_updates WHERE status_incident_id IN (`+strings.Join(marks, ", ")+") ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("status updates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u StatusUpdate
		var created, display int64
		var affected string
		if err := rows.Scan(&u.ID, &u.StatusIncidentID, &u.Status, &u.Body, &created, &display, &u.Author, &affected); err != nil {
			return nil, fmt.Errorf("status updates: %w", err)
		}
		u.CreatedAt, u.DisplayAt = fromMS(created), fromMS(display)
		if affected != "" {
			if err := json.Unmarshal([]byte(affected), &u.AffectedComponents); err != nil {
				return nil, fmt.Errorf("status update %d: affected components: %w", u.ID, err)
			}
		}
		out[u.StatusIncidentID] = append(out[u.StatusIncidentID], u)
	}
	return out, rows.Err()
}

// StatusIncidentsOf lists the public incidents that tell of the internal
// incident incidentID, by id.
func (db *DB) StatusIncidentsOf(ctx context.Context, incidentID int64) ([]StatusIncident, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+prefixed("s.", statusIncidentColumns)+` FROM status_incidents s
		JOIN status_incident_links l ON l.status_incident_id = s.id WHERE l.incident_id = $1 ORDER BY s.id`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("status incidents of incident: %w", err)
	}
	defer rows.Close()
	out := []StatusIncident{}
	for rows.Next() {
		s, err := scanStatusIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("status incidents of incident: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StatusOverrides lists the overrides of page, expired ones too (the
// caller compares Until with its clock).
func (db *DB) StatusOverrides(ctx context.Context, page string) ([]StatusOverride, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT page, component, status, until, reason, set_by, set_at
		FROM status_overrides WHERE page = $1 ORDER BY component`, page)
	if err != nil {
		return nil, fmt.Errorf("status overrides: %w", err)
	}
	defer rows.Close()
	out := []StatusOverride{}
	for rows.Next() {
		var o StatusOverride
		var until, at int64
		if err := rows.Scan(&o.Page, &o.Component, &o.Status, &until, &o.Reason, &o.SetBy, &at); err != nil {
			return nil, fmt.Errorf("status overrides: %w", err)
		}
		o.Until, o.SetAt = fromMS(until), fromMS(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// StatusComponents lists the recorded status of each component of page.
func (db *DB) StatusComponents(ctx context.Context, page string) ([]StatusComponentState, error) {
	return statusComponents(ctx, db.read, page)
}

// StatusComponents lists the recorded status of each component of page,
// inside tx.
func (tx *Tx) StatusComponents(ctx context.Context, page string) ([]StatusComponentState, error) {
	return statusComponents(ctx, tx.tx, page)
}

func statusComponents(ctx context.Context, q queryer, page string) ([]StatusComponentState, error) {
	rows, err := q.QueryContext(ctx, `SELECT page, component, status, since FROM status_components
		WHERE page = $1 ORDER BY component`, page)
	if err != nil {
		return nil, fmt.Errorf("status components: %w", err)
	}
	defer rows.Close()
	out := []StatusComponentState{}
	for rows.Next() {
		var c StatusComponentState
		var since int64
		if err := rows.Scan(&c.Page, &c.Component, &c.Status, &since); err != nil {
			return nil, fmt.Errorf("status components: %w", err)
		}
		c.Since = fromMS(since)
		out = append(out, c)
	}
	return out, rows.Err()
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

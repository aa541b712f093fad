package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

const incidentColumns = "id, COALESCE(check_id, 0), title, status, opened_at, acked_at, acked_by, resolved_at, resolved_by, notify, service, group_key, priority, page_at, paged, escalation_policy, escalation_step, escalate_at, team, services, roles, links, COALESCE(merged_into, 0)"

// The incident queries of write transactions, prepared once by Open.
var (
	incidentByIDSQL   = "SELECT " + incidentColumns + " FROM incidents WHERE id = $1"
	createIncidentSQL = `INSERT INTO incidents (check_id, title, status, opened_at, notify, service, group_key,
		priority, page_at, paged, escalation_policy, escalation_step, escalate_at, team)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`
	saveIncidentSQL = `UPDATE incidents SET status = $1, acked_at = $2, acked_by = $3, resolved_at = $4,
		resolved_by = $5, priority = $6, page_at = $7, paged = $8, escalation_step = $9, escalate_at = $10 WHERE id = $11`
	appendTimelineSQL = `INSERT INTO timeline (incident_id, at, kind, actor, message, data)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
)

func scanIncident(r rowScanner) (*tocsin.Incident, error) {
	var in tocsin.Incident
	var status string
	var opened, acked, resolved, pageAt, escalateAt int64
	var notify, services, roles, links string
	if err := r.Scan(&in.ID, &in.CheckID, &in.Title, &status, &opened, &acked, &in.AckedBy, &resolved, &in.ResolvedBy, &notify,
		&in.Service, &in.GroupKey, &in.Priority, &pageAt, &in.Paged, &in.EscalationPolicy, &in.EscalationStep, &escalateAt,
		&in.Team, &services, &roles, &links, &in.MergedInto); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		text string
		into any
	}{{"notify", notify, &in.Notify}, {"services", services, &in.Services}, {"roles", roles, &in.Roles}, {"links", links, &in.Links}} {
		if err := json.Unmarshal([]byte(f.text), f.into); err != nil {
			return nil, fmt.Errorf("incident %d: %s: %w", in.ID, f.name, err)
		}
	}
	in.Status = tocsin.IncidentStatus(status)
	in.OpenedAt, in.AckedAt, in.ResolvedAt, in.PageAt = fromMS(opened), fromMS(acked), fromMS(resolved), fromMS(pageAt)
	in.EscalateAt = fromMS(escalateAt)
	return &in, nil
}

const (
	openIncidentForCheckSQL = "SELECT " + incidentColumns + " FROM incidents WHERE check_id = $1 AND status <> 'resolved'"
	lastIncidentForCheckSQL = "SELECT " + incidentColumns + " FROM incidents WHERE check_id = $1 ORDER BY id DESC LIMIT 1"
)

// OpenIncidentForCheck returns the check's open incident, or nil.
func (tx *Tx) OpenIncidentForCheck(ctx context.Context, checkID int64) (*tocsin.Incident, error) {
	in, err := scanIncident(tx.queryRow(ctx, openIncidentForCheckSQL, checkID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get open incident: %w", err)
	}
	return in, nil
}

// LastIncidentForCheck returns the check's latest incident, open or not,
// or nil if it has none.
func (tx *Tx) LastIncidentForCheck(ctx context.Context, checkID int64) (*tocsin.Incident, error) {
	in, err := scanIncident(tx.queryRow(ctx, lastIncidentForCheckSQL, checkID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get last incident: %w", err)
	}
	return in, nil
}

// IncidentByID returns the incident inside the transaction, without timeline.
func (tx *Tx) IncidentByID(ctx context.Context, id int64) (*tocsin.Incident, error) {
	in, err := scanIncident(tx.queryRow(ctx, incidentByIDSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "incident not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get incident: %w", err)
	}
	return in, nil
}

// CreateIncident inserts in and sets its ID.
func (tx *Tx) CreateIncident(ctx context.Context, in *tocsin.Incident) error {
	var checkID any
	if in.CheckID != 0 {
		checkID = in.CheckID
	}
	notify, err := json.Marshal(nonNil(in.Notify))
	if err != nil {
		return err
	}
	id, err := tx.insert(ctx, createIncidentSQL, checkID, sanitize.Text(in.Title), string(in.Status),
		ms(in.OpenedAt), string(notify), sanitize.Text(in.Service), sanitize.Text(in.GroupKey), in.Priority, ms(in.PageAt), boolInt(in.Paged),
		in.EscalationPolicy, in.EscalationStep, ms(in.EscalateAt), in.Team)
	if err != nil {
		if isUniqueViolation(err) && in.GroupKey != "" {
			return tocsin.Errorf(tocsin.EConflict, "group %q of service %q has an open incident", in.GroupKey, in.Service)
		}
		return fmt.Errorf("create incident: %w", err)
	}
	in.ID = id
	return nil
}

// SaveIncident writes the status, priority and paging fields of in.
func (tx *Tx) SaveIncident(ctx context.Context, in *tocsin.Incident) error {
	_, err := tx.exec(ctx, saveIncidentSQL, string(in.Status), ms(in.AckedAt), sanitize.Text(in.AckedBy),
		ms(in.ResolvedAt), sanitize.Text(in.ResolvedBy), in.Priority, ms(in.PageAt), boolInt(in.Paged), in.EscalationStep, ms(in.EscalateAt), in.ID)
	if err != nil {
		return fmt.Errorf("save incident: %w", err)
	}
	return nil
}

// AppendTimeline adds an entry to an incident's timeline.
func (tx *Tx) AppendTimeline(ctx context.Context, e *tocsin.TimelineEntry) error {
	data, err := jsonText(e.Data)
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = tx.db.clock.Now()
	}
	id, err := tx.insert(ctx, appendTimelineSQL, e.IncidentID, ms(e.At), e.Kind, sanitize.Text(e.Actor),
		sanitize.Text(e.Message), data)
	if err != nil {
		return fmt.Errorf("append timeline: %w", err)
	}
	e.ID = id
	return nil
}

// The engine's round writes the incidents, timeline entries and
// notifications of hundreds of checks in one transaction. On PostgreSQL
// each statement is a round trip to the server, so the batch forms below
// take one statement for all rows (arrays through unnest); on SQLite,
// in-process, they run the prepared one-row statements, which cost no
// more there.

// OpenIncidentsForChecks returns the open incident of each of the checks
// that has one, by check id: OpenIncidentForCheck for many checks.
func (tx *Tx) OpenIncidentsForChecks(ctx context.Context, checkIDs []int64) (map[int64]*tocsin.Incident, error) {
	return tx.incidentsByCheck(ctx, checkIDs, "open incidents", tx.OpenIncidentForCheck,
		"SELECT "+incidentColumns+" FROM incidents WHERE check_id = ANY($1::bigint[]) AND status <> 'resolved'")
}

// LastIncidentsForChecks returns the latest incident, open or not, of
// each of the checks that has one, by check id: LastIncidentForCheck for
// many checks.
func (tx *Tx) LastIncidentsForChecks(ctx context.Context, checkIDs []int64) (map[int64]*tocsin.Incident, error) {
	return tx.incidentsByCheck(ctx, checkIDs, "last incidents", tx.LastIncidentForCheck,
		"SELECT DISTINCT ON (check_id) "+incidentColumns+" FROM incidents WHERE check_id = ANY($1::bigint[]) ORDER BY check_id, id DESC")
}

// incidentsByCheck returns at most one incident of each check, by check
// id: on PostgreSQL through query, which takes the ids as its one
// argument; otherwise, or for one check, through one, a check at a time.
func (tx *Tx) incidentsByCheck(ctx context.Context, checkIDs []int64, what string,
	one func(context.Context, int64) (*tocsin.Incident, error), query string) (map[int64]*tocsin.Incident, error) {
	out := make(map[int64]*tocsin.Incident, len(checkIDs))
	if tx.db.dialect != dialectPostgres || len(checkIDs) < 2 {
		for _, id := range checkIDs {
			in, err := one(ctx, id)
			if err != nil {
				return nil, err
			}
			if in != nil {
				out[id] = in
			}
		}
		return out, nil
	}
	rows, err := tx.tx.QueryContext(ctx, query, checkIDs)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", what, err)
		}
		out[in.CheckID] = in
	}
	return out, rows.Err()
}

// CreateIncidents is CreateIncident for many incidents: it inserts them
// and sets their IDs.
func (tx *Tx) CreateIncidents(ctx context.Context, ins []*tocsin.Incident) error {
	if tx.db.dialect != dialectPostgres || len(ins) < 2 {
		for _, in := range ins {
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
		}
		return nil
	}
	// The IDs are taken from the sequence first: the rows a multi-row
	// INSERT returns come in no promised order.
	ids, err := tx.nextIDs(ctx, "incidents", len(ins))
	if err != nil {
		return fmt.Errorf("create incidents: %w", err)
	}
	n := len(ins)
	checkIDs, opened, pageAt, paged, steps, escalateAt := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]int64, n)
	titles, statuses, notify, services, groups, priorities, policies, teams := make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, in := range ins {
		list, err := json.Marshal(nonNil(in.Notify))
		if err != nil {
			return err
		}
		checkIDs[i], titles[i], statuses[i], opened[i], notify[i] = in.CheckID, sanitize.Text(in.Title), string(in.Status),
			ms(in.OpenedAt), string(list)
		services[i], groups[i], priorities[i], pageAt[i], paged[i] = sanitize.Text(in.Service), sanitize.Text(in.GroupKey),
			in.Priority, ms(in.PageAt), int64(boolInt(in.Paged))
		policies[i], steps[i], escalateAt[i], teams[i] = in.EscalationPolicy, int64(in.EscalationStep), ms(in.EscalateAt), in.Team
	}
	_, err = tx.tx.ExecContext(ctx, createIncidentsPostgres, ids, checkIDs, titles, statuses, opened, notify, services, groups,
		priorities, pageAt, paged, policies, steps, escalateAt, teams)
	if err != nil {
		return fmt.Errorf("create incidents: %w", err)
	}
	for i, in := range ins {
		in.ID = ids[i]
	}
	return nil
}

const createIncidentsPostgres = `INSERT INTO incidents (id, check_id, title, status, opened_at, notify, service, group_key,
	priority, page_at, paged, escalation_policy, escalation_step, escalate_at, team)
	SELECT id, NULLIF(check_id, 0), title, status, opened_at, notify, service, group_key, priority, page_at, paged,
		escalation_policy, escalation_step, escalate_at, team
	FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[], $15::text[])
		AS v (id, check_id, title, status, opened_at, notify, service, group_key, priority, page_at, paged,
			escalation_policy, escalation_step, escalate_at, team)`

// nextIDs takes n values of the sequence of table's id column (PostgreSQL).
func (tx *Tx) nextIDs(ctx context.Context, table string, n int) ([]int64, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)", table, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) != n {
		return nil, fmt.Errorf("took %d ids of %s, not %d", len(ids), table, n)
	}
	return ids, nil
}

// AppendTimelines is AppendTimeline for many entries, appended in order.
// Their IDs are not read back.
func (tx *Tx) AppendTimelines(ctx context.Context, es []*tocsin.TimelineEntry) error {
	if tx.db.dialect != dialectPostgres || len(es) < 2 {
		for _, e := range es {
			if err := tx.AppendTimeline(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}
	n := len(es)
	incidents, ats := make([]int64, n), make([]int64, n)
	kinds, actors, messages, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	now := tx.db.clock.Now()
	for i, e := range es {
		d, err := jsonText(e.Data)
		if err != nil {
			return err
		}
		if e.At.IsZero() {
			e.At = now
		}
		incidents[i], ats[i], kinds[i], actors[i], messages[i], data[i] = e.IncidentID, ms(e.At), e.Kind, sanitize.Text(e.Actor),
			sanitize.Text(e.Message), d
	}
	// WITH ORDINALITY and ORDER BY: the identity column numbers the rows
	// in the order they are inserted, the order of the entries.
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO timeline (incident_id, at, kind, actor, message, data)
		SELECT incident_id, at, kind, actor, message, data
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
			AS v (incident_id, at, kind, actor, message, data, i) ORDER BY i`, incidents, ats, kinds, actors, messages, data)
	if err != nil {
		return fmt.Errorf("append timeline: %w", err)
	}
	return nil
}

// IncidentFilter selects incidents to list.
type IncidentFilter struct {
	Status   tocsin.IncidentStatus // empty: any
	Open     bool                  // not resolved
	CheckID  int64
	Service  string // "": any
	Team     string // "": any
	Priority string // "": any
	Limit    int
	BeforeID int64 // for paging: only incidents with a smaller id
}

// Incidents lists incidents, newest first, without timelines.
func (db *DB) Incidents(ctx context.Context, f IncidentFilter) ([]*tocsin.Incident, error) {
	q := "1 = 1"
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		q += " AND status = " + arg(string(f.Status))
	}
	if f.Open {
		q += " AND status <> 'resolved'"
	}
	if f.CheckID != 0 {
		q += " AND check_id = " + arg(f.CheckID)
	}
	if f.Service != "" {
		q += " AND service = " + arg(f.Service)
	}
	if f.Team != "" {
		q += " AND team = " + arg(f.Team)
	}
	if f.Priority != "" {
		q += " AND priority = " + arg(f.Priority)
	}
	if f.BeforeID != 0 {
		q += " AND id < " + arg(f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit)
	return queryIncidents(ctx, db.read, q, args...)
}

// queryIncidents returns the incidents that match where (with its order
// and limit), without timelines.
func queryIncidents(ctx context.Context, q sqlQuerier, where string, args ...any) ([]*tocsin.Incident, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query incidents: %w", err)
	}
	defer rows.Close()
	var out []*tocsin.Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("scan incident: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// IncidentMark is what changes when an incident does: its status and its
// latest timeline entry. Cheap to read, for watching an incident.
type IncidentMark struct {
	Status     tocsin.IncidentStatus
	TimelineID int64 // the latest entry's id; 0: none
}

// IncidentMark reads incident id's mark, in one query.
func (db *DB) IncidentMark(ctx context.Context, id int64) (IncidentMark, error) {
	var m IncidentMark
	var status string
	err := db.read.QueryRowContext(ctx, `SELECT status, COALESCE((SELECT MAX(id) FROM timeline WHERE incident_id = $1), 0)
		FROM incidents WHERE id = $2`, id, id).Scan(&status, &m.TimelineID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, tocsin.Errorf(tocsin.ENotFound, "incident not found")
	}
	if err != nil {
		return m, fmt.Errorf("get incident mark: %w", err)
	}
	m.Status = tocsin.IncidentStatus(status)
	return m, nil
}

// Incident returns an incident with its timeline.
func (db *DB) Incident(ctx context.Context, id int64) (*tocsin.Incident, error) {
	in, err := scanIncident(db.read.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "incident not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get incident: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT t.id, t.at, t.kind, t.actor, t.message, t.data, COALESCE(k.kind, '')
		FROM timeline t LEFT JOIN timeline_key_moments k ON k.timeline_id = t.id WHERE t.incident_id = $1 ORDER BY t.id`, id)
	if err != nil {
		return nil, fmt.Errorf("query timeline: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e := tocsin.TimelineEntry{IncidentID: id}
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Message, &data, &e.KeyMoment); err != nil {
			return nil, fmt.Errorf("scan timeline: %w", err)
		}
		e.At = fromMS(at)
		if data != "" {
			e.Data = json.RawMessage(data)
		}
		in.Timeline = append(in.Timeline, e)
	}
	return in, rows.Err()
}

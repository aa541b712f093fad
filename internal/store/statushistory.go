package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
)

// This file is what status pages read of the rest of Tocsin: the checks
// their components are bound to, the history their uptime bars are cut
// from (each in one query per page), their maintenance windows, and the
// silences those windows put on services.

// IncidentSpan is when an internal incident was open: a check's, or one
// of a service's (CheckID 0).
type IncidentSpan struct {
	CheckID    int64
	Service    string
	OpenedAt   time.Time
	ResolvedAt time.Time // zero: still open
}

// placeholders returns "$from, $from+1, ..." for n arguments.
func placeholders(from, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(marks, ", ")
}

// ChecksByNames reads the live checks of the given names, by name; names
// without a check are left out. Should two checks share a name, the one
// the config file manages wins.
func (tx *Tx) ChecksByNames(ctx context.Context, names []string) (map[string]*tocsin.Check, error) {
	return tx.db.checksByNames(ctx, tx.tx, names)
}

// ChecksByNames reads the live checks of the given names outside a write.
func (db *DB) ChecksByNames(ctx context.Context, names []string) (map[string]*tocsin.Check, error) {
	return db.checksByNames(ctx, db.read, names)
}

func (db *DB) checksByNames(ctx context.Context, q sqlQuerier, names []string) (map[string]*tocsin.Check, error) {
	out := make(map[string]*tocsin.Check, len(names))
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	// Config checks last, so that they overwrite a namesake.
	list, err := db.queryChecks(ctx, q, "AND name IN ("+placeholders(1, len(names))+
		") ORDER BY CASE WHEN managed_by = 'config' THEN 1 ELSE 0 END, id", args...)
	if err != nil {
		return nil, fmt.Errorf("checks by names: %w", err)
	}
	for _, c := range list {
		out[c.Name] = c
	}
	return out, nil
}

// ProbeRollupsOf returns the rollups of a granularity ("hour" or "day")
// since a time of the given checks, by check, oldest first.
func (db *DB) ProbeRollupsOf(ctx context.Context, checkIDs []int64, granularity string, since time.Time) (map[int64][]Rollup, error) {
	out := make(map[int64][]Rollup, len(checkIDs))
	if len(checkIDs) == 0 {
		return out, nil
	}
	args := []any{granularity, ms(since)}
	for _, id := range checkIDs {
		args = append(args, id)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT check_id, bucket, runs, ok_runs, latency_sum, latency_max FROM probe_rollups
		WHERE granularity = $1 AND bucket >= $2 AND check_id IN (`+placeholders(3, len(checkIDs))+`) ORDER BY check_id, bucket`, args...)
	if err != nil {
		return nil, fmt.Errorf("probe rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Rollup
		var id, bucket, sum, mx int64
		if err := rows.Scan(&id, &bucket, &r.Runs, &r.OKRuns, &sum, &mx); err != nil {
			return nil, fmt.Errorf("probe rollups: %w", err)
		}
		r.Bucket, r.MaxLatency = fromMS(bucket), time.Duration(mx)*time.Microsecond
		if r.Runs > 0 {
			r.MeanLatency = time.Duration(sum/r.Runs) * time.Microsecond
		}
		out[id] = append(out[id], r)
	}
	return out, rows.Err()
}

// IncidentSpans lists the incidents of the given checks and services that
// were open at or after since, oldest first.
func (db *DB) IncidentSpans(ctx context.Context, checkIDs []int64, services []string, since time.Time) ([]IncidentSpan, error) {
	if len(checkIDs) == 0 && len(services) == 0 {
		return nil, nil
	}
	args := []any{ms(since)}
	var which []string
	if len(checkIDs) > 0 {
		which = append(which, "check_id IN ("+placeholders(len(args)+1, len(checkIDs))+")")
		for _, id := range checkIDs {
			args = append(args, id)
		}
	}
	if len(services) > 0 {
		which = append(which, "(check_id IS NULL AND service IN ("+placeholders(len(args)+1, len(services))+"))")
		for _, s := range services {
			args = append(args, s)
		}
	}
	rows, err := db.read.QueryContext(ctx, `SELECT COALESCE(check_id, 0), service, opened_at, resolved_at FROM incidents
		WHERE (resolved_at = 0 OR resolved_at >= $1) AND (`+strings.Join(which, " OR ")+`) ORDER BY opened_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident spans: %w", err)
	}
	defer rows.Close()
	var out []IncidentSpan
	for rows.Next() {
		var s IncidentSpan
		var opened, resolved int64
		if err := rows.Scan(&s.CheckID, &s.Service, &opened, &resolved); err != nil {
			return nil, fmt.Errorf("incident spans: %w", err)
		}
		s.OpenedAt, s.ResolvedAt = fromMS(opened), fromMS(resolved)
		if s.CheckID != 0 {
			s.Service = ""
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// OpenStatusMaintenances lists the maintenances of page not completed
// yet, by id.
func (tx *Tx) OpenStatusMaintenances(ctx context.Context, page string) ([]StatusIncident, error) {
	return tx.statusIncidents(ctx, "page = $1 AND kind = 'maintenance' AND resolved_at = 0 ORDER BY id", page)
}

// activeStatusMaintenancesSQL is prepared: every check that goes down asks
// for the maintenances under way.
const (
	activeStatusMaintenancesWhere = `kind = 'maintenance' AND resolved_at = 0 AND scheduled_for <= $1
		AND scheduled_until > $1 ORDER BY id`
	activeStatusMaintenancesSQL = "SELECT " + statusIncidentColumns + " FROM status_incidents WHERE " + activeStatusMaintenancesWhere
)

// ActiveStatusMaintenances lists the maintenances of every page whose
// window holds now and that are not completed. Every check going down
// asks, hundreds in one round of the engine, so the answer is kept for
// the rest of the transaction, until it writes a status incident; the
// caller must not change it.
func (tx *Tx) ActiveStatusMaintenances(ctx context.Context, now time.Time) ([]StatusIncident, error) {
	if m, ok := tx.maintenances[ms(now)]; ok {
		return m, nil
	}
	m, err := tx.statusIncidents(ctx, activeStatusMaintenancesWhere, ms(now))
	if err != nil {
		return nil, err
	}
	if tx.maintenances == nil {
		tx.maintenances = map[int64][]StatusIncident{}
	}
	tx.maintenances[ms(now)] = m
	return m, nil
}

func (tx *Tx) statusIncidents(ctx context.Context, where string, args ...any) ([]StatusIncident, error) {
	rows, err := tx.query(ctx, "SELECT "+statusIncidentColumns+" FROM status_incidents WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("status incidents: %w", err)
	}
	defer rows.Close()
	var out []StatusIncident
	for rows.Next() {
		s, err := scanStatusIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("status incidents: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SilenceByName reads the latest silence of that manager and name, or
// false; live: only one not expired.
func (tx *Tx) SilenceByName(ctx context.Context, managedBy, name string, live bool) (*tocsin.Silence, bool, error) {
	q := "SELECT " + silenceColumns + " FROM silences WHERE managed_by = $1 AND name = $2"
	if live {
		q += " AND expired_at = 0"
	}
	s, err := scanSilence(tx.tx.QueryRowContext(ctx, q+" ORDER BY id DESC LIMIT 1", managedBy, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("silence by name: %w", err)
	}
	return s, true, nil
}

// LiveSilencesManagedBy lists the silences of a manager not expired, by
// id; those whose end has passed too.
func (tx *Tx) LiveSilencesManagedBy(ctx context.Context, managedBy string) ([]*tocsin.Silence, error) {
	return querySilences(ctx, tx.tx, "managed_by = $1 AND expired_at = 0 ORDER BY id", managedBy)
}

// OpenServiceIncidents lists the open incidents of each of the services,
// by id, in one query; a service without one is left out.
func (tx *Tx) OpenServiceIncidents(ctx context.Context, services []string) (map[string][]int64, error) {
	return openServiceIncidents(ctx, tx.tx, services)
}

// OpenServiceIncidents lists the open incidents of each of the services
// outside a write.
func (db *DB) OpenServiceIncidents(ctx context.Context, services []string) (map[string][]int64, error) {
	return openServiceIncidents(ctx, db.read, services)
}

func openServiceIncidents(ctx context.Context, q sqlQuerier, services []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(services) == 0 {
		return out, nil
	}
	args := make([]any, len(services))
	for i, s := range services {
		args[i] = s
	}
	rows, err := q.QueryContext(ctx, `SELECT service, id FROM incidents WHERE status <> 'resolved' AND group_key <> ''
		AND service IN (`+placeholders(1, len(services))+") ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("open service incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var svc string
		var id int64
		if err := rows.Scan(&svc, &id); err != nil {
			return nil, fmt.Errorf("open service incidents: %w", err)
		}
		out[svc] = append(out[svc], id)
	}
	return out, rows.Err()
}

// HasTimelineEntry reports whether the incident's timeline has an entry
// of kind.
func (tx *Tx) HasTimelineEntry(ctx context.Context, incidentID int64, kind string) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM timeline WHERE incident_id = $1 AND kind = $2",
		incidentID, kind).Scan(&n); err != nil {
		return false, fmt.Errorf("timeline entry: %w", err)
	}
	return n > 0, nil
}

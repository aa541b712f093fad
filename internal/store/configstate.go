package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ConfigCheck is a check the config file manages, as the reload guard
// compares it.
type ConfigCheck struct {
	ID   int64
	Name string
	UUID string
	Slug string
}

// ConfigChecks lists the live checks the config file manages, oldest first.
func (db *DB) ConfigChecks(ctx context.Context) ([]ConfigCheck, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT id, name, uuid, slug FROM checks WHERE managed_by = 'config' AND deleted_at = 0 ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("config checks: %w", err)
	}
	defer rows.Close()
	var out []ConfigCheck
	for rows.Next() {
		var c ConfigCheck
		if err := rows.Scan(&c.ID, &c.Name, &c.UUID, &c.Slug); err != nil {
			return nil, fmt.Errorf("config checks: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ConfigCheckIDs returns the ids of the config checks called names, live or
// removed; a name no check has is left out.
func (tx *Tx) ConfigCheckIDs(ctx context.Context, names []string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, name := range names {
		var id int64
		err := tx.tx.QueryRowContext(ctx, "SELECT id FROM checks WHERE name = $1 AND managed_by = 'config'", name).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return nil, fmt.Errorf("config check ids: %w", err)
		}
		out[name] = id
	}
	return out, nil
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Role    string          `json:"role,omitempty"`
	Addr    string          `json:"addr,omitempty"`
	Action  string          `json:"action"`
	Message string          `json:"message"`
	Outcome string          `json:"outcome,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// AuditFilter selects audit log entries: newest first, at most Limit,
// with ids below BeforeID (0: from the newest), of Action or of actions
// starting with Action and a dot (config: config.reload, ...), of Actor,
// at or after Since and before Until (zero: no bound).
type AuditFilter struct {
	Limit    int
	BeforeID int64
	Action   string
	Actor    string
	Since    time.Time
	Until    time.Time
}

// AuditLog lists audit log entries, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := "SELECT id, at, actor, role, addr, action, message, outcome, data FROM audit_log WHERE 1 = 1"
	var args []any
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	if f.Action != "" {
		args = append(args, f.Action, f.Action+".%")
		q += fmt.Sprintf(" AND (action = $%d OR action LIKE $%d)", len(args)-1, len(args))
	}
	if f.Actor != "" {
		args = append(args, f.Actor)
		q += fmt.Sprintf(" AND actor = $%d", len(args))
	}
	if !f.Since.IsZero() {
		args = append(args, ms(f.Since))
		q += fmt.Sprintf(" AND at >= $%d", len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, ms(f.Until))
		q += fmt.Sprintf(" AND at < $%d", len(args))
	}
	args = append(args, max(f.Limit, 1))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Role, &e.Addr, &e.Action, &e.Message, &e.Outcome, &data); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = fromMS(at).UTC()
		if data != "" && json.Valid([]byte(data)) {
			e.Data = json.RawMessage(data)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneAudit deletes at most limit of the audit log entries written
// before before, oldest first, and says how many it deleted: a years-old
// log is pruned in steps that each hold the writer briefly.
func (db *DB) PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE at < $1 ORDER BY id LIMIT $2)`, ms(before), max(limit, 1))
	if err != nil {
		return 0, fmt.Errorf("prune audit log: %w", err)
	}
	return res.RowsAffected()
}

// LastAppliedConfig returns the audit entry of the config applied last (at
// start or on a reload), or false when none was.
func (db *DB) LastAppliedConfig(ctx context.Context) (AuditEntry, bool, error) {
	var e AuditEntry
	var at int64
	var data string
	err := db.read.QueryRowContext(ctx, `SELECT id, at, actor, action, message, data FROM audit_log
		WHERE action IN ('config.startup', 'config.reload') ORDER BY id DESC LIMIT 1`).
		Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Message, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("last applied config: %w", err)
	}
	e.At = fromMS(at).UTC()
	if data != "" && json.Valid([]byte(data)) {
		e.Data = json.RawMessage(data)
	}
	return e, true, nil
}

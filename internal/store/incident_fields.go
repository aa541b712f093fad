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

// SaveIncidentFields writes the fields of in that people set: its
// priority, the services affected, the roles and the links.
func (tx *Tx) SaveIncidentFields(ctx context.Context, in *tocsin.Incident) error {
	services, err1 := jsonList(in.Services)
	roles, err2 := jsonList(in.Roles)
	links, err3 := jsonList(in.Links)
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("save incident fields: %w", err)
	}
	_, err := tx.exec(ctx, "UPDATE incidents SET priority = $1, services = $2, roles = $3, links = $4 WHERE id = $5",
		sanitize.Text(in.Priority), services, roles, links, in.ID)
	if err != nil {
		return fmt.Errorf("save incident fields: %w", err)
	}
	return nil
}

// MergeIncident moves the timeline entries, alerts, notifications and
// action items of incident dup to incident into and records dup as merged into it. The
// key moments of dup's entries follow them, but where into already has
// one of the same kind, into's stays and dup's is dropped. The caller
// checks that the merge makes sense and resolves dup.
func (tx *Tx) MergeIncident(ctx context.Context, dup, into int64) error {
	for _, q := range []string{
		`DELETE FROM timeline_key_moments WHERE incident_id = $1
			AND kind IN (SELECT kind FROM timeline_key_moments WHERE incident_id = $2)`,
		"UPDATE timeline_key_moments SET incident_id = $2 WHERE incident_id = $1",
		"UPDATE timeline SET incident_id = $2 WHERE incident_id = $1",
		"UPDATE alerts SET incident_id = $2 WHERE incident_id = $1",
		"UPDATE outbox SET incident_id = $2 WHERE incident_id = $1",
		"UPDATE action_items SET incident_id = $2 WHERE incident_id = $1",
		"UPDATE incidents SET merged_into = $2 WHERE id = $1",
	} {
		if _, err := tx.tx.ExecContext(ctx, q, dup, into); err != nil {
			return fmt.Errorf("merge incident %d into %d: %w", dup, into, err)
		}
	}
	return nil
}

// TimelineEntry returns entry id of incident's timeline, with its key moment.
func (tx *Tx) TimelineEntry(ctx context.Context, incident, id int64) (*tocsin.TimelineEntry, error) {
	e := tocsin.TimelineEntry{IncidentID: incident}
	var at int64
	var data string
	err := tx.tx.QueryRowContext(ctx, `SELECT t.id, t.at, t.kind, t.actor, t.message, t.data, COALESCE(k.kind, '')
		FROM timeline t LEFT JOIN timeline_key_moments k ON k.timeline_id = t.id WHERE t.incident_id = $1 AND t.id = $2`,
		incident, id).Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.Message, &data, &e.KeyMoment)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "incident %d has no timeline entry %d", incident, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get timeline entry: %w", err)
	}
	e.At = fromMS(at)
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	return &e, nil
}

// KeyMomentHolder returns the id of incident's timeline entry marked as
// the key moment kind, or 0 if none is.
func (tx *Tx) KeyMomentHolder(ctx context.Context, incident int64, kind string) (int64, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, "SELECT timeline_id FROM timeline_key_moments WHERE incident_id = $1 AND kind = $2",
		incident, kind).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get key moment: %w", err)
	}
	return id, nil
}

// SetKeyMoment marks entry e of its incident as the key moment kind, in
// place of any key moment e had and of any entry that was kind.
func (tx *Tx) SetKeyMoment(ctx context.Context, e *tocsin.TimelineEntry, kind string) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM timeline_key_moments WHERE timeline_id = $1 OR (incident_id = $2 AND kind = $3)",
		e.ID, e.IncidentID, kind); err != nil {
		return fmt.Errorf("set key moment: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, "INSERT INTO timeline_key_moments (timeline_id, incident_id, kind) VALUES ($1, $2, $3)",
		e.ID, e.IncidentID, kind); err != nil {
		return fmt.Errorf("set key moment: %w", err)
	}
	return nil
}

// ClearKeyMoment unmarks entry e as a key moment.
func (tx *Tx) ClearKeyMoment(ctx context.Context, e *tocsin.TimelineEntry) error {
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM timeline_key_moments WHERE timeline_id = $1", e.ID); err != nil {
		return fmt.Errorf("clear key moment: %w", err)
	}
	return nil
}

// jsonList is l in JSON, [] when empty.
func jsonList[T any](l []T) (string, error) {
	if l == nil {
		l = []T{}
	}
	b, err := json.Marshal(l)
	return string(b), err
}

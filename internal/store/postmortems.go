package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// PostmortemRevision is one saved revision of an incident's postmortem.
type PostmortemRevision struct {
	Incident int64
	Revision int // from 1, per incident
	Markdown string
	Author   string
	SavedAt  time.Time
}

// SavePostmortem saves r as the revision after base, the revision its
// author started from (0: none saved). When another revision has been
// saved since base, nothing is saved and the error is a conflict, so that
// two people editing at once do not overwrite each other. r.Revision is
// set to the new revision.
func (tx *Tx) SavePostmortem(ctx context.Context, r *PostmortemRevision, base int) error {
	var latest int
	if err := tx.tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(revision), 0) FROM postmortems WHERE incident_id = $1",
		r.Incident).Scan(&latest); err != nil {
		return fmt.Errorf("save postmortem: %w", err)
	}
	if latest != base {
		return tocsin.Errorf(tocsin.EConflict, "the postmortem of incident %d is at revision %d, not %d: reload it and edit that",
			r.Incident, latest, base)
	}
	_, err := tx.exec(ctx, "INSERT INTO postmortems (incident_id, revision, markdown, author, saved_at) VALUES ($1, $2, $3, $4, $5)",
		r.Incident, base+1, r.Markdown, r.Author, ms(r.SavedAt))
	if isUniqueViolation(err) {
		return tocsin.Errorf(tocsin.EConflict, "the postmortem of incident %d was saved meanwhile: reload it and edit that", r.Incident)
	}
	if err != nil {
		return fmt.Errorf("save postmortem: %w", err)
	}
	r.Revision = base + 1
	return nil
}

// Postmortem returns the latest revision of incident's postmortem, or nil
// when none has been saved.
func (db *DB) Postmortem(ctx context.Context, incident int64) (*PostmortemRevision, error) {
	r := PostmortemRevision{Incident: incident}
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT revision, markdown, author, saved_at FROM postmortems
		WHERE incident_id = $1 ORDER BY revision DESC LIMIT 1`, incident).Scan(&r.Revision, &r.Markdown, &r.Author, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get postmortem: %w", err)
	}
	r.SavedAt = fromMS(at)
	return &r, nil
}

// PostmortemRevisions returns every saved revision of incident's
// postmortem, newest first.
func (db *DB) PostmortemRevisions(ctx context.Context, incident int64) ([]PostmortemRevision, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT revision, markdown, author, saved_at FROM postmortems
		WHERE incident_id = $1 ORDER BY revision DESC`, incident)
	if err != nil {
		return nil, fmt.Errorf("postmortem revisions: %w", err)
	}
	defer rows.Close()
	out := []PostmortemRevision{}
	for rows.Next() {
		r := PostmortemRevision{Incident: incident}
		var at int64
		if err := rows.Scan(&r.Revision, &r.Markdown, &r.Author, &at); err != nil {
			return nil, fmt.Errorf("postmortem revisions: %w", err)
		}
		r.SavedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Statuses of an action item.
const (
	ActionOpen   = "open"
	ActionDone   = "done"
	ActionWontDo = "wont_do" // decided against; closed like done, but not done
)

// ActionItem is one follow-up of an incident's postmortem.
type ActionItem struct {
	ID        int64
	Incident  int64
	Title     string
	Owner     string // a user of the config
	Team      string // the incident's team unless given
	Due       string // a calendar date, YYYY-MM-DD; "": none
	Status    string // ActionOpen, ActionDone or ActionWontDo
	Link      string // an http(s) URL where it is tracked; "": none
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	DoneAt    time.Time // when it left open; zero while open
	// LastOverdueNoticeAt is when its owner was last told it is overdue.
	LastOverdueNoticeAt time.Time
}

const actionItemColumns = `id, incident_id, title, owner, team, due, status, link, created_by, created_at, updated_at,
	done_at, last_overdue_notice_at`

func scanActionItem(r rowScanner) (ActionItem, error) {
	var a ActionItem
	var created, updated, done, notice int64
	err := r.Scan(&a.ID, &a.Incident, &a.Title, &a.Owner, &a.Team, &a.Due, &a.Status, &a.Link, &a.CreatedBy,
		&created, &updated, &done, &notice)
	a.CreatedAt, a.UpdatedAt, a.DoneAt, a.LastOverdueNoticeAt = fromMS(created), fromMS(updated), fromMS(done), fromMS(notice)
	return a, err
}

// CreateActionItem inserts a and sets its ID. The caller has checked it.
func (tx *Tx) CreateActionItem(ctx context.Context, a *ActionItem) error {
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO action_items (incident_id, title, owner, team, due, status, link, created_by,
		created_at, updated_at, done_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		a.Incident, a.Title, a.Owner, a.Team, a.Due, a.Status, a.Link, a.CreatedBy, ms(a.CreatedAt), ms(a.UpdatedAt),
		ms(a.DoneAt)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create action item: %w", err)
	}
	return nil
}

// ActionItem returns action item id, or a not-found error.
func (tx *Tx) ActionItem(ctx context.Context, id int64) (*ActionItem, error) {
	a, err := scanActionItem(tx.tx.QueryRowContext(ctx, "SELECT "+actionItemColumns+" FROM action_items WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "there is no action item %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get action item: %w", err)
	}
	return &a, nil
}

// SaveActionItem writes the fields of a that people change.
func (tx *Tx) SaveActionItem(ctx context.Context, a *ActionItem) error {
	_, err := tx.exec(ctx, `UPDATE action_items SET title = $1, owner = $2, team = $3, due = $4, status = $5, link = $6,
		updated_at = $7, done_at = $8 WHERE id = $9`, a.Title, a.Owner, a.Team, a.Due, a.Status, a.Link, ms(a.UpdatedAt),
		ms(a.DoneAt), a.ID)
	if err != nil {
		return fmt.Errorf("save action item: %w", err)
	}
	return nil
}

// MarkOverdueNotice records that the owner of action item id was told at
// at that it is overdue.
func (tx *Tx) MarkOverdueNotice(ctx context.Context, id int64, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE action_items SET last_overdue_notice_at = $1 WHERE id = $2", ms(at), id); err != nil {
		return fmt.Errorf("mark overdue notice: %w", err)
	}
	return nil
}

// OpenActionItemsDueBefore returns the open action items due before day
// (YYYY-MM-DD), oldest due first: those that may be overdue somewhere on
// Earth by then.
func (tx *Tx) OpenActionItemsDueBefore(ctx context.Context, day string) ([]ActionItem, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT "+actionItemColumns+` FROM action_items
		WHERE status = $1 AND due <> '' AND due < $2 ORDER BY due, id`, ActionOpen, day)
	if err != nil {
		return nil, fmt.Errorf("open action items due: %w", err)
	}
	return collectActionItems(rows)
}

// IncidentActionItems returns incident's action items in the order they
// were made.
func (db *DB) IncidentActionItems(ctx context.Context, incident int64) ([]ActionItem, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+actionItemColumns+" FROM action_items WHERE incident_id = $1 ORDER BY id",
		incident)
	if err != nil {
		return nil, fmt.Errorf("incident action items: %w", err)
	}
	return collectActionItems(rows)
}

// ActionItemFilter selects action items; an empty field selects all.
type ActionItemFilter struct {
	Team   string
	Owner  string
	Status string
	Limit  int // at most this many; 0: all
}

// ActionItems returns the action items f selects, those with the
// earliest due date first (those without one last), then oldest first.
func (db *DB) ActionItems(ctx context.Context, f ActionItemFilter) ([]ActionItem, error) {
	q := "SELECT " + actionItemColumns + " FROM action_items WHERE 1 = 1"
	var args []any
	for _, c := range []struct{ column, value string }{{"team", f.Team}, {"owner", f.Owner}, {"status", f.Status}} {
		if c.value != "" {
			args = append(args, c.value)
			q += fmt.Sprintf(" AND %s = $%d", c.column, len(args))
		}
	}
	q += " ORDER BY CASE WHEN due = '' THEN 1 ELSE 0 END, due, id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("action items: %w", err)
	}
	return collectActionItems(rows)
}

func collectActionItems(rows *sql.Rows) ([]ActionItem, error) {
	defer rows.Close()
	out := []ActionItem{}
	for rows.Next() {
		a, err := scanActionItem(rows)
		if err != nil {
			return nil, fmt.Errorf("action items: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

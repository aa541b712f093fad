package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// ScheduleOverride puts User on call in the schedule named Schedule, in
// place of its rotations, from StartsAt until EndsAt. These are the
// overrides made at run time; the config's own live in the config.
type ScheduleOverride struct {
	ID        int64
	Schedule  string
	User      string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string // the actor who made it ("user:alice")
	CreatedAt time.Time
	Note      string
}

// MaxScheduleOverrides bounds the overrides one read returns.
const MaxScheduleOverrides = 500

const scheduleOverrideColumns = "id, schedule, user_name, starts_at, ends_at, created_by, created_at, note"

func scanScheduleOverride(r rowScanner) (ScheduleOverride, error) {
	var o ScheduleOverride
	var start, end, created int64
	if err := r.Scan(&o.ID, &o.Schedule, &o.User, &start, &end, &o.CreatedBy, &created, &o.Note); err != nil {
		return o, err
	}
	o.StartsAt, o.EndsAt, o.CreatedAt = fromMS(start), fromMS(end), fromMS(created)
	return o, nil
}

// CreateScheduleOverride inserts o and sets its ID (and CreatedAt when
// zero). The caller has checked it.
func (tx *Tx) CreateScheduleOverride(ctx context.Context, o *ScheduleOverride) error {
	if o.CreatedAt.IsZero() {
		o.CreatedAt = tx.db.clock.Now()
	}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO schedule_overrides (schedule, user_name, starts_at, ends_at, created_by, created_at, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, o.Schedule, o.User, ms(o.StartsAt), ms(o.EndsAt), o.CreatedBy,
		ms(o.CreatedAt), o.Note).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("create schedule override: %w", err)
	}
	return nil
}

// DeleteScheduleOverride removes the override id of schedule and returns
// it; one of another schedule, or none, is not found.
func (tx *Tx) DeleteScheduleOverride(ctx context.Context, schedule string, id int64) (ScheduleOverride, error) {
	o, err := scanScheduleOverride(tx.tx.QueryRowContext(ctx, "SELECT "+scheduleOverrideColumns+
		" FROM schedule_overrides WHERE id = $1 AND schedule = $2", id, schedule))
	if errors.Is(err, sql.ErrNoRows) {
		return o, tocsin.Errorf(tocsin.ENotFound, "schedule %s has no override %d", schedule, id)
	}
	if err != nil {
		return o, fmt.Errorf("get schedule override: %w", err)
	}
	if _, err := tx.tx.ExecContext(ctx, "DELETE FROM schedule_overrides WHERE id = $1", id); err != nil {
		return o, fmt.Errorf("delete schedule override: %w", err)
	}
	return o, nil
}

// ScheduleOverrides lists the overrides of schedule ("": of every
// schedule) that overlap [from, to), by start, at most
// MaxScheduleOverrides.
func (db *DB) ScheduleOverrides(ctx context.Context, schedule string, from, to time.Time) ([]ScheduleOverride, error) {
	return scheduleOverrides(ctx, db.read, schedule, from, to)
}

// ScheduleOverrides is DB.ScheduleOverrides inside the transaction: what
// pages people reads the overrides as they are at that moment.
func (tx *Tx) ScheduleOverrides(ctx context.Context, schedule string, from, to time.Time) ([]ScheduleOverride, error) {
	return scheduleOverrides(ctx, tx.tx, schedule, from, to)
}

func scheduleOverrides(ctx context.Context, q queryer, schedule string, from, to time.Time) ([]ScheduleOverride, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+scheduleOverrideColumns+` FROM schedule_overrides
		WHERE ($1 = '' OR schedule = $1) AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at, id LIMIT $4`,
		schedule, ms(from), ms(to), MaxScheduleOverrides)
	if err != nil {
		return nil, fmt.Errorf("schedule overrides: %w", err)
	}
	defer rows.Close()
	out := []ScheduleOverride{}
	for rows.Next() {
		o, err := scanScheduleOverride(rows)
		if err != nil {
			return nil, fmt.Errorf("schedule overrides: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

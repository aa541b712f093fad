package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

const silenceColumns = "id, name, managed_by, matchers, starts_at, ends_at, cron, duration, tz, comment, created_by, created_at, expired_at"

func scanSilence(r rowScanner) (*tocsin.Silence, error) {
	var s tocsin.Silence
	var matchers string
	var starts, ends, dur, created, expired int64
	if err := r.Scan(&s.ID, &s.Name, &s.ManagedBy, &matchers, &starts, &ends, &s.Cron, &dur, &s.TZ, &s.Comment, &s.CreatedBy,
		&created, &expired); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(matchers), &s.Matchers); err != nil {
		return nil, fmt.Errorf("silence %d: matchers: %w", s.ID, err)
	}
	s.StartsAt, s.EndsAt, s.CreatedAt, s.ExpiredAt = fromMS(starts), fromMS(ends), fromMS(created), fromMS(expired)
	s.Duration = time.Duration(dur) * time.Millisecond
	return &s, nil
}

// CreateSilence inserts s and sets its ID and CreatedAt.
func (tx *Tx) CreateSilence(ctx context.Context, s *tocsin.Silence) error {
	matchers, err := json.Marshal(nonNil(s.Matchers))
	if err != nil {
		return err
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = tx.db.clock.Now()
	}
	err = tx.tx.QueryRowContext(ctx, `INSERT INTO silences (name, managed_by, matchers, starts_at, ends_at, cron, duration, tz,
		comment, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, s.Name, s.ManagedBy,
		string(matchers), ms(s.StartsAt), ms(s.EndsAt), s.Cron, s.Duration.Milliseconds(), s.TZ, s.Comment, s.CreatedBy,
		ms(s.CreatedAt)).Scan(&s.ID)
	if err != nil {
		return uniqueToUser(fmt.Errorf("create silence: %w", err), fmt.Sprintf("a silence named %q exists", s.Name))
	}
	return nil
}

// ExpireSilence ends a silence at now. Expiring one already expired changes nothing.
func (tx *Tx) ExpireSilence(ctx context.Context, id int64, now time.Time) (*tocsin.Silence, error) {
	s, err := scanSilence(tx.tx.QueryRowContext(ctx, "SELECT "+silenceColumns+" FROM silences WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "silence not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get silence: %w", err)
	}
	if !s.ExpiredAt.IsZero() {
		return s, nil
	}
	s.ExpiredAt = now
	if _, err := tx.tx.ExecContext(ctx, "UPDATE silences SET expired_at = $1 WHERE id = $2", ms(now), id); err != nil {
		return nil, fmt.Errorf("expire silence: %w", err)
	}
	return s, nil
}

// SyncSilences makes the config silences those of defs, by name: a changed
// definition expires the old row and creates a new one (so alerts keep
// pointing at the silence that held them), a removed one is expired. It
// returns the silences expired.
func (tx *Tx) SyncSilences(ctx context.Context, defs []tocsin.Silence, now time.Time) (expired []int64, err error) {
	current, err := querySilences(ctx, tx.tx, "managed_by = 'config' AND expired_at = 0")
	if err != nil {
		return nil, err
	}
	byName := map[string]*tocsin.Silence{}
	for _, s := range current {
		byName[s.Name] = s
	}
	for i := range defs {
		d := defs[i]
		if old := byName[d.Name]; old != nil {
			delete(byName, d.Name)
			if sameSilence(old, &d) {
				continue
			}
			if _, err := tx.ExpireSilence(ctx, old.ID, now); err != nil {
				return nil, err
			}
			expired = append(expired, old.ID)
		}
		d.ManagedBy, d.CreatedBy, d.CreatedAt = "config", "config", now
		if err := tx.CreateSilence(ctx, &d); err != nil {
			return nil, err
		}
	}
	for _, old := range byName {
		if _, err := tx.ExpireSilence(ctx, old.ID, now); err != nil {
			return nil, err
		}
		expired = append(expired, old.ID)
	}
	return expired, nil
}

func sameSilence(a, b *tocsin.Silence) bool {
	if len(a.Matchers) != len(b.Matchers) {
		return false
	}
	for i := range a.Matchers {
		if a.Matchers[i] != b.Matchers[i] {
			return false
		}
	}
	return a.StartsAt.Equal(b.StartsAt) && a.EndsAt.Equal(b.EndsAt) && a.Cron == b.Cron && a.Duration == b.Duration &&
		a.TZ == b.TZ && a.Comment == b.Comment
}

// LiveSilences returns the silences not expired by hand or removed, for
// the alert policy; those whose end has passed are left out.
func (db *DB) LiveSilences(ctx context.Context, now time.Time) ([]*tocsin.Silence, error) {
	return querySilences(ctx, db.read, "expired_at = 0 AND (ends_at = 0 OR ends_at > $1) ORDER BY id", ms(now))
}

// Silences lists silences for the API, newest first; expired ones too if all.
func (db *DB) Silences(ctx context.Context, now time.Time, all bool) ([]*tocsin.Silence, error) {
	if all {
		return querySilences(ctx, db.read, "1 = 1 ORDER BY id DESC LIMIT 1000")
	}
	return querySilences(ctx, db.read, "expired_at = 0 AND (ends_at = 0 OR ends_at > $1) ORDER BY id DESC", ms(now))
}

func querySilences(ctx context.Context, q sqlQuerier, where string, args ...any) ([]*tocsin.Silence, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+silenceColumns+" FROM silences WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("query silences: %w", err)
	}
	defer rows.Close()
	var out []*tocsin.Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, fmt.Errorf("scan silence: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

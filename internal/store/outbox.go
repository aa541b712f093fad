package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

const enqueueSQL = `INSERT INTO outbox (idempotency_key, channel, event, incident_id, payload, status,
	next_attempt_at, created_at, target) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`

// Enqueue adds a notification to the outbox. A row with the same idempotency
// key is left as it is: enqueueing is idempotent. It reports whether a row
// was added.
func (tx *Tx) Enqueue(ctx context.Context, n *tocsin.Notification) (bool, error) {
	now := tx.db.clock.Now()
	if n.NextAttemptAt.IsZero() {
		n.NextAttemptAt = now
	}
	n.CreatedAt = now
	n.Status = tocsin.NotifyPending
	res, err := tx.exec(ctx, enqueueSQL, n.IdempotencyKey, n.Channel, n.Event, n.IncidentID, n.Payload, ms(n.NextAttemptAt), ms(now), n.Target)
	if err != nil {
		return false, fmt.Errorf("enqueue notification: %w", err)
	}
	added, err := res.RowsAffected()
	return added == 1, err
}

// EnqueueAll is Enqueue for many notifications, in one statement on
// PostgreSQL: it reports, for each, whether a row was added (a second
// notification with the key of an earlier one is not).
func (tx *Tx) EnqueueAll(ctx context.Context, ns []*tocsin.Notification) ([]bool, error) {
	added := make([]bool, len(ns))
	if tx.db.dialect != dialectPostgres || len(ns) < 2 {
		for i, n := range ns {
			var err error
			if added[i], err = tx.Enqueue(ctx, n); err != nil {
				return nil, err
			}
		}
		return added, nil
	}
	now := tx.db.clock.Now()
	k := len(ns)
	keys, channels, events, targets := make([]string, k), make([]string, k), make([]string, k), make([]string, k)
	incidents, next := make([]int64, k), make([]int64, k)
	payloads := make([][]byte, k)
	for i, n := range ns {
		if n.NextAttemptAt.IsZero() {
			n.NextAttemptAt = now
		}
		n.CreatedAt, n.Status = now, tocsin.NotifyPending
		keys[i], channels[i], events[i], incidents[i], payloads[i], next[i], targets[i] = n.IdempotencyKey, n.Channel, n.Event,
			n.IncidentID, n.Payload, ms(n.NextAttemptAt), n.Target
	}
	rows, err := tx.tx.QueryContext(ctx, `INSERT INTO outbox (idempotency_key, channel, event, incident_id, payload, status,
		next_attempt_at, created_at, target)
		SELECT key, channel, event, incident_id, payload, 'pending', next_attempt_at, $8, target
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::bigint[], $7::text[]) WITH ORDINALITY
			AS v (key, channel, event, incident_id, payload, next_attempt_at, target, i) ORDER BY i
		ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
		keys, channels, events, incidents, payloads, next, targets, ms(now))
	if err != nil {
		return nil, fmt.Errorf("enqueue notifications: %w", err)
	}
	defer rows.Close()
	inserted := map[string]bool{}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			return nil, fmt.Errorf("enqueue notifications: %w", err)
		}
		inserted[key] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("enqueue notifications: %w", err)
	}
	for i, key := range keys {
		added[i] = inserted[key]
		delete(inserted, key) // a key twice in ns: only the first was added
	}
	return added, nil
}

const outboxColumns = `id, idempotency_key, channel, event, incident_id, payload, status, attempts, next_attempt_at,
	last_error, created_at, sent_at, target`

func scanNotification(r rowScanner) (*tocsin.Notification, error) {
	var n tocsin.Notification
	var status string
	var next, created, sent int64
	if err := r.Scan(&n.ID, &n.IdempotencyKey, &n.Channel, &n.Event, &n.IncidentID, &n.Payload, &status, &n.Attempts,
		&next, &n.LastError, &created, &sent, &n.Target); err != nil {
		return nil, err
	}
	n.Status = tocsin.NotificationStatus(status)
	n.NextAttemptAt, n.CreatedAt, n.SentAt = fromMS(next), fromMS(created), fromMS(sent)
	return &n, nil
}

// claimDueSQL selects the rows ClaimDue may claim: due, and not claimed, or
// claimed by a claim that lapsed, or by another process whose member lease
// lapsed (it died; see AcquireLease). A process's own claims lapse only with
// their time. $3 is a JSON array of the channels to skip, $4 the claimer.
const claimDueSQL = "SELECT " + outboxColumns + ` FROM outbox
	WHERE status = 'pending' AND next_attempt_at <= $1
	AND (claimed_until < $1 OR (claimed_by <> $4 AND NOT EXISTS (SELECT 1 FROM leases
		WHERE leases.name = 'member:' || outbox.claimed_by AND leases.expires_at >= $1)))
	AND channel NOT IN (SELECT value FROM json_each($3))
	ORDER BY next_attempt_at, id LIMIT $2`

const nextDueSQL = `SELECT COALESCE(MIN(MAX(next_attempt_at, claimed_until)), 0) FROM outbox WHERE status = 'pending'`

// ClaimDue claims up to limit pending notifications that are due and not
// claimed by a live owner, at most perChannel of each channel, skipping the
// channels in busy. A claim lasts until
// now+lease; the owner must record the outcome before then.
func (db *DB) ClaimDue(ctx context.Context, owner string, lease time.Duration, limit, perChannel int, busy map[string]bool) ([]*tocsin.Notification, error) {
	var out []*tocsin.Notification
	// Not serialized with the other writes: on PostgreSQL, rows another
	// replica is claiming are skipped (SKIP LOCKED), not waited for.
	err := db.transact(ctx, false, func(tx *Tx) error {
		now := db.clock.Now()
		// Busy channels are excluded in SQL, so a backlog on a hung channel
		// cannot fill the scan and starve the others.
		channels := make([]string, 0, len(busy))
		for ch := range busy {
			channels = append(channels, ch)
		}
		excluded, err := json.Marshal(channels)
		if err != nil {
			return err
		}
		args := []any{ms(now), 4 * limit, string(excluded)}
		rows, err := tx.query(ctx, claimDueSQL, append(args, owner)...)
		if err != nil {
			return fmt.Errorf("query due notifications: %w", err)
		}
		var due []*tocsin.Notification
		counts := map[string]int{}
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("scan notification: %w", err)
			}
			if len(due) < limit && counts[n.Channel] < perChannel {
				counts[n.Channel]++
				due = append(due, n)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.claim(ctx, due, owner, now.Add(lease)); err != nil {
			return err
		}
		out = due
		return nil
	})
	return out, err
}

// claim marks the rows ns claimed by owner until until: on PostgreSQL in
// one statement, as a burst claims hundreds (one statement a row was a
// round trip each before the first of them could be sent).
func (tx *Tx) claim(ctx context.Context, ns []*tocsin.Notification, owner string, until time.Time) error {
	if tx.db.dialect != dialectPostgres || len(ns) < 2 {
		for _, n := range ns {
			if _, err := tx.exec(ctx, claimSQL, owner, ms(until), n.ID); err != nil {
				return fmt.Errorf("claim notification: %w", err)
			}
		}
		return nil
	}
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	if _, err := tx.tx.ExecContext(ctx, "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id = ANY($3::bigint[])",
		owner, ms(until), ids); err != nil {
		return fmt.Errorf("claim notifications: %w", err)
	}
	return nil
}

// NextDue returns when the earliest pending notification is due, or zero.
func (db *DB) NextDue(ctx context.Context) (time.Time, error) {
	var at int64
	err := db.read.QueryRowContext(ctx, db.sql(nextDueSQL)).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("next due notification: %w", err)
	}
	return fromMS(at), nil
}

// ReleaseClaims frees the claims of an owner (one that restarted, say).
func (db *DB) ReleaseClaims(ctx context.Context, owner string) error {
	_, err := db.write.ExecContext(ctx, "UPDATE outbox SET claimed_by = '', claimed_until = 0 WHERE status = 'pending' AND claimed_by <> '' AND ($1 = '' OR claimed_by = $1)", owner)
	if err != nil {
		return fmt.Errorf("release claims: %w", err)
	}
	return nil
}

const (
	markSentSQL = `UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, claimed_by = '',
	claimed_until = 0, last_error = '' WHERE id = $3`
	markRetrySQL = `UPDATE outbox SET status = $1, attempts = $2, last_error = $3, next_attempt_at = $4,
	claimed_by = '', claimed_until = 0 WHERE id = $5`
	claimSQL = "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id = $3"
)

// MarkSent records a delivered notification.
func (tx *Tx) MarkSent(ctx context.Context, id int64, attempts int) error {
	_, err := tx.exec(ctx, markSentSQL, attempts, ms(tx.db.clock.Now()), id)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

// Sent is a delivered notification, for MarkSentAll: its row and the
// attempt that delivered it.
type Sent struct {
	ID       int64
	Attempts int
}

// MarkSentAll is MarkSent for many rows: on PostgreSQL in one statement,
// as the outcomes of a burst of sends are recorded together, holding the
// write lock.
func (tx *Tx) MarkSentAll(ctx context.Context, sent []Sent) error {
	if tx.db.dialect != dialectPostgres || len(sent) < 2 {
		for _, s := range sent {
			if err := tx.MarkSent(ctx, s.ID, s.Attempts); err != nil {
				return err
			}
		}
		return nil
	}
	ids, attempts := make([]int64, len(sent)), make([]int64, len(sent))
	for i, s := range sent {
		ids[i], attempts[i] = s.ID, int64(s.Attempts)
	}
	_, err := tx.tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', attempts = v.attempts, sent_at = $1, claimed_by = '',
		claimed_until = 0, last_error = '' FROM unnest($2::bigint[], $3::bigint[]) AS v (id, attempts) WHERE outbox.id = v.id`,
		ms(tx.db.clock.Now()), ids, attempts)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

// MarkRetry records a failed attempt and when to try again; a zero retryAt
// gives up (status failed).
func (tx *Tx) MarkRetry(ctx context.Context, id int64, attempts int, lastErr string, retryAt time.Time) error {
	status := string(tocsin.NotifyPending)
	if retryAt.IsZero() {
		status = string(tocsin.NotifyFailed)
	}
	_, err := tx.exec(ctx, markRetrySQL, status, attempts, lastErr, ms(retryAt), id)
	if err != nil {
		return fmt.Errorf("mark retry: %w", err)
	}
	return nil
}

// OutboxDepth counts pending notifications.
func (db *DB) OutboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'").Scan(&n)
	return n, err
}

// Notifications lists outbox rows of an incident (all if incidentID is 0), oldest first.
func (db *DB) Notifications(ctx context.Context, incidentID int64) ([]*tocsin.Notification, error) {
	q, args := "SELECT "+outboxColumns+" FROM outbox", []any{}
	if incidentID != 0 {
		q, args = q+" WHERE incident_id = $1", []any{incidentID}
	}
	rows, err := db.read.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("query notifications: %w", err)
	}
	defer rows.Close()
	var out []*tocsin.Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PagedChannels lists the channels an incident was paged on (those with an
// incident.triggered notification of it, queued, sent or given up), in the
// order they were first paged.
func (tx *Tx) PagedChannels(ctx context.Context, incidentID int64) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT channel FROM outbox WHERE incident_id = $1 AND event = $2
		GROUP BY channel ORDER BY MIN(id)`, incidentID, tocsin.EventTriggered)
	if err != nil {
		return nil, fmt.Errorf("query paged channels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, fmt.Errorf("query paged channels: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

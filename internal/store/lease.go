package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease is a named lease as stored: who holds it, the fencing token of
// their tenure (it grows by one each time the lease changes hands) and
// until when.
type Lease struct {
	Name      string
	Holder    string
	Token     int64
	ExpiresAt time.Time
}

// Lease names. One replica holds the engine lease and runs the engine;
// each replica holds a member lease that says it is alive. The outbox's
// claim takeover and PruneMemberLeases match MemberPrefix in SQL.
const (
	// EngineLease names the leader's lease.
	EngineLease = "engine"
	// MemberPrefix begins the name of every member lease.
	MemberPrefix = "member:"
)

// MemberLease names the lease that says holder is alive.
func MemberLease(holder string) string { return MemberPrefix + holder }

// ErrFenced is returned by a write whose fence no longer holds: another
// process took the lease, and this one must not act on its behalf.
var ErrFenced = errors.New("fenced: the lease is held by another process")

type fenceKey struct{}

// WithFence returns a context whose write transactions commit only while
// l is still held by l.Holder with l.Token. The check runs inside the
// transaction, after the write lock, and leases change hands only in write
// transactions: a write that passed it commits before any new holder's.
func WithFence(ctx context.Context, l Lease) context.Context {
	return context.WithValue(ctx, fenceKey{}, l)
}

const fenceSQL = "SELECT token FROM leases WHERE name = $1 AND holder = $2"

// checkFence runs in every fenced write (each batch of probe results is
// one), hence its statement prepared once.
func checkFence(ctx context.Context, tx *Tx, f Lease) error {
	var token int64
	err := tx.queryRow(ctx, fenceSQL, f.Name, f.Holder).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && token != f.Token) {
		return fmt.Errorf("%w (lease %s, token %d)", ErrFenced, f.Name, f.Token)
	}
	if err != nil {
		return fmt.Errorf("check fence: %w", err)
	}
	return nil
}

// AcquireLease takes the lease name for holder until now+ttl, or renews it
// if holder has it. It takes a lease held by another only once that has
// lapsed, or at once with force (a process that knows it is alone, such as
// SQLite's single server, whose lock file says so). It returns the lease as
// it now stands: held by holder or not.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, force bool) (Lease, error) {
	var l Lease
	err := db.Write(ctx, func(tx *Tx) error {
		now := db.clock.Now()
		l = Lease{Name: name}
		var exp int64
		err := tx.tx.QueryRowContext(ctx, "SELECT holder, token, expires_at FROM leases WHERE name = $1", name).
			Scan(&l.Holder, &l.Token, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			l.Holder, l.Token, l.ExpiresAt = holder, 1, now.Add(ttl)
			_, err = tx.tx.ExecContext(ctx, "INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, $3, $4)",
				name, holder, l.Token, ms(l.ExpiresAt))
			return err
		case err != nil:
			return err
		}
		l.ExpiresAt = fromMS(exp)
		if l.Holder != holder && !force && !now.After(l.ExpiresAt) {
			return nil // held by another
		}
		if l.Holder != holder {
			l.Holder, l.Token = holder, l.Token+1
		}
		l.ExpiresAt = now.Add(ttl)
		_, err = tx.tx.ExecContext(ctx, "UPDATE leases SET holder = $1, token = $2, expires_at = $3 WHERE name = $4",
			l.Holder, l.Token, ms(l.ExpiresAt), name)
		return err
	})
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return l, nil
}

// ReleaseLease gives up a lease holder has, so that another may take it at
// once (on a clean shutdown). The token stays: the next holder's is higher.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(ctx, "UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2", name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Leases lists the stored leases, for the API and tests.
func (db *DB) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT name, holder, token, expires_at FROM leases ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("query leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		var l Lease
		var exp int64
		if err := rows.Scan(&l.Name, &l.Holder, &l.Token, &exp); err != nil {
			return nil, err
		}
		l.ExpiresAt = fromMS(exp)
		out = append(out, l)
	}
	return out, rows.Err()
}

// PruneMemberLeases deletes the member leases that lapsed before before:
// every process start is a new member, and the rows of processes long gone
// need not stay. A claim whose owner has no lease is fair game, as one
// whose owner's lease lapsed.
func (db *DB) PruneMemberLeases(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, "DELETE FROM leases WHERE name LIKE 'member:%' AND expires_at < $1", ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune member leases: %w", err)
	}
	return n, nil
}

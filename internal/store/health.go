package store

import (
	"context"
	"fmt"
	"time"
)

// HealthPrefix begins the name of the rows health probes write: one per
// process, "health:<holder>", in the leases table (a token of 0, and
// expires_at the time of the last probe). Nothing takes or waits for them.
const HealthPrefix = "health:"

// healthKept is how long the probe rows of processes gone stay.
const healthKept = 24 * time.Hour

// ProbeWrite commits a small write of its own for holder's health check:
// proof that a write transaction can start, write and commit now. It also
// deletes the probe rows of processes that stopped probing a day ago.
func (db *DB) ProbeWrite(ctx context.Context, holder string) error {
	err := db.Write(ctx, func(tx *Tx) error {
		now := db.clock.Now()
		if _, err := tx.tx.ExecContext(ctx, `INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 0, $3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
			HealthPrefix+holder, holder, ms(now)); err != nil {
			return err
		}
		_, err := tx.tx.ExecContext(ctx, "DELETE FROM leases WHERE name LIKE 'health:%' AND expires_at < $1",
			ms(now.Add(-healthKept)))
		return err
	})
	if err != nil {
		return fmt.Errorf("probe write: %w", err)
	}
	return nil
}

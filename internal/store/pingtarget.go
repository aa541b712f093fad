package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PingTargetExists reports whether a check has this UUID (when uuid is
// set) or this slug. It reads one index entry, on the read pool, so that
// the ping API can refuse a ping to nothing before it reads the body. The
// statements are prepared once (Open): parsing one cost more than running it.
func (db *DB) PingTargetExists(ctx context.Context, uuid, slug string) (bool, error) {
	st, val := db.targetByUUID, uuid
	if uuid == "" {
		st, val = db.targetBySlug, slug
	}
	var one int
	err := st.QueryRowContext(ctx, val).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up ping target: %w", err)
	}
	return true, nil
}

const (
	targetByUUIDSQL = "SELECT 1 FROM checks WHERE deleted_at = 0 AND uuid = $1 LIMIT 1"
	targetBySlugSQL = "SELECT 1 FROM checks WHERE deleted_at = 0 AND slug = $1 LIMIT 1"
)

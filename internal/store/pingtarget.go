package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PingTargetExists reports whether a check has this UUID (when uuid is
// set) or this slug. It reads one index entry, on the read pool, so that
// the ping API can refuse a ping to nothing before it reads the body.
func (db *DB) PingTargetExists(ctx context.Context, uuid, slug string) (bool, error) {
	col, val := "uuid", uuid
	if uuid == "" {
		col, val = "slug", slug
	}
	var one int
	err := db.read.QueryRowContext(ctx, "SELECT 1 FROM checks WHERE deleted_at = 0 AND "+col+" = $1 LIMIT 1", val).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up ping target: %w", err)
	}
	return true, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tocsinhq/tocsin"
)

// UnresolvedAlerts lists the alerts not resolved (firing or acknowledged,
// suppressed or not), newest first, at most limit: the alerts page.
func (db *DB) UnresolvedAlerts(ctx context.Context, limit int) ([]*tocsin.AlertRecord, error) {
	return queryAlerts(ctx, db.read, "status <> 'resolved' ORDER BY id DESC LIMIT $1", limit)
}

// AlertByID reads one alert outside a transaction.
func (db *DB) AlertByID(ctx context.Context, id int64) (*tocsin.AlertRecord, error) {
	a, err := scanAlert(db.read.QueryRowContext(ctx, alertByIDSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "no such alert: %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get alert: %w", err)
	}
	return a, nil
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// PingHour is how many of a check's stored pings within one hour (UTC)
// reported a success and how many a failure.
type PingHour struct {
	Hour   time.Time
	OK     int64
	Failed int64
}

// PingHours counts every check's stored pings since a time by hour, in
// one query for all checks: the dashboard's sparklines. By check id,
// oldest hour first; hours without success or failure are left out.
func (db *DB) PingHours(ctx context.Context, since time.Time) (map[int64][]PingHour, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT check_id, at / 3600000 AS bucket,
		SUM(CASE WHEN kind = $2 THEN 1 ELSE 0 END), SUM(CASE WHEN kind = $3 THEN 1 ELSE 0 END)
		FROM pings WHERE at >= $1 AND kind IN ($2, $3) GROUP BY check_id, bucket ORDER BY check_id, bucket`,
		ms(since), string(tocsin.PingSuccess), string(tocsin.PingFail))
	if err != nil {
		return nil, fmt.Errorf("ping hours: %w", err)
	}
	defer rows.Close()
	out := map[int64][]PingHour{}
	for rows.Next() {
		var id, hour int64
		var h PingHour
		if err := rows.Scan(&id, &hour, &h.OK, &h.Failed); err != nil {
			return nil, fmt.Errorf("ping hours: %w", err)
		}
		h.Hour = fromMS(hour * 3600000)
		out[id] = append(out[id], h)
	}
	return out, rows.Err()
}

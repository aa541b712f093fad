package escalation

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Overrides are overrides made at run time, as package oncall's, by
// schedule: what Schedule.With adds to the config's.
func Overrides(stored []store.ScheduleOverride) map[string][]oncall.Override {
	out := map[string][]oncall.Override{}
	for _, o := range stored {
		out[o.Schedule] = append(out[o.Schedule], oncall.Override{User: o.User, From: o.StartsAt, To: o.EndsAt})
	}
	return out
}

// withOverrides is s with the overrides made at run time that overlap
// [from, to), read in tx: a page reaches whoever they put on call, the
// moment they are made, with no reload of the config.
func withOverrides(ctx context.Context, tx *store.Tx, name string, s *oncall.Schedule, from, to time.Time) (*oncall.Schedule, error) {
	stored, err := tx.ScheduleOverrides(ctx, name, from, to)
	if err != nil {
		return nil, err
	}
	return s.With(Overrides(stored)[name]), nil
}

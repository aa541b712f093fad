package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// overdueCheckEvery is how often the open action items are looked at for
// ones whose due day has ended in their owner's zone: a notice a quarter
// of an hour after midnight is as good as one at midnight.
const overdueCheckEvery = 15 * time.Minute

// noticeOverdueActionItems tells the owner of each overdue action item,
// through the outbox, once a day of the owner's.
func (a *App) noticeOverdueActionItems(ctx context.Context, now time.Time) (time.Time, error) {
	st := a.state.Load()
	owners := map[string]incident.Owner{}
	for _, u := range st.Config.Users {
		o := incident.Owner{Zone: time.UTC}
		if loc, err := time.LoadLocation(u.TZ); u.TZ != "" && err == nil {
			o.Zone = loc
		}
		if !u.Disabled {
			for i := range u.Contacts {
				o.Channels = append(o.Channels, escalation.ContactChannel(u.Name, i))
			}
		}
		owners[u.Name] = o
	}
	var queued int
	err := a.db.Write(ctx, func(tx *store.Tx) (err error) {
		queued, err = incident.NoticeOverdueActionItems(ctx, tx, st.Env, owners, now)
		return err
	})
	if err != nil {
		return now.Add(time.Minute), fmt.Errorf("notice overdue action items: %w", err)
	}
	if queued > 0 {
		a.log.Info("overdue action items noticed", "notices", queued)
		a.bus.Notify(job.Queued)
	}
	return now.Add(overdueCheckEvery), nil
}

package app

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// actions is what the HTTP server asks of the rest of Tocsin (web.Actions):
// each change the API makes wakes the loop that acts on it.
type actions struct{ a *App }

var _ web.Actions = actions{}

// Reload reads the config file again (see App.Reload).
func (x actions) Reload(ctx context.Context, req web.ReloadRequest) (web.ReloadResult, error) {
	return x.a.Reload(ctx, req)
}

// RunningConfig describes the running config.
func (x actions) RunningConfig(ctx context.Context) (web.RunningConfig, error) {
	return x.a.runningConfig(ctx)
}

// Ready lists what keeps the server from being ready.
func (x actions) Ready(ctx context.Context) []string { return x.a.ready(ctx) }

// DeadlineChanged puts the check's new deadline in the engine's queue.
func (x actions) DeadlineChanged(checkID int64, at time.Time) { x.a.engine.Schedule(checkID, at) }

// NotificationsQueued wakes the outbox.
func (x actions) NotificationsQueued() { x.a.bus.Notify(job.Queued) }

// SilencesChanged makes the alert processor read silences again.
func (x actions) SilencesChanged(ctx context.Context) error { return x.a.silencesChanged(ctx) }

// EscalationChanged wakes the escalation stage, which pages each step when due.
func (x actions) EscalationChanged() { x.a.bus.Notify(job.Paging) }

// SetPaused pauses or resumes a check (heartbeat.SetPaused) and puts its
// new deadline in the engine's queue.
func (x actions) SetPaused(ctx context.Context, uuid string, pause bool, actor string) (*tocsin.Check, error) {
	var c *tocsin.Check
	err := x.a.db.Write(ctx, func(tx *store.Tx) (err error) {
		c, err = heartbeat.SetPaused(ctx, tx, uuid, pause, actor)
		return err
	})
	if err != nil {
		return nil, err
	}
	x.a.engine.Schedule(c.ID, c.NextDeadline())
	return c, nil
}

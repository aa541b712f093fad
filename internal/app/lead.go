package app

import (
	"context"
	"errors"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/job"
)

// elect runs the leader election; while this replica leads, it runs the
// leader jobs.
func (a *App) elect(ctx context.Context) { a.elector.Run(ctx, a.lead) }

// Leading reports whether this replica runs the engine now.
func (a *App) Leading() bool {
	_, ok := a.elector.Leading()
	return ok
}

// lead runs the leader jobs for one term: deadlines, probes, first pages
// after group_wait and silence ends, escalation steps, rota gap warnings
// and, on a shared database, following the deadlines other replicas set,
// with writes fenced by ctx's lease. It returns when ctx ends.
func (a *App) lead(ctx context.Context) {
	a.runner.Standby(a.jobs, false)
	a.metrics.Leader.Set(1)
	defer func() {
		a.metrics.Leader.Set(0)
		a.runner.Standby(a.jobs, true)
	}()
	// The last leader's pings and deadlines are in the store, not in this
	// replica's queues: read them before acting on any.
	for {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := errors.Join(a.engine.Load(lctx), a.probes.Load(lctx))
		cancel()
		if err == nil {
			break
		}
		a.log.Error("leader: load deadlines and probes; retrying in 1s", "err", err)
		if !clock.Sleep(ctx, a.clock, time.Second) {
			return
		}
	}
	a.bus.Notify(job.Paging) // first pages and escalations that fell due meanwhile
	a.runner.Start(ctx, a.jobs, true)()
}

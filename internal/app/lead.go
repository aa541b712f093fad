package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// elect runs the leader election; while this replica leads, it runs the
// engine's loops.
func (a *App) elect(ctx context.Context) { a.elector.Run(ctx, a.lead) }

// Leading reports whether this replica runs the engine now.
func (a *App) Leading() bool {
	_, ok := a.elector.Leading()
	return ok
}

// lead runs the engine's loops for one term: deadlines, probes and rota
// gap warnings, with writes fenced by ctx's lease. (The alert processor
// asks the elector before its timed work.) It returns when ctx ends.
func (a *App) lead(ctx context.Context) {
	for _, name := range leaderLoops {
		a.watchdog.Standby(name, false)
	}
	a.metrics.Leader.Set(1)
	defer func() {
		a.metrics.Leader.Set(0)
		for _, name := range leaderLoops {
			a.watchdog.Standby(name, true)
		}
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
	a.alerts.Poke() // first pages and escalations that fell due meanwhile
	loops := []func(context.Context){a.engine.Run, a.probes.Run, a.gapCheck}
	if a.db.Shared() {
		loops = append(loops, a.followDeadlines)
	}
	var wg sync.WaitGroup
	for _, run := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	wg.Wait()
}

// followDeadlines puts in the engine's queue, every second, the deadlines
// due within the next two that pings and API calls served by the other
// replicas set: this replica's engine was not told of them.
func (a *App) followDeadlines(ctx context.Context) {
	for {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := a.engine.LoadDue(lctx, a.clock.Now().Add(2*time.Second)); err != nil && ctx.Err() == nil {
			a.log.Error("leader: read deadlines", "err", err)
		}
		cancel()
		if !clock.Sleep(ctx, a.clock, time.Second) {
			return
		}
	}
}

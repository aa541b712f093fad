package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin/internal/job"
)

// newJobs is Tocsin's timed work, in one table, each job run by one
// job.Runner under its name (the watchdog's loop name, the job label of
// tocsin_job_runs_total). Leader jobs run only on the replica that leads
// the engine (see lead); the others on every replica (see Run). shared
// says whether the database is shared by replicas.
func (a *App) newJobs(shared bool) []job.Job {
	rotas := job.NewWake()
	a.bus.Subscribe(job.Rotas, rotas) // a reload looks for gaps again at once
	pages := job.NewWake()
	a.bus.Subscribe(job.Queued|job.Paging, pages) // incidents opened, paged or resolved move the pages at once
	jobs := []job.Job{
		a.engine.Job(),
		a.probes.Job(),
		a.alerts.TimedJob(), // first pages after group_wait, alerts released when silences end
		a.escalation.Job(),
		{Name: "gap_check", Leader: true, Wake: rotas, Run: a.gapCheck},
		a.dispatcher.Job(),
		{Name: "checkpoint", Run: a.checkpoint},
		{Name: "audit_prune", Leader: true, Run: a.pruneAudit},
		{Name: "action_items_overdue", Leader: true, Run: a.noticeOverdueActionItems},
		a.status.Job(pages),
		// The health check and the self-heartbeat wait on a store write
		// for at most watchdog.write_timeout (at most a minute) and send
		// within self_heartbeat.timeout: these bound them more tightly.
		{Name: "health", Timeout: 2 * time.Minute, Run: a.healthCheck()},
		{Name: "self_heartbeat", Timeout: 24 * time.Hour, Run: a.selfHeartbeat()},
	}
	if shared {
		jobs = append(jobs, job.Job{Name: "follow_deadlines", Leader: true, Run: a.followDeadlines})
	}
	return jobs
}

// followDeadlines queues, every second, the deadlines that pings and API
// calls served by the other replicas moved earlier or set anew: this
// replica's engine was not told of them (see engine.Follow).
func (a *App) followDeadlines(ctx context.Context, now time.Time) (time.Time, error) {
	more, err := a.engine.Follow(ctx)
	if err != nil {
		return now.Add(time.Second), fmt.Errorf("follow deadlines: %w", err)
	}
	if more {
		return now, nil
	}
	return now.Add(time.Second), nil
}

// auditPruneBatch is how many audit entries one run of audit_prune deletes
// at most; a run that deletes as many runs again a second later.
const auditPruneBatch = 5000

// pruneAudit deletes the audit log entries older than audit.retention,
// hourly: the log is read by people, so an hour's slack is nothing.
func (a *App) pruneAudit(ctx context.Context, now time.Time) (time.Time, error) {
	n, err := a.db.PruneAudit(ctx, now.Add(-a.state.Load().Config.Audit.Retention.D()), auditPruneBatch)
	if err != nil {
		return now.Add(time.Minute), fmt.Errorf("prune audit log: %w", err)
	}
	if n > 0 {
		a.log.Info("audit log pruned", "entries", n)
	}
	if n == auditPruneBatch {
		return now.Add(time.Second), nil
	}
	return now.Add(time.Hour), nil
}

// Package job is the one contract for Tocsin's timed work: check
// deadlines, probe runs, first pages, escalation steps, silence ends,
// outbox retries, rota-gap checks, the WAL checkpoint, the self-heartbeat.
//
// A Job has a name, says when it is next due, and may ask to run only on
// the replica that leads the engine. A Runner runs it: at its due time or
// when woken, under a deadline, recovering from a panic, beating the
// watchdog, counting each run in the metrics and reporting when it goes
// idle (what tests wait on with a fake clock instead of sleeping).
//
// Writers wake jobs through one Bus with a typed Change ("notifications
// were queued", "a page may be due sooner"), not through closures handed
// from part to part.
package job

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/watchdog"
)

// Job is one piece of timed work.
type Job struct {
	Name string
	// Leader: the job runs only on the replica that leads the engine, under
	// the context of its term (writes fenced by the lease).
	Leader bool
	// Timeout bounds one run; zero: DefaultTimeout.
	Timeout time.Duration
	// Wake, if set, runs the job before its next due time.
	Wake *Wake
	// Run does the work due at now and returns when the job is next due:
	// zero means not until woken. An error is logged and counted, and the
	// job runs again after RetryAfter unless it said sooner.
	Run func(ctx context.Context, now time.Time) (next time.Time, err error)
	// Begin, if set, starts what lives as long as the Runner runs the job,
	// not one run (the probes a run leaves in flight, the writer of their
	// results): ctx ends when the job stops; end waits for what Begin
	// started, after the last run.
	Begin func(ctx context.Context) (end func())
}

// DefaultTimeout bounds a run whose job sets no timeout.
const DefaultTimeout = 30 * time.Second

// RetryAfter is when a job runs again after an error or a panic.
const RetryAfter = 5 * time.Second

// beatEvery is how often a waiting job beats the watchdog: a job due in an
// hour is idle, not stalled.
const beatEvery = time.Second

// Runner runs jobs.
type Runner struct {
	Clock    clock.Clock
	Log      *slog.Logger
	Watchdog *watchdog.Watchdog // nil: no watchdog
	Metrics  *metrics.Metrics   // nil: no metrics
	// OnIdle, if set, is told each time a job has run and waits: now is
	// the time it ran at, next when it is next due (zero: not until woken).
	OnIdle func(job string, now, next time.Time)
}

// Run runs the job until ctx ends.
func (r *Runner) Run(ctx context.Context, j Job) {
	beat := func() {}
	if r.Watchdog != nil {
		beat = r.Watchdog.Beat(j.Name)
	}
	var wake <-chan struct{}
	if j.Wake != nil {
		wake = j.Wake.C()
	}
	ticker := time.NewTicker(beatEvery) // watchdog cadence only; no time is read from it
	defer ticker.Stop()
	if j.Begin != nil {
		defer j.Begin(ctx)()
	}
	for {
		beat()
		now := r.Clock.Now()
		next := r.once(ctx, j, now)
		if ctx.Err() != nil {
			return
		}
		var timer clock.Timer
		var due <-chan time.Time
		if !next.IsZero() {
			timer = r.Clock.NewTimer(next.Sub(r.Clock.Now()))
			due = timer.C()
		}
		// Reported with the timer armed: a test that moves a fake clock
		// once it heard the report fires the timer, never misses it.
		if r.OnIdle != nil {
			r.OnIdle(j.Name, now, next)
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				stop(timer)
				return
			case <-wake:
				immediate, at := j.Wake.take()
				if immediate || !at.IsZero() && !at.After(r.Clock.Now()) {
					break wait
				}
				// Work scheduled for later: run then, unless due sooner. (No
				// time at all: the signal of pokes already taken.)
				if !at.IsZero() && (next.IsZero() || at.Before(next)) {
					stop(timer)
					next = at
					timer = r.Clock.NewTimer(next.Sub(r.Clock.Now()))
					due = timer.C()
					if r.OnIdle != nil {
						r.OnIdle(j.Name, now, next)
					}
				}
			case <-due:
				break wait
			case <-ticker.C:
				beat()
				// A timer counts elapsed time, deadlines are wall-clock
				// times: after a suspend or a clock step the due time may
				// have passed while the timer still waits.
				if !next.IsZero() && !r.Clock.Now().Before(next) {
					break wait
				}
			}
		}
		stop(timer)
	}
}

// once runs the job one time, bounded and guarded, and says when it is
// next due.
func (r *Runner) once(ctx context.Context, j Job, now time.Time) (next time.Time) {
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	outcome := "ok"
	defer func() {
		if v := recover(); v != nil {
			outcome = "panic"
			r.Log.Error("job panicked; running it again later", "job", j.Name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
				"retry_in", RetryAfter)
			next = now.Add(RetryAfter)
		}
		if r.Metrics != nil {
			r.Metrics.JobRuns.WithLabelValues(j.Name, outcome).Inc()
		}
	}()
	next, err := j.Run(rctx, now)
	if err != nil && ctx.Err() == nil {
		outcome = "error"
		if retry := now.Add(RetryAfter); next.IsZero() || next.After(retry) {
			next = retry
		}
		r.Log.Error("job failed; running it again later", "job", j.Name, "err", err, "retry_in", next.Sub(now))
	}
	return next
}

func stop(t clock.Timer) {
	if t != nil {
		t.Stop()
	}
}

// Start runs, each on its own goroutine, the jobs whose Leader flag is
// leader, until ctx ends; wait returns once they have all returned. With
// a watchdog, a leader job's entry stands by (is not watched) outside the
// terms it runs in: see Standby.
func (r *Runner) Start(ctx context.Context, jobs []Job, leader bool) (wait func()) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.Leader != leader {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Run(ctx, j)
		}()
	}
	return wg.Wait
}

// Register registers every job with the watchdog from the start, the
// leader jobs standing by until a term begins (see Standby), and shows
// its count of successful runs at 0 before the first.
func (r *Runner) Register(jobs []Job) {
	for _, j := range jobs {
		if r.Metrics != nil {
			r.Metrics.JobRuns.WithLabelValues(j.Name, "ok")
		}
		if r.Watchdog != nil {
			r.Watchdog.Beat(j.Name)
		}
	}
	r.Standby(jobs, true)
}

// Standby registers the leader jobs with the watchdog and marks them as
// not running (standby true, a follower) or running (false, a leader).
func (r *Runner) Standby(jobs []Job, standby bool) {
	if r.Watchdog == nil {
		return
	}
	for _, j := range jobs {
		if j.Leader {
			r.Watchdog.Beat(j.Name) // registers it
			r.Watchdog.Standby(j.Name, standby)
		}
	}
}

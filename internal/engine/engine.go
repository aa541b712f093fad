// Package engine runs Tocsin's decisions in time: it keeps the deadline of
// every check in a priority queue (rebuilt from storage at start) and, when
// one passes, turns the check down and opens its incident, ends a flapping
// check's flapping once it has been stable, or pages again about a check
// still down after its incident was resolved by hand. Idle checks cost
// nothing: nothing scans all checks.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// maxBatch bounds how many due checks one transaction handles.
const maxBatch = 500

// Engine runs check deadlines.
type Engine struct {
	db    *store.DB
	clock clock.Clock
	env   func() incident.Env
	log   *slog.Logger

	// Bus, if set, hears of each commit that queued notifications and
	// opened, resolved or changed an incident (job.Queued|job.Paging).
	Bus *job.Bus
	// OnExpire, if set, is told of every check that went down and how late
	// the engine acted on it (for metrics and benchmarks).
	OnExpire func(checkID int64, lateBy time.Duration)
	// BeforeRound, if set, runs at the start of each round: tests use it
	// to stall the job and see the watchdog notice.
	BeforeRound func()

	mu    sync.Mutex
	queue *deadlineQueue
	wake  *job.Wake
}

// New makes an engine; a job.Runner runs its Job.
func New(db *store.DB, clk clock.Clock, env func() incident.Env, log *slog.Logger) *Engine {
	return &Engine{db: db, clock: clk, env: env, log: log, queue: newDeadlineQueue(), wake: job.NewWake()}
}

// Job is the engine's timed work, "engine": it handles the deadlines due
// and is next due at the earliest one left. It runs on the leader only.
func (e *Engine) Job() job.Job {
	return job.Job{Name: "engine", Leader: true, Wake: e.wake, Run: e.round}
}

// Schedule sets a check's deadline; a zero time removes it.
func (e *Engine) Schedule(checkID int64, at time.Time) { e.set(checkID, at, false) }

// scheduleIfAbsent puts back a deadline the engine popped, unless a ping
// has set a newer one meanwhile: what the engine read may be stale by then.
func (e *Engine) scheduleIfAbsent(checkID int64, at time.Time) { e.set(checkID, at, true) }

func (e *Engine) set(checkID int64, at time.Time, ifAbsent bool) {
	e.mu.Lock()
	if ifAbsent && e.queue.has(checkID) {
		e.mu.Unlock()
		return
	}
	first, _ := e.queue.Peek()
	e.queue.Set(checkID, at)
	earlier := !at.IsZero() && (first.IsZero() || at.Before(first))
	e.mu.Unlock()
	if earlier {
		e.poke()
	}
}

// Scheduled reports how many checks have a deadline.
func (e *Engine) Scheduled() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.queue.Len()
}

func (e *Engine) poke() { e.wake.Poke() }

// Load rebuilds the queue from storage, a batch of deadlines at a time
// as the store reads them: pings keep moving deadlines meanwhile, each
// waiting at most for one batch.
func (e *Engine) Load(ctx context.Context) error {
	return e.db.StreamDeadlines(ctx, e.setAll)
}

// followBatch bounds how many moved deadlines one call of Follow takes.
const followBatch = 10000

// Follow queues the deadlines that writes moved earlier, or set where a
// check had none (store.Tx.TakeDeadlineMoves). On a shared database pings
// and API calls served by other replicas move deadlines this engine was
// not told of; its leader calls Follow every second. It reports whether
// more moves are waiting.
func (e *Engine) Follow(ctx context.Context) (more bool, err error) {
	err = e.db.Write(ctx, func(tx *store.Tx) error {
		ds, err := tx.TakeDeadlineMoves(ctx, followBatch)
		if err != nil {
			return err
		}
		// Queued before the commit that forgets them: should it fail they
		// are taken again, and an early entry only makes the engine read
		// the check once more.
		e.queueAll(ds, (*deadlineQueue).SetEarlier)
		more = len(ds) == followBatch
		return nil
	})
	return more, err
}

// setAll queues the deadlines, and wakes the engine's job if one comes
// before what it waits for.
func (e *Engine) setAll(ds []store.Deadline) { e.queueAll(ds, (*deadlineQueue).Set) }

// queueAll puts each deadline in the queue with set, and wakes the engine's
// job if one comes before what it waits for.
func (e *Engine) queueAll(ds []store.Deadline, set func(*deadlineQueue, int64, time.Time)) {
	e.mu.Lock()
	first, _ := e.queue.Peek()
	earlier := false
	for _, d := range ds {
		set(e.queue, d.CheckID, d.At)
		earlier = earlier || first.IsZero() || d.At.Before(first)
	}
	e.mu.Unlock()
	if earlier {
		e.poke()
	}
}

// round handles up to maxBatch deadlines due at now and says when the
// engine is next due: at once if more are due, else at the earliest
// deadline left (zero: none).
func (e *Engine) round(ctx context.Context, now time.Time) (time.Time, error) {
	if e.BeforeRound != nil {
		e.BeforeRound()
	}
	e.mu.Lock()
	ids := e.queue.PopDue(now, maxBatch)
	e.mu.Unlock()
	var err error
	if len(ids) > 0 {
		err = e.expire(ctx, ids, now)
	}
	e.mu.Lock()
	next, _ := e.queue.Peek()
	e.mu.Unlock()
	if err != nil {
		// The deadlines are back in the queue, due now: try again in a
		// second rather than at once.
		next = now.Add(time.Second)
	}
	return next, err
}

func (e *Engine) expire(ctx context.Context, ids []int64, now time.Time) error {
	env := e.env()
	type late struct {
		id int64
		by time.Duration
	}
	var done []late
	var resched []store.Deadline
	queued := false
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := e.db.Write(wctx, func(tx *store.Tx) error {
		done, resched, queued = done[:0], resched[:0], false
		// The round's checks are read, saved and taken down together:
		// on PostgreSQL each statement is a round trip, and a wave of
		// checks missing their deadlines together puts hundreds in a
		// round.
		checks, err := tx.ChecksByIDs(wctx, ids)
		if err != nil {
			return err
		}
		type change struct {
			c               *tocsin.Check
			reopen, settled bool
			reopenNote      string
			since           time.Time
			changes         int
		}
		var changed []change
		var save []*tocsin.Check
		var downs []incident.Down
		for _, id := range ids {
			c, ok := checks[id]
			if !ok { // removed since it was queued
				continue
			}
			due := c.GoesDownAt()
			tr, expired := heartbeat.Expire(c, now)
			since, changes, settled := heartbeat.Settle(c, now)
			reopenNote, reopen := "", !c.ReopenAt.IsZero() && !now.Before(c.ReopenAt)
			if reopen {
				reopenNote, c.ReopenAt, c.ReopenNote = c.ReopenNote, time.Time{}, ""
			}
			if !expired && !settled && !reopen {
				// A ping moved the deadline after this entry was queued.
				resched = append(resched, store.Deadline{CheckID: id, At: c.NextDeadline()})
				continue
			}
			save = append(save, c)
			changed = append(changed, change{c: c, reopen: reopen, settled: settled, reopenNote: reopenNote, since: since,
				changes: changes})
			if next := c.NextDeadline(); !next.IsZero() {
				resched = append(resched, store.Deadline{CheckID: id, At: next})
			}
			if !expired {
				continue
			}
			data := map[string]any{"deadline": due.UTC(), "evaluated_at": now.UTC(), "grace": c.Grace.String(),
				"schedule": c.Schedule.String(), "from": tr.From, "to": tr.To}
			if !c.LastPingAt.IsZero() {
				data["last_ping_at"] = c.LastPingAt.UTC()
			}
			downs = append(downs, incident.Down{Check: c, Reason: tr.Reason, Data: data})
			done = append(done, late{id, now.Sub(due)})
		}
		if len(save) == 0 {
			return nil
		}
		queued = true
		if err := tx.SaveCheckStates(wctx, save); err != nil {
			return err
		}
		for _, ch := range changed {
			if ch.settled {
				if err := incident.FlapEnded(wctx, tx, env, ch.c, now, ch.since, ch.changes); err != nil {
					return err
				}
			}
			if ch.reopen && ch.c.StateAt(now) == tocsin.StateDown {
				if _, err := incident.StillDown(wctx, tx, env, ch.c, now, ch.reopenNote); err != nil {
					return err
				}
			}
		}
		_, err = incident.ChecksDown(wctx, tx, env, now, downs)
		return err
	})
	if err != nil {
		// Put them back: the next round tries again, nothing is lost.
		for _, id := range ids {
			e.scheduleIfAbsent(id, now)
		}
		return fmt.Errorf("expire %d checks: %w", len(ids), err)
	}
	for _, d := range resched {
		e.scheduleIfAbsent(d.CheckID, d.At)
	}
	for _, d := range done {
		e.log.Info("check down", "check_id", d.id, "late_by", d.by)
		if e.OnExpire != nil {
			e.OnExpire(d.id, d.by)
		}
	}
	if queued {
		e.Bus.Notify(job.Queued | job.Paging)
	}
	return nil
}

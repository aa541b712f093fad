// Package leader picks the one replica that runs the engine: deadlines,
// probes, first pages and escalations. Every replica serves HTTP and sends
// notifications; only the holder of the "engine" lease decides in time.
//
// The lease lives in the store with a fencing token that grows each time
// it changes hands. The leader renews it every few seconds; when it stops
// (killed, partitioned, stuck), the lease lapses and another replica takes
// it with the next token. The leader's writes carry its token
// (store.WithFence) and commit only while it still holds it, so a leader
// that was paused past its lease and wakes up cannot act on stale
// decisions.
//
// Each replica also holds a member lease, "member:<holder>", renewed in
// the same loop: the outbox takes over the claims of a replica whose member
// lease lapsed, without waiting for the claims to time out.
package leader

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The leader deletes, every pruneEvery, the member leases that lapsed more
// than pruneAfter ago: each process start is a new member.
const (
	pruneEvery = 10 * time.Minute
	pruneAfter = 24 * time.Hour
)

// Elector takes, renews and gives up the engine lease for one replica.
type Elector struct {
	DB     *store.DB
	Clock  clock.Clock
	Log    *slog.Logger
	Holder string
	// TTL is how long a lease lasts unrenewed: a dead leader costs at most
	// TTL+Every of engine time.
	TTL time.Duration
	// Every is how often the leases are renewed, or the lease tried for.
	Every time.Duration
	// Force takes the lease at once, whoever held it: for a process that
	// knows it is alone (SQLite's lock file says so). Such a process also
	// keeps leading while it cannot renew the lease (a write-locked or
	// full database): nobody else can lead in its place.
	Force bool
	// Beat, if set, is called each round (the watchdog).
	Beat func()
	// OnIdle, if set, is told after each round, its timer armed: now is
	// when it ended, next when the next begins. Tests use it to step a
	// fake clock round by round instead of sleeping.
	OnIdle func(now, next time.Time)

	mu      sync.Mutex
	leading bool
	fenced  context.Context // the current term's context, fenced by its lease
	lease   store.Lease
}

// Leading reports whether this replica leads now and, if it does, the
// context its engine writes must run under: fenced by the lease and ended
// with the term.
func (e *Elector) Leading() (context.Context, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fenced, e.leading
}

// Lease is the engine lease as this replica last saw it.
func (e *Elector) Lease() store.Lease {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lease
}

// Run takes part in the election until ctx ends. For each term this replica
// wins, it calls lead with a context fenced by the term's lease, and ends
// that context (and waits for lead to return) when the term ends: the lease
// went to another, or could not be renewed before it lapsed. When ctx ends
// the leases are given up, so that another replica takes over at once.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) {
	type term struct {
		end  context.CancelFunc
		done chan struct{}
	}
	var (
		cur        *term     // nil while following
		validUntil time.Time // the lease holds until then, by our clock
		pruned     time.Time // when the leader last pruned old member leases
	)
	start := func(l store.Lease) {
		ctx, cancel := context.WithCancel(store.WithFence(ctx, l))
		cur = &term{end: cancel, done: make(chan struct{})}
		e.mu.Lock()
		e.leading, e.fenced = true, ctx
		e.mu.Unlock()
		e.Log.Info("leading", "lease", l.Name, "token", l.Token)
		go func(t *term) {
			defer close(t.done)
			lead(ctx)
		}(cur)
	}
	stop := func(why string) {
		if cur == nil {
			return
		}
		e.mu.Lock()
		e.leading, e.fenced = false, nil
		e.mu.Unlock()
		cur.end()
		<-cur.done
		cur = nil
		e.Log.Warn("stopped leading", "reason", why)
	}
	defer func() {
		stop("shutting down")
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, name := range []string{store.EngineLease, store.MemberLease(e.Holder)} {
			if err := e.DB.ReleaseLease(rctx, name, e.Holder); err != nil {
				e.Log.Warn("release lease", "lease", name, "err", err)
			}
		}
	}()
	for {
		if e.Beat != nil {
			e.Beat()
		}
		actx, cancel := context.WithTimeout(ctx, e.Every)
		_, merr := e.DB.AcquireLease(actx, store.MemberLease(e.Holder), e.Holder, e.TTL, true)
		l, err := e.DB.AcquireLease(actx, store.EngineLease, e.Holder, e.TTL, e.Force)
		cancel()
		if merr != nil && ctx.Err() == nil {
			e.Log.Error("renew member lease", "err", merr)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			e.Log.Error("renew engine lease", "err", err)
			// Step down before the lease can lapse: past that point another
			// replica may lead, and this one's writes are fenced anyway. A
			// process alone on its database (Force) keeps leading: no other
			// can take over, and stepping down would only stop its deadlines
			// until the store answers again; its engine's writes fail and are
			// retried meanwhile, and succeed as soon as the store does.
			if cur != nil && !e.Force && !e.Clock.Now().Before(validUntil.Add(-e.Every)) {
				stop("the lease could not be renewed")
			}
		case l.Holder != e.Holder:
			if cur != nil {
				stop("the lease went to " + l.Holder)
			}
			e.mu.Lock()
			e.lease = l
			e.mu.Unlock()
		default:
			validUntil = l.ExpiresAt
			e.mu.Lock()
			current := e.lease
			e.lease = l
			e.mu.Unlock()
			if cur != nil && current.Token != l.Token {
				stop("the lease changed hands meanwhile")
			}
			if cur == nil {
				start(l)
			}
			if now := e.Clock.Now(); now.Sub(pruned) >= pruneEvery {
				pruned = now
				pctx, cancel := context.WithTimeout(ctx, e.Every)
				if _, err := e.DB.PruneMemberLeases(pctx, now.Add(-pruneAfter)); err != nil && ctx.Err() == nil {
					e.Log.Warn("prune member leases", "err", err)
				}
				cancel()
			}
		}
		now := e.Clock.Now()
		t := e.Clock.NewTimer(e.Every)
		if e.OnIdle != nil {
			e.OnIdle(now, now.Add(e.Every))
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// Package groupcommit is the machinery the single writers share, the ping
// recorder and the alert processor: requests queued and taken in batches,
// one bounded transaction per batch, every request answered only after its
// batch commits, a failed batch split so that the request at fault fails
// alone, and a bounded cache of rows as of the last commit that, on a
// database other replicas write, reads fresh for a while after a stale
// copy. What a batch does to its rows is the caller's decision.
package groupcommit

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin/internal/collect"
)

// Call is one request waiting in a Queue. Req carries the request and
// whatever the writer decides for it; Err is the error its sender hears.
type Call[T any] struct {
	Ctx  context.Context // the sender's: once it ends, nobody hears the answer
	Req  T
	Err  error
	done chan struct{}
}

// NewCall makes a call for req, sent under ctx.
func NewCall[T any](ctx context.Context, req T) *Call[T] {
	return &Call[T]{Ctx: ctx, Req: req, done: make(chan struct{})}
}

// Gone reports whether the sender stopped waiting: a request not yet
// applied is then left out.
func (c *Call[T]) Gone() bool { return c.Ctx.Err() != nil }

// Answer hands Req and Err to the sender; call it once, after commit.
func (c *Call[T]) Answer() { close(c.done) }

// Fail answers with err.
func (c *Call[T]) Fail(err error) {
	c.Err = err
	c.Answer()
}

// Waiting reports whether a call of batch still has a sender waiting.
func Waiting[T any](batch []*Call[T]) bool {
	for _, c := range batch {
		if !c.Gone() {
			return true
		}
	}
	return false
}

// Queue holds the calls waiting for a writer that takes them in batches of
// at most max.
type Queue[T any] struct {
	calls   chan *Call[T]
	max     int
	stopped error
}

// NewQueue makes a queue whose batches hold at most max calls; calls
// waiting when the writer stops hear stopped.
func NewQueue[T any](max int, stopped error) *Queue[T] {
	return &Queue[T]{calls: make(chan *Call[T], 4*max), max: max, stopped: stopped}
}

// Do queues req and returns it, with the writer's error, once its batch is
// committed, or ctx's error once ctx ends. A request already in a
// transaction that is committing may then still be applied; its sender,
// seeing an error, retries.
func (q *Queue[T]) Do(ctx context.Context, req T) (T, error) {
	c := NewCall(ctx, req)
	select {
	case q.calls <- c:
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
	select {
	case <-c.done:
		return c.Req, c.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Calls is where calls arrive, for a writer that waits on other work too.
func (q *Queue[T]) Calls() <-chan *Call[T] { return q.calls }

// Len is how many calls wait.
func (q *Queue[T]) Len() int { return len(q.calls) }

// Batch returns b holding first and then the calls already waiting, up to
// the queue's max, so that one commit serves them all.
func (q *Queue[T]) Batch(b []*Call[T], first *Call[T]) []*Call[T] {
	return collect.Ready(q.calls, append(b[:0], first), q.max)
}

// Drain answers every waiting call with the queue's stopped error.
func (q *Queue[T]) Drain() {
	for {
		select {
		case c := <-q.calls:
			c.Fail(q.stopped)
		default:
			return
		}
	}
}

// Run hands commit the calls in batches until ctx ends, then drains the
// queue. commit must answer every call of its batch. Run beats the
// watchdog before each batch and at least once a second while idle.
func (q *Queue[T]) Run(ctx context.Context, beat func(), commit func(context.Context, []*Call[T])) {
	idle := time.NewTicker(time.Second) // watchdog cadence only; no time is read from it
	defer idle.Stop()
	batch := make([]*Call[T], 0, q.max)
	for {
		beat()
		select {
		case <-ctx.Done():
			q.Drain()
			return
		case <-idle.C:
		case c := <-q.calls:
			batch = q.Batch(batch, c)
			commit(ctx, batch)
		}
	}
}

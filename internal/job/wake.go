package job

import (
	"sync"
	"time"
)

// Wake is a coalescing wake-up: pokes made while its job is busy become
// one run when it is done. A poke may name when the job is to run
// (PokeAt): the job then moves its timer, and runs no sooner.
type Wake struct {
	c   chan struct{}
	mu  sync.Mutex
	now bool      // a Poke since the job last took the wake
	at  time.Time // the earliest PokeAt since then; zero: none
}

// NewWake makes a wake-up.
func NewWake() *Wake { return &Wake{c: make(chan struct{}, 1)} }

// Poke asks the job to run now. It never blocks.
func (w *Wake) Poke() {
	w.mu.Lock()
	w.now = true
	w.mu.Unlock()
	w.signal()
}

// PokeAt asks the job to run at t, if it was not to run sooner: work the
// writer scheduled at t. It never blocks.
func (w *Wake) PokeAt(t time.Time) {
	w.mu.Lock()
	if w.at.IsZero() || t.Before(w.at) {
		w.at = t
	}
	w.mu.Unlock()
	w.signal()
}

func (w *Wake) signal() {
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// take returns what the pokes since the last take asked for: now, or the
// earliest time named.
func (w *Wake) take() (now bool, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now, at = w.now, w.at
	w.now, w.at = false, time.Time{}
	return now, at
}

// C is the channel the job waits on.
func (w *Wake) C() <-chan struct{} { return w.c }

// Change says what a write did that can make timed work due sooner.
type Change uint8

const (
	// Queued: notifications were queued; the outbox sends them.
	Queued Change = 1 << iota
	// Paging: an incident was opened, acknowledged, escalated or
	// reassigned, so a first page or an escalation step may be due sooner.
	Paging
	// Silences: a silence was made, changed or ended.
	Silences
	// Rotas: on-call schedules changed (a reload); gaps are looked for again.
	Rotas
)

// Bus carries changes from writers to the jobs they concern. The zero
// value has no subscribers; a nil *Bus ignores every change.
type Bus struct {
	mu   sync.Mutex
	subs []subscription
}

type subscription struct {
	on   Change
	wake Waker
}

// Waker is what a change wakes: a job's Wake, or a part that runs its own
// loop and says when it is to look again.
type Waker interface{ Poke() }

// timedWaker is a Waker that can be told when the work it is woken for
// falls due (a job's Wake).
type timedWaker interface{ PokeAt(time.Time) }

// Subscribe pokes w on each change in on.
func (b *Bus) Subscribe(on Change, w Waker) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, subscription{on, w})
}

// Notify tells the subscribers of any change in c. It never blocks.
func (b *Bus) Notify(c Change) { b.NotifyAt(c, time.Time{}) }

// NotifyAt tells the subscribers of any change in c that the work it made
// falls due at t (zero: now). A job's Wake then only moves the job's
// timer, so a writer that schedules work for later costs the job no run
// now. It never blocks.
func (b *Bus) NotifyAt(c Change, t time.Time) {
	if b == nil || c == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if s.on&c == 0 {
			continue
		}
		if tw, ok := s.wake.(timedWaker); ok && !t.IsZero() {
			tw.PokeAt(t)
		} else {
			s.wake.Poke()
		}
	}
}

package job

import "sync"

// Wake is a coalescing wake-up: pokes made while its job is busy become
// one run when it is done.
type Wake struct{ c chan struct{} }

// NewWake makes a wake-up.
func NewWake() *Wake { return &Wake{c: make(chan struct{}, 1)} }

// Poke asks the job to run now. It never blocks.
func (w *Wake) Poke() {
	select {
	case w.c <- struct{}{}:
	default:
	}
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

// Subscribe pokes w on each change in on.
func (b *Bus) Subscribe(on Change, w Waker) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, subscription{on, w})
}

// Notify tells the subscribers of any change in c. It never blocks.
func (b *Bus) Notify(c Change) {
	if b == nil || c == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		if s.on&c != 0 {
			s.wake.Poke()
		}
	}
}

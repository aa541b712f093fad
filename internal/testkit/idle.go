package testkit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// IdleLog keeps what a loop last reported on going idle: the time it last
// looked, with everything due by then handled, and when it next wakes. Its
// Report method is the loop's idle hook. With it a test asserts "nothing
// happens before T" on a fake clock: once the loop has gone idle having
// looked at T or later, all that was due by T is done, and the next wake
// says when anything can happen again.
type IdleLog struct {
	mu        sync.Mutex
	now, next time.Time
}

// Report records one idle report; pass it as the loop's hook.
func (l *IdleLog) Report(now, next time.Time) {
	l.mu.Lock()
	l.now, l.next = now, next
	l.mu.Unlock()
}

// Last returns the latest report (zero times before the first).
func (l *IdleLog) Last() (now, next time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now, l.next
}

// Idle waits until the loop has gone idle having looked at time at or
// later, with its next wake at next (zero: nothing scheduled), and fails
// the test with the last report if it does not. When next is after at,
// nothing is due between the two.
//
// look, if not nil, asks the loop to look again without moving the clock;
// Idle calls it between polls. A loop that read the time just before the
// test moved the clock arms its timer from the new time, and only more
// fake time would fire it: look makes it report on the present instead.
func (l *IdleLog) Idle(t testing.TB, at, next time.Time, look func()) {
	t.Helper()
	if look == nil {
		look = func() {}
	}
	var now, last time.Time
	poll(t, func() string {
		return fmt.Sprintf("the loop idle at %s until %s; last report: idle at %s until %s", at.Format(time.RFC3339Nano),
			next.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), last.Format(time.RFC3339Nano))
	}, func() bool {
		now, last = l.Last()
		return !now.Before(at) && last.Equal(next)
	}, pollInterval, look)
}

package testkit

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

var t0 = time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)

// TestEventuallyAdvancing: the clock moves by step between looks, and not
// once the condition holds.
func TestEventuallyAdvancing(t *testing.T) {
	clk := clock.NewFake(t0)
	EventuallyAdvancing(t, clk, time.Second, "three seconds", func() bool { return !clk.Now().Before(t0.Add(3 * time.Second)) })
	if got := clk.Now().Sub(t0); got != 3*time.Second {
		t.Fatalf("clock moved %s, want 3s", got)
	}
}

// TestIdle: Idle returns once a report has looked at the time asked with
// the next wake asked, whichever reports came before it; look is called
// while it waits.
func TestIdle(t *testing.T) {
	var l IdleLog
	l.Report(t0, t0.Add(time.Minute)) // too early
	looks := make(chan struct{}, 1)
	go func() {
		<-looks
		l.Report(t0.Add(5*time.Second), t0.Add(2*time.Minute)) // another next wake
		l.Report(t0.Add(10*time.Second), t0.Add(time.Minute))
	}()
	l.Idle(t, t0.Add(10*time.Second), t0.Add(time.Minute), func() {
		select {
		case looks <- struct{}{}:
		default:
		}
	})
	if now, next := l.Last(); !now.Equal(t0.Add(10*time.Second)) || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last report %v, %v", now, next)
	}
}

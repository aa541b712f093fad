// Package testkit holds what the tests of many packages share: bounded
// waits for something another goroutine does, and a logger that discards.
// It is imported by tests only.
package testkit

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// WaitTimeout bounds every wait: generous, so a loaded machine running the
// race detector does not turn a slow pass into a failure. A wait that
// succeeds returns as soon as its condition holds.
const WaitTimeout = 20 * time.Second

// pollInterval is how long a wait sleeps between two looks.
const pollInterval = 10 * time.Millisecond

// advanceInterval is the real time between two steps of a fake clock.
const advanceInterval = 20 * time.Millisecond

// Eventually polls cond in real time until it holds, and fails the test
// naming what it waited for if WaitTimeout passes first. A fake clock, if
// the test has one, stands still meanwhile.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	poll(t, func() string { return what }, cond, pollInterval, func() {})
}

// EventuallyAdvancing is Eventually for loops that only move when their
// clock does: between two looks at cond it advances clk by step, leaving
// advanceInterval of real time before each step so the loop can act on the
// last one.
func EventuallyAdvancing(t testing.TB, clk *clock.Fake, step time.Duration, what string, cond func() bool) {
	t.Helper()
	poll(t, func() string { return what }, cond, advanceInterval, func() { clk.Advance(step) })
}

func poll(t testing.TB, what func() string, cond func() bool, interval time.Duration, between func()) {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	// A full interval after each look, not a ticker: a slow condition or
	// step must not make the next step of a fake clock come sooner.
	pause := time.NewTimer(interval)
	defer pause.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", WaitTimeout, what())
		case <-pause.C:
		}
		between()
		pause.Reset(interval)
	}
}

// Logger returns a logger that writes nowhere, for components whose log
// output a test does not look at.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// JSONString writes s as a JSON string literal the way a careless or
// hostile client might: quotes, backslashes and control characters
// escaped (NUL as \u0000), every other byte as it is, invalid UTF-8
// included.
func JSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

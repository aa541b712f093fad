package watchdog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

func TestStallAndRecovery(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	reports := make(chan string, 10)
	w := New(clk, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Duration { return 30 * time.Second },
		func(ctx context.Context, loop string, stalled bool, since time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if _, ok := ctx.Deadline(); !ok {
				t.Error("report without a deadline")
			}
			state := "recovered"
			if stalled {
				state = "stalled"
			}
			reports <- loop + " " + state
		})
	engine := w.Register("engine")
	pings := w.Register("pings")
	ctx := context.Background()

	clk.Advance(20 * time.Second)
	pings()
	w.Check(ctx)
	if len(w.Stalled()) != 0 {
		t.Fatal("stalled too early")
	}
	clk.Advance(15 * time.Second) // engine silent 35 s, pings 15 s
	pings()
	w.Check(ctx)
	if s := w.Stalled(); len(s) != 1 || s[0] != "engine" {
		t.Fatalf("stalled %v", s)
	}
	if got := <-reports; got != "engine stalled" {
		t.Fatal(got)
	}
	w.Check(ctx) // reported once, not on every check
	engine()
	w.Check(ctx)
	if len(w.Stalled()) != 0 {
		t.Fatal("still stalled after a beat")
	}
	if got := <-reports; got != "engine recovered" {
		t.Fatal(got)
	}
	select {
	case extra := <-reports:
		t.Fatalf("extra report %q", extra)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestStandby: a loop that does not run by design (a follower's engine) is
// not reported; once it runs again it is watched from that moment.
func TestStandby(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := New(clk, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Duration { return 30 * time.Second }, nil)
	w.Register("engine")
	w.Standby("engine", true)
	clk.Advance(time.Hour)
	w.Check(context.Background())
	if s := w.Stalled(); len(s) != 0 {
		t.Fatalf("a loop on standby was reported stalled: %v", s)
	}
	w.Standby("engine", false)
	clk.Advance(20 * time.Second)
	w.Check(context.Background())
	if s := w.Stalled(); len(s) != 0 {
		t.Fatalf("a loop leaving standby was judged by its old beat: %v", s)
	}
	clk.Advance(20 * time.Second)
	w.Check(context.Background())
	if s := w.Stalled(); len(s) != 1 || s[0] != "engine" {
		t.Fatalf("a running loop that stopped beating was not reported: %v", s)
	}
}

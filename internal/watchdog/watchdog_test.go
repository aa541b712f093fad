package watchdog

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

func TestStallAndRecovery(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	reports := make(chan string, 10)
	w := New(clk, testkit.Logger(), func() time.Duration { return 30 * time.Second },
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
	w := New(clk, testkit.Logger(), func() time.Duration { return 30 * time.Second }, nil)
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

// TestFlappingLoopIsOneEpisode: a loop that stalls and runs again, over and
// over for 35 s, sends one "stalled" and, once it has run for min_episode,
// one "recovered"; /readyz (Stalled) still follows every change. A stall
// after the episode ended is a new episode.
func TestFlappingLoopIsOneEpisode(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	reports := make(chan string, 100)
	w := New(clk, testkit.Logger(), func() time.Duration { return 3 * time.Second },
		func(_ context.Context, loop string, stalled bool, since time.Duration) {
			state := "recovered"
			if stalled {
				state = "stalled"
			}
			reports <- loop + " " + state + " " + since.String()
		})
	w.MinEpisode = func() time.Duration { return 10 * time.Second }
	outbox := w.Register("outbox")
	ctx := context.Background()
	// Silent 4 s, then one beat, seven times: 35 s of flapping.
	for i := range 7 {
		clk.Advance(4 * time.Second)
		w.Check(ctx)
		if s := w.Stalled(); len(s) != 1 {
			t.Fatalf("flap %d: stalled %v, want [outbox]", i, s)
		}
		clk.Advance(time.Second)
		outbox()
		w.Check(ctx)
		if s := w.Stalled(); len(s) != 0 {
			t.Fatalf("flap %d: stalled %v after a beat", i, s)
		}
	}
	// Running steadily: no recovery before min_episode, then one.
	for range 9 {
		clk.Advance(time.Second)
		outbox()
		w.Check(ctx)
	}
	got := drain(reports)
	if len(got) != 1 || got[0] != "outbox stalled 4s" {
		t.Fatalf("after 35 s of flapping and 9 s of running, reports %q; want one stall", got)
	}
	clk.Advance(time.Second)
	outbox()
	w.Check(ctx)
	got = drain(reports)
	if len(got) != 1 || got[0] != "outbox recovered 41s" {
		t.Fatalf("after min_episode of running, reports %q; want one recovery after a 41s episode", got)
	}
	// A new stall later is a new episode, reported again.
	clk.Advance(4 * time.Second)
	w.Check(ctx)
	if got := drain(reports); len(got) != 1 || got[0] != "outbox stalled 4s" {
		t.Fatalf("second episode: reports %q", got)
	}
}

// drain waits for the reports in flight (each runs on its own goroutine)
// and returns them.
func drain(reports chan string) []string {
	var out []string
	for {
		select {
		case r := <-reports:
			out = append(out, r)
		case <-time.After(100 * time.Millisecond):
			return out
		}
	}
}

package job_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/metrics"
	"github.com/tocsinhq/tocsin/internal/testkit"
	"github.com/tocsinhq/tocsin/internal/watchdog"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// runner runs j on a fake clock and returns what its idle reports say.
func runner(t *testing.T, j job.Job) (*clock.Fake, *testkit.IdleLog, *metrics.Metrics, *watchdog.Watchdog) {
	t.Helper()
	clk := clock.NewFake(t0)
	idle := &testkit.IdleLog{}
	m := metrics.New(func() float64 { return 0 }, func() float64 { return 0 })
	wd := watchdog.New(clk, testkit.Logger(), func() time.Duration { return time.Minute }, nil)
	r := &job.Runner{Clock: clk, Log: testkit.Logger(), Watchdog: wd, Metrics: m,
		OnIdle: func(name string, now, next time.Time) {
			if name == j.Name {
				idle.Report(now, next)
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, j)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return clk, idle, m, wd
}

func TestRunsWhenDueAndNotBefore(t *testing.T) {
	var mu sync.Mutex
	var ran []time.Time
	j := job.Job{Name: "every-minute", Run: func(_ context.Context, now time.Time) (time.Time, error) {
		mu.Lock()
		ran = append(ran, now)
		mu.Unlock()
		return now.Truncate(time.Minute).Add(time.Minute), nil
	}}
	clk, idle, m, _ := runner(t, j)
	idle.Idle(t, t0, t0.Add(time.Minute), nil)
	clk.Advance(59 * time.Second)
	// Nothing is due before 12:01: the job is still idle from its first run.
	if now, next := idle.Last(); !now.Equal(t0) || !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("idle at %s until %s, want the first run's report", now, next)
	}
	clk.Advance(time.Second)
	idle.Idle(t, t0.Add(time.Minute), t0.Add(2*time.Minute), nil)
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 2 || !ran[1].Equal(t0.Add(time.Minute)) {
		t.Fatalf("ran at %v, want at 12:00 and 12:01", ran)
	}
	if n := runs(m, "every-minute", "ok"); n != 2 {
		t.Fatalf("ok runs counted %v, want 2", n)
	}
}

func TestWakeRunsAtOnce(t *testing.T) {
	var n atomic.Int32
	w := job.NewWake()
	bus := &job.Bus{}
	bus.Subscribe(job.Queued, w)
	j := job.Job{Name: "woken", Wake: w, Run: func(context.Context, time.Time) (time.Time, error) {
		n.Add(1)
		return time.Time{}, nil // not until woken
	}}
	_, idle, _, _ := runner(t, j)
	idle.Idle(t, t0, time.Time{}, nil)
	bus.Notify(job.Paging) // not what it listens to
	bus.Notify(job.Queued)
	testkit.Eventually(t, "a second run after the wake", func() bool { return n.Load() == 2 })
	var nilBus *job.Bus
	nilBus.Notify(job.Queued) // a part without a bus ignores changes
}

func TestPanicAndErrorRetryLater(t *testing.T) {
	var n atomic.Int32
	j := job.Job{Name: "fragile", Run: func(context.Context, time.Time) (time.Time, error) {
		switch n.Add(1) {
		case 1:
			panic("bad row")
		case 2:
			return time.Time{}, errors.New("disk full")
		}
		return time.Time{}, nil
	}}
	clk, idle, m, _ := runner(t, j)
	idle.Idle(t, t0, t0.Add(job.RetryAfter), nil)
	clk.Advance(job.RetryAfter)
	idle.Idle(t, t0.Add(job.RetryAfter), t0.Add(2*job.RetryAfter), nil)
	clk.Advance(job.RetryAfter)
	idle.Idle(t, t0.Add(2*job.RetryAfter), time.Time{}, nil)
	for outcome, want := range map[string]float64{"panic": 1, "error": 1, "ok": 1} {
		if got := runs(m, "fragile", outcome); got != want {
			t.Errorf("%s runs %v, want %v", outcome, got, want)
		}
	}
}

func TestRunIsBounded(t *testing.T) {
	j := job.Job{Name: "stuck", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context, now time.Time) (time.Time, error) {
		<-ctx.Done() // a write that hangs until its deadline
		return time.Time{}, ctx.Err()
	}}
	_, idle, m, wd := runner(t, j)
	idle.Idle(t, t0, t0.Add(job.RetryAfter), nil)
	if got := runs(m, "stuck", "error"); got != 1 {
		t.Fatalf("error runs %v, want 1", got)
	}
	if stalled := wd.Stalled(); len(stalled) != 0 {
		t.Fatalf("stalled %v, want none", stalled)
	}
}

// runs reads the counter of a job's runs with an outcome.
func runs(m *metrics.Metrics, name, outcome string) float64 {
	var d dto.Metric
	if err := m.JobRuns.WithLabelValues(name, outcome).Write(&d); err != nil {
		return -1
	}
	return d.GetCounter().GetValue()
}

// counter is a part with a loop of its own, woken through the bus.
type counter struct{ n atomic.Int32 }

func (c *counter) Poke() { c.n.Add(1) }

func TestBusWakesAnyWaker(t *testing.T) {
	var c counter
	bus := &job.Bus{}
	bus.Subscribe(job.Paging|job.Silences, &c)
	bus.Notify(job.Queued)
	bus.Notify(job.Silences)
	bus.Notify(job.Paging | job.Queued)
	if got := c.n.Load(); got != 2 {
		t.Fatalf("poked %d times, want 2 (silences, then paging)", got)
	}
}

func TestBeginLastsAsLongAsTheJob(t *testing.T) {
	var mu sync.Mutex
	var events []string
	note := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	j := job.Job{Name: "with-writer",
		Begin: func(ctx context.Context) func() {
			note("begin")
			return func() { note("end") }
		},
		Run: func(context.Context, time.Time) (time.Time, error) {
			note("run")
			return time.Time{}, nil
		}}
	clk := clock.NewFake(t0)
	idle := &testkit.IdleLog{}
	r := &job.Runner{Clock: clk, Log: testkit.Logger(), OnIdle: func(_ string, now, next time.Time) { idle.Report(now, next) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, j)
	}()
	idle.Idle(t, t0, time.Time{}, nil)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 3 || events[0] != "begin" || events[1] != "run" || events[2] != "end" {
		t.Fatalf("events %v, want begin, run, end", events)
	}
}

func TestRegisterWatchesEveryJobAndLeadersOnlyInTerm(t *testing.T) {
	clk := clock.NewFake(t0)
	wd := watchdog.New(clk, testkit.Logger(), func() time.Duration { return time.Minute }, nil)
	var registered []string
	wd.OnRegister = func(name string) { registered = append(registered, name) }
	m := metrics.New(func() float64 { return 0 }, func() float64 { return 0 })
	r := &job.Runner{Clock: clk, Log: testkit.Logger(), Watchdog: wd, Metrics: m}
	jobs := []job.Job{{Name: "deadlines", Leader: true}, {Name: "sends"}}
	r.Register(jobs)
	if len(registered) != 2 || registered[0] != "deadlines" || registered[1] != "sends" {
		t.Fatalf("registered %v, want both jobs", registered)
	}
	families, err := m.Registry.Gather() // before anything else makes a series
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, f := range families {
		if f.GetName() == "tocsin_job_runs_total" {
			series = len(f.GetMetric())
		}
	}
	if series != 2 {
		t.Fatalf("%d job run series before any run, want one per job", series)
	}
	clk.Advance(2 * time.Minute)
	if stalled := wd.Stalled(); len(stalled) != 0 {
		// Stalled reports what the last check found; check now.
		t.Fatalf("stalled before a check: %v", stalled)
	}
	wd.Check(context.Background())
	if stalled := wd.Stalled(); len(stalled) != 1 || stalled[0] != "sends" {
		t.Fatalf("stalled %v, want only sends: deadlines stands by outside a term", stalled)
	}
}

// steppedClock reads a fake clock whose timers never fire: the wall clock
// stepped forward (or the machine slept) while timers count elapsed time.
type steppedClock struct{ *clock.Fake }

type stuckTimer struct{}

func (stuckTimer) C() <-chan time.Time { return nil }
func (stuckTimer) Stop() bool          { return true }

func (steppedClock) NewTimer(time.Duration) clock.Timer { return stuckTimer{} }

func TestRunsWhenTheWallClockPassedItsDueTime(t *testing.T) {
	clk := steppedClock{clock.NewFake(t0)}
	idle := &testkit.IdleLog{}
	j := job.Job{Name: "hourly", Run: func(_ context.Context, now time.Time) (time.Time, error) {
		return now.Add(time.Hour), nil
	}}
	r := &job.Runner{Clock: clk, Log: testkit.Logger(), OnIdle: func(_ string, now, next time.Time) { idle.Report(now, next) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx, j)
	}()
	defer func() { cancel(); <-done }()
	idle.Idle(t, t0, t0.Add(time.Hour), nil)
	clk.Set(t0.Add(2 * time.Hour)) // its timer does not fire
	idle.Idle(t, t0.Add(2*time.Hour), t0.Add(3*time.Hour), nil)
}

// A wake for work scheduled later moves the job's timer; it runs then, not
// at once.
func TestWakeAtLaterMovesTheTimer(t *testing.T) {
	var n atomic.Int32
	w := job.NewWake()
	bus := &job.Bus{}
	bus.Subscribe(job.Paging, w)
	j := job.Job{Name: "first-pages", Wake: w, Run: func(context.Context, time.Time) (time.Time, error) {
		n.Add(1)
		return time.Time{}, nil
	}}
	clk, idle, _, _ := runner(t, j)
	idle.Idle(t, t0, time.Time{}, nil)
	bus.NotifyAt(job.Paging, t0.Add(30*time.Second)) // a group waits out group_wait
	idle.Idle(t, t0, t0.Add(30*time.Second), nil)
	bus.NotifyAt(job.Paging, t0.Add(time.Minute)) // later than planned: changes nothing
	bus.NotifyAt(job.Paging, t0.Add(10*time.Second))
	idle.Idle(t, t0, t0.Add(10*time.Second), nil)
	if got := n.Load(); got != 1 {
		t.Fatalf("%d runs before the scheduled time, want 1 (the first)", got)
	}
	clk.Advance(10 * time.Second)
	idle.Idle(t, t0.Add(10*time.Second), time.Time{}, nil)
	bus.NotifyAt(job.Paging, t0) // due already: runs at once
	testkit.Eventually(t, "a run for work already due", func() bool { return n.Load() == 3 })
}

package outbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

type fixture struct {
	db       *store.DB
	clock    clock.Clock
	channels map[string]tocsin.Channel
	incident int64
	cfg      Config
	// onLaneWait, if set, becomes the dispatcher's OnLaneWait.
	onLaneWait func(channel string, until time.Time)
}

func setup(t *testing.T) *fixture { return setupWith(t, clock.Real{}) }

// setupWith is setup on clk: a fake clock moves lanes' waits and retries
// only when the test moves it.
func setupWith(t *testing.T, clk clock.Clock) *fixture {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: clk, channels: map[string]tocsin.Channel{},
		cfg: Config{PerChannel: 2, MaxAttempts: 5, BackoffBase: 20 * time.Millisecond, BackoffMax: 50 * time.Millisecond}}
	err = db.Write(context.Background(), func(tx *store.Tx) error {
		in := &tocsin.Incident{Title: "test", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now()}
		err := tx.CreateIncident(context.Background(), in)
		f.incident = in.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) addChannel(name, url string, timeout time.Duration) {
	f.channels[name] = tocsin.Channel{Name: name, Type: "webhook", URL: url, Timeout: timeout}
}

func (f *fixture) enqueue(t *testing.T, channel string, n int) {
	t.Helper()
	err := f.db.Write(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			key := fmt.Sprintf("%s-%d", channel, i)
			if _, err := tx.Enqueue(context.Background(), &tocsin.Notification{IdempotencyKey: key, Channel: channel,
				Event: tocsin.EventTriggered, IncidentID: f.incident, Payload: []byte(`{"k":"` + key + `"}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) start(t *testing.T) *Dispatcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := New(f.db, f.clock, testkit.Logger(), notify.Default(http.DefaultClient, "test", notify.Settings{}),
		func(name string) (tocsin.Channel, bool) { ch, ok := f.channels[name]; return ch, ok },
		func() Config { return f.cfg }, "test-owner")
	d.OnLaneWait = f.onLaneWait
	done := make(chan struct{})
	go func() { run(ctx, d); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

func (f *fixture) statuses(t *testing.T) map[string]map[tocsin.NotificationStatus]int {
	ns, err := f.db.Notifications(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[tocsin.NotificationStatus]int{}
	for _, n := range ns {
		if out[n.Channel] == nil {
			out[n.Channel] = map[tocsin.NotificationStatus]int{}
		}
		out[n.Channel][n.Status]++
	}
	return out
}

// A receiver that never answers must not hold up another channel: the
// healthy channel's notifications are delivered while the hung channel's,
// queued before them, are all still pending.
func TestHungReceiverDoesNotBlockOtherChannels(t *testing.T) {
	f := setup(t)
	release := make(chan struct{})
	var hungCalls atomic.Int32
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hungCalls.Add(1)
		select { // never answers within the test
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)
	var fastGot atomic.Int32
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fastGot.Add(1) }))
	defer fast.Close()
	f.addChannel("hung", hung.URL, time.Minute)
	f.addChannel("fast", fast.URL, 5*time.Second)

	f.enqueue(t, "hung", 20) // queued first, due first
	f.enqueue(t, "fast", 10)
	f.start(t)
	testkit.Eventually(t, "fast channel delivered", func() bool { return f.statuses(t)["fast"][tocsin.NotifySent] == 10 })
	st := f.statuses(t)
	if st["hung"][tocsin.NotifyPending] != 20 || st["hung"][tocsin.NotifySent] != 0 {
		t.Fatalf("hung channel: %v", st["hung"])
	}
	if got := hungCalls.Load(); got > int32(f.cfg.PerChannel) {
		t.Fatalf("hung channel has %d sends in flight, limit %d", got, f.cfg.PerChannel)
	}
	if fastGot.Load() != 10 {
		t.Fatalf("fast receiver got %d", fastGot.Load())
	}
}

func TestRetryThenSuccess(t *testing.T) {
	f := setup(t)
	var calls atomic.Int32
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	f.addChannel("ops", srv.URL, 5*time.Second)
	f.enqueue(t, "ops", 1)
	f.start(t)
	testkit.Eventually(t, "delivery", func() bool { return f.statuses(t)["ops"][tocsin.NotifySent] == 1 })
	ns, _ := f.db.Notifications(context.Background(), f.incident)
	if ns[0].Attempts != 3 {
		t.Fatalf("attempts %d, want 3", ns[0].Attempts)
	}
	for _, k := range keys {
		if k != "ops-0" {
			t.Fatalf("retries changed the idempotency key: %v", keys)
		}
	}
	in, _ := f.db.Incident(context.Background(), f.incident)
	var kinds []string
	for _, e := range in.Timeline {
		kinds = append(kinds, e.Kind)
	}
	want := []string{tocsin.TimelineNotifyFailed, tocsin.TimelineNotifyFailed, tocsin.TimelineNotifySent}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("timeline %v, want %v", kinds, want)
	}
}

func TestGiveUp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		attempts int
	}{
		{"server errors until the limit", http.StatusInternalServerError, 3},
		{"a client error is not retried", http.StatusBadRequest, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.cfg.MaxAttempts = 3
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) }))
			defer srv.Close()
			f.addChannel("ops", srv.URL, 5*time.Second)
			f.enqueue(t, "ops", 1)
			f.start(t)
			testkit.Eventually(t, "give up", func() bool { return f.statuses(t)["ops"][tocsin.NotifyFailed] == 1 })
			ns, _ := f.db.Notifications(context.Background(), f.incident)
			if ns[0].Attempts != tc.attempts || ns[0].LastError == "" {
				t.Fatalf("attempts %d (want %d), last error %q", ns[0].Attempts, tc.attempts, ns[0].LastError)
			}
			in, _ := f.db.Incident(context.Background(), f.incident)
			if last := in.Timeline[len(in.Timeline)-1]; last.Kind != tocsin.TimelineNotifyGivenUp {
				t.Fatalf("last timeline entry %s", last.Kind)
			}
		})
	}
}

func TestUnknownChannelIsRecorded(t *testing.T) {
	f := setup(t)
	f.enqueue(t, "gone", 1)
	f.start(t)
	testkit.Eventually(t, "failure recorded", func() bool { return f.statuses(t)["gone"][tocsin.NotifyFailed] == 1 })
}

func TestBackoff(t *testing.T) {
	cfg := Config{BackoffBase: time.Second, BackoffMax: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 9: 10 * time.Second} {
		got := Backoff(cfg, attempt)
		if got > want || got < want*4/5 {
			t.Errorf("attempt %d: %s, want %s minus up to 20%%", attempt, got, want)
		}
	}
}

// A receiver that answers 429 with Retry-After holds back its own lane
// only: its next sends wait, while another channel's go out at once.
func TestRateLimitedChannelWaitsAlone(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	f := setupWith(t, clk)
	held := laneWaits(f)
	var limitedCalls atomic.Int32
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limitedCalls.Add(1)
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer limited.Close()
	var fastGot atomic.Int32
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fastGot.Add(1) }))
	defer fast.Close()
	f.addChannel("slack", limited.URL, 5*time.Second)
	f.addChannel("email", fast.URL, 5*time.Second)
	f.enqueue(t, "slack", 10)
	f.enqueue(t, "email", 10)
	start := clk.Now()
	f.start(t)
	testkit.Eventually(t, "the other channel delivered", func() bool { return f.statuses(t)["email"][tocsin.NotifySent] == 10 })
	// Every worker of the limited lane tried once and now waits the
	// minute out, on a clock that does not move: nothing more is sent.
	testkit.Eventually(t, "the limited lane's workers holding back", func() bool {
		return held.count("slack") == f.cfg.PerChannel && f.statuses(t)["slack"][tocsin.NotifyPending] == 10
	})
	if until := held.last("slack"); !until.Equal(start.Add(time.Minute)) {
		t.Fatalf("lane held until %v, want the Retry-After minute (%v)", until, start.Add(time.Minute))
	}
	if got := limitedCalls.Load(); got < 1 || got > int32(f.cfg.PerChannel) {
		t.Fatalf("the limited receiver was called %d times despite Retry-After", got)
	}
	var ns []*tocsin.Notification
	testkit.Eventually(t, "the limited channel's answers recorded", func() bool {
		ns, _ = f.db.Notifications(context.Background(), 0)
		tried := 0
		for _, n := range ns {
			if n.Channel == "slack" && n.Attempts == 1 {
				tried++
			}
		}
		return tried == int(limitedCalls.Load())
	})
	for _, n := range ns {
		if n.Channel == "slack" && n.Attempts == 1 && n.NextAttemptAt.Sub(clk.Now()) < 50*time.Second {
			t.Fatalf("retry of %s at %v, before Retry-After", n.IdempotencyKey, n.NextAttemptAt)
		}
	}
}

// laneHolds records the dispatcher's OnLaneWait reports.
type laneHolds struct {
	mu    sync.Mutex
	n     map[string]int
	until map[string]time.Time
}

// laneWaits makes f's dispatcher report its lanes' waits to the result.
func laneWaits(f *fixture) *laneHolds {
	h := &laneHolds{n: map[string]int{}, until: map[string]time.Time{}}
	f.onLaneWait = func(ch string, until time.Time) {
		h.mu.Lock()
		h.n[ch]++
		h.until[ch] = until
		h.mu.Unlock()
	}
	return h
}

func (h *laneHolds) count(ch string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[ch]
}

func (h *laneHolds) last(ch string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.until[ch]
}

func TestChannelRateLimitSpacesSends(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	f := setupWith(t, clk)
	held := laneWaits(f)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer srv.Close()
	f.channels["slow"] = tocsin.Channel{Name: "slow", Type: "webhook", URL: srv.URL, Timeout: 5 * time.Second, RatePerMinute: 1}
	f.cfg.PerChannel = 1
	f.enqueue(t, "slow", 3)
	start := clk.Now()
	f.start(t)
	// After the first send the lane holds the second back a minute.
	testkit.Eventually(t, "the lane holding its second send", func() bool { return held.count("slow") == 1 })
	if n := got.Load(); n != 1 {
		t.Fatalf("%d sends before the lane's first wait, want 1", n)
	}
	if until := held.last("slow"); !until.Equal(start.Add(time.Minute)) {
		t.Fatalf("second send held until %v, want a minute after the first (%v)", until, start.Add(time.Minute))
	}
	// It goes out only once the minute has passed on the clock.
	testkit.EventuallyAdvancing(t, clk, 10*time.Second, "the second send", func() bool { return got.Load() == 2 })
	if now := clk.Now(); now.Before(start.Add(time.Minute)) {
		t.Fatalf("second send at %v, before the minute was up", now.Sub(start))
	}
}

// run runs the dispatcher's job until ctx ends, logging to its logger.
func run(ctx context.Context, d *Dispatcher) {
	(&job.Runner{Clock: d.clock, Log: d.log}).Run(ctx, d.Job())
}

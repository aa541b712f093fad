// Package outbox delivers the notifications that the rest of Tocsin queued
// in the durable outbox. A dispatcher claims due rows and hands them to one
// lane per channel; each lane sends with a deadline and at most a few sends
// at a time, so a hung or rate-limited receiver delays only its own channel.
// Every outcome is recorded (with a timeline entry) before the claim ends;
// failures are retried with exponential backoff up to a limit.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Config tunes delivery.
type Config struct {
	PerChannel  int           // concurrent sends per channel
	MaxAttempts int           // attempts before giving up
	BackoffBase time.Duration // delay after the first failure, doubled each time
	BackoffMax  time.Duration
}

// Outcomes reported to OnResult.
const (
	OutcomeSent    = "sent"
	OutcomeRetry   = "retry"
	OutcomeGivenUp = "given_up"
)

// Dispatcher delivers outbox rows.
type Dispatcher struct {
	db       *store.DB
	clock    clock.Clock
	log      *slog.Logger
	senders  map[string]tocsin.Sender
	channels func(name string) (tocsin.Channel, bool)
	config   func() Config
	owner    string
	beat     func()

	// OnResult, if set, is told of each attempt.
	OnResult func(channel, outcome string, latency time.Duration)

	mu    sync.Mutex
	lanes map[string]*lane
	wake  chan struct{}
	wg    sync.WaitGroup
}

type lane struct {
	queue   []*tocsin.Notification
	running int
}

// New makes a dispatcher. owner names this process in claims.
func New(db *store.DB, clk clock.Clock, log *slog.Logger, senders map[string]tocsin.Sender,
	channels func(string) (tocsin.Channel, bool), config func() Config, owner string, beat func()) *Dispatcher {
	if beat == nil {
		beat = func() {}
	}
	return &Dispatcher{db: db, clock: clk, log: log, senders: senders, channels: channels, config: config,
		owner: owner, beat: beat, lanes: map[string]*lane{}, wake: make(chan struct{}, 1)}
}

// Poke tells the dispatcher that rows were queued.
func (d *Dispatcher) Poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// claimLease is how long a claim lasts. It covers the wait in a lane and the
// send; a process that dies holding claims loses them when it lapses (or at
// once, when a single-node store releases them at start).
const claimLease = 10 * time.Minute

// Run claims and dispatches due rows until ctx ends, then waits for the
// sends in flight (each bounded by its deadline).
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	for {
		d.beat()
		busy := d.busyChannels()
		claimed, err := d.db.ClaimDue(ctx, d.owner, claimLease, 200, d.config().PerChannel, busy)
		if err != nil && ctx.Err() == nil {
			d.log.Error("claim notifications", "err", err)
		}
		for _, n := range claimed {
			d.dispatch(ctx, n)
		}
		if len(claimed) > 0 {
			continue
		}
		wait := time.Second
		if next, err := d.db.NextDue(ctx); err == nil && !next.IsZero() {
			// Rows already due here belong to busy channels: their lanes
			// poke when they free up, so only future rows set the timer.
			if w := next.Sub(d.clock.Now()); w > 0 && w < wait {
				wait = w
			}
		}
		t := d.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// busyChannels are those whose lane already holds enough work.
func (d *Dispatcher) busyChannels() map[string]bool {
	per := d.config().PerChannel
	d.mu.Lock()
	defer d.mu.Unlock()
	busy := map[string]bool{}
	for name, l := range d.lanes {
		if len(l.queue)+l.running >= per {
			busy[name] = true
		}
	}
	return busy
}

func (d *Dispatcher) dispatch(ctx context.Context, n *tocsin.Notification) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.lanes[n.Channel]
	if l == nil {
		l = &lane{}
		d.lanes[n.Channel] = l
	}
	l.queue = append(l.queue, n)
	if l.running < d.config().PerChannel {
		l.running++
		d.wg.Add(1)
		go d.work(ctx, n.Channel, l)
	}
}

// work sends the lane's rows one after another until the lane is empty.
func (d *Dispatcher) work(ctx context.Context, name string, l *lane) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(l.queue) == 0 {
			l.running--
			d.mu.Unlock()
			d.Poke()
			return
		}
		n := l.queue[0]
		l.queue = l.queue[1:]
		d.mu.Unlock()
		d.send(ctx, n)
		d.Poke()
	}
}

func (d *Dispatcher) send(ctx context.Context, n *tocsin.Notification) {
	if ctx.Err() != nil {
		return // shutting down: the claim is released at the next start
	}
	cfg := d.config()
	attempt := n.Attempts + 1
	ch, ok := d.channels(n.Channel)
	var retry bool
	var err error
	var latency time.Duration
	switch sender := d.senders[ch.Type]; {
	case !ok:
		err = fmt.Errorf("channel %q is not configured", n.Channel)
	case sender == nil:
		err = fmt.Errorf("channel %q has unsupported type %q", n.Channel, ch.Type)
	default:
		timeout := ch.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		sctx, cancel := context.WithTimeout(ctx, timeout)
		start := d.clock.Now()
		retry, err = sender.Send(sctx, ch, n)
		latency = d.clock.Now().Sub(start)
		cancel()
		if err != nil && ctx.Err() != nil {
			return // interrupted by shutdown, not the receiver's fault
		}
	}
	outcome := OutcomeSent
	var retryAt time.Time
	if err != nil {
		outcome = OutcomeGivenUp
		if retry && attempt < cfg.MaxAttempts {
			outcome = OutcomeRetry
			retryAt = d.clock.Now().Add(Backoff(cfg, attempt))
		}
	}
	if d.OnResult != nil {
		d.OnResult(n.Channel, outcome, latency)
	}
	// Recording the outcome gets its own deadline, past a shutdown: a sent
	// notification that is not recorded would be sent again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	werr := d.db.Write(rctx, func(tx *store.Tx) error {
		entry := &tocsin.TimelineEntry{IncidentID: n.IncidentID, Actor: "tocsin",
			Data: mustJSON(map[string]any{"channel": n.Channel, "idempotency_key": n.IdempotencyKey, "attempt": attempt,
				"latency_ms": latency.Milliseconds(), "error": errText(err)})}
		switch outcome {
		case OutcomeSent:
			if err := tx.MarkSent(rctx, n.ID, attempt); err != nil {
				return err
			}
			entry.Kind = tocsin.TimelineNotifySent
			entry.Message = fmt.Sprintf("%s delivered to %s (%s) in %s, attempt %d", n.Event, n.Channel, ch.Type,
				latency.Round(time.Millisecond), attempt)
		case OutcomeRetry:
			if err := tx.MarkRetry(rctx, n.ID, attempt, err.Error(), retryAt); err != nil {
				return err
			}
			entry.Kind = tocsin.TimelineNotifyFailed
			entry.Message = fmt.Sprintf("%s to %s failed (attempt %d of %d): %s; retry at %s", n.Event, n.Channel,
				attempt, cfg.MaxAttempts, err, retryAt.UTC().Format(time.RFC3339))
		default:
			if err := tx.MarkRetry(rctx, n.ID, attempt, err.Error(), time.Time{}); err != nil {
				return err
			}
			entry.Kind = tocsin.TimelineNotifyGivenUp
			entry.Message = fmt.Sprintf("%s to %s FAILED for good after attempt %d: %s", n.Event, n.Channel, attempt, err)
		}
		if n.IncidentID == 0 {
			return nil
		}
		return tx.AppendTimeline(rctx, entry)
	})
	if werr != nil {
		d.log.Error("record notification outcome", "err", werr, "notification_id", n.ID, "outcome", outcome)
	}
	if err != nil {
		d.log.Warn("notification failed", "channel", n.Channel, "notification_id", n.ID, "attempt", attempt, "outcome", outcome, "err", err)
	}
}

// Backoff is the delay before the attempt after attempt: base doubled per
// failure, capped, with up to 20% jitter so retries of many rows spread out.
func Backoff(cfg Config, attempt int) time.Duration {
	d := cfg.BackoffBase
	for i := 1; i < attempt && d < cfg.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, cfg.BackoffMax)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Package outbox delivers the notifications that the rest of Tocsin queued
// in the durable outbox. A dispatcher claims due rows and hands them to one
// lane per channel; each lane sends with a deadline and at most a few sends
// at a time, so a hung or rate-limited receiver delays only its own channel.
// Every outcome is recorded (with a timeline entry) before the claim ends;
// failures are retried with exponential backoff up to a limit.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/collect"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
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

	// OnResult, if set, is told of each attempt.
	OnResult func(channel, outcome string, latency time.Duration)
	// OnLaneWait, if set, is told each time a lane holds its next send
	// back until a time (the receiver's Retry-After, or the channel's rate
	// limit): tests use it to assert on a fake clock that nothing is sent
	// before then, instead of sleeping.
	OnLaneWait func(channel string, until time.Time)

	mu     sync.Mutex
	lanes  map[string]*lane
	inLane map[int64]bool // rows held by lanes, so a row is never queued twice
	wake   *job.Wake
	// What lives as long as the job runs (see begin).
	term     context.Context
	wg       sync.WaitGroup
	outcomes chan outcome
}

// outcome is the result of one attempt, waiting to be recorded.
type outcome struct {
	n       *tocsin.Notification
	ch      tocsin.Channel
	attempt int
	kind    string
	err     error
	latency time.Duration
	retryAt time.Time
	max     int
}

type lane struct {
	queue   []*tocsin.Notification
	running int
	// notBefore holds the lane's next send back: the receiver asked to wait
	// (429 with Retry-After), or the channel's rate limit spaces sends.
	// Only this lane waits; every other channel goes on.
	notBefore time.Time
}

// maxPause bounds how long a receiver's Retry-After holds a lane.
const maxPause = 15 * time.Minute

// New makes a dispatcher; a job.Runner runs its Job. owner names this
// process in claims.
func New(db *store.DB, clk clock.Clock, log *slog.Logger, senders map[string]tocsin.Sender,
	channels func(string) (tocsin.Channel, bool), config func() Config, owner string) *Dispatcher {
	return &Dispatcher{db: db, clock: clk, log: log, senders: senders, channels: channels, config: config,
		owner: owner, lanes: map[string]*lane{}, inLane: map[int64]bool{}, wake: job.NewWake()}
}

// Poke tells the dispatcher that rows were queued, or a lane freed up:
// subscribe it to job.Queued on the bus.
func (d *Dispatcher) Poke() { d.wake.Poke() }

// claimLease is how long a claim lasts. It covers the wait in a lane and the
// send; a process that dies holding claims loses them when it lapses (or at
// once, when a single-node store releases them at start).
const claimLease = 10 * time.Minute

// laneDepth is how many rows a lane holds per concurrent send: claiming
// several at a time keeps claim transactions few when a burst goes out.
const laneDepth = 8

// Job is the dispatcher's timed work, "outbox": it claims the rows due
// and hands them to their lanes, and is next due when the next queued or
// retrying row is (at the latest in a second: other replicas queue rows
// too). It runs on every replica; a Queued change on the bus wakes it.
func (d *Dispatcher) Job() job.Job {
	return job.Job{Name: "outbox", Wake: d.wake, Begin: d.begin, Run: d.round}
}

// begin starts the recorder of outcomes; the lanes that rounds start send
// under ctx. end waits for the sends in flight (each bounded by its
// deadline) and records their outcomes.
func (d *Dispatcher) begin(ctx context.Context) (end func()) {
	d.term = ctx
	d.outcomes = make(chan outcome, 1024)
	recorded := make(chan struct{})
	go func() { d.recordOutcomes(ctx); close(recorded) }()
	return func() {
		d.wg.Wait()
		close(d.outcomes)
		<-recorded
	}
}

// round claims the rows due and dispatches them; if it claimed any, it
// runs again at once.
func (d *Dispatcher) round(ctx context.Context, now time.Time) (time.Time, error) {
	busy := d.busyChannels()
	per := d.config().PerChannel
	lease := max(claimLease, time.Duration(laneDepth+2)*d.maxTimeout())
	claimed, err := d.db.ClaimDue(ctx, d.owner, lease, 500, per*laneDepth, busy)
	if err != nil {
		return now.Add(time.Second), fmt.Errorf("claim notifications: %w", err)
	}
	for _, n := range claimed {
		d.dispatch(d.term, n) // the lanes outlive the round, not the job
	}
	if len(claimed) > 0 {
		return now, nil
	}
	next := now.Add(time.Second)
	if due, err := d.db.NextDue(ctx); err == nil && !due.IsZero() && due.After(now) && due.Before(next) {
		// Rows already due here belong to busy channels: their lanes
		// poke when they free up, so only future rows set the time.
		next = due
	}
	return next, nil
}

// maxTimeout is the longest send deadline of the channels with lanes.
func (d *Dispatcher) maxTimeout() time.Duration {
	d.mu.Lock()
	names := make([]string, 0, len(d.lanes))
	for name := range d.lanes {
		names = append(names, name)
	}
	d.mu.Unlock()
	longest := 10 * time.Second
	for _, name := range names {
		if ch, ok := d.channels(name); ok && ch.Timeout > longest {
			longest = ch.Timeout
		}
	}
	return longest
}

// busyChannels are those whose lane already holds enough work.
func (d *Dispatcher) busyChannels() map[string]bool {
	per := d.config().PerChannel
	d.mu.Lock()
	defer d.mu.Unlock()
	busy := map[string]bool{}
	for name, l := range d.lanes {
		if len(l.queue)+l.running >= per*laneDepth {
			busy[name] = true
		}
	}
	return busy
}

func (d *Dispatcher) dispatch(ctx context.Context, n *tocsin.Notification) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inLane[n.ID] {
		return
	}
	d.inLane[n.ID] = true
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
		until := l.notBefore
		wait := until.Sub(d.clock.Now())
		d.mu.Unlock()
		if wait > 0 && d.OnLaneWait != nil {
			d.OnLaneWait(name, until)
		}
		if wait > 0 && !clock.Sleep(ctx, d.clock, wait) {
			d.leave(n) // shutting down: the claim is released at the next start
			continue
		}
		ch, _ := d.channels(name)
		pause := d.send(ctx, n)
		if ch.RatePerMinute > 0 {
			pause = max(pause, time.Minute/time.Duration(ch.RatePerMinute))
		}
		if pause > 0 {
			d.mu.Lock()
			l.notBefore = d.clock.Now().Add(min(pause, maxPause))
			d.mu.Unlock()
		}
		d.Poke()
	}
}

// send sends one row and queues its outcome. It returns how long the
// channel asked to be left alone, if it did.
func (d *Dispatcher) send(ctx context.Context, n *tocsin.Notification) (pause time.Duration) {
	if ctx.Err() != nil {
		d.leave(n)
		return // shutting down: the claim is released at the next start
	}
	cfg := d.config()
	o := outcome{n: n, attempt: n.Attempts + 1, max: cfg.MaxAttempts}
	ch, ok := d.channels(n.Channel)
	if n.Target != "" {
		ch.URL = n.Target // a row with its own recipient (see tocsin.Notification)
	}
	o.ch = ch
	var retry bool
	switch sender := d.senders[ch.Type]; {
	case !ok:
		o.err = fmt.Errorf("channel %q is not configured", n.Channel)
	case sender == nil:
		o.err = fmt.Errorf("channel %q has unsupported type %q", n.Channel, ch.Type)
	default:
		timeout := ch.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		sctx, cancel := context.WithTimeout(ctx, timeout)
		start := d.clock.Now()
		retry, o.err = safeSend(sctx, sender, ch, n)
		o.latency = d.clock.Now().Sub(start)
		cancel()
		if o.err != nil && ctx.Err() != nil {
			d.leave(n)
			return // interrupted by shutdown, not the receiver's fault
		}
	}
	o.kind = OutcomeSent
	if o.err != nil {
		// The senders never quote a URL; this holds for any sender (a
		// panic's value included): the error goes to the timeline, the
		// API and the log.
		o.err = outbound.ScrubError(o.err, channelSecrets(ch)...)
		o.kind = OutcomeGivenUp
		var ra *tocsin.RetryAfterError
		if errors.As(o.err, &ra) && ra.After > 0 {
			pause = min(ra.After, maxPause)
		}
		if retry && o.attempt < cfg.MaxAttempts {
			o.kind = OutcomeRetry
			o.retryAt = d.clock.Now().Add(max(Backoff(cfg, o.attempt), pause))
		}
		d.log.Warn("notification failed", "channel", n.Channel, "notification_id", n.ID, "attempt", o.attempt,
			"outcome", o.kind, "err", o.err)
	}
	if d.OnResult != nil {
		d.OnResult(n.Channel, o.kind, o.latency)
	}
	d.outcomes <- o
	return pause
}

// channelSecrets are the texts of ch that no error may show: its URL
// (see outbound.Secrets), its secret and its header values (but short
// ones, like "json", which are no secret and would garble the message).
func channelSecrets(ch tocsin.Channel) []string {
	out := []string{ch.URL, ch.Secret}
	for _, v := range ch.Headers {
		if len(v) >= 8 {
			out = append(out, v)
		}
	}
	return out
}

// safeSend calls the sender, turning a panic into a retryable error: one
// bad channel must not take the process down.
func safeSend(ctx context.Context, s tocsin.Sender, ch tocsin.Channel, n *tocsin.Notification) (retry bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			retry, err = true, fmt.Errorf("sender panicked: %v", p)
		}
	}()
	return s.Send(ctx, ch, n)
}

// leave forgets a row that a lane gave up without an outcome.
func (d *Dispatcher) leave(n *tocsin.Notification) {
	d.mu.Lock()
	delete(d.inLane, n.ID)
	d.mu.Unlock()
}

// recordOutcomes writes outcomes in batches, each batch in one transaction
// (a burst of sends costs a few commits, not one each). It runs until the
// outcomes channel is closed and drained, past ctx's end: a sent
// notification that is not recorded would be sent again.
func (d *Dispatcher) recordOutcomes(ctx context.Context) {
	batch := make([]outcome, 0, 256)
	for o := range d.outcomes {
		batch = collect.Ready(d.outcomes, append(batch[:0], o), cap(batch))
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := d.db.Write(rctx, func(tx *store.Tx) error { return recordAll(rctx, tx, batch) })
		cancel()
		if err != nil {
			// The rows stay claimed until the lease lapses, then go out
			// again with the same idempotency keys.
			d.log.Error("record notification outcomes", "err", err, "outcomes", len(batch))
		}
		for _, o := range batch {
			d.leave(o.n)
		}
		d.Poke()
	}
}

// recordAll writes the outcomes and their timeline entries. The
// deliveries, nearly every outcome, are marked sent together and the
// entries appended together: one statement each on PostgreSQL, where
// each is a round trip made holding the write lock.
func recordAll(ctx context.Context, tx *store.Tx, batch []outcome) error {
	var sent []store.Sent
	var entries []*tocsin.TimelineEntry
	for _, o := range batch {
		entry, err := record(ctx, tx, o, &sent)
		if err != nil {
			return err
		}
		if entry != nil {
			entries = append(entries, entry)
		}
	}
	if err := tx.MarkSentAll(ctx, sent); err != nil {
		return err
	}
	return tx.AppendTimelines(ctx, entries)
}

// record writes one failed outcome, or adds a delivery to sent, and
// returns its timeline entry (nil: no incident to tell).
func record(ctx context.Context, tx *store.Tx, o outcome, sent *[]store.Sent) (*tocsin.TimelineEntry, error) {
	n := o.n
	entry := &tocsin.TimelineEntry{IncidentID: n.IncidentID, Actor: "tocsin",
		Data: mustJSON(map[string]any{"channel": n.Channel, "idempotency_key": n.IdempotencyKey, "attempt": o.attempt,
			"latency_ms": o.latency.Milliseconds(), "error": errText(o.err)})}
	switch o.kind {
	case OutcomeSent:
		*sent = append(*sent, store.Sent{ID: n.ID, Attempts: o.attempt})
		entry.Kind = tocsin.TimelineNotifySent
		entry.Message = fmt.Sprintf("%s delivered to %s (%s) in %s, attempt %d", n.Event, n.Channel, o.ch.Type,
			o.latency.Round(time.Millisecond), o.attempt)
	case OutcomeRetry:
		if err := tx.MarkRetry(ctx, n.ID, o.attempt, o.err.Error(), o.retryAt); err != nil {
			return nil, err
		}
		entry.Kind = tocsin.TimelineNotifyFailed
		entry.Message = fmt.Sprintf("%s to %s failed (attempt %d of %d): %s; retry at %s", n.Event, n.Channel,
			o.attempt, o.max, o.err, o.retryAt.UTC().Format(time.RFC3339))
	default:
		if err := tx.MarkRetry(ctx, n.ID, o.attempt, o.err.Error(), time.Time{}); err != nil {
			return nil, err
		}
		entry.Kind = tocsin.TimelineNotifyGivenUp
		entry.Message = fmt.Sprintf("%s to %s FAILED for good after attempt %d: %s", n.Event, n.Channel, o.attempt, o.err)
	}
	if n.IncidentID == 0 {
		return nil, nil
	}
	return entry, nil
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

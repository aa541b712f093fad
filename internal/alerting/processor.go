package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// maxBatch bounds how many deliveries share one transaction.
const maxBatch = 256

// Delivery is one accepted request of an integration: its alerts, in the
// order sent.
type Delivery struct {
	Integration string // the integration's name: with an alert's key, its identity
	Service     string // the integration's service: where unrouted alerts go
	Alerts      []tocsin.Alert
	// DropUnknown drops the resolve of an alert never seen firing instead
	// of keeping it for the record: PagerDuty drops such events, and a
	// sender that resolves every key it might have triggered must not
	// leave empty resolved alerts behind.
	DropUnknown bool
}

// Outcome says what became of the alerts of a delivery.
type Outcome struct {
	New, Updated, Resolved, Silenced, Inhibited int
	// Dropped counts acknowledgements and resolves of keys never seen
	// firing that changed nothing and were not kept.
	Dropped int
}

// Processor applies deliveries, with group commit, and the runs of its
// timed job (first pages after group_wait, silences ending, inhibition
// rules changed), on one goroutine. Escalation steps are the escalation
// stage's: the processor pages an incident's first level and tells Bus
// job.Paging.
type Processor struct {
	db     *store.DB
	clock  clock.Clock
	env    func() incident.Env
	policy func() *Policy
	log    *slog.Logger
	beat   func()

	// OnCommitted is called after each commit with the outcomes it held.
	OnCommitted func(Outcome)
	// Bus, if set, hears job.Paging after a commit that scheduled a first
	// page (a new group waits out group_wait) or an escalation step (a
	// first page through a policy, an acknowledged incident sent back to
	// triggered), so the timed job or the escalation stage runs it.
	Bus *job.Bus

	// shared: other replicas write the same database, so no stored row may
	// be remembered across transactions, and first pages and silences set
	// by their deliveries are found by looking every second.
	shared bool

	queue     *groupcommit.Queue[*pending]
	timedRuns chan *timedRun // the timed job's runs, for Run's goroutine
	wake      *job.Wake      // wakes the timed job

	silences      atomic.Pointer[silenceSet]
	policyChanged atomic.Bool
	// Only Run's goroutine touches these.
	cache *groupcommit.Cache[cacheKey, cached]
}

// Limits of one tick's work, so that a backlog cannot hold the single
// writer for long; the rest waits for the next tick, which comes at once.
const (
	pagesPerTick    = 100
	releasesPerTick = 1000
)

// pending is a delivery on its way through a batch; its call carries the
// error its sender hears.
type pending struct {
	d       Delivery
	hashes  []uint64          // of each alert's content, computed by the sender's goroutine
	encoded []store.AlertJSON // each alert's JSON columns, likewise; nil if encoding failed
	out     Outcome
	// refused names an alert the database refused (see isolate): the
	// delivery's other alerts are stored, and its sender hears this.
	refused error
	// joins noted by the committed chunks of a delivery applied in
	// several transactions, written with its last chunk: one timeline
	// entry, and one notice to whoever is on the incident, per delivery.
	joins   map[int64][]*tocsin.AlertRecord
	joinIDs []int64
}

// New makes a processor; Load reads its silences, Run must run for Ingest to return.
func New(db *store.DB, clk clock.Clock, env func() incident.Env, policy func() *Policy, log *slog.Logger, beat func()) *Processor {
	if beat == nil {
		beat = func() {}
	}
	size := cacheSize
	if db.Shared() {
		size = 0 // another replica may have changed any alert since
	}
	p := &Processor{db: db, clock: clk, env: env, policy: policy, log: log, beat: beat,
		queue: groupcommit.NewQueue[*pending](maxBatch, ErrStopped), cache: groupcommit.NewCache[cacheKey, cached](size, 0),
		shared: db.Shared(), timedRuns: make(chan *timedRun), wake: job.NewWake()}
	p.silences.Store(newSilenceSet(nil))
	return p
}

// newPending readies a delivery for Run; hashing happens here, on the
// sender's goroutine, not on the single writer's.
func newPending(d Delivery) *pending {
	r := &pending{d: d, hashes: make([]uint64, len(d.Alerts)),
		encoded: make([]store.AlertJSON, len(d.Alerts))}
	for i := range d.Alerts {
		r.hashes[i] = contentHash(&d.Alerts[i])
		enc, err := store.EncodeAlert(&d.Alerts[i])
		if err != nil {
			r.encoded = nil // the writer encodes, and reports the error
		} else if r.encoded != nil {
			r.encoded[i] = enc
		}
	}
	return r
}

// ErrStopped is returned for deliveries that arrive while the processor stops.
var ErrStopped = errors.New("alert processor stopped")

// Ingest applies a delivery and returns once it is committed. If ctx ends
// first the delivery may still commit; a retry is then a repeated
// delivery, which updates and does not duplicate (except a PagerDuty
// trigger without a dedup_key, whose key is made anew for each request).
func (p *Processor) Ingest(ctx context.Context, d Delivery) (Outcome, error) {
	r, err := p.queue.Do(ctx, newPending(d))
	if err != nil {
		return Outcome{}, err
	}
	logDelivery(ctx, p.log, d, r.out)
	return r.out, nil
}

// Load reads the live silences; call it at start and after silences change
// (then wake the timed job, so that alerts a silence no longer covers are
// looked at again).
func (p *Processor) Load(ctx context.Context) error {
	stored, err := p.db.LiveSilences(ctx, p.clock.Now())
	if err != nil {
		return err
	}
	list := make([]*Silence, 0, len(stored))
	for _, s := range stored {
		c, err := CompileSilence(s)
		if err != nil {
			// Stored silences were checked when made; one that no longer
			// compiles (a zone gone from the system) must not stop the rest.
			p.log.Error("silence ignored", "silence", s.ID, "err", err)
			continue
		}
		list = append(list, c)
	}
	p.silences.Store(newSilenceSet(list))
	return nil
}

// PolicyChanged makes the timed job look again, at once, at the alerts
// held by inhibition: a rule removed or narrowed releases them.
func (p *Processor) PolicyChanged() {
	p.policyChanged.Store(true)
	p.wake.Poke()
}

// TimedJobName names the processor's timed job.
const TimedJobName = "alerts_timed"

// lookEvery is how often the timed job looks on a shared database.
const lookEvery = time.Second

// TimedJob is the processor's timed work as a job, run by the replica that
// leads the engine, its writes fenced by the lease: first pages once
// group_wait is over, alerts released when their silence ends or the
// inhibition rules change. Each run is done by Run's goroutine, between
// two batches of deliveries, so that two decisions about one alert never
// race. Subscribe its Wake to job.Paging and job.Silences.
func (p *Processor) TimedJob() job.Job {
	return job.Job{Name: TimedJobName, Leader: true, Wake: p.wake, Run: p.runTimed}
}

// Wake is what wakes the timed job.
func (p *Processor) Wake() *job.Wake { return p.wake }

// timedRun is one run of the timed job, handed to Run's goroutine.
type timedRun struct {
	ctx  context.Context
	next time.Time
	err  error
	done chan struct{}
}

func (p *Processor) runTimed(ctx context.Context, now time.Time) (time.Time, error) {
	r := &timedRun{ctx: ctx, done: make(chan struct{})}
	select {
	case p.timedRuns <- r:
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
	next := r.next
	if p.shared {
		// Other replicas change silences and schedule first pages unseen
		// by this process's bus: on a shared database the job also looks
		// every second.
		if look := now.Add(lookEvery); next.IsZero() || next.After(look) {
			next = look
		}
	}
	return next, r.err
}

// Run applies deliveries in batches, and the timed job's runs, until ctx
// ends. It beats the watchdog at least once a second.
func (p *Processor) Run(ctx context.Context) {
	idle := time.NewTicker(time.Second) // watchdog cadence only; no time is read from it
	defer idle.Stop()
	batch := make([]*call, 0, maxBatch)
	for {
		p.beat()
		select {
		case <-ctx.Done():
			p.queue.Drain()
			return
		case <-idle.C:
			if p.shared {
				// Other replicas change silences: the deliveries applied
				// here must see them.
				if err := p.Load(ctx); err != nil {
					p.log.Error("load silences", "err", err)
				}
			}
		case r := <-p.timedRuns:
			r.next, r.err = p.tick(r.ctx)
			close(r.done)
		case c := <-p.queue.Calls():
			batch = p.queue.Batch(batch, c)
			p.commit(ctx, batch)
		}
	}
}

// nextWake is when timed work is next due: the first page at page (zero:
// none) or the end of a silence window that may be holding alerts.
func (p *Processor) nextWake(page time.Time) time.Time {
	next := page
	if end := p.silences.Load().nextEnd(p.clock.Now()); !end.IsZero() && (next.IsZero() || end.Before(next)) {
		next = end
	}
	return next
}

// write runs fn in one transaction bounded by groupcommit.Bounded: a stuck
// disk must not hold the processor forever, and senders retry.
func (p *Processor) write(ctx context.Context, fn func(w *work) error) (*work, error) {
	wctx, cancel := groupcommit.Bounded(ctx)
	defer cancel()
	var w *work
	cache := p.cache.Rows() // nil on a shared database: see New
	err := p.db.Write(wctx, func(tx *store.Tx) error {
		w = &work{ctx: wctx, tx: tx, now: p.clock.Now(), env: p.env(), policy: p.policy(), silences: p.silences.Load(),
			cache: cache}
		if err := fn(w); err != nil {
			return err
		}
		return w.flushJoins()
	})
	p.settle(w, err == nil)
	if err != nil {
		return nil, err
	}
	if w.queued {
		p.Bus.Notify(job.Queued)
	}
	// The first page or step this commit scheduled falls due at the
	// earliest of the two: the jobs move their timers, and run no sooner.
	if next := earliest(w.nextPage, w.nextEscalate); !next.IsZero() {
		p.Bus.NotifyAt(job.Paging, next)
	}
	return w, nil
}

// maxAlertsPerTx bounds the alerts one transaction applies. A delivery
// holds the single writer (on PostgreSQL, the write lock) for as long as
// its transaction runs; pings, lease renewals and health probes queue
// behind it. A few hundred alerts commit in tens of milliseconds, so a
// delivery of any size delays them by one such transaction at most: it is
// applied in chunks, each committed on its own, the writer free between
// them.
const maxAlertsPerTx = 250

type call = groupcommit.Call[*pending]

// span is the alerts lo..hi of a delivery, applied in one transaction.
type span struct {
	c      *call
	r      *pending // c.Req
	lo, hi int
	out    Outcome
	// The joins noted so far, for the next chunk, when the delivery goes on.
	joins   map[int64][]*tocsin.AlertRecord
	joinIDs []int64
}

// more reports whether the delivery goes on after the span.
func (s *span) more() bool { return s.hi < len(s.r.d.Alerts) }

// commit applies a batch of deliveries, in transactions of at most
// maxAlertsPerTx alerts: small deliveries share one, a large one spans
// several. A delivery is answered once all its alerts are committed, or
// with the error that stopped it; alerts of its earlier chunks then stay
// stored, and the sender's retry repeats them, which updates and does not
// duplicate (at least once, for the whole delivery).
//
// Each delivery is answered as soon as the transaction holding its last
// alerts ends, not at the end of the batch: its sender can send the next
// one while the writer commits the rest of the batch.
func (p *Processor) commit(ctx context.Context, batch []*call) {
	var chunk []*span
	n := 0
	flush := func() {
		p.commitSpans(ctx, chunk)
		for _, s := range chunk {
			if !s.more() {
				answer(s.c)
			}
		}
		chunk, n = nil, 0
	}
	for _, c := range batch {
		r := c.Req
		for lo := 0; ; {
			hi := min(len(r.d.Alerts), lo+maxAlertsPerTx-n)
			chunk = append(chunk, &span{c: c, r: r, lo: lo, hi: hi})
			n += hi - lo
			if n >= maxAlertsPerTx {
				flush()
			}
			if lo = hi; lo >= len(r.d.Alerts) {
				break
			}
		}
	}
	if len(chunk) > 0 {
		flush()
	}
}

// answer hands a delivery's outcome, or the error that stopped it, to its
// sender.
func answer(c *call) {
	if c.Err != nil {
		c.Req.out = Outcome{}
	} else if c.Req.refused != nil {
		c.Err = c.Req.refused
	}
	c.Answer()
}

// commitSpans applies spans in one transaction. A span whose delivery
// already failed is skipped: its sender retries the whole delivery.
func (p *Processor) commitSpans(ctx context.Context, spans []*span) {
	live := spans[:0:0]
	for _, s := range spans {
		if s.c.Err == nil {
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		return
	}
	w, err := p.write(ctx, func(w *work) error {
		for _, s := range live {
			if s.more() || s.lo > 0 {
				// A chunk of a delivery split over transactions: its joins
				// are its own, carried to the delivery's last chunk. (It is
				// the first span of its transaction, or the last.)
				if err := w.flushJoins(); err != nil {
					return err
				}
				w.joins, w.joinIDs = maps.Clone(s.r.joins), slices.Clone(s.r.joinIDs)
			}
			w.out = Outcome{}
			d := s.r.d
			d.Alerts = d.Alerts[s.lo:s.hi]
			hashes := s.r.hashes[s.lo:s.hi]
			if err := w.prefetch(d, hashes); err != nil {
				return err
			}
			for i := range d.Alerts {
				w.current = delivered{key: cacheKey{d.Integration, d.Alerts[i].Key}, hash: hashes[i]}
				if s.r.encoded != nil {
					w.current.enc = &s.r.encoded[s.lo+i]
				}
				if err := w.apply(d, &d.Alerts[i], hashes[i]); err != nil {
					return err
				}
			}
			w.current, w.known = delivered{}, nil
			s.out = w.out
			if s.more() {
				s.joins, s.joinIDs, w.joins, w.joinIDs = w.joins, w.joinIDs, nil, nil
			}
		}
		return nil
	})
	if err != nil && len(live) > 1 && groupcommit.Splittable(err) {
		// One bad delivery must not fail the others: each is tried alone,
		// until one fails for a reason not its own.
		p.log.Warn("alert batch failed; committing its deliveries one by one", "err", err, "deliveries", len(live))
		groupcommit.Split(live, func(s *span) error {
			p.commitSpans(ctx, []*span{s})
			if err := s.c.Err; err != nil && !groupcommit.Splittable(err) {
				return err
			}
			return nil
		}, func(s *span, err error) { p.fail(ctx, s, err) })
		return
	}
	if err != nil && len(live) == 1 && p.isolate(ctx, live[0], err) {
		return
	}
	if err != nil {
		for _, s := range live {
			p.fail(ctx, s, err)
		}
		return
	}
	var total Outcome
	for _, s := range live {
		s.r.out.add(s.out)
		s.r.joins, s.r.joinIDs = s.joins, s.joinIDs
		total.add(s.out)
	}
	if w != nil && p.OnCommitted != nil {
		p.OnCommitted(total)
	}
}

// fail gives a span's delivery err, which its sender hears.
func (p *Processor) fail(ctx context.Context, s *span, err error) {
	p.log.Error("store alerts", "err", err, "integration", s.r.d.Integration,
		"alerts", len(s.r.d.Alerts), "committed_before", s.lo)
	s.c.Err = err
	p.noteJoins(ctx, s.r)
}

// noteJoins writes the joins carried by a delivery that failed part-way:
// the alerts of its committed chunks joined their incidents, and the
// sender's retry finds them stored and does not note them again.
func (p *Processor) noteJoins(ctx context.Context, r *pending) {
	if len(r.joinIDs) == 0 {
		return
	}
	joins, ids := r.joins, r.joinIDs
	r.joins, r.joinIDs = nil, nil
	if _, err := p.write(ctx, func(w *work) error {
		w.joins, w.joinIDs = joins, ids // written by write, after fn
		return nil
	}); err != nil {
		p.log.Error("note alerts that joined incidents", "err", err, "incidents", len(ids))
	}
}

// tick sends the first pages that are due and looks again at alerts held
// by silences that have ended, or by inhibition rules that changed; it
// returns when timed work is next due.
func (p *Processor) tick(ctx context.Context) (time.Time, error) {
	if err := p.Load(ctx); err != nil {
		p.log.Error("load silences", "err", err)
	}
	recheck := p.policyChanged.Swap(false)
	more := false
	w, err := p.write(ctx, func(w *work) error {
		due, err := w.tx.IncidentsToPage(w.ctx, w.now, pagesPerTick)
		if err != nil {
			return err
		}
		more = len(due) == pagesPerTick
		for _, in := range due {
			if err := w.page(in); err != nil {
				return err
			}
		}
		left, err := w.releaseEnded()
		if err != nil || left {
			more = more || left
			return err
		}
		if recheck {
			return w.recheckInhibited()
		}
		return nil
	})
	if err != nil {
		if recheck {
			p.policyChanged.Store(true)
		}
		return p.nextWake(time.Time{}), fmt.Errorf("alert timed work: %w", err)
	}
	if p.OnCommitted != nil {
		p.OnCommitted(w.out)
	}
	if more {
		p.wake.Poke() // the rest is due too: the next run comes at once
	}
	page, err := p.db.NextPageAt(ctx)
	if err != nil {
		return p.nextWake(time.Time{}), fmt.Errorf("next page: %w", err)
	}
	return p.nextWake(page), nil
}

func (o *Outcome) add(b Outcome) {
	o.New += b.New
	o.Updated += b.Updated
	o.Resolved += b.Resolved
	o.Silenced += b.Silenced
	o.Inhibited += b.Inhibited
	o.Dropped += b.Dropped
}

// earliest is the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

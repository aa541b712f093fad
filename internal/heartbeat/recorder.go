package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/collect"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// PingsKept is how many pings of each check are kept; older ones are pruned
// every PingsKept pings.
const PingsKept = 100

// maxBatch bounds how many pings share one transaction.
const maxBatch = 512

// cacheSize bounds the checks kept in memory: enough for the busy ones,
// small beside 100,000 checks that ping once an hour.
const cacheSize = 1024

// Request is a ping as received, addressed by UUID or by ping key and slug
// (the handler has checked the ping key).
type Request struct {
	UUID string
	Slug string
	Ping tocsin.Ping
}

// Result is what became of a ping.
type Result struct {
	Found      bool
	Ambiguous  bool // the slug names more than one check
	Check      string
	Transition Transition
}

// Hooks tell other parts what the recorder committed.
type Hooks struct {
	// Deadline is called after commit with a check's new deadline (zero:
	// none), so the engine can reschedule it.
	Deadline func(checkID int64, at time.Time)
	// Committed is called after each commit with the pings it held and
	// whether notifications were queued.
	Committed func(pings []tocsin.Ping, transitions []Transition, queued bool)
}

// Recorder stores pings with group commit: concurrent pings share one
// transaction, and each is answered only after that transaction commits.
// One fsync then acknowledges many pings.
type Recorder struct {
	db    *store.DB
	clock clock.Clock
	env   func() incident.Env
	hooks Hooks
	log   *slog.Logger
	reqs  chan *pending
	beat  func()
	// cache holds the last committed copy of each check pinged, by UUID.
	// Only Run's goroutine touches it.
	cache map[string]*tocsin.Check
	// shared: other replicas write the checks too, and each statement is a
	// round trip. A batch then reads the checks it has no copy of in one
	// query and saves them all in one, checking their versions; if a copy
	// was stale the batch is tried again from fresh copies, and the next
	// freshBatches batches read every check (another replica is pinging
	// them: cached copies would mostly be stale).
	shared     bool
	freshUntil int // batches left that read every check; only Run's goroutine touches it
}

// freshBatches is how long, after a stale copy, a replica stops trusting
// its cache.
const freshBatches = 100

type pending struct {
	ctx  context.Context // the request's: once it ends, nobody hears the answer
	req  Request
	res  Result
	err  error
	gone bool // its request ended before the commit: not applied
	done chan struct{}
}

// busyRetry is the pause between attempts while another connection holds
// SQLite's write lock (each attempt itself waits out the busy timeout).
const busyRetry = 250 * time.Millisecond

// NewRecorder makes a recorder; Run must be running for Record to return.
func NewRecorder(db *store.DB, clk clock.Clock, env func() incident.Env, hooks Hooks, log *slog.Logger, beat func()) *Recorder {
	if beat == nil {
		beat = func() {}
	}
	return &Recorder{db: db, clock: clk, env: env, hooks: hooks, log: log, reqs: make(chan *pending, 4*maxBatch), beat: beat,
		cache: map[string]*tocsin.Check{}, shared: db.Shared()}
}

// ErrStopped is returned for pings that arrive while the recorder stops.
var ErrStopped = errors.New("ping recorder stopped")

// Record stores a ping and returns once it is committed.
func (r *Recorder) Record(ctx context.Context, req Request) (Result, error) {
	p := &pending{ctx: ctx, req: req, done: make(chan struct{})}
	select {
	case r.reqs <- p:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		// The recorder leaves out a ping whose request has ended; only one
		// already in a transaction that is committing may still be stored,
		// and its sender, seeing an error, retries.
		return Result{}, ctx.Err()
	}
}

// Run takes pings in batches until ctx ends. It beats the watchdog at least
// once a second while idle.
func (r *Recorder) Run(ctx context.Context) {
	idle := time.NewTicker(time.Second) // watchdog cadence only; no time is read from it
	defer idle.Stop()
	batch := make([]*pending, 0, maxBatch)
	for {
		r.beat()
		select {
		case <-ctx.Done():
			r.drain()
			return
		case <-idle.C:
			continue
		case p := <-r.reqs:
			batch = append(batch[:0], p)
		}
		batch = collect.Ready(r.reqs, batch, maxBatch)
		r.commit(ctx, batch)
	}
}

func (r *Recorder) drain() {
	for {
		select {
		case p := <-r.reqs:
			p.err = ErrStopped
			close(p.done)
		default:
			return
		}
	}
}

type deadline struct {
	id int64
	at time.Time
}

// commit stores a batch in one transaction. Checks come from the cache
// when it has them; the stored version guards every write, so a copy made
// stale by another writer (the engine, the API, a config reload) is read
// again and the ping applied to the fresh one. On a shared database the
// checks are saved together at the end, and a stale copy makes the whole
// batch go again from fresh copies (see Recorder.shared).
//
// Pings whose request ended before the transaction got to them (the client
// gave up, or they queued while the process was frozen) are left out: they
// are neither applied nor counted, and their senders hear an error. While
// another connection holds SQLite's write lock the batch is tried again
// until it commits or every ping's request has ended, so that a short lock
// delays pings instead of failing them.
func (r *Recorder) commit(ctx context.Context, batch []*pending) {
	env := r.env()
	var deadlines []deadline
	var pings []*tocsin.Ping
	var trs []Transition
	work := map[string]*tocsin.Check{} // this batch's copies, by UUID
	queued := false
	// The write gets its own deadline: a stuck disk must not hold the
	// recorder forever, and the senders will retry.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var dirty []*tocsin.Check // shared: the checks to save at the end, each once
	fresh := r.freshUntil > 0 // shared: read every check, trust no cached copy
	write := func(tx *store.Tx) error {
		deadlines, pings, trs, queued, dirty = deadlines[:0], pings[:0], trs[:0], false, dirty[:0]
		clear(work)
		now := r.clock.Now()
		if r.shared {
			if err := r.prefetch(wctx, tx, batch, work, fresh); err != nil {
				return err
			}
		}
		saved := map[int64]bool{}
		for _, p := range batch {
			p.res = Result{}
			if p.gone = p.ctx.Err() != nil; p.gone {
				continue
			}
			c, err := r.lookup(wctx, tx, p, work, fresh)
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			ping := p.req.Ping
			ping.At = now
			tr := ApplyPing(c, &ping)
			if r.shared {
				if !saved[c.ID] {
					saved[c.ID] = true
					dirty = append(dirty, c)
				}
			} else {
				err = tx.SaveCheckState(wctx, c)
			}
			if errors.Is(err, store.ErrStale) {
				delete(r.cache, c.UUID)
				delete(work, c.UUID)
				if c, err = r.lookup(wctx, tx, p, work, true); err != nil || c == nil {
					if err == nil {
						continue
					}
					return err
				}
				ping = p.req.Ping
				ping.At = now
				tr = ApplyPing(c, &ping)
				err = tx.SaveCheckState(wctx, c)
			}
			if err != nil {
				return err
			}
			p.res.Found, p.res.Check, p.res.Transition = true, c.UUID, tr
			pings = append(pings, &ping)
			trs = append(trs, tr)
			deadlines = append(deadlines, deadline{c.ID, c.NextDeadline()})
			switch {
			case tr.WentDown:
				if _, err := incident.CheckDown(wctx, tx, env, c, now, tr.Reason, pingData(&ping, tr)); err != nil {
					return err
				}
				queued = true
			case tr.CameUp:
				if err := incident.CheckUp(wctx, tx, env, c, now, tr.Reason, pingData(&ping, tr)); err != nil {
					return err
				}
				queued = true
			}
		}
		if err := tx.SaveCheckStates(wctx, dirty); err != nil {
			return err
		}
		if err := tx.InsertPings(wctx, pings); err != nil {
			return err
		}
		for _, p := range pings {
			if p.N%PingsKept == 0 {
				if err := tx.PrunePings(wctx, p.CheckID, p.N-PingsKept+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := r.db.Write(wctx, write)
	for store.IsBusy(err) && anyWaiting(batch) {
		r.log.Warn("store pings: the database is locked by another connection; trying again", "err", err,
			"batch", len(batch))
		if !clock.Sleep(wctx, r.clock, busyRetry) {
			break
		}
		err = r.db.Write(wctx, write)
	}
	if r.shared {
		if errors.Is(err, store.ErrStale) && !fresh {
			// Another replica pinged these checks: again, from what is stored.
			for id := range work {
				delete(r.cache, id)
			}
			fresh, r.freshUntil = true, freshBatches
			err = r.db.Write(wctx, write)
		} else if r.freshUntil > 0 {
			r.freshUntil--
		}
	}
	if err != nil && len(batch) > 1 && splittable(err) {
		// One ping must not fail its neighbours: whatever in the batch the
		// database refused, each ping is tried alone, and only the one
		// that fails again hears it.
		r.log.Warn("ping batch failed; storing its pings one by one", "err", err, "batch", len(batch))
		for id := range work {
			delete(r.cache, id) // what the failed transaction did to them is undone
		}
		r.commitEach(ctx, batch)
		return
	}
	if err != nil {
		r.log.Error("store pings", "err", err, "batch", len(batch))
		for id := range work {
			delete(r.cache, id) // what the failed transaction did to them is undone
		}
		if store.IsInvalidData(err) {
			err = tocsin.Errorf(tocsin.EInvalid, "ping not storable: %s", store.InvalidDataMessage(err))
		}
	} else {
		for id, c := range work {
			if _, ok := r.cache[id]; !ok && len(r.cache) >= cacheSize {
				for old := range r.cache { // map order is random: a random eviction
					delete(r.cache, old)
					break
				}
			}
			r.cache[id] = c
		}
	}
	// The engine learns the new deadlines before anyone hears OK, so a
	// ping answered is a ping the engine counts on.
	if err == nil && r.hooks.Deadline != nil {
		for _, d := range deadlines {
			r.hooks.Deadline(d.id, d.at)
		}
	}
	for _, p := range batch {
		switch {
		case err != nil:
			p.err = err
		case p.gone:
			p.res, p.err = Result{}, fmt.Errorf("ping not applied: %w", context.Cause(p.ctx))
		}
		close(p.done)
	}
	if err != nil {
		return
	}
	if r.hooks.Committed != nil {
		out := make([]tocsin.Ping, len(pings))
		for i, p := range pings {
			out[i] = *p
			out[i].Body = nil
		}
		r.hooks.Committed(out, trs, queued)
	}
}

// commitEach commits the pings of a failed batch one at a time. Once one
// fails for a reason that is not its own (the database is gone, the write
// timed out), the rest hear the same error without trying: their senders
// retry, and a dead database is not asked hundreds of times.
func (r *Recorder) commitEach(ctx context.Context, batch []*pending) {
	var down error
	for _, p := range batch {
		if down != nil {
			p.err = down
			close(p.done)
			continue
		}
		r.commit(ctx, []*pending{p})
		if p.err != nil && tocsin.ErrorCode(p.err) != tocsin.EInvalid && !p.gone {
			down = p.err
		}
	}
}

// splittable reports whether a batch that failed with err is worth trying
// ping by ping: not when the database was locked or the write ran out of
// time, which every ping alone would meet again.
func splittable(err error) bool {
	return !store.IsBusy(err) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// anyWaiting reports whether a ping of batch still has someone waiting for
// its answer.
func anyWaiting(batch []*pending) bool {
	for _, p := range batch {
		if p.ctx.Err() == nil {
			return true
		}
	}
	return false
}

// pingData is the evidence a state change records: the ping that caused it.
func pingData(p *tocsin.Ping, tr Transition) map[string]any {
	data := map[string]any{"ping_n": p.N, "kind": p.Kind, "from": tr.From, "to": tr.To, "remote_addr": p.RemoteAddr,
		"method": p.Method, "user_agent": p.UserAgent}
	if p.ExitStatus != nil {
		data["exit_status"] = *p.ExitStatus
	}
	if p.RID != "" {
		data["rid"] = p.RID
	}
	if body := incident.FailedPingBody(p); body != nil && tr.WentDown {
		data[incident.KeyLastPingBody] = body
	}
	return data
}

// prefetch reads, in one query, the checks the batch's pings address by
// UUID, into work: those not in the cache, or all of them when fresh.
func (r *Recorder) prefetch(ctx context.Context, tx *store.Tx, batch []*pending, work map[string]*tocsin.Check, fresh bool) error {
	uuids := make([]string, 0, len(batch))
	for _, p := range batch {
		if _, cached := r.cache[p.req.UUID]; p.req.UUID != "" && (fresh || !cached) {
			uuids = append(uuids, p.req.UUID)
		}
	}
	if len(uuids) == 0 {
		return nil
	}
	cs, err := tx.ChecksByUUIDs(ctx, uuids)
	if err != nil {
		return err
	}
	for _, c := range cs {
		work[c.UUID] = c
	}
	return nil
}

// lookup finds the check a ping addresses: this batch's copy, else a copy
// of the cached one (unless fresh), else the stored one. It returns nil if
// there is none.
func (r *Recorder) lookup(ctx context.Context, tx *store.Tx, p *pending, work map[string]*tocsin.Check, fresh bool) (*tocsin.Check, error) {
	uuid := p.req.UUID
	if uuid == "" {
		cs, err := tx.ChecksBySlug(ctx, p.req.Slug)
		if err != nil || len(cs) == 0 {
			return nil, err
		}
		if len(cs) > 1 {
			p.res.Ambiguous = true
			return nil, nil
		}
		uuid = cs[0].UUID
		if _, ok := work[uuid]; !ok {
			work[uuid] = cs[0]
		}
	}
	if c, ok := work[uuid]; ok {
		return c, nil
	}
	if c, ok := r.cache[uuid]; ok && !fresh {
		cp := *c
		work[uuid] = &cp
		return &cp, nil
	}
	c, err := tx.CheckByUUID(ctx, uuid)
	if tocsin.ErrorCode(err) == tocsin.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	work[uuid] = c
	return c, nil
}

package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// PingsKept is how many pings of each check are kept; older ones are pruned
// every PingsKept pings.
const PingsKept = 100

// maxBatch bounds how many pings share one transaction.
const maxBatch = 512

// cacheSize bounds the checks kept in memory: enough for 10,000 checks
// pinging at once, each read from the store only at its first ping, and
// at about 1 KiB a check 16 MiB at most, small beside a million checks
// that ping once an hour (a check not cached costs a read in its batch's
// one query).
const cacheSize = 16384

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
// One fsync then acknowledges many pings. The batching, the transaction,
// the cache and the retries are groupcommit's; what a ping does to its
// check is ApplyPing's.
type Recorder struct {
	db    *store.DB
	clock clock.Clock
	env   func() incident.Env
	hooks Hooks
	log   *slog.Logger
	queue *groupcommit.Queue[*recording]
	w     groupcommit.Writer
	beat  func()
	// cache holds the last committed copy of each check pinged, by UUID.
	// Only Run's goroutine touches it. A batch reads the checks it has no
	// copy of in one query and saves each check it changed once, at the
	// end, checking its version; if a copy was stale (another writer
	// changed the check: the engine, the API, a config reload, another
	// replica) the batch is tried again from fresh copies. On a shared
	// database the next freshBatches batches read every check too: another
	// replica is pinging them, and cached copies would mostly be stale.
	cache *groupcommit.Cache[string, *tocsin.Check]
}

// freshBatches is how long, after a stale copy, a replica of a shared
// database stops trusting its cache. On SQLite, where this process is the
// only writer, the batch tried again and the one after it read fresh.
const freshBatches = 100

// recording is a ping on its way through a batch.
type recording struct {
	req  Request
	res  Result
	gone bool // its request ended before the commit: not applied
}

type call = groupcommit.Call[*recording]

// NewRecorder makes a recorder; Run must be running for Record to return.
func NewRecorder(db *store.DB, clk clock.Clock, env func() incident.Env, hooks Hooks, log *slog.Logger, beat func()) *Recorder {
	if beat == nil {
		beat = func() {}
	}
	fresh := 1
	if db.Shared() {
		fresh = freshBatches
	}
	return &Recorder{db: db, clock: clk, env: env, hooks: hooks, log: log, beat: beat,
		queue: groupcommit.NewQueue[*recording](maxBatch, ErrStopped), w: groupcommit.Writer{DB: db, Clock: clk, Log: log},
		cache: groupcommit.NewCache[string, *tocsin.Check](cacheSize, fresh)}
}

// ErrStopped is returned for pings that arrive while the recorder stops.
var ErrStopped = errors.New("ping recorder stopped")

// Record stores a ping and returns once it is committed. The recorder
// leaves out a ping whose request has ended; only one already in a
// transaction that is committing may still be stored, and its sender,
// seeing an error, retries.
func (r *Recorder) Record(ctx context.Context, req Request) (Result, error) {
	rec, err := r.queue.Do(ctx, &recording{req: req})
	if err != nil {
		return Result{}, err
	}
	return rec.res, nil
}

// Run takes pings in batches until ctx ends. It beats the watchdog at least
// once a second while idle.
func (r *Recorder) Run(ctx context.Context) {
	r.queue.Run(ctx, r.beat, r.commit)
}

type deadline struct {
	id int64
	at time.Time
}

// batch is what one transaction of pings did, kept for after its commit.
type batch struct {
	work      map[string]*tocsin.Check // this batch's copies, by UUID
	deadlines []deadline
	pings     []*tocsin.Ping
	trs       []Transition
	queued    bool
	dirty     []*tocsin.Check // the checks to save at the end, each once
}

// commit stores a batch in one transaction. Checks come from the cache
// when it has them; the stored version guards every write, so a copy made
// stale by another writer (the engine, the API, a config reload, another
// replica) makes the whole batch go again from fresh copies (see
// Recorder.cache).
//
// Pings whose request ended before the transaction got to them (the client
// gave up, or they queued while the process was frozen) are left out: they
// are neither applied nor counted, and their senders hear an error. While
// another connection holds SQLite's write lock the batch is tried again
// until it commits or every ping's request has ended, so that a short lock
// delays pings instead of failing them.
func (r *Recorder) commit(ctx context.Context, calls []*call) {
	wctx, cancel := groupcommit.Bounded(ctx)
	defer cancel()
	b := &batch{work: map[string]*tocsin.Check{}}
	err := r.cache.Batch(func() error {
		return r.w.Write(wctx, "store pings", func() bool { return groupcommit.Waiting(calls) }, func(tx *store.Tx) error {
			return r.apply(wctx, tx, calls, b)
		})
	})
	if err != nil && len(calls) > 1 && groupcommit.Splittable(err) {
		// One ping must not fail its neighbours: whatever in the batch the
		// database refused, each ping is tried alone, and only the one
		// that fails again hears it.
		r.log.Warn("ping batch failed; storing its pings one by one", "err", err, "batch", len(calls))
		groupcommit.ForgetAll(r.cache, b.work) // what the failed transaction did to them is undone
		groupcommit.Split(calls, func(c *call) error { return r.commitAlone(ctx, c) }, (*call).Fail)
		return
	}
	if err != nil {
		r.log.Error("store pings", "err", err, "batch", len(calls))
		groupcommit.ForgetAll(r.cache, b.work) // what the failed transaction did to them is undone
		if store.IsInvalidData(err) {
			err = tocsin.Errorf(tocsin.EInvalid, "ping not storable: %s", store.InvalidDataMessage(err))
		}
	} else {
		r.cache.Commit(b.work)
	}
	// The engine learns the new deadlines before anyone hears OK, so a
	// ping answered is a ping the engine counts on.
	if err == nil && r.hooks.Deadline != nil {
		for _, d := range b.deadlines {
			r.hooks.Deadline(d.id, d.at)
		}
	}
	for _, c := range calls {
		switch {
		case err != nil:
			c.Err = err
		case c.Req.gone:
			c.Req.res, c.Err = Result{}, fmt.Errorf("ping not applied: %w", context.Cause(c.Ctx))
		}
		c.Answer()
	}
	if err != nil {
		return
	}
	if r.hooks.Committed != nil {
		out := make([]tocsin.Ping, len(b.pings))
		for i, p := range b.pings {
			out[i] = *p
			out[i].Body = nil
		}
		r.hooks.Committed(out, b.trs, b.queued)
	}
}

// commitAlone commits one ping of a failed batch. It returns the ping's
// error when that error is not the ping's own (the database is gone, the
// write timed out): the pings after it then hear it without trying, their
// senders retry, and a dead database is not asked hundreds of times.
func (r *Recorder) commitAlone(ctx context.Context, c *call) error {
	r.commit(ctx, []*call{c})
	if c.Err != nil && tocsin.ErrorCode(c.Err) != tocsin.EInvalid && !c.Req.gone {
		return c.Err
	}
	return nil
}

// apply is one attempt at a batch's transaction: each live ping applied by
// ApplyPing to its check, the incidents it opens or resolves, the checks
// and pings saved.
func (r *Recorder) apply(ctx context.Context, tx *store.Tx, calls []*call, b *batch) error {
	env := r.env()
	b.deadlines, b.pings, b.trs, b.queued, b.dirty = b.deadlines[:0], b.pings[:0], b.trs[:0], false, b.dirty[:0]
	clear(b.work)
	now := r.clock.Now()
	if err := r.prefetch(ctx, tx, calls, b.work); err != nil {
		return err
	}
	saved := map[int64]bool{}
	for _, cl := range calls {
		p := cl.Req
		p.res = Result{}
		if p.gone = cl.Gone(); p.gone {
			continue
		}
		c, err := r.lookup(ctx, tx, p, b.work)
		if err != nil {
			return err
		}
		if c == nil {
			continue
		}
		ping := p.req.Ping
		ping.At = now
		tr := ApplyPing(c, &ping)
		if !saved[c.ID] {
			saved[c.ID] = true
			b.dirty = append(b.dirty, c)
		}
		p.res.Found, p.res.Check, p.res.Transition = true, c.UUID, tr
		b.pings = append(b.pings, &ping)
		b.trs = append(b.trs, tr)
		b.deadlines = append(b.deadlines, deadline{c.ID, c.NextDeadline()})
		switch {
		case tr.WentDown:
			if _, err := incident.CheckDown(ctx, tx, env, c, now, tr.Reason, pingData(&ping, tr)); err != nil {
				return err
			}
			b.queued = true
		case tr.CameUp:
			if err := incident.CheckUp(ctx, tx, env, c, now, tr.Reason, pingData(&ping, tr)); err != nil {
				return err
			}
			b.queued = true
		}
	}
	if err := tx.SaveCheckStates(ctx, b.dirty); err != nil {
		return err
	}
	if err := tx.InsertPings(ctx, b.pings); err != nil {
		return err
	}
	for _, p := range b.pings {
		if p.N%PingsKept == 0 {
			if err := tx.PrunePings(ctx, p.CheckID, p.N-PingsKept+1); err != nil {
				return err
			}
		}
	}
	return nil
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
// UUID, into work: those the cache has no copy of (all of them while it
// reads fresh).
func (r *Recorder) prefetch(ctx context.Context, tx *store.Tx, calls []*call, work map[string]*tocsin.Check) error {
	uuids := make([]string, 0, len(calls))
	for _, c := range calls {
		if uuid := c.Req.req.UUID; uuid != "" {
			if _, cached := r.cache.Get(uuid); !cached {
				uuids = append(uuids, uuid)
			}
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
// of the cached one, else the stored one. It returns nil if there is none.
func (r *Recorder) lookup(ctx context.Context, tx *store.Tx, p *recording, work map[string]*tocsin.Check) (*tocsin.Check, error) {
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
	if c, ok := r.cache.Get(uuid); ok {
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

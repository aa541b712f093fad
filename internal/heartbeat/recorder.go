package heartbeat

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// PingsKept is how many pings of each check are kept; older ones are pruned
// every PingsKept pings.
const PingsKept = 100

// maxBatch bounds how many pings share one transaction.
const maxBatch = 512

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
}

type pending struct {
	req  Request
	res  Result
	err  error
	done chan struct{}
}

// NewRecorder makes a recorder; Run must be running for Record to return.
func NewRecorder(db *store.DB, clk clock.Clock, env func() incident.Env, hooks Hooks, log *slog.Logger, beat func()) *Recorder {
	if beat == nil {
		beat = func() {}
	}
	return &Recorder{db: db, clock: clk, env: env, hooks: hooks, log: log, reqs: make(chan *pending, 4*maxBatch), beat: beat}
}

// ErrStopped is returned for pings that arrive while the recorder stops.
var ErrStopped = errors.New("ping recorder stopped")

// Record stores a ping and returns once it is committed.
func (r *Recorder) Record(ctx context.Context, req Request) (Result, error) {
	p := &pending{req: req, done: make(chan struct{})}
	select {
	case r.reqs <- p:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		// The ping may still commit; the sender sees an error and retries,
		// which at worst stores it twice.
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
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-r.reqs:
				batch = append(batch, p)
			default:
				break fill
			}
		}
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

func (r *Recorder) commit(ctx context.Context, batch []*pending) {
	env := r.env()
	var deadlines []deadline
	var pings []tocsin.Ping
	var trs []Transition
	queued := false
	// The write gets its own deadline: a stuck disk must not hold the
	// recorder forever, and the senders will retry.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := r.db.Write(wctx, func(tx *store.Tx) error {
		deadlines, pings, trs, queued = deadlines[:0], pings[:0], trs[:0], false
		now := r.clock.Now()
		for _, p := range batch {
			p.res = Result{}
			c, err := r.lookup(wctx, tx, p)
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			p.res.Found, p.res.Check = true, c.UUID
			ping := p.req.Ping
			ping.At = now
			tr := ApplyPing(c, &ping)
			p.res.Transition = tr
			if err := tx.SaveCheckState(wctx, c); err != nil {
				return err
			}
			if err := tx.InsertPing(wctx, &ping); err != nil {
				return err
			}
			if ping.N%PingsKept == 0 {
				if err := tx.PrunePings(wctx, c.ID, ping.N-PingsKept+1); err != nil {
					return err
				}
			}
			ping.Body = nil
			pings = append(pings, ping)
			trs = append(trs, tr)
			deadlines = append(deadlines, deadline{c.ID, c.AlertAfter})
			data := map[string]any{"ping_n": ping.N, "kind": ping.Kind, "from": tr.From, "to": tr.To, "remote_addr": ping.RemoteAddr}
			if ping.ExitStatus != nil {
				data["exit_status"] = *ping.ExitStatus
			}
			switch {
			case tr.WentDown:
				if _, err := incident.OpenForCheck(wctx, tx, env, c, now, tr.Reason, data); err != nil {
					return err
				}
				queued = true
			case tr.CameUp:
				if err := incident.RecoverCheck(wctx, tx, env, c, now, tr.Reason, data); err != nil {
					return err
				}
				queued = true
			}
		}
		return nil
	})
	if err != nil {
		r.log.Error("store pings", "err", err, "batch", len(batch))
	}
	for _, p := range batch {
		if err != nil {
			p.err = err
		}
		close(p.done)
	}
	if err != nil {
		return
	}
	if r.hooks.Deadline != nil {
		for _, d := range deadlines {
			r.hooks.Deadline(d.id, d.at)
		}
	}
	if r.hooks.Committed != nil {
		r.hooks.Committed(pings, trs, queued)
	}
}

func (r *Recorder) lookup(ctx context.Context, tx *store.Tx, p *pending) (*tocsin.Check, error) {
	if p.req.UUID != "" {
		c, err := tx.CheckByUUID(ctx, p.req.UUID)
		if tocsin.ErrorCode(err) == tocsin.ENotFound {
			return nil, nil
		}
		return c, err
	}
	cs, err := tx.ChecksBySlug(ctx, p.req.Slug)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	if len(cs) > 1 {
		p.res.Ambiguous = true
		return nil, nil
	}
	return cs[0], nil
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/collect"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"github.com/tocsinhq/tocsin/internal/store"
)

// GuardConfig tunes the guard against mass failure: when more than Share
// of the probes (and at least MinProbes) turn down within Window, Tocsin
// suspects its own view (a network partition, a broken resolver) and opens
// one "monitoring degraded" incident to the operator instead of one incident
// per probe; per-probe incidents follow for probes still down after Confirm.
type GuardConfig struct {
	Share     float64
	MinProbes int
	Window    time.Duration
	Settle    time.Duration // how long a new failure waits for the guard's verdict
	Confirm   time.Duration
	Notify    []string // operator channels
}

// dueGrid is the step of probes' due times: probes due within one step
// start in one round, one wake-up of the job, instead of one each (a
// thousand probes every 30 s are 33 a second, ten thousand 333).
const dueGrid = 100 * time.Millisecond

// onGrid rounds t up to the next step of dueGrid: never earlier than asked.
func onGrid(t time.Time) time.Time {
	if g := t.Truncate(dueGrid); g.Before(t) {
		return g.Add(dueGrid)
	}
	return t
}

// checkCacheSize bounds the probe checks the results writer keeps in
// memory (a random one goes when it is full).
const checkCacheSize = 1 << 14

// HourlyRollupRetention is how long hourly rollups are kept; daily ones
// (365 rows a probe a year) are kept for good.
const HourlyRollupRetention = 90 * 24 * time.Hour

// ProbeRunner runs active probes on their intervals, under one global limit
// on concurrent probes, and turns their results into check states and
// incidents. Each probe has its own hard deadline, so a hung target delays
// only its own check.
type ProbeRunner struct {
	db    *store.DB
	clock clock.Clock
	env   func() incident.Env
	log   *slog.Logger
	guard func() GuardConfig

	// Concurrency bounds the probes in flight.
	Concurrency int
	// Retention is how long individual results are kept (rollups stay).
	Retention time.Duration
	// OnResult, if set, sees every result (metrics).
	OnResult func(checkID int64, r probe.Result)
	// OnStart, if set, is told how late each run started behind its
	// schedule (metrics): the wait for a free slot of Concurrency included.
	OnStart func(late time.Duration)
	// BatchWait is how long a successful result waits for others to share
	// its commit. A commit costs more than a probe of a nearby target, and
	// results come one by one, so without it each would get its own. A
	// failed result (which may turn its check down) is written at once.
	BatchWait time.Duration
	// Bus, if set, hears of each commit that opened, re-opened or resolved
	// incidents: notifications were queued, and a first escalation step
	// may be due (job.Queued|job.Paging).
	Bus *job.Bus
	// Deadline, if set, is told after commit of the new engine deadline of
	// each check a batch changed (the end of its flapping, say; zero: none).
	Deadline func(checkID int64, at time.Time)

	mu       sync.Mutex
	queue    *deadlineQueue
	checks   map[int64]*probeState
	inFlight map[int64]bool
	wake     *job.Wake
	// What lives as long as the job runs (see begin).
	term     context.Context
	inflight sync.WaitGroup
	results  chan probeRun
	sem      chan struct{}
	// The checks as the writer last committed them: a result need not read
	// its check again. Owned by the writer goroutine.
	cache *groupcommit.Cache[int64, *tocsin.Check]

	// The guard's memory, owned by the writer goroutine.
	flips    []flip
	pending  []flip // failures waiting for the guard's verdict
	held     map[int64]time.Time
	degraded int64 // open "monitoring degraded" incident, 0 if none
	handover handover
}

// handover is what became of the probes the degraded incident held, for
// its last word: which were confirmed down (and paged as incidents of
// their own), which recovered while held.
type handover struct {
	confirmed []string // "name (incident #id)"
	recovered []string
}

func (h handover) clone() handover {
	return handover{confirmed: append([]string(nil), h.confirmed...), recovered: append([]string(nil), h.recovered...)}
}

type probeState struct {
	name     string
	spec     string
	interval time.Duration
	paused   bool
	prober   probe.Prober
	err      error
}

type probeRun struct {
	checkID int64
	at      time.Time
	res     probe.Result
}

type flip struct {
	checkID int64
	at      time.Time
}

// NewProbeRunner makes a runner; Load reads its probes, a job.Runner runs its Job.
func NewProbeRunner(db *store.DB, clk clock.Clock, env func() incident.Env, guard func() GuardConfig, log *slog.Logger) *ProbeRunner {
	return &ProbeRunner{db: db, clock: clk, env: env, guard: guard, log: log, Concurrency: 64,
		Retention: 2 * 24 * time.Hour, BatchWait: 500 * time.Millisecond, queue: newDeadlineQueue(), checks: map[int64]*probeState{},
		inFlight: map[int64]bool{}, wake: job.NewWake(), held: map[int64]time.Time{},
		cache: groupcommit.NewCache[int64, *tocsin.Check](checkCacheSize, 0)}
}

// Load reads the probe checks and schedules the new ones; it is called at
// start and after every config reload. A new probe's first run is spread
// over its interval so that a thousand probes do not all start at once.
func (r *ProbeRunner) Load(ctx context.Context) error {
	list, err := r.db.ProbeChecks(ctx)
	if err != nil {
		return err
	}
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[int64]bool{}
	for _, pc := range list {
		seen[pc.ID] = true
		st := r.checks[pc.ID]
		if st == nil || st.spec != pc.Probe || st.interval != pc.Interval {
			spec, err := kinds.Parse(pc.Probe)
			var p probe.Prober
			if err == nil {
				p, err = kinds.Build(spec, r.clock)
			}
			if err != nil {
				r.log.Error("probe cannot run", "check", pc.Name, "err", err)
			}
			fresh := st == nil || st.interval != pc.Interval
			st = &probeState{name: pc.Name, spec: pc.Probe, interval: pc.Interval, prober: p, err: err}
			r.checks[pc.ID] = st
			if fresh {
				r.queue.Set(pc.ID, onGrid(now.Add(time.Duration(rand.Int64N(int64(pc.Interval))))))
			}
		}
		st.paused = pc.Paused
	}
	for id := range r.checks {
		if !seen[id] {
			delete(r.checks, id)
			r.queue.Set(id, time.Time{})
		}
	}
	r.poke()
	return nil
}

func (r *ProbeRunner) poke() { r.wake.Poke() }

// Count is the number of probe checks.
func (r *ProbeRunner) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.checks)
}

// Job is the probe runner's timed work, "probes": it starts the probes
// due and is next due when the earliest next one is. It runs on the
// leader only. Each time it starts (a replica that leads again) it begins
// with a fresh guard, as a new leader's does.
func (r *ProbeRunner) Job() job.Job {
	return job.Job{Name: "probes", Leader: true, Wake: r.wake, Begin: r.begin, Run: r.round}
}

// begin starts the writer of results; the probes that rounds start run
// under ctx. end waits for the probes in flight and the last write.
func (r *ProbeRunner) begin(ctx context.Context) (end func()) {
	r.term = ctx
	r.sem = make(chan struct{}, max(1, r.Concurrency))
	r.results = make(chan probeRun, 1024)
	r.cache = groupcommit.NewCache[int64, *tocsin.Check](checkCacheSize, 0) // a new term trusts no copy of the last
	r.flips, r.pending, r.held, r.degraded, r.handover = nil, nil, map[int64]time.Time{}, 0, handover{}
	written := make(chan struct{})
	go func() { r.write(ctx); close(written) }()
	return func() {
		r.inflight.Wait()
		close(r.results)
		<-written
	}
}

// round starts the probes due at now and says when the next is due.
func (r *ProbeRunner) round(_ context.Context, now time.Time) (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.queue.PopDueAt(now, 1000) {
		id := d.id
		st := r.checks[id]
		if st == nil {
			continue
		}
		// The next run keeps the rhythm of the interval, with a little
		// jitter so that probes started together drift apart.
		j := st.interval / 20
		next := now.Add(st.interval + time.Duration(rand.Int64N(int64(2*j)+1)) - j)
		r.queue.Set(id, onGrid(next))
		if st.paused || st.prober == nil || r.inFlight[id] {
			continue // a probe never overlaps itself
		}
		r.inFlight[id] = true
		r.inflight.Add(1)
		go func(term context.Context, id int64, due time.Time, p probe.Prober) {
			defer r.inflight.Done()
			r.runOne(term, id, due, p) // outlives the round, not the term
		}(r.term, id, d.at, st.prober)
	}
	next, _ := r.queue.Peek()
	return next, nil
}

func (r *ProbeRunner) runOne(ctx context.Context, id int64, due time.Time, p probe.Prober) {
	defer func() {
		r.mu.Lock()
		delete(r.inFlight, id)
		r.mu.Unlock()
	}()
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	at := r.clock.Now()
	if r.OnStart != nil {
		r.OnStart(at.Sub(due))
	}
	res := safeProbe(ctx, p)
	<-r.sem
	if ctx.Err() != nil {
		return // shutting down: not the target's fault
	}
	if r.OnResult != nil {
		r.OnResult(id, res)
	}
	r.results <- probeRun{checkID: id, at: at, res: res}
}

// safeProbe runs a probe, turning a panic into a failed result.
func safeProbe(ctx context.Context, p probe.Prober) (res probe.Result) {
	defer func() {
		if v := recover(); v != nil {
			res = probe.Fail(probe.ClassProtocol, fmt.Sprintf("probe panicked: %v", v), 0)
		}
	}()
	return p.Probe(ctx)
}

// write records results in batches and runs the guard's timers.
func (r *ProbeRunner) write(ctx context.Context) {
	tick := time.NewTicker(time.Second) // cadence of the guard's timers; times come from the clock
	defer tick.Stop()
	batch := make([]probeRun, 0, 512)
	for {
		select {
		case run, ok := <-r.results:
			if !ok {
				return
			}
			r.record(ctx, r.gather(append(batch[:0], run)))
		case <-tick.C:
			r.record(ctx, nil)
		}
	}
}

// gather adds to batch, which holds one result, those that arrive within
// BatchWait: until one fails, the batch is full or the wait is over. (On
// shutdown, the channel closed, it returns what it has.)
func (r *ProbeRunner) gather(batch []probeRun) []probeRun {
	if r.BatchWait <= 0 || !batch[0].res.OK {
		return collect.Ready(r.results, batch, cap(batch))
	}
	wait := time.NewTimer(r.BatchWait)
	defer wait.Stop()
	for len(batch) < cap(batch) {
		select {
		case run, ok := <-r.results:
			if !ok {
				return batch
			}
			batch = append(batch, run)
			if !run.res.OK {
				return collect.Ready(r.results, batch, cap(batch))
			}
		case <-wait.C:
			return batch
		}
	}
	return batch
}

// record writes a batch of results and settles the guard's pending
// decisions, in one transaction.
func (r *ProbeRunner) record(ctx context.Context, batch []probeRun) {
	if len(batch) == 0 && len(r.pending) == 0 && len(r.held) == 0 && r.degraded == 0 {
		return
	}
	env := r.env()
	g := r.guard()
	now := r.clock.Now()
	total := r.Count()
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var flips, pending []flip
	var held map[int64]time.Time
	var degraded int64
	var ho handover
	var deadlines []store.Deadline
	queued := false
	work := map[int64]*tocsin.Check{}
	err := r.db.Write(wctx, func(tx *store.Tx) error {
		flips, pending, held, degraded = append([]flip(nil), r.flips...), append([]flip(nil), r.pending...), cloneHeld(r.held), r.degraded
		ho, deadlines, queued = r.handover.clone(), deadlines[:0], false
		clear(work)
		for _, run := range batch {
			fl, recovered, err := r.apply(wctx, tx, env, run, work, &deadlines)
			if err != nil {
				return err
			}
			if _, wasHeld := held[run.checkID]; recovered && wasHeld {
				ho.recovered = append(ho.recovered, r.name(run.checkID))
			}
			if recovered {
				delete(held, run.checkID)
				queued = true
			}
			if fl != nil {
				flips = append(flips, *fl)
				pending = append(pending, *fl)
			}
		}
		return r.decide(wctx, tx, env, g, now, total, &flips, &pending, held, &degraded, &ho, &queued)
	})
	if err != nil {
		groupcommit.ForgetAll(r.cache, work) // what the failed transaction did to them is undone
		r.log.Error("record probe results", "err", err, "results", len(batch))
		return
	}
	r.cache.Commit(work)
	r.flips, r.pending, r.held, r.degraded, r.handover = flips, pending, held, degraded, ho
	if r.Deadline != nil {
		for _, d := range deadlines {
			r.Deadline(d.CheckID, d.At)
		}
	}
	if queued {
		r.Bus.Notify(job.Queued | job.Paging)
	}
}

func cloneHeld(m map[int64]time.Time) map[int64]time.Time {
	out := make(map[int64]time.Time, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// apply records one result and moves the check's state; it returns a flip
// when the check turned down (its incident waits for the guard).
// Each check whose state changed gets its engine deadline in deadlines.
// The check comes from work (this batch's copies), else the cache, else
// the store; a cached copy that another writer made stale (the API, a
// config reload, an incident's flap damping) fails to save, and the run
// is applied again to the stored check.
func (r *ProbeRunner) apply(ctx context.Context, tx *store.Tx, env incident.Env, run probeRun, work map[int64]*tocsin.Check,
	deadlines *[]store.Deadline) (*flip, bool, error) {
	c, err := r.check(ctx, tx, run.checkID, work)
	if err != nil || c == nil {
		return nil, false, err
	}
	before := c.Status
	ch, err := r.advance(ctx, tx, c, run)
	if errors.Is(err, store.ErrStale) {
		delete(work, run.checkID)
		r.cache.Forget(run.checkID)
		if c, err = r.check(ctx, tx, run.checkID, work); err != nil || c == nil {
			return nil, false, err
		}
		before = c.Status
		ch, err = r.advance(ctx, tx, c, run)
	}
	if err != nil {
		return nil, false, err
	}
	res := run.res
	if err := tx.InsertProbeResult(ctx, c.ID, store.ProbeResult{At: run.at, OK: res.OK, Latency: res.Latency,
		Class: res.Class, Message: res.Message}); err != nil {
		return nil, false, err
	}
	if (c.Pings-1)%100 == 0 {
		if err := tx.PruneProbeResults(ctx, c.ID, run.at.Add(-r.Retention), run.at.Add(-HourlyRollupRetention)); err != nil {
			return nil, false, err
		}
	}
	if c.Status == tocsin.StatePaused {
		return nil, false, nil
	}
	r.logResult(tx, c, res, before)
	if ch != noChange {
		*deadlines = append(*deadlines, store.Deadline{CheckID: c.ID, At: c.NextDeadline()})
	}
	switch ch {
	case wentDown:
		return &flip{checkID: c.ID, at: run.at}, false, nil
	case cameBack:
		return nil, true, incident.CheckUp(ctx, tx, env, c, run.at, fmt.Sprintf("%d successful run(s) in a row", c.OKStreak),
			r.evidence(ctx, tx, c, res))
	}
	return nil, false, nil
}

// change is what a run did to its check's state.
type change int

const (
	noChange change = iota
	wentDown
	wentUp   // from new or paused
	cameBack // from down
)

// advance counts the run on c, moves its state, and saves it (store.ErrStale
// if c is not the stored check's version).
func (r *ProbeRunner) advance(ctx context.Context, tx *store.Tx, c *tocsin.Check, run probeRun) (change, error) {
	c.Pings++ // counts runs for probes
	if c.Status == tocsin.StatePaused {
		return noChange, tx.SaveCheckState(ctx, c)
	}
	res := run.res
	if res.OK {
		c.OKStreak, c.FailStreak = c.OKStreak+1, 0
	} else {
		c.FailStreak, c.OKStreak = c.FailStreak+1, 0
	}
	c.LastPingAt = run.at
	ch := noChange
	switch {
	case !res.OK && c.FailStreak >= c.FailuresBeforeDown && c.Status != tocsin.StateDown:
		c.Status = tocsin.StateDown
		heartbeat.NoteChange(c, run.at, true)
		ch = wentDown
	case res.OK && c.OKStreak >= c.SuccessesBeforeUp && c.Status != tocsin.StateUp:
		ch = wentUp
		if c.Status == tocsin.StateDown {
			ch = cameBack
		}
		c.Status = tocsin.StateUp
		if ch == cameBack {
			heartbeat.NoteChange(c, run.at, false)
		}
	}
	return ch, tx.SaveCheckState(ctx, c)
}

// check is the check of a result: this batch's copy, else a copy of the
// cached one, else the stored one; nil if it is gone or no longer a probe.
func (r *ProbeRunner) check(ctx context.Context, tx *store.Tx, id int64, work map[int64]*tocsin.Check) (*tocsin.Check, error) {
	if c, ok := work[id]; ok {
		return c, nil
	}
	if c, ok := r.cache.Get(id); ok {
		cp := *c
		work[id] = &cp
		return &cp, nil
	}
	c, err := tx.CheckByID(ctx, id)
	if tocsin.ErrorCode(err) == tocsin.ENotFound {
		return nil, nil // removed since it ran
	}
	if err != nil {
		return nil, err
	}
	if !c.IsProbe() {
		return nil, nil
	}
	work[id] = c
	return c, nil
}

// evidence is what a notification about a probe carries: the failing
// condition, the last runs, and the runbook.
func (r *ProbeRunner) evidence(ctx context.Context, tx *store.Tx, c *tocsin.Check, last probe.Result) map[string]any {
	recent, _ := tx.RecentProbeResults(ctx, c.ID, 5)
	runs := make([]map[string]any, 0, len(recent))
	for _, x := range recent {
		runs = append(runs, map[string]any{"at": x.At, "ok": x.OK, "latency_ms": x.Latency.Milliseconds(),
			"class": x.Class, "message": x.Message})
	}
	spec, _ := kinds.Parse(c.Probe)
	ev := map[string]any{"probe": spec.Type, "target": spec.Target(), "condition": last.Message, "class": last.Class,
		"latency_ms": last.Latency.Milliseconds(), "recent_runs": runs,
		"failures_before_down": c.FailuresBeforeDown, "fail_streak": c.FailStreak}
	if c.RunbookURL != "" {
		ev["runbook_url"] = c.RunbookURL
	}
	if last.Warning != "" {
		ev["warning"] = last.Warning
	}
	return ev
}

// decide settles failures whose verdict is due: a normal incident each, or,
// when too many probes failed together, one "monitoring degraded" incident
// and the failures held until Confirm. queued is set when an incident
// opened or changed.
func (r *ProbeRunner) decide(ctx context.Context, tx *store.Tx, env incident.Env, g GuardConfig, now time.Time, total int,
	flips, pending *[]flip, held map[int64]time.Time, degraded *int64, ho *handover, queued *bool) error {
	// Forget flips outside the window.
	keep := (*flips)[:0]
	for _, f := range *flips {
		if now.Sub(f.at) <= g.Window {
			keep = append(keep, f)
		}
	}
	*flips = keep
	mass := total >= g.MinProbes && float64(len(*flips)) > g.Share*float64(total)

	var due, wait []flip
	for _, f := range *pending {
		if mass || now.Sub(f.at) >= g.Settle {
			due = append(due, f)
		} else {
			wait = append(wait, f)
		}
	}
	*pending = wait
	if mass && len(due) > 0 {
		if *degraded == 0 {
			var names []string
			for _, f := range *flips {
				names = append(names, r.name(f.checkID))
			}
			sort.Strings(names)
			in, err := incident.Open(ctx, tx, env, "Monitoring degraded", g.Notify, now,
				fmt.Sprintf("%d of %d probes failed within %s; suspect the monitor's own view before the targets", len(*flips), total, g.Window),
				map[string]any{"failed": names, "probes": total, "window": g.Window.String(), "share": g.Share})
			if err != nil {
				return err
			}
			*degraded = in.ID
			*queued = true
		}
		for _, f := range due {
			held[f.checkID] = f.at
			if err := incident.Note(ctx, tx, *degraded, now, tocsin.TimelineMonitoringIssue,
				fmt.Sprintf("%s is failing; its own incident is held until %s", r.name(f.checkID), f.at.Add(g.Confirm).UTC().Format(time.RFC3339)),
				map[string]any{"check_id": f.checkID}); err != nil {
				return err
			}
		}
		due = nil
	}
	// Held failures that outlast the confirmation window become incidents.
	confirming := map[int64]bool{}
	for id, since := range held {
		if now.Sub(since) >= g.Confirm {
			delete(held, id)
			confirming[id] = true
			due = append(due, flip{checkID: id, at: since})
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].checkID < due[j].checkID }) // map order must not reach the timeline
	for _, f := range due {
		c, err := tx.CheckByID(ctx, f.checkID)
		if tocsin.ErrorCode(err) == tocsin.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		if c.Status != tocsin.StateDown {
			if confirming[c.ID] {
				ho.recovered = append(ho.recovered, c.Name)
			}
			continue // recovered while waiting
		}
		recent, _ := tx.RecentProbeResults(ctx, c.ID, 1)
		last := probe.Result{}
		if len(recent) > 0 {
			last = probe.Result{Class: recent[0].Class, Message: recent[0].Message, Latency: recent[0].Latency}
		}
		reason := fmt.Sprintf("%d failed run(s) in a row: %s", c.FailStreak, last.Message)
		in, err := incident.CheckDown(ctx, tx, env, c, now, reason, r.evidence(ctx, tx, c, last))
		if err != nil {
			return err
		}
		*queued = true
		if confirming[c.ID] {
			ho.confirmed = append(ho.confirmed, fmt.Sprintf("%s (incident #%d)", c.Name, in.ID))
		}
	}
	// The degraded incident hands over once nothing is held: every held
	// probe recovered, or was confirmed down and paged as an incident of
	// its own. Its last word says which, so that its resolution never reads
	// as an all-clear when probes are really down.
	if *degraded != 0 && len(held) == 0 {
		if err := r.handOver(ctx, tx, env, g, now, *degraded, *ho); err != nil {
			return err
		}
		*queued = true
		*degraded, *ho = 0, handover{}
		*flips = (*flips)[:0] // a new failure after this is judged on its own
	}
	return nil
}

// handOver ends the degraded incident id with what became of its held
// probes: a timeline entry, and the resolution (sent to the operator)
// with the same words as its reason.
func (r *ProbeRunner) handOver(ctx context.Context, tx *store.Tx, env incident.Env, g GuardConfig, now time.Time, id int64, ho handover) error {
	var reason string
	switch {
	case len(ho.confirmed) > 0:
		reason = fmt.Sprintf("confirmed: %d probe(s) really down after %s, paged their owners: %s", len(ho.confirmed),
			tocsin.FormatDuration(g.Confirm), strings.Join(ho.confirmed, ", "))
		if len(ho.recovered) > 0 {
			reason += fmt.Sprintf("; %d recovered while held: %s", len(ho.recovered), strings.Join(ho.recovered, ", "))
		}
	case len(ho.recovered) > 0:
		reason = fmt.Sprintf("all held probes recovered: %s", strings.Join(ho.recovered, ", "))
	default:
		reason = "no probe is held any more"
	}
	if err := incident.Note(ctx, tx, id, now, tocsin.TimelineHandedOver, "Handed over: "+reason,
		map[string]any{"confirmed": ho.confirmed, "recovered": ho.recovered, "confirm": g.Confirm.String()}); err != nil {
		return err
	}
	return incident.ResolveAuto(ctx, tx, env, id, now, reason)
}

func (r *ProbeRunner) name(id int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.checks[id]; st != nil {
		return st.name
	}
	return fmt.Sprintf("check %d", id)
}

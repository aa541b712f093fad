package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
)

// Tocsin is healthy end to end when a store write of its own commits
// within watchdog.write_timeout, no watched loop is stalled (pings, alerts,
// leader election, and the jobs of jobs.go, the leader's only on the
// leader), and, on SQLite, it leads the engine: a single process that does
// not lead runs no deadlines. The health job checks it every healthEvery;
// the self-heartbeat checks it afresh before each ping, /readyz reads the
// last result without waiting on the store, and the systemd watchdog hears
// WATCHDOG=1 only while it holds.

// healthEvery is how often the health job probes the store.
const healthEvery = time.Second

// health holds the write probes' results.
type health struct {
	mu       sync.Mutex
	inflight chan struct{} // closed when the running probe ends; nil if none runs
	started  time.Time     // when the running probe began
	okAt     time.Time     // when a probe last committed
	err      error         // the last probe's error, as /readyz may show it; nil if it committed
	logged   string        // the last store error logged, so that a lasting one is logged once
}

// probeWrite commits a small write of its own and waits for it at most
// watchdog.write_timeout. A probe still running from before is waited for,
// not doubled: a store that hangs gets one probe at a time.
func (a *App) probeWrite(ctx context.Context) error {
	timeout := a.state.Load().Config.Watchdog.WriteTimeout.D()
	h := &a.health
	h.mu.Lock()
	done := h.inflight
	if done == nil {
		done = make(chan struct{})
		h.inflight, h.started = done, a.clock.Now()
		go a.runWriteProbe(ctx, done, timeout)
	}
	h.mu.Unlock()
	t := a.clock.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.err
	case <-t.C():
		return fmt.Errorf("a store write did not commit within %s", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runWriteProbe runs one write probe under its own deadline. (SQLite may
// overrun it by up to its busy timeout while another connection holds the
// write lock; waiters give up at the deadline regardless.)
func (a *App) runWriteProbe(ctx context.Context, done chan struct{}, timeout time.Duration) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	err := a.db.ProbeWrite(wctx, a.elector.Holder)
	cancel()
	// /readyz is public and the self-heartbeat's body leaves the machine:
	// they get what went wrong in words, the log gets the error.
	var shown error
	switch {
	case err == nil:
	case store.IsBusy(err):
		shown = errors.New("another connection holds the database's write lock")
	case errors.Is(err, context.DeadlineExceeded):
		shown = fmt.Errorf("a write did not commit within %s", timeout)
	default:
		shown = errors.New("a write failed (the log has the error)")
	}
	text := ""
	if err != nil {
		text = err.Error()
	}
	now := a.clock.Now()
	h := &a.health
	h.mu.Lock()
	h.inflight, h.err = nil, shown
	if err == nil {
		h.okAt = now
	}
	changed := text != h.logged // a lasting error is logged once
	h.logged = text
	h.mu.Unlock()
	close(done)
	if changed && err != nil {
		a.log.Error("health: store write", "err", err)
	}
}

// writeProblem says why the store does not take writes now, from the last
// probes; "" if it does. It does not wait.
func (a *App) writeProblem(now time.Time) string {
	timeout := a.state.Load().Config.Watchdog.WriteTimeout.D()
	h := &a.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.inflight != nil && now.Sub(h.started) > timeout:
		return fmt.Sprintf("store not writable: a write has not committed for %s (write_timeout %s)",
			now.Sub(h.started).Round(time.Second), timeout)
	case h.err != nil:
		return "store not writable: " + h.err.Error()
	case h.okAt.IsZero():
		return "store not writable: no write has committed yet"
	case now.Sub(h.okAt) > timeout+2*healthEvery:
		return fmt.Sprintf("store not writable: no write has committed for %s", now.Sub(h.okAt).Round(time.Second))
	}
	return ""
}

// healthProblems lists what keeps this process from being healthy end to
// end, from the last probes; none if it is. It does not wait.
func (a *App) healthProblems() []string {
	var problems []string
	if p := a.writeProblem(a.clock.Now()); p != "" {
		problems = append(problems, p)
	}
	for _, loop := range a.watchdog.Stalled() {
		problems = append(problems, "loop stalled: "+loop)
	}
	if !a.db.Shared() && !a.Leading() {
		// Alone on SQLite, nobody else runs the deadlines.
		problems = append(problems, "not leading the engine: no deadlines, probes or escalations run")
	}
	return problems
}

// checkHealth probes the store afresh (bounded by write_timeout) and lists
// the problems.
func (a *App) checkHealth(ctx context.Context) []string {
	if err := a.probeWrite(ctx); err != nil && ctx.Err() == nil {
		a.log.Debug("health: write probe", "err", err)
	}
	return a.healthProblems()
}

// healthCheck checks the health every healthEvery, logs each change, and
// tells systemd's watchdog (WATCHDOG=1, every half of WatchdogSec) only
// while it is healthy: a Tocsin that cannot write is restarted. It returns
// the job's run.
func (a *App) healthCheck() func(context.Context, time.Time) (time.Time, error) {
	every, wd := healthEvery, a.notifier.Watchdog()/2
	if wd > 0 {
		every = min(every, wd)
	}
	var lastNotify time.Time
	last := ""
	return func(ctx context.Context, start time.Time) (time.Time, error) {
		problems := a.checkHealth(ctx)
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		if now := strings.Join(problems, "; "); now != last {
			if now == "" {
				a.log.Info("healthy again")
			} else {
				a.log.Error("unhealthy", "problems", problems)
			}
			last = now
		}
		now := a.clock.Now()
		if wd > 0 && len(problems) == 0 && now.Sub(lastNotify) >= wd-every/2 {
			if err := a.notifier.Notify("WATCHDOG=1"); err != nil {
				a.log.Warn("systemd watchdog", "err", err)
			} else {
				lastNotify = now
			}
		}
		return now.Add(every), nil
	}
}

// failURL is the self-heartbeat URL that reports a failure, Healthchecks'
// form: the URL with "/fail" appended to its path.
func failURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/fail"
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(u.RawPath, "/") + "/fail"
	}
	return u.String(), nil
}

// sdNotify tells systemd state, if it listens; failures are logged.
func (a *App) sdNotify(state string) {
	if err := a.notifier.Notify(state); err != nil {
		a.log.Warn("systemd notify", "state", state, "err", err)
	}
}

// ready lists what keeps the server from being ready: the health check's
// problems and a store that does not answer a read.
func (a *App) ready(ctx context.Context) []string {
	problems := a.healthProblems()
	if err := a.db.Ping(ctx); err != nil {
		problems = append(problems, "store unreachable")
		a.log.Error("readyz: store", "err", err)
	}
	return problems
}

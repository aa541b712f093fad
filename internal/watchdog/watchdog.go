// Package watchdog watches Tocsin's own loops. Each long-running loop beats
// its watchdog entry; a loop that has not beaten for too long is stalled: the
// watchdog logs it, makes /readyz fail, and reports it through a path that
// does not go through any of the loops it watches (a direct send, not the
// outbox). It says so again when the loop recovers.
//
// Reports are damped by episodes: the first stall opens one, and it ends
// (one "recovered" report) only after the loop has run for MinEpisode
// without stalling. A loop that flaps, stalling and beating again within
// that time, stays in its episode and sends no further messages; /readyz
// and Stalled still follow every change.
package watchdog

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// Report tells people about a stall or a recovery; it must bound its own
// work with ctx. For a stall, since is how long the loop was silent; for a
// recovery, how long the episode lasted.
type Report func(ctx context.Context, loop string, stalled bool, since time.Duration)

// Watchdog tracks loops.
type Watchdog struct {
	clock      clock.Clock
	log        *slog.Logger
	stallAfter func() time.Duration
	report     Report

	// MinEpisode, if set, is how long a stalled loop must run again before
	// its recovery is reported; set it before Run.
	MinEpisode func() time.Duration

	// OnRegister, if set, is called with the name of each new loop (under
	// the watchdog's lock: it must not call back); set it before any loop
	// registers.
	OnRegister func(name string)

	mu    sync.Mutex
	loops map[string]*loop
}

type loop struct {
	last    time.Time
	stalled bool // now, for /readyz
	standby bool // not running by design (a follower's engine): not checked
	// The episode: from the reported stall to the reported recovery.
	episode      bool
	episodeStart time.Time
	runningSince time.Time // since when it has not been stalled, within an episode
	stalls       int       // stalls within the episode
}

// New makes a watchdog. report may be nil.
func New(clk clock.Clock, log *slog.Logger, stallAfter func() time.Duration, report Report) *Watchdog {
	return &Watchdog{clock: clk, log: log, stallAfter: stallAfter, report: report, loops: map[string]*loop{}}
}

// Register adds a loop and returns the function it calls to beat.
func (w *Watchdog) Register(name string) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := &loop{last: w.clock.Now()}
	if w.loops[name] == nil && w.OnRegister != nil {
		w.OnRegister(name)
	}
	w.loops[name] = l
	return w.beat(l)
}

// Beat returns the beat function of the named loop, registering it first
// if it is new: for a loop that runs again and again (a leader's).
func (w *Watchdog) Beat(name string) func() {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.loops[name]
	if l == nil {
		l = &loop{last: w.clock.Now()}
		w.loops[name] = l
		if w.OnRegister != nil {
			w.OnRegister(name)
		}
	}
	return w.beat(l)
}

func (w *Watchdog) beat(l *loop) func() {
	return func() {
		now := w.clock.Now()
		w.mu.Lock()
		l.last = now
		w.mu.Unlock()
	}
}

// Standby marks a loop as not running by design, or running again: a
// replica's engine loops run only while it leads. A loop on standby is not
// checked; one leaving it counts from now.
func (w *Watchdog) Standby(name string, standby bool) {
	now := w.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := w.loops[name]; l != nil {
		l.standby, l.last = standby, now
		if standby && l.stalled {
			// Not running by design is not stalled: the episode may end.
			l.stalled, l.runningSince = false, now
		}
	}
}

// Stalled lists the loops that are stalled now, by name.
func (w *Watchdog) Stalled() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for name, l := range w.loops {
		if l.stalled {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Check looks at every loop once; Run calls it periodically.
func (w *Watchdog) Check(ctx context.Context) {
	now := w.clock.Now()
	limit := w.stallAfter()
	var minEpisode time.Duration
	if w.MinEpisode != nil {
		minEpisode = w.MinEpisode()
	}
	type change struct {
		name    string
		stalled bool
		since   time.Duration // stalled: silent for; recovered: the episode's length
		stalls  int
	}
	var changes []change
	w.mu.Lock()
	for name, l := range w.loops {
		if !l.standby {
			since := now.Sub(l.last)
			switch stalled := since > limit; {
			case stalled && !l.stalled:
				l.stalled = true
				if !l.episode {
					l.episode, l.episodeStart, l.stalls = true, now, 0
					changes = append(changes, change{name: name, stalled: true, since: since})
				} else {
					w.log.Warn("loop stalled again; same episode, not reported again", "loop", name,
						"since", since.Round(time.Millisecond))
				}
				l.stalls++
			case !stalled && l.stalled:
				l.stalled, l.runningSince = false, now
				w.log.Info("loop running again", "loop", name)
			}
		}
		if l.episode && !l.stalled && now.Sub(l.runningSince) >= minEpisode {
			l.episode = false
			changes = append(changes, change{name: name, since: now.Sub(l.episodeStart), stalls: l.stalls})
		}
	}
	w.mu.Unlock()
	for _, c := range changes {
		if c.stalled {
			w.log.Error("loop stalled", "loop", c.name, "since", c.since.Round(time.Millisecond))
		} else {
			w.log.Info("loop recovered", "loop", c.name, "episode", c.since.Round(time.Millisecond), "stalls", c.stalls)
		}
		if w.report != nil {
			// Each report runs on its own, bounded: a hung receiver must
			// not stall the watchdog itself.
			go func() {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				w.report(rctx, c.name, c.stalled, c.since)
			}()
		}
	}
}

// Run checks the loops every quarter of the stall limit until ctx ends.
func (w *Watchdog) Run(ctx context.Context) {
	for {
		if !clock.Sleep(ctx, w.clock, max(w.stallAfter()/4, 100*time.Millisecond)) {
			return
		}
		w.Check(ctx)
	}
}

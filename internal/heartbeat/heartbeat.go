// Package heartbeat is the state machine of heartbeat checks: what a ping
// does to a check, and what the passing of its deadline does. It follows
// the Healthchecks rules so that existing cron wrappers behave the same.
package heartbeat

import (
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Transition says how a ping or a deadline changed a check.
type Transition struct {
	From, To tocsin.CheckState // effective states before and after
	WentDown bool              // the check is now down and was not
	CameUp   bool              // the check is now up and was down
	Reason   string
}

// Changed reports whether the effective state changed.
func (t Transition) Changed() bool { return t.From != t.To }

// ApplyPing applies p to c at p.At: it sets p.Kind to what the ping counts
// as (ignored, for instance), numbers it, and updates c's state fields.
func ApplyPing(c *tocsin.Check, p *tocsin.Ping) Transition {
	now := p.At
	tr := Transition{From: c.StateAt(now)}
	wasDown := tr.From == tocsin.StateDown
	storedDown := c.Status == tocsin.StateDown // the engine had acted on it
	filtered := c.Keywords.ClassifiesPings() && p.Kind == tocsin.PingSuccess && p.ExitStatus == nil
	if filtered {
		// Only the plain URL is classified: /start, /fail, /log and an
		// exit status say what they are.
		p.Kind = Classify(c.Keywords, p.Body)
	}
	if c.Methods == "POST" && p.Method != "POST" {
		p.Kind = tocsin.PingIgnored
	}
	if c.Status == tocsin.StatePaused && c.ManualResume || c.IsProbe() {
		p.Kind = tocsin.PingIgnored // a probe's state comes from its runs, not from pings
	}
	c.Pings++
	p.CheckID, p.N = c.ID, c.Pings

	switch p.Kind {
	case tocsin.PingStart:
		// A paused check stays paused: only a success or a failure
		// un-pauses it, as in Healthchecks. Until then the run is timed
		// but cannot take the check down.
		c.LastStartAt, c.LastStartRID = now, p.RID
		c.Runs = startRun(c.Runs, tocsin.Run{RID: p.RID, At: now})
	case tocsin.PingSuccess, tocsin.PingFail:
		c.Runs, p.Duration = finishRun(c.Runs, p.RID, now)
		c.LastDuration = p.Duration
		// The pending start (the latest) ends when this finish is its
		// run's; else a fail ends it anyway, and so does a success that
		// carries no run id (Healthchecks' rules).
		if p.RID == c.LastStartRID || p.Kind == tocsin.PingFail || p.RID == "" {
			c.LastStartAt, c.LastStartRID = time.Time{}, ""
		}
		c.LastPingAt = now
		if p.Kind == tocsin.PingFail {
			c.Status = tocsin.StateDown
			tr.Reason = "fail ping"
			if p.ExitStatus != nil {
				tr.Reason = fmt.Sprintf("exit status %d", *p.ExitStatus)
			}
		} else {
			c.Status = tocsin.StateUp
			tr.Reason = "success ping"
		}
		if filtered {
			tr.Reason += " (by the check's body keywords)"
		}
	}
	c.AlertAfter = c.GoesDownAt()
	tr.To = c.StateAt(now)
	tr.WentDown = !wasDown && tr.To == tocsin.StateDown
	tr.CameUp = wasDown && tr.To != tocsin.StateDown && tr.To != tocsin.StatePaused
	if tr.CameUp && p.Kind == tocsin.PingStart {
		// A start says a run began, not that the job works again.
		tr.CameUp = false
	}
	// A ping after the deadline but before the engine acted on it came up
	// from a down nobody was told of: not a change for flap damping.
	if tr.WentDown || tr.CameUp && storedDown {
		NoteChange(c, now, tr.WentDown)
	}
	return tr
}

// Expire applies the passing of time: if c's deadline is at or before now,
// c goes down. It reports false (and changes nothing) if c is not due.
func Expire(c *tocsin.Check, now time.Time) (Transition, bool) {
	due := c.GoesDownAt()
	if due.IsZero() || now.Before(due) {
		return Transition{}, false
	}
	tr := Transition{From: c.StateAt(due.Add(-time.Millisecond)), To: tocsin.StateDown, WentDown: true}
	if !c.LastStartAt.IsZero() && !c.LastStartAt.Add(c.Grace).After(due) {
		tr.Reason = fmt.Sprintf("run started at %s did not finish within the grace time of %s",
			c.LastStartAt.UTC().Format(time.RFC3339), tocsin.FormatDuration(c.Grace))
	} else {
		tr.Reason = fmt.Sprintf("no ping since %s; expected by %s (%s), grace %s",
			formatTime(c.LastPingAt), c.ExpectedAt().UTC().Format(time.RFC3339), c.Schedule, tocsin.FormatDuration(c.Grace))
	}
	c.Status = tocsin.StateDown
	c.AlertAfter = time.Time{}
	NoteChange(c, now, true)
	return tr, true
}

// maxRunAge is how long after its start a finish is still timed against
// it, as Healthchecks' MAX_DURATION: an older start is a run that died.
const maxRunAge = 72 * time.Hour

// startRun returns runs with r opened: a start with the id of an open run
// starts that run again, and past tocsin.MaxOpenRuns the oldest is dropped.
// It returns a new slice, since cached copies of the check share the old.
func startRun(runs []tocsin.Run, r tocsin.Run) []tocsin.Run {
	out := make([]tocsin.Run, 0, min(len(runs)+1, tocsin.MaxOpenRuns))
	for _, o := range runs {
		if o.RID != r.RID && r.At.Sub(o.At) <= maxRunAge {
			out = append(out, o)
		}
	}
	out = append(out, r)
	if over := len(out) - tocsin.MaxOpenRuns; over > 0 {
		out = out[over:]
	}
	return out
}

// finishRun ends the open run with this run id ("" for the latest start
// that carried none) and returns the runs left and how long it ran; zero
// if no such run is open (its start was lost, dropped or too old). A run
// is finished by its own id only, so a finish without one does not time a
// run that has one, as in Healthchecks.
func finishRun(runs []tocsin.Run, rid string, now time.Time) ([]tocsin.Run, time.Duration) {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].RID != rid {
			continue
		}
		var d time.Duration
		if age := now.Sub(runs[i].At); age <= maxRunAge {
			d = age
		}
		out := make([]tocsin.Run, 0, len(runs)-1)
		return append(append(out, runs[:i]...), runs[i+1:]...), d
	}
	return runs, 0
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

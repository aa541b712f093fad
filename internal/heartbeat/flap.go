package heartbeat

import (
	"time"

	"github.com/tocsinhq/tocsin"
)

// NoteChange records that c changed between up and down at now (down
// says which way), for flap damping: it keeps the changes within the flap
// window and starts flapping when they reach FlapChanges. It reports
// whether c began flapping with this change. A change up also cancels a
// pending re-page (the check recovered). Heartbeats and probes share it.
func NoteChange(c *tocsin.Check, now time.Time, down bool) (began bool) {
	now = now.Truncate(time.Millisecond) // as stored, so that later comparisons with stored times hold
	if !down {
		c.ReopenAt, c.ReopenNote = time.Time{}, ""
	}
	if c.FlapChanges <= 0 {
		c.Changes, c.FlappingSince, c.FlapCount = nil, time.Time{}, 0
		return false
	}
	// A new slice: cached copies of the check share the old one.
	kept := make([]time.Time, 0, c.FlapChanges)
	for _, t := range c.Changes {
		if now.Sub(t) <= c.FlapWindow {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	if over := len(kept) - c.FlapChanges; over > 0 {
		kept = kept[over:]
	}
	c.Changes = kept
	if c.Flapping() {
		c.FlapCount++
		return false
	}
	if len(c.Changes) >= c.FlapChanges {
		c.FlappingSince, c.FlapCount = now, len(c.Changes)
		return true
	}
	return false
}

// Settle ends c's flapping if it has been up for FlapStable at now. It
// reports whether it did, with when flapping began and how many changes
// it saw.
func Settle(c *tocsin.Check, now time.Time) (since time.Time, changes int, ended bool) {
	at := c.FlapStableAt()
	if at.IsZero() || now.Before(at) {
		return time.Time{}, 0, false
	}
	since, changes = c.FlappingSince, c.FlapCount
	c.FlappingSince, c.FlapCount, c.Changes = time.Time{}, 0, nil
	return since, changes, true
}

package heartbeat

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

var flapT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func flapCheck() *tocsin.Check {
	return &tocsin.Check{Name: "job", Status: tocsin.StateUp, FlapChanges: 4, FlapWindow: 10 * time.Minute, FlapStable: 5 * time.Minute}
}

// The flap window: changes older than the window are forgotten, at most
// FlapChanges are kept, and the FlapChanges-th change within the window
// begins flapping, once.
func TestNoteChange(t *testing.T) {
	c := flapCheck()
	at := func(m int) time.Time { return flapT0.Add(time.Duration(m) * time.Minute) }
	// Three changes, then a pause longer than the window: no flapping.
	for i, m := range []int{0, 1, 2} {
		if NoteChange(c, at(m), i%2 == 0) {
			t.Fatalf("flapping after %d changes", i+1)
		}
	}
	if NoteChange(c, at(13), true) || len(c.Changes) != 1 {
		t.Fatalf("changes %v after a quiet window; want only the latest", c.Changes)
	}
	for i, m := range []int{14, 15} {
		if NoteChange(c, at(m), i%2 == 0) {
			t.Fatalf("flapping after %d changes in the window", i+2)
		}
	}
	if !NoteChange(c, at(16), true) || !c.Flapping() || !c.FlappingSince.Equal(at(16)) || c.FlapCount != 4 {
		t.Fatalf("4th change in the window: flapping %v since %v, count %d", c.Flapping(), c.FlappingSince, c.FlapCount)
	}
	for i := range 6 {
		if NoteChange(c, at(17+i), i%2 == 0) {
			t.Fatal("began flapping twice")
		}
	}
	if c.FlapCount != 10 || len(c.Changes) != 4 || !c.Changes[3].Equal(at(22)) {
		t.Fatalf("count %d, changes %v; want 10 and the last 4", c.FlapCount, c.Changes)
	}
	// Off: nothing is kept.
	c.FlapChanges = 0
	if NoteChange(c, at(23), true) || c.Flapping() || c.Changes != nil {
		t.Fatalf("damping off: flapping %v, changes %v", c.Flapping(), c.Changes)
	}
}

// Flapping ends only when the check has been up for the stable period
// since its last change; a change up cancels a pending re-page.
func TestSettleAndReopenCancel(t *testing.T) {
	c := flapCheck()
	c.ReopenAt, c.ReopenNote = flapT0.Add(time.Hour), "resolved by hand by alice (incident #1)"
	for i := range 4 {
		NoteChange(c, flapT0.Add(time.Duration(i)*time.Second), i%2 == 0) // down, up, down, up
	}
	if !c.ReopenAt.IsZero() || c.ReopenNote != "" {
		t.Fatalf("re-page %v %q kept after a change up", c.ReopenAt, c.ReopenNote)
	}
	last := flapT0.Add(3 * time.Second)
	if !c.FlapStableAt().Equal(last.Add(5*time.Minute)) || !c.NextDeadline().Equal(last.Add(5*time.Minute)) {
		t.Fatalf("stable at %v, next deadline %v", c.FlapStableAt(), c.NextDeadline())
	}
	if _, _, ended := Settle(c, last.Add(5*time.Minute-time.Millisecond)); ended {
		t.Fatal("settled before the stable period")
	}
	c.Status = tocsin.StateDown
	if _, _, ended := Settle(c, last.Add(time.Hour)); ended || !c.FlapStableAt().IsZero() {
		t.Fatal("a down check settled")
	}
	c.Status = tocsin.StateUp
	since, n, ended := Settle(c, last.Add(5*time.Minute))
	if !ended || !since.Equal(last) || n != 4 || c.Flapping() || c.Changes != nil {
		t.Fatalf("settle: ended %v since %v count %d; check flapping %v", ended, since, n, c.Flapping())
	}
}

// A ping after the deadline that the engine has not acted on yet is no
// change: nothing went down that anybody was told of.
func TestPingBeforeEngineIsNoChange(t *testing.T) {
	c := flapCheck()
	c.Schedule, c.Grace = tocsin.Every(time.Minute), 30*time.Second
	c.LastPingAt = flapT0
	c.AlertAfter = c.GoesDownAt()
	p := tocsin.Ping{At: flapT0.Add(2 * time.Minute), Kind: tocsin.PingSuccess}
	if tr := ApplyPing(c, &p); !tr.CameUp || len(c.Changes) != 0 {
		t.Fatalf("came up %v, changes %v; want came up, no change", tr.CameUp, c.Changes)
	}
	if _, ok := Expire(c, flapT0.Add(5*time.Minute)); !ok || len(c.Changes) != 1 {
		t.Fatalf("expired %v, changes %v", ok, c.Changes)
	}
	p = tocsin.Ping{At: flapT0.Add(6 * time.Minute), Kind: tocsin.PingSuccess}
	if tr := ApplyPing(c, &p); !tr.CameUp || len(c.Changes) != 2 {
		t.Fatalf("came up %v, changes %v; want 2 changes", tr.CameUp, c.Changes)
	}
}

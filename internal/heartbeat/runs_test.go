package heartbeat

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Overlapping runs told apart by their rid are each timed on their own
// finish: start A, start B, finish B, finish A gives A its 2 s, as
// Healthchecks' ping log does.
func TestOverlappingRunsAreTimedApart(t *testing.T) {
	c := newCheck()
	ApplyPing(c, ping(tocsin.PingStart, t0, "a"))
	ApplyPing(c, ping(tocsin.PingStart, t0.Add(500*time.Millisecond), "b"))
	finishB := ping(tocsin.PingSuccess, t0.Add(time.Second), "b")
	ApplyPing(c, finishB)
	finishA := ping(tocsin.PingSuccess, t0.Add(2*time.Second), "a")
	ApplyPing(c, finishA)
	if finishB.Duration != 500*time.Millisecond || finishA.Duration != 2*time.Second {
		t.Fatalf("durations: b %v, a %v; want 500ms and 2s", finishB.Duration, finishA.Duration)
	}
	if c.LastDuration != 2*time.Second || len(c.Runs) != 0 {
		t.Fatalf("last duration %v, open runs %v", c.LastDuration, c.Runs)
	}
	// The state follows the latest start only, as in Healthchecks: B's
	// finish ended it, A's is a finish with no pending start.
	if !c.LastStartAt.IsZero() || c.Status != tocsin.StateUp {
		t.Fatalf("state: start %v status %s", c.LastStartAt, c.Status)
	}
}

// A finish without rid is timed against the latest start without one; a
// run with an id is finished by its own id only. A failure of a run that
// is not open is not timed.
func TestFinishWithoutRunID(t *testing.T) {
	c := newCheck()
	ApplyPing(c, ping(tocsin.PingStart, t0, ""))
	ApplyPing(c, ping(tocsin.PingStart, t0.Add(time.Second), ""))    // starts the rid-less run again
	ApplyPing(c, ping(tocsin.PingStart, t0.Add(2*time.Second), "x")) // another, with an id
	p := ping(tocsin.PingSuccess, t0.Add(4*time.Second), "")
	ApplyPing(c, p)
	if p.Duration != 3*time.Second {
		t.Fatalf("rid-less finish: %v, want 3s (from the latest rid-less start)", p.Duration)
	}
	if len(c.Runs) != 1 || c.Runs[0].RID != "x" {
		t.Fatalf("open runs %v, want x", c.Runs)
	}
	p = ping(tocsin.PingFail, t0.Add(5*time.Second), "y")
	ApplyPing(c, p)
	if p.Duration != 0 || c.LastDuration != 0 {
		t.Fatalf("a finish of no open run was timed: %v / %v", p.Duration, c.LastDuration)
	}
}

// At most tocsin.MaxOpenRuns runs stay open: the oldest is dropped, and
// its finish is not timed; so is a finish more than 72 h after its start.
func TestOpenRunsAreBounded(t *testing.T) {
	c := newCheck()
	c.Grace = 100 * time.Hour
	for i := range tocsin.MaxOpenRuns + 2 {
		ApplyPing(c, ping(tocsin.PingStart, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("r%d", i)))
	}
	if len(c.Runs) != tocsin.MaxOpenRuns || c.Runs[0].RID != "r2" {
		t.Fatalf("%d open runs, oldest %v", len(c.Runs), c.Runs[0])
	}
	dropped := ping(tocsin.PingSuccess, t0.Add(20*time.Second), "r0")
	ApplyPing(c, dropped)
	kept := ping(tocsin.PingSuccess, t0.Add(20*time.Second), "r2")
	ApplyPing(c, kept)
	if dropped.Duration != 0 || kept.Duration != 18*time.Second {
		t.Fatalf("dropped run timed %v, kept run %v", dropped.Duration, kept.Duration)
	}
	late := ping(tocsin.PingSuccess, t0.Add(73*time.Hour), "r3")
	ApplyPing(c, late)
	if late.Duration != 0 {
		t.Fatalf("a finish 73 h after its start was timed: %v", late.Duration)
	}
}

// Applying a ping to a copy of a check (the recorder's cache hands out
// copies) leaves the original's open runs alone.
func TestRunsOfCachedCopiesAreNotShared(t *testing.T) {
	c := newCheck()
	ApplyPing(c, ping(tocsin.PingStart, t0, "a"))
	ApplyPing(c, ping(tocsin.PingStart, t0, "b"))
	cp := *c
	ApplyPing(&cp, ping(tocsin.PingSuccess, t0.Add(time.Second), "a"))
	ApplyPing(&cp, ping(tocsin.PingStart, t0.Add(time.Second), "c"))
	if len(c.Runs) != 2 || c.Runs[0].RID != "a" || c.Runs[1].RID != "b" {
		t.Fatalf("the original's runs changed: %v", c.Runs)
	}
}

// Healthchecks' rules for paused checks: a start does not un-pause (the
// run is timed, and cannot take the check down while it is paused); a
// success or a failure does; a log changes nothing; with manual_resume
// every ping is ignored.
func TestPausedCheckPings(t *testing.T) {
	paused := func() *tocsin.Check {
		c := newCheck()
		Pause(c)
		return c
	}
	c := paused()
	tr := ApplyPing(c, ping(tocsin.PingStart, t0, ""))
	if c.Status != tocsin.StatePaused || tr.To != tocsin.StatePaused || c.LastStartAt.IsZero() || !c.AlertAfter.IsZero() {
		t.Fatalf("start on a paused check: status %s, to %s, start %v, alert after %v", c.Status, tr.To, c.LastStartAt, c.AlertAfter)
	}
	if _, ok := Expire(c, t0.Add(time.Hour)); ok {
		t.Fatal("a paused check's run took it down")
	}
	ApplyPing(c, ping(tocsin.PingLog, t0.Add(time.Second), ""))
	if c.Status != tocsin.StatePaused {
		t.Fatalf("log un-paused: %s", c.Status)
	}
	p := ping(tocsin.PingSuccess, t0.Add(2*time.Second), "")
	tr = ApplyPing(c, p)
	if c.Status != tocsin.StateUp || tr.To != tocsin.StateUp || p.Duration != 2*time.Second {
		t.Fatalf("success on a paused check: status %s, to %s, duration %v", c.Status, tr.To, p.Duration)
	}

	c = paused()
	tr = ApplyPing(c, ping(tocsin.PingFail, t0, ""))
	if c.Status != tocsin.StateDown || !tr.WentDown {
		t.Fatalf("fail on a paused check: status %s, %+v", c.Status, tr)
	}

	for _, kind := range []tocsin.PingKind{tocsin.PingStart, tocsin.PingSuccess, tocsin.PingFail, tocsin.PingLog} {
		c = paused()
		c.ManualResume = true
		p := ping(kind, t0, "r")
		ApplyPing(c, p)
		if p.Kind != tocsin.PingIgnored || c.Status != tocsin.StatePaused || !c.LastStartAt.IsZero() || len(c.Runs) != 0 {
			t.Fatalf("%s on a manual-resume paused check: kind %s, status %s, start %v", kind, p.Kind, c.Status, c.LastStartAt)
		}
	}
}

// The keyword filter classifies pings to the plain URL in Healthchecks'
// order (failure, success, start, then the default); explicit URLs keep
// their meaning.
func TestKeywordFilter(t *testing.T) {
	f := &tocsin.KeywordFilter{Failure: []string{"ERROR", "failed"}, Success: []string{"done"}, Start: []string{"starting"}}
	for _, tc := range []struct {
		body        string
		defaultFail bool
		want        tocsin.PingKind
	}{
		{"backup done, 0 ERROR", false, tocsin.PingFail}, // failure wins over success
		{"backup done", false, tocsin.PingSuccess},
		{"starting backup; done soon", false, tocsin.PingSuccess}, // success wins over start
		{"starting backup", false, tocsin.PingStart},
		{"error", false, tocsin.PingIgnored}, // case-sensitive
		{"", false, tocsin.PingIgnored},
		{"nothing to see", true, tocsin.PingFail},
		{"d\xffone: failed", false, tocsin.PingFail}, // bytes that are not UTF-8 do not hide the rest
	} {
		f.DefaultFail = tc.defaultFail
		if got := Classify(f, []byte(tc.body)); got != tc.want {
			t.Errorf("%q (default fail %v): %s, want %s", tc.body, tc.defaultFail, got, tc.want)
		}
	}

	f.DefaultFail = false
	c := newCheck()
	c.Keywords = f
	p := ping(tocsin.PingSuccess, t0, "")
	p.Body = []byte("all done")
	tr := ApplyPing(c, p)
	if p.Kind != tocsin.PingSuccess || c.Status != tocsin.StateUp || tr.Reason != "success ping (by the check's body keywords)" {
		t.Fatalf("success keyword: kind %s status %s reason %q", p.Kind, c.Status, tr.Reason)
	}
	p = ping(tocsin.PingSuccess, t0.Add(time.Second), "")
	p.Body = []byte("no keyword")
	last := c.LastPingAt
	tr = ApplyPing(c, p)
	if p.Kind != tocsin.PingIgnored || tr.Changed() || !c.LastPingAt.Equal(last) {
		t.Fatalf("no keyword: kind %s, %+v, last ping %v", p.Kind, tr, c.LastPingAt)
	}
	code := 0
	p = &tocsin.Ping{Kind: tocsin.PingSuccess, ExitStatus: &code, At: t0.Add(2 * time.Second), Body: []byte("ERROR")}
	ApplyPing(c, p)
	if p.Kind != tocsin.PingSuccess {
		t.Fatalf("an exit status was reclassified: %s", p.Kind)
	}
	p = ping(tocsin.PingStart, t0.Add(3*time.Second), "")
	p.Body = []byte("ERROR")
	ApplyPing(c, p)
	if p.Kind != tocsin.PingStart {
		t.Fatalf("/start was reclassified: %s", p.Kind)
	}
}

// Open runs and keyword filters are stored with the check: a run started
// before a restart is timed after it.
func TestRunsAndKeywordsAreStored(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	path := t.TempDir() + "/t.db"
	db, err := store.Open(ctx, path, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	f := &tocsin.KeywordFilter{Failure: []string{"ERROR"}, Start: []string{"begin"}, DefaultFail: true}
	var uuid string
	if err := db.Write(ctx, func(tx *store.Tx) error {
		uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: "c", Slug: "c", Spec: tocsin.ScheduleSpec{Every: time.Hour},
			Grace: time.Hour, Keywords: f})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var want []tocsin.Run
	if err := db.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.CheckByUUID(ctx, uuid)
		if err != nil {
			return err
		}
		for i, rid := range []string{"a", "", "b"} {
			p := ping(tocsin.PingStart, t0.Add(time.Duration(i)*time.Second), rid)
			p.Method = "POST"
			p.Body = []byte("begin")
			ApplyPing(c, p)
		}
		want = c.Runs
		return tx.SaveCheckState(ctx, c)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = store.Open(ctx, path, store.Options{Clock: clk}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.CheckByUUID(ctx, uuid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Keywords, f) {
		t.Fatalf("keywords read back %+v, want %+v", c.Keywords, f)
	}
	if len(c.Runs) != 3 || !reflect.DeepEqual(rids(c.Runs), rids(want)) || !c.Runs[0].At.Equal(t0) {
		t.Fatalf("runs read back %v, want %v", c.Runs, want)
	}
	p := ping(tocsin.PingSuccess, t0.Add(10*time.Second), "a")
	p.Body = []byte("begin")
	ApplyPing(c, p) // "begin" makes it a start: a second run a, not a finish
	if p.Kind != tocsin.PingStart || len(c.Runs) != 3 {
		t.Fatalf("kind %s, runs %v", p.Kind, c.Runs)
	}
}

func rids(runs []tocsin.Run) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.RID
	}
	return out
}

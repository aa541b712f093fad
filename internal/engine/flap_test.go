package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// check reads the fixture's check.
func (f *fixture) check(t *testing.T) *tocsin.Check {
	t.Helper()
	c, err := f.db.CheckByUUID(context.Background(), f.uuid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// incidents lists every incident of the fixture's check, newest first,
// each with its timeline.
func (f *fixture) incidents(t *testing.T) []*tocsin.Incident {
	t.Helper()
	ctx := context.Background()
	list, err := f.db.Incidents(ctx, store.IncidentFilter{CheckID: f.check(t).ID})
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range list {
		if list[i], err = f.db.Incident(ctx, in.ID); err != nil {
			t.Fatal(err)
		}
	}
	return list
}

// triggered counts the incident.triggered notifications queued for in.
func (f *fixture) triggered(t *testing.T, id int64) int {
	t.Helper()
	ns, err := f.db.Notifications(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Event == tocsin.EventTriggered {
			n++
		}
	}
	return n
}

// goDown lets the check (every 1m, grace 30s) go down by waiting.
func (f *fixture) goDown(t *testing.T) {
	t.Helper()
	f.clock.Advance(91 * time.Second)
	testkit.EventuallyAdvancing(t, f.clock, 100*time.Millisecond, "check down", func() bool { return f.check(t).Status == tocsin.StateDown })
}

func messages(in *tocsin.Incident, kind string) []string {
	var out []string
	for _, e := range in.Timeline {
		if e.Kind == kind {
			out = append(out, e.Message)
		}
	}
	return out
}

// A heartbeat degrading slowly (up, late, up, late, ...) with the default
// flap damping (4 changes in 10m, stable 10m): one incident, paged when it
// opened and when it came back within the window, then quiet however long
// it flaps; it resolves only once the check has been up for 10 minutes.
func TestFlappingHeartbeatHoldsOneIncident(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run(ctx, f.eng, f.idle)
	f.ping(t, tocsin.PingSuccess)
	for range 7 {
		f.goDown(t)
		f.clock.Advance(5 * time.Second)
		f.ping(t, tocsin.PingSuccess)
	}
	list := f.incidents(t)
	if len(list) != 1 {
		t.Fatalf("%d incidents for 14 changes; want 1", len(list))
	}
	in := list[0]
	if in.Status != tocsin.IncidentTriggered {
		t.Fatalf("flapping incident %s; want it open while the check flaps", in.Status)
	}
	// Paged when opened and when re-opened 5s after the first recovery;
	// flapping began at the 4th change, and nothing paged after.
	if n := f.triggered(t, in.ID); n != 2 {
		t.Fatalf("%d triggered notifications; want 2 (opened, re-opened before flapping)", n)
	}
	flap := messages(in, tocsin.TimelineFlapping)
	if len(flap) == 0 || !strings.Contains(flap[0], "backup is flapping: 4 changes in ") {
		t.Fatalf("flapping entries %q", flap)
	}
	if len(messages(in, tocsin.TimelineReopened)) != 1 {
		t.Fatalf("re-opened entries %q; want one", messages(in, tocsin.TimelineReopened))
	}
	c := f.check(t)
	if !c.Flapping() || c.FlapCount != 14-4+4 || c.Status != tocsin.StateUp {
		t.Fatalf("check flapping %v, %d changes, %s", c.Flapping(), c.FlapCount, c.Status)
	}
	stableAt := c.FlapStableAt()
	if !stableAt.Equal(c.Changes[len(c.Changes)-1].Add(10 * time.Minute)) {
		t.Fatalf("stable at %v, last change %v", stableAt, c.Changes[len(c.Changes)-1])
	}

	// Up on time for almost the stable period: still open.
	for f.clock.Now().Add(50 * time.Second).Before(stableAt) {
		f.clock.Advance(50 * time.Second)
		f.ping(t, tocsin.PingSuccess)
	}
	f.idle.Idle(t, f.clock.Now(), stableAt, f.eng.poke) // nothing due before the stable period ends
	if got := f.incidents(t)[0]; got.Status != tocsin.IncidentTriggered {
		t.Fatalf("resolved %s before the stable period ended", f.clock.Now().Sub(stableAt))
	}
	f.clock.Set(stableAt)
	testkit.EventuallyAdvancing(t, f.clock, 100*time.Millisecond, "flapping incident resolved", func() bool { return f.incidents(t)[0].Status == tocsin.IncidentResolved })
	in = f.incidents(t)[0]
	if c := f.check(t); c.Flapping() || len(c.Changes) != 0 {
		t.Fatalf("after the stable period: flapping %v, changes %v", c.Flapping(), c.Changes)
	}
	last := in.Timeline[len(in.Timeline)-1]
	ended := messages(in, tocsin.TimelineFlapping)
	if !strings.Contains(ended[len(ended)-1], "has been up for 10m: no longer flapping (14 changes since") {
		t.Fatalf("flapping entries %q", ended)
	}
	if !strings.Contains(strings.Join(messages(in, tocsin.TimelineResolved), " "), "stable for 10m after flapping") {
		t.Fatalf("resolution %q; timeline ends with %+v", messages(in, tocsin.TimelineResolved), last)
	}
	// After it, a failure is a new incident again, paged as usual.
	f.ping(t, tocsin.PingSuccess)
	f.goDown(t)
	if list := f.incidents(t); len(list) != 2 || list[0].Status != tocsin.IncidentTriggered || f.triggered(t, list[0].ID) != 1 {
		t.Fatalf("after flapping ended, a failure: %d incidents; want a second one, paged", len(list))
	}
}

// Flap damping off (changes 0): every down opens an incident, as before.
func TestFlapDampingOff(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := f.db.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.SyncChecks(ctx, []store.CheckDef{{Name: "undamped", Slug: "undamped",
			Spec: tocsin.ScheduleSpec{Every: time.Minute}, Grace: 30 * time.Second, Notify: []string{"ops"}, AutoResolve: true,
			FlapChanges: 0, FlapWindow: 10 * time.Minute, FlapStable: 10 * time.Minute}})
		f.uuid = res.UUIDs["undamped"]
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	go run(ctx, f.eng, f.idle)
	f.ping(t, tocsin.PingSuccess)
	for range 3 {
		f.goDown(t)
		f.ping(t, tocsin.PingSuccess)
	}
	if list := f.incidents(t); len(list) != 3 {
		t.Fatalf("%d incidents; want 3 with flap damping off", len(list))
	}
	if c := f.check(t); c.Flapping() || len(c.Changes) != 0 {
		t.Fatalf("flapping %v, changes %v with damping off", c.Flapping(), c.Changes)
	}
}

// resolveByHand resolves the check's open incident as alice would through
// the API, and tells the engine as the API does.
func (f *fixture) resolveByHand(t *testing.T) *tocsin.Incident {
	t.Helper()
	ctx := context.Background()
	open := f.incidents(t)[0]
	err := f.db.Write(ctx, func(tx *store.Tx) error {
		_, err := incident.Resolve(ctx, tx, env(), open.ID, "alice", f.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.check(t)
	f.eng.Schedule(c.ID, c.NextDeadline())
	return open
}

// An incident resolved by hand while its check is still down: an hour
// later (the default reopen_after), still down, a new incident opens and
// pages, saying why. The re-page is a stored deadline: an engine started
// afresh (a restart) still does it.
func TestResolvedByHandWhileDownPagesAgain(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	go run(runCtx, f.eng, f.idle)
	f.ping(t, tocsin.PingSuccess)
	f.goDown(t)
	first := f.resolveByHand(t)
	c := f.check(t)
	if want := f.clock.Now().Add(time.Hour).Truncate(time.Millisecond); !c.ReopenAt.Equal(want) {
		t.Fatalf("reopen at %v; want %v", c.ReopenAt, want)
	}
	note := messages(f.incidents(t)[0], tocsin.TimelineStateChange)
	if len(note) == 0 || !strings.Contains(note[len(note)-1], "backup is still down: if it still is at") {
		t.Fatalf("resolved incident's timeline %q", note)
	}

	// Restart: a new engine loads the re-page from the store.
	stop()
	log := testkit.Logger()
	eng := New(f.db, f.clock, env, log)
	idle := &testkit.IdleLog{}
	if err := eng.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if eng.Scheduled() != 1 {
		t.Fatalf("%d deadlines loaded; want the re-page", eng.Scheduled())
	}
	go run(ctx, eng, idle)
	f.clock.Advance(59 * time.Minute)
	idle.Idle(t, f.clock.Now(), c.ReopenAt, eng.poke) // nothing due a minute before the re-page
	if n := len(f.incidents(t)); n != 1 {
		t.Fatalf("%d incidents before reopen_after passed", n)
	}
	f.clock.Advance(time.Minute)
	testkit.EventuallyAdvancing(t, f.clock, 100*time.Millisecond, "a new incident", func() bool { return len(f.incidents(t)) == 2 })
	second := f.incidents(t)[0]
	if second.Status != tocsin.IncidentTriggered || f.triggered(t, second.ID) != 1 {
		t.Fatalf("new incident %s, %d triggered; want triggered and paged", second.Status, f.triggered(t, second.ID))
	}
	want := "still down 1h after it was resolved by hand by alice (incident #" + strconv.FormatInt(first.ID, 10) + ")"
	if opened := messages(second, tocsin.TimelineOpened); len(opened) != 1 || !strings.Contains(opened[0], want) {
		t.Fatalf("opened %q; want it to say %q", opened, want)
	}
	if c := f.check(t); !c.ReopenAt.IsZero() || eng.Scheduled() != 0 {
		t.Fatalf("after the re-page: reopen at %v, %d scheduled", c.ReopenAt, eng.Scheduled())
	}
}

// A check that recovers after its incident was resolved by hand cancels
// the re-page; one that was up when resolved arms none.
func TestRecoveryCancelsRepage(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go run(ctx, f.eng, f.idle)
	f.ping(t, tocsin.PingSuccess)
	f.goDown(t)
	f.resolveByHand(t)
	if f.check(t).ReopenAt.IsZero() {
		t.Fatal("no re-page armed")
	}
	f.ping(t, tocsin.PingSuccess)
	if c := f.check(t); !c.ReopenAt.IsZero() {
		t.Fatalf("re-page still at %v after recovery", c.ReopenAt)
	}
	// Up on time for longer than reopen_after: nothing opens.
	for range 75 {
		f.clock.Advance(50 * time.Second)
		f.ping(t, tocsin.PingSuccess)
	}
	// Nothing is due before the next ping's deadline: no re-page.
	f.idle.Idle(t, f.clock.Now(), f.check(t).NextDeadline(), f.eng.poke)
	if n := len(f.incidents(t)); n != 1 {
		t.Fatalf("%d incidents; want only the one resolved by hand", n)
	}
}

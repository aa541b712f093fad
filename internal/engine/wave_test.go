package engine

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// A wave of checks going down together is one round of the engine, its
// reads and writes shared (incident.ChecksDown): each check still gets
// what it would alone. Twice, so that the second wave meets an incident
// left open (auto_resolve off), a flap-damped check's incident its
// recovery resolved (re-opened) and the resolved ones of checks without
// flap damping (new incidents).
func TestWaveGoesDownInOneRound(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testWave(t, t.TempDir()+"/t.db") })
	t.Run("postgres", func(t *testing.T) { testWave(t, pgtest.Start(t).NewDatabase(t)) })
}

func testWave(t *testing.T, dsn string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clock.NewFake(t0)
	db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	defs := []store.CheckDef{
		{Name: "w1", AutoResolve: true, FlapWindow: time.Hour}, // flap damping off: FlapChanges 0
		{Name: "w2", AutoResolve: true, FlapWindow: time.Hour},
		{Name: "sticky"},
		{Name: "flap", AutoResolve: true, FlapChanges: 5, FlapWindow: time.Hour, FlapStable: 10 * time.Minute},
	}
	uuids := map[string]string{}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		for _, d := range defs {
			d.Slug, d.Spec, d.Grace, d.Notify = d.Name, tocsin.ScheduleSpec{Every: time.Minute}, 30*time.Second, []string{"ops"}
			if uuids[d.Name], err = tx.CreateCheck(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	log := testkit.Logger()
	eng := New(db, clk, env, log)
	rec := heartbeat.NewRecorder(db, clk, env, heartbeat.Hooks{Deadline: eng.Schedule}, log, nil)
	go rec.Run(ctx)
	pingAll := func() {
		t.Helper()
		for name, uuid := range uuids {
			if res, err := rec.Record(ctx, heartbeat.Request{UUID: uuid, Ping: tocsin.Ping{Kind: tocsin.PingSuccess}}); err != nil || !res.Found {
				t.Fatalf("ping %s: %+v %v", name, res, err)
			}
		}
	}
	var downs []int64
	eng.OnExpire = func(id int64, _ time.Duration) { downs = append(downs, id) }
	wave := func() {
		t.Helper()
		clk.Advance(90 * time.Second)
		downs = nil
		if _, err := eng.round(ctx, clk.Now()); err != nil || len(downs) != 4 {
			t.Fatalf("round: %d checks down, %v; want the 4 in one round", len(downs), err)
		}
	}
	incidents := func(name string) []*tocsin.Incident {
		t.Helper()
		c, err := db.CheckByUUID(ctx, uuids[name])
		if err != nil || c.Status != tocsin.StateDown {
			t.Fatalf("check %s: %+v, %v", name, c, err)
		}
		list, err := db.Incidents(ctx, store.IncidentFilter{CheckID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []*tocsin.Incident
		for _, in := range list {
			full, err := db.Incident(ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, full)
		}
		return out // newest first
	}
	kinds := func(in *tocsin.Incident) []string {
		var out []string
		for _, e := range in.Timeline {
			out = append(out, e.Kind)
		}
		return out
	}
	triggered := func(in *tocsin.Incident) int {
		t.Helper()
		ns, err := db.Notifications(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ns {
			if x.Event == tocsin.EventTriggered && x.Channel == "ops" {
				n++
			}
		}
		return n
	}

	pingAll()
	wave()
	for name := range uuids {
		list := incidents(name)
		if len(list) != 1 || list[0].Status != tocsin.IncidentTriggered || triggered(list[0]) != 1 ||
			len(list[0].Timeline) != 2 || list[0].Timeline[0].Kind != tocsin.TimelineOpened ||
			list[0].Timeline[1].Kind != tocsin.TimelineNotifyQueued || list[0].Title != name+" is down" {
			t.Fatalf("%s after the first wave: %+v", name, list)
		}
	}

	clk.Advance(5 * time.Second)
	pingAll()
	wave()
	for _, name := range []string{"w1", "w2"} {
		list := incidents(name)
		if len(list) != 2 || list[0].Status != tocsin.IncidentTriggered || list[1].Status != tocsin.IncidentResolved ||
			triggered(list[0]) != 1 || len(list[0].Timeline) != 2 {
			t.Fatalf("%s after the second wave: %d incidents, newest %+v", name, len(list), list[0])
		}
	}
	sticky := incidents("sticky")
	if k := kinds(sticky[0]); len(sticky) != 1 || triggered(sticky[0]) != 1 || k[len(k)-1] != tocsin.TimelineStateChange {
		t.Fatalf("sticky after the second wave: %d incidents, timeline %v", len(sticky), k)
	}
	flap := incidents("flap")
	k := kinds(flap[0])
	reopened := 0
	for _, kind := range k {
		if kind == tocsin.TimelineReopened {
			reopened++
		}
	}
	if len(flap) != 1 || flap[0].Status != tocsin.IncidentTriggered || triggered(flap[0]) != 2 || reopened != 1 {
		t.Fatalf("flap after the second wave: %d incidents, %s, %d pages, timeline %v", len(flap), flap[0].Status,
			triggered(flap[0]), k)
	}
}

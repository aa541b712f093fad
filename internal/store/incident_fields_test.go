package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func init() {
	contract = append(contract,
		struct {
			name string
			run  func(t *testing.T, db *DB, clk *clock.Fake)
		}{"IncidentFields", testIncidentFields},
		struct {
			name string
			run  func(t *testing.T, db *DB, clk *clock.Fake)
		}{"KeyMoments", testKeyMoments},
		struct {
			name string
			run  func(t *testing.T, db *DB, clk *clock.Fake)
		}{"MergeIncident", testMergeIncident})
}

// newIncident creates an open incident of group with one timeline entry.
func newIncident(t *testing.T, db *DB, group string, now time.Time) (*tocsin.Incident, *tocsin.TimelineEntry) {
	t.Helper()
	in := &tocsin.Incident{Title: group, Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "api", GroupKey: group, Priority: tocsin.P3}
	e := &tocsin.TimelineEntry{At: now, Kind: tocsin.TimelineOpened, Actor: "tocsin", Message: "opened " + group}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		e.IncidentID = in.ID
		return tx.AppendTimeline(ctx, e)
	})
	return in, e
}

func readIncident(t *testing.T, db *DB, id int64) *tocsin.Incident {
	t.Helper()
	in, err := db.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func testIncidentFields(t *testing.T, db *DB, clk *clock.Fake) {
	in, _ := newIncident(t, db, "g1", clk.Now())
	if got := readIncident(t, db, in.ID); got.Services == nil || len(got.Services) != 0 || len(got.Roles) != 0 || len(got.Links) != 0 || got.MergedInto != 0 {
		t.Fatalf("a new incident's fields: %+v", got)
	}
	in.Priority = tocsin.P5
	in.Services = []string{"db", "web"}
	in.Roles = []tocsin.IncidentRole{{Role: tocsin.RoleCommander, User: "alice"}, {Role: "scribe", User: "bob"}}
	in.Links = []tocsin.IncidentLink{{Kind: "ticket", Title: "OPS-1", URL: "https://tickets.example/OPS-1"}}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.SaveIncidentFields(ctx, in) })
	got := readIncident(t, db, in.ID)
	if got.Priority != tocsin.P5 || !reflect.DeepEqual(got.Services, in.Services) || !reflect.DeepEqual(got.Roles, in.Roles) ||
		!reflect.DeepEqual(got.Links, in.Links) {
		t.Fatalf("fields read back: %+v", got)
	}
	// The list reads them too.
	list, err := db.Incidents(context.Background(), IncidentFilter{})
	if err != nil || len(list) != 1 || !reflect.DeepEqual(list[0].Roles, in.Roles) {
		t.Fatalf("listed: %+v, %v", list, err)
	}
	// A backdated entry lands in the timeline at its own time.
	back := clk.Now().Add(-time.Hour)
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: back, Kind: tocsin.TimelineManual, Actor: "alice", Message: "saw it"})
	})
	got = readIncident(t, db, in.ID)
	if len(got.Timeline) != 2 || !got.Timeline[1].At.Equal(back) || got.Timeline[1].Actor != "alice" {
		t.Fatalf("timeline: %+v", got.Timeline)
	}
}

func testKeyMoments(t *testing.T, db *DB, clk *clock.Fake) {
	in, first := newIncident(t, db, "g1", clk.Now())
	other, _ := newIncident(t, db, "g2", clk.Now())
	second := &tocsin.TimelineEntry{IncidentID: in.ID, At: clk.Now(), Kind: tocsin.TimelineNote, Actor: "bob", Message: "found it"}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.AppendTimeline(ctx, second) })
	moments := func() []string {
		var out []string
		for _, e := range readIncident(t, db, in.ID).Timeline {
			out = append(out, e.KeyMoment)
		}
		return out
	}
	set := func(e *tocsin.TimelineEntry, kind string) {
		t.Helper()
		mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.SetKeyMoment(ctx, e, kind) })
	}
	set(first, tocsin.KeyDetection)
	if got := moments(); !reflect.DeepEqual(got, []string{tocsin.KeyDetection, ""}) {
		t.Fatalf("after marking detection: %q", got)
	}
	// Another entry marked detection takes it over.
	set(second, tocsin.KeyDetection)
	if got := moments(); !reflect.DeepEqual(got, []string{"", tocsin.KeyDetection}) {
		t.Fatalf("after moving detection: %q", got)
	}
	// An entry holds one key moment: a new one replaces its old one.
	set(second, tocsin.KeyMitigation)
	if got := moments(); !reflect.DeepEqual(got, []string{"", tocsin.KeyMitigation}) {
		t.Fatalf("after re-marking: %q", got)
	}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		if id, err := tx.KeyMomentHolder(ctx, in.ID, tocsin.KeyMitigation); err != nil || id != second.ID {
			t.Errorf("mitigation held by %d, %v; want %d", id, err, second.ID)
		}
		if id, err := tx.KeyMomentHolder(ctx, other.ID, tocsin.KeyMitigation); err != nil || id != 0 {
			t.Errorf("other incident's mitigation held by %d, %v", id, err)
		}
		if e, err := tx.TimelineEntry(ctx, in.ID, second.ID); err != nil || e.KeyMoment != tocsin.KeyMitigation || e.Message != "found it" {
			t.Errorf("entry %+v, %v", e, err)
		}
		if _, err := tx.TimelineEntry(ctx, other.ID, second.ID); tocsin.ErrorCode(err) != tocsin.ENotFound {
			t.Errorf("entry of another incident: %v", err)
		}
		return tx.ClearKeyMoment(ctx, second)
	})
	if got := moments(); !reflect.DeepEqual(got, []string{"", ""}) {
		t.Fatalf("after clearing: %q", got)
	}
}

func testMergeIncident(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	target, targetOpened := newIncident(t, db, "g1", now)
	dup, dupOpened := newIncident(t, db, "g2", now)
	dupNote := &tocsin.TimelineEntry{IncidentID: dup.ID, At: now, Kind: tocsin.TimelineNote, Actor: "bob", Message: "dup note"}
	var alert *tocsin.AlertRecord
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		alert = newAlert(t, tx, "prom", "a1", nil, now)
		alert.IncidentID = dup.ID
		if err := tx.SaveAlert(ctx, alert); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: "k1", Channel: "ops", Event: tocsin.EventTriggered,
			IncidentID: dup.ID, Payload: []byte(`{}`)}); err != nil {
			return err
		}
		if err := tx.AppendTimeline(ctx, dupNote); err != nil {
			return err
		}
		// Both have a detection: the target's stays; the duplicate's
		// mitigation follows its entry.
		if err := tx.SetKeyMoment(ctx, targetOpened, tocsin.KeyDetection); err != nil {
			return err
		}
		if err := tx.SetKeyMoment(ctx, dupOpened, tocsin.KeyDetection); err != nil {
			return err
		}
		return tx.SetKeyMoment(ctx, dupNote, tocsin.KeyMitigation)
	})
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.MergeIncident(ctx, dup.ID, target.ID) })

	got := readIncident(t, db, target.ID)
	var kinds []string
	for _, e := range got.Timeline {
		kinds = append(kinds, e.Message+"/"+e.KeyMoment)
	}
	if want := []string{"opened g1/detection", "opened g2/", "dup note/mitigation"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("target's timeline %q, want %q", kinds, want)
	}
	if d := readIncident(t, db, dup.ID); d.MergedInto != target.ID || len(d.Timeline) != 0 {
		t.Errorf("duplicate merged into %d with %d entries", d.MergedInto, len(d.Timeline))
	}
	if as, err := db.AlertsOfIncident(ctx, target.ID); err != nil || len(as) != 1 || as[0].ID != alert.ID {
		t.Errorf("target's alerts %v, %v", as, err)
	}
	if ns, err := db.Notifications(ctx, target.ID); err != nil || len(ns) != 1 || ns[0].IdempotencyKey != "k1" {
		t.Errorf("target's notifications %v, %v", ns, err)
	}
	if ns, err := db.Notifications(ctx, dup.ID); err != nil || len(ns) != 0 {
		t.Errorf("duplicate's notifications %v, %v", ns, err)
	}
}

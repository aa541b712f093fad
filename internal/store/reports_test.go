package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testReportRows: the reports read the incidents open at some time of the
// range, and of them only the entries and pages made within it.
func testReportRows(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	t0 := clk.Now()
	from, to := t0.Add(time.Hour), t0.Add(3*time.Hour)
	ids := map[string]int64{}
	mk := func(name string, opened, resolved time.Time) {
		t.Helper()
		if err := db.Write(ctx, func(tx *Tx) error {
			in := &tocsin.Incident{Title: name, Status: tocsin.IncidentTriggered, OpenedAt: opened, Service: "api", Team: "core"}
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			ids[name] = in.ID
			// One entry and one page before the range, one within, one after.
			for i, at := range []time.Time{from.Add(-time.Minute), from.Add(time.Minute), to} {
				if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: at, Kind: tocsin.TimelineEscalation,
					Actor: "tocsin", Message: "paging", Data: []byte(`{"user":"ana"}`)}); err != nil {
					return err
				}
				// A note is not a kind the reports read.
				if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: at, Kind: tocsin.TimelineNote,
					Actor: "ana", Message: "note"}); err != nil {
					return err
				}
				clk.Set(at)
				key := name + "-" + string(rune('a'+i))
				for _, ev := range []string{tocsin.EventTriggered, tocsin.EventAcknowledged} {
					if _, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: key + ev, Channel: "contact:ana:0", Event: ev,
						IncidentID: in.ID, Payload: []byte("{}")}); err != nil {
						return err
					}
				}
			}
			if !resolved.IsZero() {
				in.Status, in.ResolvedAt, in.ResolvedBy = tocsin.IncidentResolved, resolved, "ana"
				return tx.SaveIncident(ctx, in)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	mk("resolved-before", t0, from.Add(-time.Second))
	mk("resolved-within", t0, from.Add(time.Hour))
	mk("still-open", t0, time.Time{})
	mk("opened-within", from.Add(time.Minute), time.Time{})
	mk("opened-after", to, time.Time{})

	rows, err := db.ReportRows(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range rows.Incidents {
		got = append(got, in.Title)
	}
	want := []string{"resolved-within", "still-open", "opened-within"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("incidents %v, want %v", got, want)
	}
	if len(rows.Timeline) != 3 || len(rows.Pages) != 3 {
		t.Fatalf("%d entries and %d pages, want 3 and 3", len(rows.Timeline), len(rows.Pages))
	}
	for i, e := range rows.Timeline {
		if e.Kind != tocsin.TimelineEscalation || !e.At.Equal(from.Add(time.Minute)) || string(e.Data) != `{"user":"ana"}` ||
			e.IncidentID != ids[want[i]] {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	for i, n := range rows.Pages {
		if n.Event != tocsin.EventTriggered || !n.CreatedAt.Equal(from.Add(time.Minute)) || n.Channel != "contact:ana:0" ||
			n.IncidentID != ids[want[i]] {
			t.Fatalf("page %d: %+v", i, n)
		}
	}
	// Three are still open then.
	if empty, err := db.ReportRows(ctx, to.Add(time.Hour*24*400), to.Add(time.Hour*24*401)); err != nil || len(empty.Incidents) != 3 ||
		len(empty.Timeline) != 0 || len(empty.Pages) != 0 {
		t.Fatalf("later range: %+v, %v", empty, err)
	}
}

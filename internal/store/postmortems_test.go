package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func init() {
	contract = append(contract, struct {
		name string
		run  func(t *testing.T, db *DB, clk *clock.Fake)
	}{"Postmortems", testPostmortems})
}

func testPostmortems(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	in, _ := newIncident(t, db, "pm", clk.Now())
	other, _ := newIncident(t, db, "pm-other", clk.Now())
	if r, err := db.Postmortem(ctx, in.ID); r != nil || err != nil {
		t.Fatalf("postmortem before any save: %+v %v", r, err)
	}
	if rs, err := db.PostmortemRevisions(ctx, in.ID); len(rs) != 0 || rs == nil || err != nil {
		t.Fatalf("revisions before any save: %+v %v", rs, err)
	}
	save := func(id int64, base int, md, author string) (*PostmortemRevision, error) {
		r := &PostmortemRevision{Incident: id, Markdown: md, Author: author, SavedAt: clk.Now()}
		err := db.Write(ctx, func(tx *Tx) error { return tx.SavePostmortem(ctx, r, base) })
		return r, err
	}
	r1, err := save(in.ID, 0, "# one", "ana")
	if err != nil || r1.Revision != 1 {
		t.Fatalf("first save: %+v %v", r1, err)
	}
	clk.Advance(time.Minute)
	r2, err := save(in.ID, 1, "# two", "bo")
	if err != nil || r2.Revision != 2 {
		t.Fatalf("second save: %+v %v", r2, err)
	}
	// Both started from revision 1: the later one is refused and changes nothing.
	if _, err := save(in.ID, 1, "# stale", "cy"); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("a stale base: %v, want a conflict", err)
	}
	if _, err := save(in.ID, 0, "# stale", "cy"); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("base 0 after saves: %v, want a conflict", err)
	}
	// Another incident's revisions count apart.
	if r, err := save(other.ID, 0, "# other", "cy"); err != nil || r.Revision != 1 {
		t.Fatalf("other incident: %+v %v", r, err)
	}
	got, err := db.Postmortem(ctx, in.ID)
	if err != nil || got == nil || got.Revision != 2 || got.Markdown != "# two" || got.Author != "bo" || !got.SavedAt.Equal(r2.SavedAt.Truncate(time.Millisecond)) {
		t.Fatalf("latest: %+v %v", got, err)
	}
	rs, err := db.PostmortemRevisions(ctx, in.ID)
	if err != nil || len(rs) != 2 || rs[0].Revision != 2 || rs[1].Revision != 1 || rs[1].Markdown != "# one" || rs[1].Author != "ana" {
		t.Fatalf("revisions: %+v %v", rs, err)
	}
}

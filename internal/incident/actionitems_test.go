package incident

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TestNoticeOverdueActionItems, on a fake clock: an open item due
// yesterday notifies each contact of its owner once; a second run the
// same day does not; the owner's next day does again; an item is overdue
// only once its due day has ended in its owner's zone; done items and
// items without a due date never notify; an owner without contacts is
// named on the timeline instead.
func TestNoticeOverdueActionItems(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	clk.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	auckland, _ := time.LoadLocation("Pacific/Auckland")      // UTC+13 in March
	losAngeles, _ := time.LoadLocation("America/Los_Angeles") // UTC-7 from March 8
	owners := map[string]Owner{
		"ana": {Zone: auckland, Channels: []string{"contact:ana:0", "contact:ana:1"}},
		"bo":  {Zone: losAngeles, Channels: []string{"contact:bo:0"}},
		"cy":  {},
	}
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) (err error) {
		in, err = Open(ctx, tx, env, "api slow", nil, clk.Now().Add(-48*time.Hour), "test", nil)
		return err
	})
	add := func(title, owner, due, status string) *store.ActionItem {
		a := &store.ActionItem{Incident: in.ID, Title: title, Owner: owner, Due: due, Status: status, CreatedBy: "ana",
			CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
		write(t, db, func(tx *store.Tx) error { return tx.CreateActionItem(ctx, a) })
		return a
	}
	yesterday := add("alert on disk", "ana", "2026-03-09", store.ActionOpen)
	today := add("runbook", "bo", "2026-03-10", store.ActionOpen)
	add("done already", "ana", "2026-03-01", store.ActionDone)
	add("someday", "ana", "", store.ActionOpen)
	add("wont", "bo", "2026-03-01", store.ActionWontDo)
	add("nobody to tell", "cy", "2026-03-05", store.ActionOpen)

	run := func() int {
		t.Helper()
		var n int
		write(t, db, func(tx *store.Tx) (err error) {
			n, err = NoticeOverdueActionItems(ctx, tx, env, owners, clk.Now())
			return err
		})
		return n
	}
	overdue := func() []string {
		var out []string
		for _, r := range rows(t, db, in.ID) {
			if r.event == tocsin.EventActionItemOverdue {
				out = append(out, r.channel+" "+r.key+" "+r.recipient)
			}
		}
		return out
	}
	if n := run(); n != 2 {
		t.Fatalf("first run: %d notices, want ana's two", n)
	}
	equal(t, "notices", overdue(), []string{
		"contact:ana:0 tocsin-action-item-1-overdue-2026-03-11-contact:ana:0 ana",
		"contact:ana:1 tocsin-action-item-1-overdue-2026-03-11-contact:ana:1 ana"})
	clk.Advance(15 * time.Minute)
	if n := run(); n != 0 {
		t.Fatalf("second run the same day: %d notices", n)
	}
	// 23:59 in Los Angeles on the due day: bo's is not overdue yet; it is
	// still the same day in Auckland.
	clk.Set(time.Date(2026, 3, 11, 6, 59, 0, 0, time.UTC))
	if n := run(); n != 0 {
		t.Fatalf("before the end of bo's due day: %d notices", n)
	}
	clk.Set(time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC))
	if n := run(); n != 1 {
		t.Fatalf("at the end of bo's due day: %d notices, want 1", n)
	}
	// Midnight in Auckland: ana's next day, her next notice.
	clk.Set(time.Date(2026, 3, 11, 11, 0, 0, 0, time.UTC))
	if n := run(); n != 2 {
		t.Fatalf("ana's next day: %d notices, want 2", n)
	}
	if got := overdue(); len(got) != 5 || !strings.Contains(got[2], "tocsin-action-item-2-overdue-2026-03-11-contact:bo:0 bo") ||
		!strings.Contains(got[4], "-overdue-2026-03-12-contact:ana:1") {
		t.Fatalf("notices: %q", got)
	}
	// Done: no more.
	yesterday.Status, yesterday.DoneAt = store.ActionDone, clk.Now()
	write(t, db, func(tx *store.Tx) error { return tx.SaveActionItem(ctx, yesterday) })
	clk.Advance(24 * time.Hour)
	if n := run(); n != 1 {
		t.Fatalf("after ana's is done: %d notices, want bo's one", n)
	}
	var nobody []string
	for _, line := range timeline(t, db, in.ID) {
		if strings.Contains(line, "NOBODY NOTIFIED: Action item") {
			nobody = append(nobody, line)
		}
	}
	// cy's item: one entry a day (2026-03-10, 03-11, 03-12 in UTC).
	if len(nobody) != 3 || !strings.Contains(nobody[0], "Action item #6 (nobody to tell) was due 2026-03-05, but its owner cy cannot be told") {
		t.Fatalf("nobody told: %q", nobody)
	}
	if !Overdue(today, losAngeles, clk.Now()) || Overdue(today, losAngeles, time.Date(2026, 3, 11, 6, 59, 59, 0, time.UTC)) {
		t.Errorf("Overdue at the end of the due day in the owner's zone")
	}
}

// TestActionItemChecks: what people give for an action item is cleaned,
// or refused with a message naming the field.
func TestActionItemChecks(t *testing.T) {
	for _, c := range []struct {
		due, want string
		ok        bool
	}{{"", "", true}, {" 2026-06-30 ", "2026-06-30", true}, {"2026-02-29", "", false}, {"30.06.2026", "", false},
		{"0001-01-01", "", false}, {"2026-6-3", "", false}} {
		got, err := CheckDue(c.due)
		if got != c.want || (err == nil) != c.ok || (err != nil && !strings.HasPrefix(err.Error(), "due: ")) {
			t.Errorf("CheckDue(%q) = %q, %v", c.due, got, err)
		}
	}
	for _, c := range []struct {
		link string
		ok   bool
	}{{"", true}, {"https://tickets.example/OPS-1", true}, {"http://wiki/x", true}, {"javascript:alert(1)", false},
		{"ftp://x.example/", false}, {"https://", false}, {"/relative", false}, {"https://x.example/" + strings.Repeat("a", MaxActionLink), false}} {
		if _, err := CheckActionLink(c.link); (err == nil) != c.ok {
			t.Errorf("CheckActionLink(%q): %v", c.link, err)
		}
	}
	for _, c := range []struct {
		title string
		ok    bool
	}{{"Alert on disk", true}, {"   ", false}, {strings.Repeat("é", MaxActionTitle), true}, {strings.Repeat("é", MaxActionTitle+1), false}} {
		if _, err := CheckActionTitle(c.title); (err == nil) != c.ok {
			t.Errorf("CheckActionTitle(%d runes): %v", len([]rune(c.title)), err)
		}
	}
}

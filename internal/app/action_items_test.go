package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestOverdueActionItemNotice, on a fake clock: the leader's job tells
// the owner of an action item due yesterday, through the outbox to their
// contact, once; a second run the same day queues nothing; a done item
// never notifies.
func TestOverdueActionItemNotice(t *testing.T) {
	hooks := &eventLog{}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(`
channels:
  - {name: ana-hook, type: webhook, url: "%s/ana"}
users:
  - {name: ana, tz: Europe/Berlin, contacts: [{type: webhook, to: ana-hook}]}
`, hook.URL))
	clk := clock.NewFake(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	r := startWith(t, path, clk, testkit.Logger(), nil)
	ctx := context.Background()
	in := &tocsin.Incident{Title: "api slow", Status: tocsin.IncidentResolved, OpenedAt: clk.Now().Add(-72 * time.Hour), GroupKey: "g"}
	if err := r.app.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateIncident(ctx, in) }); err != nil {
		t.Fatal(err)
	}
	post := func(body string) {
		t.Helper()
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/incidents/%d/action-items", r.base, in.ID), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("add %s: %d", body, resp.StatusCode)
		}
	}
	post(`{"title": "Alert on disk usage", "owner": "ana", "due": "2026-03-09"}`)
	// Made done at once, so that no run of the job sees it open.
	if err := r.app.db.Write(ctx, func(tx *store.Tx) error {
		return tx.CreateActionItem(ctx, &store.ActionItem{Incident: in.ID, Title: "Already done", Owner: "ana", Due: "2026-03-01",
			Status: store.ActionDone, CreatedBy: "ana", CreatedAt: clk.Now(), UpdatedAt: clk.Now(), DoneAt: clk.Now()})
	}); err != nil {
		t.Fatal(err)
	}

	notices := func() []map[string]any {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		var out []map[string]any
		for _, ev := range hooks.events {
			if ev["event"] == tocsin.EventActionItemOverdue {
				out = append(out, ev)
			}
		}
		return out
	}
	testkit.EventuallyAdvancing(t, clk, time.Minute, "ana told of her overdue action item", func() bool { return len(notices()) > 0 })
	// A second run the same day queues nothing more.
	if _, err := r.app.noticeOverdueActionItems(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	ns, err := r.app.db.Notifications(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var queued []string
	for _, n := range ns {
		if n.Event == tocsin.EventActionItemOverdue {
			queued = append(queued, n.IdempotencyKey)
		}
	}
	if len(queued) != 1 || queued[0] != "tocsin-action-item-1-overdue-2026-03-10-contact:ana:0" {
		t.Fatalf("queued %q, want one notice of item 1", queued)
	}
	got := notices()
	item, _ := got[0]["action_item"].(map[string]any)
	if len(got) != 1 || got[0]["recipient"] != "ana" || item["title"] != "Alert on disk usage" || item["due"] != "2026-03-09" {
		t.Fatalf("notices %v", got)
	}
}

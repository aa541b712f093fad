package store

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// TestStatusSubscribers runs the subscriber queries on SQLite and on
// PostgreSQL, each on a fresh database, as the contract does.
func TestStatusSubscribers(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		clk := clock.NewFake(contractStart)
		db, err := Open(context.Background(), t.TempDir()+"/t.db", Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testStatusSubscribers(t, db, clk)
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		clk := clock.NewFake(contractStart)
		db, err := Open(context.Background(), srv.NewDatabase(t), Options{Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		testStatusSubscribers(t, db, clk)
	})
}

func tokenSum(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func testStatusSubscribers(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	create := func(s StatusSubscriber, token string) (StatusSubscriber, bool) {
		t.Helper()
		var created bool
		if err := db.Write(ctx, func(tx *Tx) (err error) {
			created, err = tx.CreateStatusSubscriber(ctx, &s, func(int64) []byte { return tokenSum(token) })
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return s, created
	}
	ids := func(list []StatusSubscriber) []int64 {
		out := []int64{}
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	forComponents := func(page string, components ...string) []int64 {
		t.Helper()
		var list []StatusSubscriber
		if err := db.Write(ctx, func(tx *Tx) (err error) {
			list, err = tx.StatusSubscribersFor(ctx, page, components)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ids(list)
	}

	ana, created := create(StatusSubscriber{Page: "public", Kind: SubscriberEmail, Target: "ana@example.com"}, "t-ana")
	if !created || ana.ID == 0 || !ana.CreatedAt.Equal(clk.Now()) || !ana.ConfirmedAt.IsZero() {
		t.Fatalf("created %v %+v, want an unconfirmed email subscriber", created, ana)
	}
	hook, _ := create(StatusSubscriber{Page: "public", Component: "api", Kind: SubscriberWebhook, Target: "http://127.0.0.1/h"}, "t-hook")
	if hook.ConfirmedAt.IsZero() {
		t.Fatalf("webhook %+v, want it confirmed at once", hook)
	}
	bo, _ := create(StatusSubscriber{Page: "public", Component: "eu", Kind: SubscriberEmail, Target: "bo@example.com"}, "t-bo")
	create(StatusSubscriber{Page: "other", Kind: SubscriberWebhook, Target: "http://127.0.0.1/o"}, "t-other")

	// Unconfirmed: nobody hears of it; the webhook of api hears of api.
	if got := forComponents("public", "api"); len(got) != 1 || got[0] != hook.ID {
		t.Fatalf("subscribers of api %v, want the webhook %d only", got, hook.ID)
	}
	if got := forComponents("public"); len(got) != 0 {
		t.Fatalf("subscribers of an incident touching nothing %v, want none (ana is not confirmed)", got)
	}

	// Subscribing again finds the same subscriber, its token unchanged.
	again, created := create(StatusSubscriber{Page: "public", Kind: SubscriberEmail, Target: "ana@example.com"}, "t-ana-2")
	if created || again.ID != ana.ID {
		t.Fatalf("subscribing again: created %v id %d, want the same subscriber %d", created, again.ID, ana.ID)
	}
	if _, ok, _ := db.StatusSubscriberByToken(ctx, "other", tokenSum("t-ana")); ok {
		t.Fatal("a token of one page finds a subscriber on another")
	}
	// A new key gives new tokens: the stored hash follows.
	if err := db.Write(ctx, func(tx *Tx) error { return tx.SetStatusSubscriberToken(ctx, ana.ID, tokenSum("t-ana-2")) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.StatusSubscriberByToken(ctx, "public", tokenSum("t-ana")); ok {
		t.Fatal("the replaced token still finds the subscriber")
	}
	clk.Advance(time.Minute)
	var confirmed StatusSubscriber
	if err := db.Write(ctx, func(tx *Tx) (err error) {
		confirmed, err = tx.ConfirmStatusSubscriber(ctx, "public", tokenSum("t-ana-2"))
		return err
	}); err != nil || confirmed.ID != ana.ID || !confirmed.ConfirmedAt.Equal(clk.Now()) {
		t.Fatalf("confirm: %+v %v", confirmed, err)
	}
	err := db.Write(ctx, func(tx *Tx) error { _, err := tx.ConfirmStatusSubscriber(ctx, "public", tokenSum("nope")); return err })
	if tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("confirm with an unknown token: %v, want not found", err)
	}
	// Whole page and component subscribers, confirmed ones only.
	if err := db.Write(ctx, func(tx *Tx) error { _, err := tx.ConfirmStatusSubscriber(ctx, "public", tokenSum("t-bo")); return err }); err != nil {
		t.Fatal(err)
	}
	if got := forComponents("public", "api"); len(got) != 2 || got[0] != ana.ID || got[1] != hook.ID {
		t.Fatalf("subscribers of api %v, want ana and the webhook", got)
	}
	if got := forComponents("public", "eu", "us"); len(got) != 2 || got[0] != ana.ID || got[1] != bo.ID {
		t.Fatalf("subscribers of eu and us %v, want ana and bo", got)
	}

	// Unsubscribing ends it for good; the link works once.
	if err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.UnsubscribeStatusSubscriber(ctx, "public", tokenSum("t-ana-2"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx *Tx) error {
		_, err := tx.UnsubscribeStatusSubscriber(ctx, "public", tokenSum("t-ana-2"))
		return err
	})
	if tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("unsubscribing twice: %v, want not found", err)
	}
	if got := forComponents("public", "api"); len(got) != 1 || got[0] != hook.ID {
		t.Fatalf("after ana unsubscribed: %v", got)
	}
	// ...and the address may subscribe anew, as a new subscriber.
	if anew, created := create(StatusSubscriber{Page: "public", Kind: SubscriberEmail, Target: "ana@example.com"}, "t-ana-4"); !created || anew.ID == ana.ID {
		t.Fatalf("subscribing after unsubscribing: created %v, id %d", created, anew.ID)
	}

	// Management: list and delete, by page.
	list, err := db.StatusSubscribers(ctx, "public")
	if err != nil || len(list) != 3 {
		t.Fatalf("list %+v %v, want the webhook, bo and ana's new subscription", list, err)
	}
	err = db.Write(ctx, func(tx *Tx) error { _, err := tx.DeleteStatusSubscriber(ctx, "other", hook.ID); return err })
	if tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("deleting through another page: %v, want not found", err)
	}
	if err := db.Write(ctx, func(tx *Tx) error { _, err := tx.DeleteStatusSubscriber(ctx, "public", hook.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if got := forComponents("public", "api"); len(got) != 0 {
		t.Fatalf("after deleting the webhook: %v", got)
	}
	if list, _ := db.StatusSubscribers(ctx, "public"); len(list) != 2 {
		t.Fatalf("list after delete: %+v", list)
	}
}

package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testAPITokens: tokens are created with a unique live name and hash,
// found by hash, revoked once, and note their last use.
func testAPITokens(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	sum := sha256.Sum256([]byte("tocsin_one"))
	ci := APIToken{Name: "ci", Role: "responder", SHA256: sum[:], CreatedBy: "api:admin", ExpiresAt: clk.Now().Add(time.Hour)}
	if err := db.Write(ctx, func(tx *Tx) error { return tx.CreateAPIToken(ctx, &ci) }); err != nil {
		t.Fatal(err)
	}
	if ci.ID == 0 || !ci.CreatedAt.Equal(clk.Now()) {
		t.Fatalf("created %+v", ci)
	}
	other := sha256.Sum256([]byte("tocsin_two"))
	dup := APIToken{Name: "ci", Role: "viewer", SHA256: other[:], CreatedBy: "api:admin"}
	err := db.Write(ctx, func(tx *Tx) error { return tx.CreateAPIToken(ctx, &dup) })
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("a second live token named ci: %v, want a conflict", err)
	}

	got, ok, err := db.APITokenBySHA256(ctx, sum[:])
	if err != nil || !ok {
		t.Fatalf("by hash: %v %v", ok, err)
	}
	if got.ID != ci.ID || got.Role != "responder" || !bytes.Equal(got.SHA256, sum[:]) || !got.ExpiresAt.Equal(ci.ExpiresAt) ||
		got.CreatedBy != "api:admin" || !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Fatalf("by hash: %+v", got)
	}
	if _, ok, err := db.APITokenBySHA256(ctx, other[:]); ok || err != nil {
		t.Fatalf("unknown hash found: %v %v", ok, err)
	}

	clk.Advance(time.Minute)
	if err := db.NoteAPITokenUse(ctx, ci.ID, clk.Now(), "192.0.2.7:5000"); err != nil {
		t.Fatal(err)
	}
	got, _, _ = db.APITokenBySHA256(ctx, sum[:])
	if !got.LastUsedAt.Equal(clk.Now()) || got.LastUsedAddr != "192.0.2.7:5000" {
		t.Fatalf("last use: %v from %q", got.LastUsedAt, got.LastUsedAddr)
	}

	revokedAt := clk.Now()
	var revoked APIToken
	if err := db.Write(ctx, func(tx *Tx) error {
		revoked, err = tx.RevokeAPIToken(ctx, ci.ID, revokedAt)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !revoked.RevokedAt.Equal(revokedAt) {
		t.Fatalf("revoked at %v", revoked.RevokedAt)
	}
	clk.Advance(time.Minute)
	if err := db.Write(ctx, func(tx *Tx) error {
		revoked, err = tx.RevokeAPIToken(ctx, ci.ID, clk.Now())
		return err
	}); err != nil || !revoked.RevokedAt.Equal(revokedAt) {
		t.Fatalf("revoked again: %v at %v, want the first time kept", err, revoked.RevokedAt)
	}
	err = db.Write(ctx, func(tx *Tx) error { _, err := tx.RevokeAPIToken(ctx, 9999, clk.Now()); return err })
	if tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("revoke unknown: %v", err)
	}

	// The name is free again once its token is revoked.
	if err := db.Write(ctx, func(tx *Tx) error { return tx.CreateAPIToken(ctx, &dup) }); err != nil {
		t.Fatalf("reuse a revoked token's name: %v", err)
	}
	// A hash names one token, revoked or not.
	again := APIToken{Name: "again", Role: "admin", SHA256: sum[:], CreatedBy: "api:admin"}
	if err := db.Write(ctx, func(tx *Tx) error { return tx.CreateAPIToken(ctx, &again) }); tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("same hash twice: %v, want a conflict", err)
	}
	all, err := db.APITokens(ctx)
	if err != nil || len(all) != 2 || all[0].ID != ci.ID || all[1].ID != dup.ID {
		t.Fatalf("list: %+v %v", all, err)
	}
}

// testAuditEvents: entries keep role, address and outcome, filter by
// actor and time, and are pruned by age.
func testAuditEvents(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	start := clk.Now()
	if err := db.Audit(ctx, "system", "loop.stalled", "old", nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if err := db.Write(ctx, func(tx *Tx) error {
		return tx.AuditEvent(ctx, AuditEvent{Actor: "api:ci", Role: "responder", Addr: "192.0.2.1:40000", Action: "incident.acknowledge",
			Message: "incident 1 acknowledged", Data: map[string]int{"incident": 1}})
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if err := db.AuditEvent(ctx, AuditEvent{Actor: "api:ci", Role: "responder", Addr: "192.0.2.1:40001", Action: "token.revoke",
		Message: "refused", Outcome: "refused"}); err != nil {
		t.Fatal(err)
	}

	byCI, err := db.AuditLog(ctx, AuditFilter{Limit: 10, Actor: "api:ci"})
	if err != nil || len(byCI) != 2 {
		t.Fatalf("by actor: %+v %v", byCI, err)
	}
	if e := byCI[1]; e.Role != "responder" || e.Addr != "192.0.2.1:40000" || e.Outcome != "ok" || string(e.Data) != `{"incident":1}` {
		t.Fatalf("entry: %+v", e)
	}
	if byCI[0].Outcome != "refused" {
		t.Fatalf("outcome %q", byCI[0].Outcome)
	}
	window, err := db.AuditLog(ctx, AuditFilter{Limit: 10, Since: start.Add(time.Hour), Until: start.Add(2 * time.Hour)})
	if err != nil || len(window) != 1 || window[0].Action != "incident.acknowledge" {
		t.Fatalf("since/until: %+v %v", window, err)
	}
	old, err := db.AuditLog(ctx, AuditFilter{Limit: 10, Until: start.Add(time.Minute)})
	if err != nil || len(old) != 1 || old[0].Outcome != "ok" || old[0].Role != "" {
		t.Fatalf("until: %+v %v", old, err)
	}

	n, err := db.PruneAudit(ctx, start.Add(90*time.Minute), 1)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d: %v, want the limit of 1", n, err)
	}
	if old, _ := db.AuditLog(ctx, AuditFilter{Limit: 10, Until: start.Add(time.Minute)}); len(old) != 0 {
		t.Fatalf("the oldest entry is left: %+v", old)
	}
	n, err = db.PruneAudit(ctx, start.Add(90*time.Minute), 10)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	left, _ := db.AuditLog(ctx, AuditFilter{Limit: 10})
	if len(left) != 1 || left[0].Action != "token.revoke" {
		t.Fatalf("left: %+v", left)
	}
}

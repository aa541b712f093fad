package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func testLoginsAndSessions(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	write := func(fn func(tx *Tx) error) {
		t.Helper()
		if err := db.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := db.Login(ctx, "ana"); ok || err != nil {
		t.Fatalf("a new database has a login: %v %v", ok, err)
	}
	write(func(tx *Tx) error { return tx.SetPassword(ctx, "ana", "hash-1", "") })
	clk.Advance(time.Minute)
	write(func(tx *Tx) error { return tx.SetPassword(ctx, "ana", "hash-2", "") })
	write(func(tx *Tx) error { return tx.SetPassword(ctx, "root", "hash-3", "admin") })
	l, ok, err := db.Login(ctx, "ana")
	if err != nil || !ok || l.PasswordHash != "hash-2" || l.Role != "" || !l.CreatedAt.Equal(contractStart) ||
		!l.UpdatedAt.Equal(contractStart.Add(time.Minute)) {
		t.Fatalf("login: %+v %v %v", l, ok, err)
	}
	write(func(tx *Tx) error { return tx.SetPassword(ctx, "root", "hash-4", "") }) // keeps admin
	roles, err := db.LoginRoles(ctx)
	if err != nil || len(roles) != 2 || roles["ana"] != "" || roles["root"] != "admin" {
		t.Fatalf("login roles: %v %v", roles, err)
	}

	// Sessions: found by hash, touched, revoked one by one or per user.
	now := clk.Now()
	for _, id := range []string{"s1", "s2", "s3"} {
		user, role := "ana", ""
		if id == "s3" {
			user, role = "root", "admin" // as a single sign-on login whose group maps to admin
		}
		write(func(tx *Tx) error {
			return tx.CreateSession(ctx, Session{IDSHA256: id, User: user, CreatedAt: now, LastSeenAt: now,
				ExpiresAt: now.Add(7 * 24 * time.Hour), Address: "192.0.2.1", UserAgent: "test", CSRFToken: "csrf-" + id, Role: role})
		})
	}
	s, ok, err := db.SessionByHash(ctx, "s1")
	if err != nil || !ok || s.User != "ana" || s.CSRFToken != "csrf-s1" || !s.ExpiresAt.Equal(now.Add(7*24*time.Hour)) ||
		!s.RevokedAt.IsZero() || s.Address != "192.0.2.1" || s.UserAgent != "test" || s.Role != "" {
		t.Fatalf("session: %+v %v %v", s, ok, err)
	}
	if s, _, _ := db.SessionByHash(ctx, "s3"); s.Role != "admin" {
		t.Fatalf("session s3's role: %q, want admin", s.Role)
	}
	if _, ok, err := db.SessionByHash(ctx, "nope"); ok || err != nil {
		t.Fatalf("unknown session found: %v %v", ok, err)
	}
	clk.Advance(time.Hour)
	write(func(tx *Tx) error { return tx.TouchSession(ctx, "s1", clk.Now()) })
	write(func(tx *Tx) error { return tx.TouchSession(ctx, "s1", now) }) // never back
	if s, _, _ := db.SessionByHash(ctx, "s1"); !s.LastSeenAt.Equal(clk.Now()) {
		t.Errorf("last seen %v, want %v", s.LastSeenAt, clk.Now())
	}
	write(func(tx *Tx) error {
		if live, err := tx.RevokeSession(ctx, "s1"); err != nil || !live {
			t.Errorf("revoke s1: %v %v", live, err)
		}
		if live, err := tx.RevokeSession(ctx, "s1"); err != nil || live {
			t.Errorf("revoke s1 again: %v %v", live, err)
		}
		n, err := tx.RevokeUserSessions(ctx, "ana")
		if err != nil || n != 1 {
			t.Errorf("revoke ana's sessions: %d %v", n, err)
		}
		return nil
	})
	for id, revoked := range map[string]bool{"s1": true, "s2": true, "s3": false} {
		if s, _, _ := db.SessionByHash(ctx, id); s.RevokedAt.IsZero() == revoked {
			t.Errorf("session %s: revoked at %v, want revoked %v", id, s.RevokedAt, revoked)
		}
	}
	// Sessions a day past their end are dropped when a new one is made.
	clk.Advance(9 * 24 * time.Hour)
	write(func(tx *Tx) error {
		return tx.CreateSession(ctx, Session{IDSHA256: "s4", User: "ana", CreatedAt: clk.Now(), LastSeenAt: clk.Now(),
			ExpiresAt: clk.Now().Add(time.Hour), CSRFToken: "c"})
	})
	if _, ok, _ := db.SessionByHash(ctx, "s3"); ok {
		t.Error("a session long past its end is kept")
	}

	// Login tokens: one use, until they expire, of their own kind.
	write(func(tx *Tx) error {
		if err := tx.CreateLoginToken(ctx, LoginToken{TokenSHA256: "i1", Kind: LoginInvite, User: "ana", CreatedAt: clk.Now(),
			ExpiresAt: clk.Now().Add(7 * 24 * time.Hour)}); err != nil {
			return err
		}
		return tx.CreateLoginToken(ctx, LoginToken{TokenSHA256: "x1", Kind: LoginSetup, Role: "admin", CreatedAt: clk.Now(),
			ExpiresAt: clk.Now().Add(24 * time.Hour)})
	})
	write(func(tx *Tx) error {
		if _, err := tx.LoginTokenByHash(ctx, LoginSetup, "i1"); tocsin.ErrorCode(err) != tocsin.ENotFound {
			t.Errorf("an invite token used as a setup token: %v", err)
		}
		tok, err := tx.LoginTokenByHash(ctx, LoginInvite, "i1")
		if err != nil || tok.User != "ana" {
			t.Errorf("invite: %+v %v", tok, err)
		}
		return tx.UseLoginToken(ctx, "i1")
	})
	write(func(tx *Tx) error {
		if _, err := tx.LoginTokenByHash(ctx, LoginInvite, "i1"); tocsin.ErrorMessage(err) != "this invite link was used already" {
			t.Errorf("a used invite: %v", err)
		}
		return nil
	})
	clk.Advance(24 * time.Hour)
	write(func(tx *Tx) error {
		if _, err := tx.LoginTokenByHash(ctx, LoginSetup, "x1"); tocsin.ErrorMessage(err) != "this setup link expired" {
			t.Errorf("an expired setup link: %v", err)
		}
		return nil
	})
	// A new setup link ends the ones before it.
	write(func(tx *Tx) error {
		for _, h := range []string{"x2", "x3"} {
			if err := tx.CreateLoginToken(ctx, LoginToken{TokenSHA256: h, Kind: LoginSetup, Role: "admin", CreatedAt: clk.Now(),
				ExpiresAt: clk.Now().Add(24 * time.Hour)}); err != nil {
				return err
			}
		}
		return nil
	})
	write(func(tx *Tx) error {
		if err := tx.EndSetupTokens(ctx); err != nil {
			return err
		}
		if _, err := tx.LoginTokenByHash(ctx, LoginSetup, "x2"); tocsin.ErrorMessage(err) != "this setup link was used already" {
			t.Errorf("an ended setup link: %v", err)
		}
		return nil
	})

	// Failed logins: counted per user and per address since a time, old ones forgotten.
	start := clk.Now()
	for _, f := range []struct{ user, addr string }{{"ana", "a"}, {"ana", "b"}, {"bo", "a"}} {
		clk.Advance(time.Minute)
		write(func(tx *Tx) error { return tx.RecordLoginFailure(ctx, f.user, f.addr, start) })
	}
	byUser, byAddr, err := db.LoginFailures(ctx, "ana", "a", start)
	if err != nil || len(byUser) != 2 || len(byAddr) != 2 || !byUser[0].Equal(start.Add(time.Minute)) ||
		!byAddr[1].Equal(start.Add(3*time.Minute)) {
		t.Fatalf("failures: %v %v %v", byUser, byAddr, err)
	}
	clk.Advance(time.Hour)
	write(func(tx *Tx) error { return tx.RecordLoginFailure(ctx, "bo", "c", clk.Now().Add(-time.Minute)) })
	if byUser, byAddr, _ := db.LoginFailures(ctx, "ana", "a", start); len(byUser)+len(byAddr) != 0 {
		t.Errorf("old failures kept: %v %v", byUser, byAddr)
	}
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Login is a person's password login.
type Login struct {
	User         string
	PasswordHash string // argon2id, as auth.HashPassword writes it
	Role         string // admin for the login a setup link made; "": the config user's role
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SetPassword saves user's password hash, making the login when there is
// none. A non-empty role is saved with it; an empty one keeps the login's.
func (tx *Tx) SetPassword(ctx context.Context, user, hash, role string) error {
	now := ms(tx.db.clock.Now())
	res, err := tx.exec(ctx, `UPDATE logins SET password_hash = $1, updated_at = $2,
		role = CASE WHEN $3 = '' THEN role ELSE $3 END WHERE user_name = $4`, hash, now, role, user)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO logins (user_name, password_hash, role, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)`, user, hash, role, now); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// Login returns user's login, or false when the user has none.
func (db *DB) Login(ctx context.Context, user string) (Login, bool, error) {
	var l Login
	var created, updated int64
	err := db.read.QueryRowContext(ctx, `SELECT user_name, password_hash, role, created_at, updated_at
		FROM logins WHERE user_name = $1`, user).Scan(&l.User, &l.PasswordHash, &l.Role, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, fmt.Errorf("login: %w", err)
	}
	l.CreatedAt, l.UpdatedAt = fromMS(created), fromMS(updated)
	return l, true, nil
}

// LoginRoles maps the user of every login to its saved role ("" for the
// config user's role).
func (db *DB) LoginRoles(ctx context.Context) (map[string]string, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT user_name, role FROM logins")
	if err != nil {
		return nil, fmt.Errorf("logins: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var user, role string
		if err := rows.Scan(&user, &role); err != nil {
			return nil, fmt.Errorf("logins: %w", err)
		}
		out[user] = role
	}
	return out, rows.Err()
}

// Session is a person's login session, found by the SHA-256 of its
// cookie.
type Session struct {
	IDSHA256   string // hex
	User       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	RevokedAt  time.Time // zero: not revoked
	Address    string
	UserAgent  string
	CSRFToken  string
	Role       string // set by a single sign-on login from the provider's groups; empty: the user's config role
}

// CreateSession saves a new session, and drops sessions that ended more
// than a day ago, which no request can use any more.
func (tx *Tx) CreateSession(ctx context.Context, s Session) error {
	if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`,
		ms(tx.db.clock.Now().Add(-24*time.Hour))); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if _, err := tx.exec(ctx, `INSERT INTO sessions (id_sha256, user_name, created_at, last_seen_at, expires_at,
		address, user_agent, csrf_token, role) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.IDSHA256, s.User, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt), s.Address, s.UserAgent, s.CSRFToken, s.Role); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session whose cookie hashes to idSHA256, or
// false when there is none (expired and revoked sessions included: the
// caller decides).
func (db *DB) SessionByHash(ctx context.Context, idSHA256 string) (Session, bool, error) {
	var s Session
	var created, seen, expires, revoked int64
	err := db.read.QueryRowContext(ctx, `SELECT id_sha256, user_name, created_at, last_seen_at, expires_at, revoked_at,
		address, user_agent, csrf_token, role FROM sessions WHERE id_sha256 = $1`, idSHA256).
		Scan(&s.IDSHA256, &s.User, &created, &seen, &expires, &revoked, &s.Address, &s.UserAgent, &s.CSRFToken, &s.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.RevokedAt = fromMS(created), fromMS(seen), fromMS(expires), fromMS(revoked)
	return s, true, nil
}

// TouchSession records that the session was used at at.
func (tx *Tx) TouchSession(ctx context.Context, idSHA256 string, at time.Time) error {
	if _, err := tx.exec(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id_sha256 = $2 AND last_seen_at < $1",
		ms(at), idSHA256); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// RevokeSession ends one session; it reports whether it was live.
func (tx *Tx) RevokeSession(ctx context.Context, idSHA256 string) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE id_sha256 = $2 AND revoked_at = 0",
		ms(tx.db.clock.Now()), idSHA256)
	if err != nil {
		return false, fmt.Errorf("revoke session: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RevokeUserSessions ends every session of user that is not yet revoked
// or past its absolute end, and returns how many.
func (tx *Tx) RevokeUserSessions(ctx context.Context, user string) (int64, error) {
	now := ms(tx.db.clock.Now())
	res, err := tx.exec(ctx, "UPDATE sessions SET revoked_at = $1 WHERE user_name = $2 AND revoked_at = 0 AND expires_at > $1",
		now, user)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return res.RowsAffected()
}

// Kinds of login token.
const (
	LoginInvite = "invite" // lets a config user choose a password
	LoginSetup  = "setup"  // makes the first admin login
)

// LoginToken is a one-time invite or setup link, found by the SHA-256 of
// its token.
type LoginToken struct {
	TokenSHA256 string // hex
	Kind        string // LoginInvite or LoginSetup
	User        string // invite: the user; setup: empty
	Role        string // setup: admin
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time // zero: not used
}

// CreateLoginToken saves a new invite or setup token.
func (tx *Tx) CreateLoginToken(ctx context.Context, t LoginToken) error {
	if _, err := tx.exec(ctx, `INSERT INTO login_tokens (token_sha256, kind, user_name, role, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.TokenSHA256, t.Kind, t.User, t.Role, ms(t.CreatedAt), ms(t.ExpiresAt)); err != nil {
		return fmt.Errorf("create login token: %w", err)
	}
	return nil
}

// LoginTokenByHash returns the usable (unused, unexpired) token of kind
// that hashes to tokenSHA256, or an ENotFound error.
func (tx *Tx) LoginTokenByHash(ctx context.Context, kind, tokenSHA256 string) (LoginToken, error) {
	var t LoginToken
	var created, expires, used int64
	err := tx.queryRow(ctx, `SELECT token_sha256, kind, user_name, role, created_at, expires_at, used_at
		FROM login_tokens WHERE token_sha256 = $1 AND kind = $2`, tokenSHA256, kind).
		Scan(&t.TokenSHA256, &t.Kind, &t.User, &t.Role, &created, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return t, tocsin.Errorf(tocsin.ENotFound, "this %s link is not valid", kind)
	}
	if err != nil {
		return t, fmt.Errorf("login token: %w", err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	switch {
	case used != 0:
		return t, tocsin.Errorf(tocsin.ENotFound, "this %s link was used already", kind)
	case !tx.db.clock.Now().Before(t.ExpiresAt):
		return t, tocsin.Errorf(tocsin.ENotFound, "this %s link expired", kind)
	}
	return t, nil
}

// UseLoginToken marks a token used, so that it works once.
func (tx *Tx) UseLoginToken(ctx context.Context, tokenSHA256 string) error {
	if _, err := tx.exec(ctx, "UPDATE login_tokens SET used_at = $1 WHERE token_sha256 = $2 AND used_at = 0",
		ms(tx.db.clock.Now()), tokenSHA256); err != nil {
		return fmt.Errorf("use login token: %w", err)
	}
	return nil
}

// EndSetupTokens uses up every setup token not yet used, so that only
// the newest setup link works.
func (tx *Tx) EndSetupTokens(ctx context.Context) error {
	if _, err := tx.exec(ctx, "UPDATE login_tokens SET used_at = $1 WHERE kind = $2 AND used_at = 0",
		ms(tx.db.clock.Now()), LoginSetup); err != nil {
		return fmt.Errorf("end setup tokens: %w", err)
	}
	return nil
}

// RecordLoginFailure saves a failed login of user from address, and drops
// failures from before forgetBefore, which no limit counts any more.
func (tx *Tx) RecordLoginFailure(ctx context.Context, user, address string, forgetBefore time.Time) error {
	if _, err := tx.exec(ctx, "DELETE FROM login_failures WHERE at < $1", ms(forgetBefore)); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	if _, err := tx.exec(ctx, "INSERT INTO login_failures (at, user_name, address) VALUES ($1, $2, $3)",
		ms(tx.db.clock.Now()), user, address); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}

// LoginFailures returns the times of the failed logins after since, of
// user and from address, oldest first.
func (db *DB) LoginFailures(ctx context.Context, user, address string, since time.Time) (byUser, byAddress []time.Time, err error) {
	times := func(column, value string) ([]time.Time, error) {
		rows, err := db.read.QueryContext(ctx, "SELECT at FROM login_failures WHERE "+column+" = $1 AND at > $2 ORDER BY at",
			value, ms(since))
		if err != nil {
			return nil, fmt.Errorf("login failures: %w", err)
		}
		defer rows.Close()
		var out []time.Time
		for rows.Next() {
			var at int64
			if err := rows.Scan(&at); err != nil {
				return nil, fmt.Errorf("login failures: %w", err)
			}
			out = append(out, fromMS(at))
		}
		return out, rows.Err()
	}
	if byUser, err = times("user_name", user); err != nil {
		return nil, nil, err
	}
	byAddress, err = times("address", address)
	return byUser, byAddress, err
}

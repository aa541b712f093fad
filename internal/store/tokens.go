package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// APIToken is an API token made through the API or CLI. Only the SHA-256
// of the token is stored.
type APIToken struct {
	ID           int64
	Name         string
	Role         string
	SHA256       []byte
	CreatedAt    time.Time
	CreatedBy    string
	ExpiresAt    time.Time // zero: never
	LastUsedAt   time.Time // zero: never used
	LastUsedAddr string
	RevokedAt    time.Time // zero: live
}

const apiTokenColumns = "id, name, role, sha256, created_at, created_by, expires_at, last_used_at, last_used_addr, revoked_at"

func scanAPIToken(r rowScanner) (APIToken, error) {
	var t APIToken
	var sum string
	var created, expires, used, revoked int64
	if err := r.Scan(&t.ID, &t.Name, &t.Role, &sum, &created, &t.CreatedBy, &expires, &used, &t.LastUsedAddr, &revoked); err != nil {
		return t, err
	}
	b, err := hex.DecodeString(sum)
	if err != nil {
		return t, fmt.Errorf("api token %d: sha256: %w", t.ID, err)
	}
	t.SHA256 = b
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	return t, nil
}

// CreateAPIToken inserts t and sets its ID (and CreatedAt when zero). A
// name already held by a live token is a conflict.
func (tx *Tx) CreateAPIToken(ctx context.Context, t *APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = tx.db.clock.Now()
	}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO api_tokens (name, role, sha256, created_at, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, t.Name, t.Role, hex.EncodeToString(t.SHA256), ms(t.CreatedAt), t.CreatedBy,
		ms(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return uniqueToUser(fmt.Errorf("create api token: %w", err), fmt.Sprintf("an API token named %q exists", t.Name))
	}
	return nil
}

// RevokeAPIToken revokes the token id at now and returns it. Revoking one
// already revoked changes nothing.
func (tx *Tx) RevokeAPIToken(ctx context.Context, id int64, now time.Time) (APIToken, error) {
	t, err := scanAPIToken(tx.tx.QueryRowContext(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, tocsin.Errorf(tocsin.ENotFound, "API token %d not found", id)
	}
	if err != nil {
		return t, fmt.Errorf("get api token: %w", err)
	}
	if !t.RevokedAt.IsZero() {
		return t, nil
	}
	t.RevokedAt = now
	if _, err := tx.tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2", ms(now), id); err != nil {
		return t, fmt.Errorf("revoke api token: %w", err)
	}
	return t, nil
}

// APITokens lists every API token of the database, revoked ones too, by id.
func (db *DB) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	defer rows.Close()
	out := []APIToken{}
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// APITokenBySHA256 finds the token whose SHA-256 is sum (revoked and
// expired ones too: the caller says why they are refused), or false.
func (db *DB) APITokenBySHA256(ctx context.Context, sum []byte) (APIToken, bool, error) {
	t, err := scanAPIToken(db.read.QueryRowContext(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens WHERE sha256 = $1",
		hex.EncodeToString(sum)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("api token by hash: %w", err)
	}
	return t, true, nil
}

// NoteAPITokenUse records when and from which address the token id was
// last used, in its own statement: it is not part of any other change.
func (db *DB) NoteAPITokenUse(ctx context.Context, id int64, at time.Time, addr string) error {
	if _, err := db.write.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1, last_used_addr = $2 WHERE id = $3",
		ms(at), addr, id); err != nil {
		return fmt.Errorf("note api token use: %w", err)
	}
	return nil
}

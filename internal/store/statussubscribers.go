package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
)

// Kinds of status page subscribers.
const (
	SubscriberEmail   = "email"
	SubscriberWebhook = "webhook"
)

// StatusSubscriber is who hears of a status page's incidents: an email
// address, once confirmed, or a webhook; of the whole page or of one
// component. Only the SHA-256 of the token in its links is stored.
type StatusSubscriber struct {
	ID             int64
	Page           string // slug
	Component      string // a component id; "": the whole page
	Kind           string // SubscriberEmail or SubscriberWebhook
	Target         string // the address or URL
	CreatedAt      time.Time
	ConfirmedAt    time.Time // zero: waiting for the email's confirmation
	UnsubscribedAt time.Time // zero: live
	TokenSHA256    []byte    // of the token of its links
}

const statusSubscriberColumns = "id, page, component, kind, target, created_at, confirmed_at, unsubscribed_at, token_sha256"

func scanStatusSubscriber(r rowScanner) (StatusSubscriber, error) {
	var s StatusSubscriber
	var created, confirmed, unsubscribed int64
	var sum string
	if err := r.Scan(&s.ID, &s.Page, &s.Component, &s.Kind, &s.Target, &created, &confirmed, &unsubscribed, &sum); err != nil {
		return s, err
	}
	b, err := hex.DecodeString(sum)
	if err != nil {
		return s, fmt.Errorf("status subscriber %d: token_sha256: %w", s.ID, err)
	}
	s.TokenSHA256 = b
	s.CreatedAt, s.ConfirmedAt, s.UnsubscribedAt = fromMS(created), fromMS(confirmed), fromMS(unsubscribed)
	return s, nil
}

// CreateStatusSubscriber adds s and sets its ID and times: an email
// subscriber waits for its confirmation, a webhook is confirmed at once.
// The token of its links is derived from its id, so tokenFor gives, for
// the new id, the SHA-256 to store. When a live subscriber of the same
// page, component, kind and target exists, it is returned instead and
// created is false.
func (tx *Tx) CreateStatusSubscriber(ctx context.Context, s *StatusSubscriber, tokenFor func(id int64) []byte) (created bool, err error) {
	if s.Kind != SubscriberEmail && s.Kind != SubscriberWebhook {
		return false, fmt.Errorf("create status subscriber: unknown kind %q", s.Kind)
	}
	old, err := scanStatusSubscriber(tx.tx.QueryRowContext(ctx, "SELECT "+statusSubscriberColumns+` FROM status_subscribers
		WHERE page = $1 AND component = $2 AND kind = $3 AND target = $4 AND unsubscribed_at = 0`, s.Page, s.Component, s.Kind, s.Target))
	switch {
	case err == nil:
		*s = old
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, fmt.Errorf("find status subscriber: %w", err)
	}
	now := tx.db.clock.Now()
	s.CreatedAt, s.ConfirmedAt, s.UnsubscribedAt = now, time.Time{}, time.Time{}
	if s.Kind == SubscriberWebhook {
		s.ConfirmedAt = now
	}
	// The id comes with the row, so the row starts with a random
	// placeholder in the unique token column, replaced at once.
	var placeholder [32]byte
	if _, err := rand.Read(placeholder[:]); err != nil {
		return false, err
	}
	err = tx.tx.QueryRowContext(ctx, `INSERT INTO status_subscribers (page, component, kind, target, token_sha256, created_at,
		confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, s.Page, s.Component, s.Kind, s.Target,
		hex.EncodeToString(placeholder[:]), ms(now), ms(s.ConfirmedAt)).Scan(&s.ID)
	if err != nil {
		return false, fmt.Errorf("create status subscriber: %w", err)
	}
	s.TokenSHA256 = tokenFor(s.ID)
	return true, tx.SetStatusSubscriberToken(ctx, s.ID, s.TokenSHA256)
}

// SetStatusSubscriberToken replaces the SHA-256 of subscriber id's token
// (the key its tokens are derived with changed).
func (tx *Tx) SetStatusSubscriberToken(ctx context.Context, id int64, tokenSHA256 []byte) error {
	if _, err := tx.tx.ExecContext(ctx, "UPDATE status_subscribers SET token_sha256 = $1 WHERE id = $2",
		hex.EncodeToString(tokenSHA256), id); err != nil {
		return fmt.Errorf("set status subscriber token: %w", err)
	}
	return nil
}

// StatusSubscriberByToken returns the live subscriber of page whose token
// hashes to tokenSHA256; false when there is none (unknown, of another
// page, or unsubscribed).
func (db *DB) StatusSubscriberByToken(ctx context.Context, page string, tokenSHA256 []byte) (StatusSubscriber, bool, error) {
	s, err := scanStatusSubscriber(db.read.QueryRowContext(ctx, "SELECT "+statusSubscriberColumns+
		" FROM status_subscribers WHERE token_sha256 = $1 AND page = $2 AND unsubscribed_at = 0", hex.EncodeToString(tokenSHA256), page))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("get status subscriber: %w", err)
	}
	return s, true, nil
}

// ConfirmStatusSubscriber confirms the live subscriber of page whose token
// hashes to tokenSHA256 and returns it; confirming twice changes nothing.
// An unknown token is an ENotFound error.
func (tx *Tx) ConfirmStatusSubscriber(ctx context.Context, page string, tokenSHA256 []byte) (StatusSubscriber, error) {
	s, err := tx.liveSubscriberByToken(ctx, page, tokenSHA256)
	if err != nil || !s.ConfirmedAt.IsZero() {
		return s, err
	}
	s.ConfirmedAt = tx.db.clock.Now()
	if _, err := tx.tx.ExecContext(ctx, "UPDATE status_subscribers SET confirmed_at = $1 WHERE id = $2", ms(s.ConfirmedAt), s.ID); err != nil {
		return s, fmt.Errorf("confirm status subscriber: %w", err)
	}
	return s, nil
}

// UnsubscribeStatusSubscriber ends the live subscription of page whose
// token hashes to tokenSHA256 and returns it. An unknown token, or one
// already unsubscribed, is an ENotFound error.
func (tx *Tx) UnsubscribeStatusSubscriber(ctx context.Context, page string, tokenSHA256 []byte) (StatusSubscriber, error) {
	s, err := tx.liveSubscriberByToken(ctx, page, tokenSHA256)
	if err != nil {
		return s, err
	}
	return s, tx.endStatusSubscriber(ctx, &s)
}

// DeleteStatusSubscriber ends the live subscription id of page and
// returns it; ENotFound when there is none. The row stays, so that its
// id, which the idempotency keys of its notifications name, is never
// given to another.
func (tx *Tx) DeleteStatusSubscriber(ctx context.Context, page string, id int64) (StatusSubscriber, error) {
	s, err := scanStatusSubscriber(tx.tx.QueryRowContext(ctx, "SELECT "+statusSubscriberColumns+
		" FROM status_subscribers WHERE id = $1 AND page = $2 AND unsubscribed_at = 0", id, page))
	if errors.Is(err, sql.ErrNoRows) {
		return s, tocsin.Errorf(tocsin.ENotFound, "status page %s has no subscriber %d", page, id)
	}
	if err != nil {
		return s, fmt.Errorf("get status subscriber: %w", err)
	}
	return s, tx.endStatusSubscriber(ctx, &s)
}

func (tx *Tx) liveSubscriberByToken(ctx context.Context, page string, tokenSHA256 []byte) (StatusSubscriber, error) {
	s, err := scanStatusSubscriber(tx.tx.QueryRowContext(ctx, "SELECT "+statusSubscriberColumns+
		" FROM status_subscribers WHERE token_sha256 = $1 AND page = $2 AND unsubscribed_at = 0", hex.EncodeToString(tokenSHA256), page))
	if errors.Is(err, sql.ErrNoRows) {
		return s, tocsin.Errorf(tocsin.ENotFound, "no such subscription: it ended, or the link is wrong")
	}
	if err != nil {
		return s, fmt.Errorf("get status subscriber: %w", err)
	}
	return s, nil
}

func (tx *Tx) endStatusSubscriber(ctx context.Context, s *StatusSubscriber) error {
	s.UnsubscribedAt = tx.db.clock.Now()
	if _, err := tx.tx.ExecContext(ctx, "UPDATE status_subscribers SET unsubscribed_at = $1 WHERE id = $2",
		ms(s.UnsubscribedAt), s.ID); err != nil {
		return fmt.Errorf("unsubscribe status subscriber: %w", err)
	}
	return nil
}

// statusSubscribersForSQL selects the live, confirmed subscribers of page
// ($1) of the whole page or of one of the components in $2 (a JSON array).
const statusSubscribersForSQL = "SELECT " + statusSubscriberColumns + ` FROM status_subscribers
	WHERE page = $1 AND unsubscribed_at = 0 AND confirmed_at <> 0
	AND (component = '' OR component IN (SELECT value FROM json_each($2))) ORDER BY id`

// StatusSubscribersFor lists the live, confirmed subscribers of page that
// hear of an incident touching components: those of the whole page and
// those of any of the components, oldest first.
func (tx *Tx) StatusSubscribersFor(ctx context.Context, page string, components []string) ([]StatusSubscriber, error) {
	list, err := json.Marshal(nonNil(components))
	if err != nil {
		return nil, err
	}
	rows, err := tx.tx.QueryContext(ctx, tx.db.sql(statusSubscribersForSQL), page, string(list))
	if err != nil {
		return nil, fmt.Errorf("query status subscribers: %w", err)
	}
	return collectStatusSubscribers(rows)
}

// StatusSubscribers lists the live subscribers of page, confirmed or not,
// oldest first.
func (db *DB) StatusSubscribers(ctx context.Context, page string) ([]StatusSubscriber, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+statusSubscriberColumns+
		" FROM status_subscribers WHERE page = $1 AND unsubscribed_at = 0 ORDER BY id", page)
	if err != nil {
		return nil, fmt.Errorf("query status subscribers: %w", err)
	}
	return collectStatusSubscribers(rows)
}

func collectStatusSubscribers(rows *sql.Rows) ([]StatusSubscriber, error) {
	defer rows.Close()
	out := []StatusSubscriber{}
	for rows.Next() {
		s, err := scanStatusSubscriber(rows)
		if err != nil {
			return nil, fmt.Errorf("scan status subscriber: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

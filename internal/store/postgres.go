package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// postgresSQL holds the statements PostgreSQL spells differently, keyed by
// their SQLite text.
var postgresSQL = map[string]string{
	alertsByKeysSQL: "SELECT " + alertColumns + " FROM alerts WHERE integration = $1 AND key IN (SELECT json_array_elements_text($2::json))",
	nextDueSQL:      "SELECT COALESCE(MIN(GREATEST(next_attempt_at, claimed_until)), 0) FROM outbox WHERE status = 'pending'",
	statusSubscribersForSQL: strings.Replace(statusSubscribersForSQL, "SELECT value FROM json_each($2)",
		"SELECT json_array_elements_text($2::json)", 1),
	claimDueSQL: strings.Replace(claimDueSQL, "SELECT value FROM json_each($3)", "SELECT json_array_elements_text($3::json)", 1) +
		" FOR UPDATE OF outbox SKIP LOCKED",
}

// sql returns query as the database's dialect spells it.
func (db *DB) sql(query string) string {
	if db.dialect == dialectPostgres {
		if q, ok := postgresSQL[query]; ok {
			return q
		}
	}
	return query
}

// migrateLockKey names the advisory lock held while migrating, so that
// replicas started together apply each migration once.
const migrateLockKey = 0x746f6373696e6d

// openPostgres connects to PostgreSQL through pgx. Every replica keeps a
// small pool; write transactions are serialized by an advisory lock (see
// Write), reads run beside them.
func openPostgres(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: bad PostgreSQL DSN: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{write: pool, read: pool, clock: opts.Clock, sched: opts.Schedule, path: redactDSN(dsn), dialect: dialectPostgres}
	fail := func(err error) (*DB, error) {
		db.Close()
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		return fail(fmt.Errorf("open store: cannot reach PostgreSQL at %s: %w", db.path, err))
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fail(fmt.Errorf("open store: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockKey)); err != nil {
		return fail(fmt.Errorf("open store: migration lock: %w", err))
	}
	err = db.migrate(ctx)
	if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockKey)); err == nil && uerr != nil {
		err = fmt.Errorf("open store: migration unlock: %w", uerr)
	}
	if err != nil {
		return fail(err)
	}
	if err := db.prepare(ctx); err != nil {
		return fail(err)
	}
	return db, nil
}

// redactDSN is dsn without its password, for logs and errors.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	return u.Redacted()
}

// isUniqueViolation reports whether err is a unique constraint failing,
// in either dialect.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint")
}

// Package store keeps Tocsin's state in SQL: checks, pings, incidents and
// their timelines, the notification outbox and the audit log. SQLite (pure Go,
// WAL) is the embedded default. Exported methods of DB run one statement or
// open one transaction; multi-step writes go through Write, whose Tx offers
// the small steps.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/cron"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations
var migrations embed.FS

// ScheduleFunc builds a Schedule from its spec.
type ScheduleFunc func(tocsin.ScheduleSpec) (tocsin.Schedule, error)

// DB is an open Tocsin database.
type DB struct {
	write      *sql.DB // one connection: SQLite has one writer, and we queue for it here rather than in busy loops
	read       *sql.DB
	checkpoint *sql.DB // one connection that moves the WAL into the database
	lock       *os.File
	clock      clock.Clock
	dialect    string // "sqlite" or "postgres": which migrations apply
	sched      ScheduleFunc
	path       string

	// Statements of the ping path, parsed once on the writer connection.
	saveState *sql.Stmt
	// SQLite: the multi-row forms, by row count (rowChunks).
	saveStates, insertPings map[int]*sql.Stmt
	// The ping API's look-ups of a ping's target, on the read pool.
	targetByUUID, targetBySlug *sql.Stmt

	// Statements of the alert path, parsed once on the writer connection:
	// it runs a handful of them per alert, and parsing them was most of its
	// cost. Keyed by query text; written only by Open.
	stmts map[string]*sql.Stmt
}

// preparedQueries are the statements Open prepares for write transactions.
var preparedQueries = []string{alertByKeySQL, alertsByKeysSQL, alertByIDSQL, alertsOfIncidentSQL, alertsSuppressedBySQL, insertAlertSQL,
	updateAlertSQL, touchAlertSQL, setAlertIncidentSQL, openIncidentForGroupSQL, incidentByIDSQL, createIncidentSQL, saveIncidentSQL,
	appendTimelineSQL, checkByIDSQL, insertProbeResultSQL, rollUpProbeResultSQL, fenceSQL, checkByUUIDSQL, checksBySlugSQL, prunePingsSQL,
	// A wave of checks going down: each opens an incident and queues its
	// notifications, and the outbox claims and records them.
	openIncidentForCheckSQL, lastIncidentForCheckSQL, activeStatusMaintenancesSQL, enqueueSQL, claimDueSQL, claimSQL,
	markSentSQL, markRetrySQL}

// sqlitePreparedQueries are prepared too on SQLite, where they are valid.
var sqlitePreparedQueries = []string{checksByUUIDsSQLite, withoutReturning(insertAlertSQL), withoutReturning(createIncidentSQL),
	withoutReturning(appendTimelineSQL)}

// Options configure Open.
type Options struct {
	Clock clock.Clock
	// Schedule builds schedules from stored specs; nil means DefaultSchedule.
	Schedule ScheduleFunc
	// Exclusive takes a lock file beside the database, so that a second
	// server on the same file fails at start instead of sending every
	// notification twice. One-shot commands (backup) leave it off.
	Exclusive bool
}

// DefaultSchedule builds periodic and cron schedules.
func DefaultSchedule(s tocsin.ScheduleSpec) (tocsin.Schedule, error) {
	if s.Cron != "" {
		return cron.NewSchedule(s.Cron, s.TZ)
	}
	if s.Every <= 0 {
		return nil, fmt.Errorf("schedule has no period")
	}
	return tocsin.Every(s.Every), nil
}

// Open opens (creating if needed) the database named by dsn and brings its
// schema up to date. A plain path or a "sqlite:" / "file:" DSN means SQLite.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		return nil, errors.New("open store: no clock")
	}
	if opts.Schedule == nil {
		opts.Schedule = DefaultSchedule
	}
	if isPostgres(dsn) {
		return openPostgres(ctx, dsn, opts)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	sync := "FULL"
	if i := strings.IndexByte(path, '?'); i >= 0 {
		q, err := url.ParseQuery(path[i+1:])
		if err != nil {
			return nil, fmt.Errorf("open store: bad DSN parameters: %w", err)
		}
		for k, v := range q {
			switch {
			case k == "sync" && (v[0] == "full" || v[0] == "normal"):
				sync = strings.ToUpper(v[0])
			case k == "sync":
				return nil, fmt.Errorf("open store: sync must be full or normal, got %q", v[0])
			default:
				return nil, fmt.Errorf("open store: unknown DSN parameter %q (known: sync)", k)
			}
		}
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	var lock *os.File
	if opts.Exclusive {
		var err error
		if lock, err = lockFile(path + ".lock"); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	// synchronous(FULL), the default: every commit is synced, so a ping
	// answered OK survives power loss, not only a crash of the process;
	// group commit shares each sync among many pings. sync=normal leaves
	// syncing to checkpoints: a crash of Tocsin still loses nothing, a crash
	// of the machine may lose the last commits.
	conn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_txlock=immediate"
	// The writer never checkpoints: a checkpoint copies the WAL into the
	// database and syncs it, and done inside a commit it would stall every
	// ping waiting on that commit. Checkpoint does it beside the writer.
	w, err := sql.Open("sqlite", conn+"&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", conn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	cp, err := sql.Open("sqlite", conn)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	cp.SetMaxOpenConns(1)
	db := &DB{write: w, read: r, checkpoint: cp, lock: lock, clock: opts.Clock, sched: opts.Schedule, path: path,
		dialect: dialectSQLite}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// prepare parses the statements of the hot paths once, on the writer.
func (db *DB) prepare(ctx context.Context) error {
	var err error
	if db.saveState, err = db.write.PrepareContext(ctx, saveStateSQL); err != nil {
		return fmt.Errorf("open store: prepare: %w", err)
	}
	queries := preparedQueries
	if db.dialect != dialectPostgres {
		queries = append(slices.Clip(queries), sqlitePreparedQueries...)
		if db.saveStates, err = db.prepareRowChunks(ctx, saveStatesSQL); err != nil {
			return err
		}
		if db.insertPings, err = db.prepareRowChunks(ctx, insertPingsSQL); err != nil {
			return err
		}
	}
	if db.targetByUUID, err = db.read.PrepareContext(ctx, db.sql(targetByUUIDSQL)); err != nil {
		return fmt.Errorf("open store: prepare: %w", err)
	}
	if db.targetBySlug, err = db.read.PrepareContext(ctx, db.sql(targetBySlugSQL)); err != nil {
		return fmt.Errorf("open store: prepare: %w", err)
	}
	db.stmts = make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := db.write.PrepareContext(ctx, db.sql(q))
		if err != nil {
			return fmt.Errorf("open store: prepare: %w", err)
		}
		db.stmts[q] = st
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	for _, st := range []*sql.Stmt{db.saveState, db.targetByUUID, db.targetBySlug} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range db.stmts {
		st.Close()
	}
	for _, st := range db.saveStates {
		st.Close()
	}
	for _, st := range db.insertPings {
		st.Close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.checkpoint != nil {
		err = errors.Join(err, db.checkpoint.Close())
	}
	if db.lock != nil {
		db.lock.Close() // closing the file releases the lock
	}
	return err
}

// Checkpoint copies committed WAL frames into the database file without
// blocking the writer (a passive checkpoint). When the WAL has grown past
// limit pages it then restarts it, waiting briefly for the writer, so that
// the file does not grow without bound. Call it periodically.
func (db *DB) Checkpoint(ctx context.Context, limit int) (walPages int, err error) {
	if db.checkpoint == nil {
		return 0, nil // PostgreSQL checkpoints by itself
	}
	var busy, logPages, done int
	if err := db.checkpoint.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &done); err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	if logPages > limit && done == logPages {
		if err := db.checkpoint.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logPages, &done); err != nil {
			return logPages, fmt.Errorf("checkpoint restart: %w", err)
		}
	}
	return logPages, nil
}

// Path is the database file, or the PostgreSQL DSN without its password.
func (db *DB) Path() string { return db.path }

// Shared reports whether other processes may use the database at the same
// time (PostgreSQL): caches of stored rows cannot be trusted across
// transactions, and the engine runs only where the leader lease is held.
func (db *DB) Shared() bool { return db.dialect == dialectPostgres }

// Ping checks that the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Backup writes a consistent copy of the database to path, while it is in use.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.Shared() {
		return errors.New("backup: a PostgreSQL database is backed up with pg_dump (see docs/operations.md)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists", path)
	}
	_, err := db.write.ExecContext(ctx, "VACUUM INTO $1", path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// migrate applies the embedded migrations that the database lacks, each in
// its own transaction, and refuses a database newer than this binary.
func (db *DB) migrate(ctx context.Context) error { return db.migrateTo(ctx, 1<<30) }

// migrateTo applies migrations up to version upTo (tests start from every
// earlier version this way).
func (db *DB) migrateTo(ctx context.Context, upTo int) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dialect := db.dialect
	if dialect == "" {
		dialect = dialectSQLite
	}
	files, err := fs.Glob(migrations, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(files)
	var current int
	if err := db.write.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	latest := 0
	for _, f := range files {
		name := filepath.Base(f)
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", name)
		}
		latest = v
		if v <= current || v > upTo {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			v, name, ms(db.clock.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	if current > latest {
		return fmt.Errorf("migrate: database schema version %d is newer than this binary knows (%d); upgrade tocsin", current, latest)
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// Write runs fn in one write transaction: all of it commits, or none.
// Write transactions follow one another, as SQLite's single writer makes
// them do; on PostgreSQL a transaction-scoped advisory lock does the same
// across replicas, so that every read-modify-write sees the last commit.
// A ctx from WithFence makes the transaction fail with ErrFenced unless
// the fence's lease is still held with its token.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	return db.transact(ctx, true, fn)
}

// writeLockKey names the advisory lock of write transactions ("tocsin" in ASCII).
const writeLockKey = 0x746f6373696e

func (db *DB) transact(ctx context.Context, serialize bool, fn func(*Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if serialize && db.dialect == dialectPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(writeLockKey)); err != nil {
			tx.Rollback()
			return fmt.Errorf("begin: write lock: %w", err)
		}
	}
	t := &Tx{tx: tx, db: db}
	if f, ok := ctx.Value(fenceKey{}).(Lease); ok {
		if err := checkFence(ctx, t, f); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := runTx(fn, t); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range t.after {
		f()
	}
	return nil
}

// runTx runs fn, turning a panic into an error so that the transaction is
// rolled back and the writer connection freed: a bug in one write must not
// wedge every write after it.
func runTx(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}

// Tx is a write transaction.
type Tx struct {
	tx    *sql.Tx
	db    *DB
	bound map[string]*sql.Stmt // statements bound to tx, closed with it
	after []func()             // run once the transaction has committed
	// maintenances keeps ActiveStatusMaintenances' answers, by time.
	maintenances map[int64][]StatusIncident
}

// AfterCommit runs f once tx has committed, and never if it rolls back: for
// what must only say what really happened (a log line).
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// stmt returns query bound to tx: the statement Open prepared for it, or
// one prepared now for this transaction only. (Preparing on the writer pool
// here would wait for the connection tx holds.)
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := tx.bound[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared, ok := tx.db.stmts[query]; ok {
		st = tx.tx.StmtContext(ctx, shared)
	} else {
		var err error
		if st, err = tx.tx.PrepareContext(ctx, tx.db.sql(query)); err != nil {
			return nil, err
		}
	}
	if tx.bound == nil {
		tx.bound = map[string]*sql.Stmt{}
	}
	tx.bound[query] = st
	return st, nil
}

// queryRow runs a cached statement that returns one row.
func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a cached statement that returns rows.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// insert runs a cached INSERT whose text ends in " RETURNING id" and
// returns the new row's id. SQLite gives the id without RETURNING, whose
// result row costs about as much CPU as a small insert itself
// (BenchmarkInsertAlerts): a first delivery inserts every alert, an
// incident for each new group and their timeline entries.
func (tx *Tx) insert(ctx context.Context, query string, args ...any) (int64, error) {
	if tx.db.dialect == dialectSQLite {
		res, err := tx.exec(ctx, withoutReturning(query), args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var id int64
	err := tx.queryRow(ctx, query, args...).Scan(&id)
	return id, err
}

// withoutReturning is an INSERT's text without its " RETURNING id".
func withoutReturning(query string) string { return strings.TrimSuffix(query, " RETURNING id") }

// exec runs a cached statement.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// ms converts a time to stored Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored Unix milliseconds back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

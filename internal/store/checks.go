package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

const checkColumns = `id, uuid, name, slug, schedule_every, schedule_cron, schedule_tz, grace, notify,
	auto_resolve, methods, manual_resume, runbook_url, description, status, last_ping_at,
	last_start_at, last_start_rid, last_duration, alert_after, pings, created_at, version,
	probe, probe_interval, failures_before_down, successes_before_up, fail_streak, ok_streak, escalation_policy,
	flap_changes, flap_window, flap_stable, reopen_after, state_changes, flapping_since, flap_count, reopen_at, reopen_note, tags, open_runs, keyword_filter,
	managed_by`

type rowScanner interface{ Scan(dest ...any) error }

func (db *DB) scanCheck(r rowScanner) (*tocsin.Check, error) {
	var c tocsin.Check
	var every, grace, lastPing, lastStart, lastDur, alertAfter, created, interval int64
	var flapWindow, flapStable, reopenAfter, flappingSince, reopenAt int64
	var notify, changes, tags, runs, keywords string
	var autoResolve, manualResume int
	var status string
	err := r.Scan(&c.ID, &c.UUID, &c.Name, &c.Slug, &every, &c.Spec.Cron, &c.Spec.TZ, &grace, &notify,
		&autoResolve, &c.Methods, &manualResume, &c.RunbookURL, &c.Description, &status, &lastPing,
		&lastStart, &c.LastStartRID, &lastDur, &alertAfter, &c.Pings, &created, &c.Version,
		&c.Probe, &interval, &c.FailuresBeforeDown, &c.SuccessesBeforeUp, &c.FailStreak, &c.OKStreak, &c.EscalationPolicy,
		&c.FlapChanges, &flapWindow, &flapStable, &reopenAfter, &changes, &flappingSince, &c.FlapCount, &reopenAt, &c.ReopenNote, &tags, &runs, &keywords,
		&c.ManagedBy)
	if err != nil {
		return nil, err
	}
	c.Spec.Every = time.Duration(every) * time.Millisecond
	c.Grace = time.Duration(grace) * time.Millisecond
	if err := json.Unmarshal([]byte(notify), &c.Notify); err != nil {
		return nil, fmt.Errorf("check %s: notify: %w", c.UUID, err)
	}
	c.Tags = strings.Fields(tags)
	if c.Tags == nil {
		c.Tags = []string{}
	}
	c.AutoResolve = autoResolve != 0
	c.ManualResume = manualResume != 0
	c.Status = tocsin.CheckState(status)
	c.LastPingAt = fromMS(lastPing)
	c.LastStartAt = fromMS(lastStart)
	c.LastDuration = time.Duration(lastDur) * time.Millisecond
	c.AlertAfter = fromMS(alertAfter)
	c.CreatedAt = fromMS(created)
	c.Interval = time.Duration(interval) * time.Millisecond
	c.FlapWindow, c.FlapStable = time.Duration(flapWindow)*time.Millisecond, time.Duration(flapStable)*time.Millisecond
	c.ReopenAfter = time.Duration(reopenAfter) * time.Millisecond
	c.FlappingSince, c.ReopenAt = fromMS(flappingSince), fromMS(reopenAt)
	if c.Changes, err = decodeChanges(changes); err != nil {
		return nil, fmt.Errorf("check %s: state changes: %w", c.UUID, err)
	}
	if c.Runs, err = decodeRuns(runs); err != nil {
		return nil, fmt.Errorf("check %s: open runs: %w", c.UUID, err)
	}
	if c.Keywords, err = decodeKeywords(keywords); err != nil {
		return nil, fmt.Errorf("check %s: keyword filter: %w", c.UUID, err)
	}
	if c.IsProbe() {
		c.Schedule = tocsin.Every(c.Interval) // when it runs; probes have no ping deadline
		return &c, nil
	}
	if c.Schedule, err = db.sched(c.Spec); err != nil {
		return nil, fmt.Errorf("check %s: schedule: %w", c.UUID, err)
	}
	return &c, nil
}

func (db *DB) queryChecks(ctx context.Context, q sqlQuerier, where string, args ...any) ([]*tocsin.Check, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+checkColumns+" FROM checks WHERE deleted_at = 0 "+where, args...)
	return db.scanChecks(rows, err)
}

// scanChecks reads the checks of a query's rows.
func (db *DB) scanChecks(rows *sql.Rows, err error) ([]*tocsin.Check, error) {
	if err != nil {
		return nil, fmt.Errorf("query checks: %w", err)
	}
	defer rows.Close()
	var out []*tocsin.Check
	for rows.Next() {
		c, err := db.scanCheck(rows)
		if err != nil {
			return nil, fmt.Errorf("scan check: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Checks lists the checks by name.
func (db *DB) Checks(ctx context.Context) ([]*tocsin.Check, error) {
	return db.queryChecks(ctx, db.read, "ORDER BY name")
}

// CheckByUUID returns the check, or a not-found *tocsin.Error.
func (db *DB) CheckByUUID(ctx context.Context, uuid string) (*tocsin.Check, error) {
	return db.oneCheck(ctx, db.read, "AND uuid = $1", uuid)
}

func (db *DB) oneCheck(ctx context.Context, q sqlQuerier, where string, args ...any) (*tocsin.Check, error) {
	return db.scanOneCheck(q.QueryRowContext(ctx, "SELECT "+checkColumns+" FROM checks WHERE deleted_at = 0 "+where, args...))
}

// scanOneCheck reads the check of a one-row query, or a not-found *tocsin.Error.
func (db *DB) scanOneCheck(row rowScanner) (*tocsin.Check, error) {
	c, err := db.scanCheck(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "check not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get check: %w", err)
	}
	return c, nil
}

// Deadline is when the engine must next look at a check: it goes down
// unless pinged, stops flapping, or pages again (Check.NextDeadline).
type Deadline struct {
	CheckID int64
	At      time.Time
}

// Deadlines returns every check that can go down by waiting. It reads
// two integers a check.
func (db *DB) Deadlines(ctx context.Context) ([]Deadline, error) {
	var out []Deadline
	err := db.StreamDeadlines(ctx, func(ds []Deadline) { out = append(out, ds...) })
	return out, err
}

// deadlineBatch is how many deadlines StreamDeadlines hands over at once.
const deadlineBatch = 4096

// TakeDeadlineMoves removes and returns up to limit of the deadlines that
// writes moved earlier or set where a check had none. On
// PostgreSQL a trigger on checks records them (deadline_moves), so that
// the engine's leader learns of the deadlines that pings and API calls
// served by other replicas set, without reading every check. A deadline
// moved later is not recorded: the leader's earlier entry fires first.
// SQLite's one server is told of every deadline it sets: it has none.
func (tx *Tx) TakeDeadlineMoves(ctx context.Context, limit int) ([]Deadline, error) {
	if tx.db.dialect != dialectPostgres {
		return nil, nil
	}
	rows, err := tx.query(ctx, `DELETE FROM deadline_moves WHERE seq IN (SELECT seq FROM deadline_moves ORDER BY seq LIMIT $1)
		RETURNING check_id, at`, limit)
	if err != nil {
		return nil, fmt.Errorf("take deadline moves: %w", err)
	}
	defer rows.Close()
	var out []Deadline
	for rows.Next() {
		var d Deadline
		var at int64
		if err := rows.Scan(&d.CheckID, &at); err != nil {
			return nil, err
		}
		d.At = fromMS(at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("take deadline moves: %w", err)
	}
	return out, nil
}

// StreamDeadlines is Deadlines for the engine's queue at start-up: it
// hands fn the deadlines as it reads them, deadlineBatch at a time, so
// that a million checks are queued without a copy of them all. fn must
// not keep the slice.
func (db *DB) StreamDeadlines(ctx context.Context, fn func([]Deadline)) error {
	rows, err := db.read.QueryContext(ctx, "SELECT id, alert_after, wake_at FROM checks WHERE (alert_after > 0 OR wake_at > 0) AND deleted_at = 0")
	if err != nil {
		return fmt.Errorf("query deadlines: %w", err)
	}
	defer rows.Close()
	batch := make([]Deadline, 0, deadlineBatch)
	for rows.Next() {
		var d Deadline
		var at, wake int64
		if err := rows.Scan(&d.CheckID, &at, &wake); err != nil {
			return err
		}
		if at == 0 || wake != 0 && wake < at {
			at = wake
		}
		d.At = fromMS(at)
		if batch = append(batch, d); len(batch) == deadlineBatch {
			fn(batch)
			batch = batch[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read deadlines: %w", err)
	}
	if len(batch) > 0 {
		fn(batch)
	}
	return nil
}

// CheckByUUID returns the check inside the transaction.
func (tx *Tx) CheckByUUID(ctx context.Context, uuid string) (*tocsin.Check, error) {
	return tx.db.scanOneCheck(tx.queryRow(ctx, checkByUUIDSQL, uuid))
}

// The reads of the ping path, prepared once on the writer connection
// (preparedQueries): a ping to a check not in the recorder's cache reads
// it, and parsing this statement cost more than running it.
const (
	checkByUUIDSQL  = "SELECT " + checkColumns + " FROM checks WHERE deleted_at = 0 AND uuid = $1"
	checksBySlugSQL = "SELECT " + checkColumns + " FROM checks WHERE deleted_at = 0 AND slug = $1 LIMIT 2"
	// SQLite only: PostgreSQL takes an array (ChecksByUUIDs).
	checksByUUIDsSQLite = "SELECT " + checkColumns + " FROM checks WHERE deleted_at = 0 AND uuid IN (SELECT value FROM json_each($1))"
	prunePingsSQL       = "DELETE FROM pings WHERE check_id = $1 AND n < $2"
)

// CheckByID returns the check, or a not-found *tocsin.Error.
func (db *DB) CheckByID(ctx context.Context, id int64) (*tocsin.Check, error) {
	return db.oneCheck(ctx, db.read, "AND id = $1", id)
}

// CheckByID returns the check inside the transaction, through a statement
// prepared once: the probe results writer reads one check a result.
func (tx *Tx) CheckByID(ctx context.Context, id int64) (*tocsin.Check, error) {
	c, err := tx.db.scanCheck(tx.queryRow(ctx, checkByIDSQL, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tocsin.Errorf(tocsin.ENotFound, "check not found")
	}
	if err != nil {
		return nil, fmt.Errorf("get check: %w", err)
	}
	return c, nil
}

const checkByIDSQL = "SELECT " + checkColumns + " FROM checks WHERE deleted_at = 0 AND id = $1"

// ChecksByIDs returns those of the checks ids that exist, by id: on
// PostgreSQL in one query, where each statement is a round trip and a
// round of the engine reads hundreds of checks; on SQLite one prepared
// statement a check, which costs no more there.
func (tx *Tx) ChecksByIDs(ctx context.Context, ids []int64) (map[int64]*tocsin.Check, error) {
	out := make(map[int64]*tocsin.Check, len(ids))
	if tx.db.dialect != dialectPostgres {
		for _, id := range ids {
			c, err := tx.CheckByID(ctx, id)
			if tocsin.ErrorCode(err) == tocsin.ENotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[id] = c
		}
		return out, nil
	}
	cs, err := tx.db.queryChecks(ctx, tx.tx, "AND id = ANY($1::bigint[])", ids)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}

// ChecksBySlug returns the checks with this slug (more than one is ambiguous).
func (tx *Tx) ChecksBySlug(ctx context.Context, slug string) ([]*tocsin.Check, error) {
	return tx.db.scanChecks(tx.query(ctx, checksBySlugSQL, slug))
}

// ChecksByUUIDs returns the checks with these UUIDs, in one query: a
// batch of pings reads its checks at once.
func (tx *Tx) ChecksByUUIDs(ctx context.Context, uuids []string) ([]*tocsin.Check, error) {
	if tx.db.dialect == dialectPostgres {
		// An array parameter: the planner probes the uuid index for each.
		return tx.db.queryChecks(ctx, tx.tx, "AND uuid = ANY($1::text[])", uuids)
	}
	list, err := json.Marshal(uuids)
	if err != nil {
		return nil, err
	}
	return tx.db.scanChecks(tx.query(ctx, checksByUUIDsSQLite, string(list)))
}

// ErrStale is returned when a check changed since it was read.
var ErrStale = errors.New("check changed since it was read")

// SaveCheckState writes the state fields of c, if the stored check is still
// at c.Version (else ErrStale), and advances c.Version. Its texts (the
// run ID of a start ping comes from the ping's URL) pass through
// sanitize.Text, as the pings' do.
func (tx *Tx) SaveCheckState(ctx context.Context, c *tocsin.Check) error {
	res, err := tx.tx.StmtContext(ctx, tx.db.saveState).ExecContext(ctx, appendStateArgs(nil, c)...)
	if err != nil {
		return fmt.Errorf("save check state: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrStale
	}
	c.Version++
	return nil
}

// appendStateArgs appends the arguments of saveStateSQL for c.
func appendStateArgs(args []any, c *tocsin.Check) []any {
	return append(args, string(c.Status), ms(c.LastPingAt), ms(c.LastStartAt), sanitize.Text(c.LastStartRID),
		c.LastDuration.Milliseconds(), ms(c.AlertAfter), c.Pings, c.FailStreak, c.OKStreak,
		encodeChanges(c.Changes), ms(c.FlappingSince), c.FlapCount, ms(c.ReopenAt), sanitize.Text(c.ReopenNote), ms(c.WakeAt()),
		encodeRuns(c.Runs), c.ID, c.Version)
}

// SaveCheckStates is SaveCheckState for many checks, each once: on
// PostgreSQL in one statement (a round trip), on SQLite in a few
// multi-row statements (rowChunks). If any is stale, ErrStale is returned
// and the caller must roll back.
func (tx *Tx) SaveCheckStates(ctx context.Context, cs []*tocsin.Check) error {
	if tx.db.dialect != dialectPostgres {
		return tx.saveStateRows(ctx, cs)
	}
	n := len(cs)
	ids, versions, lastPing, lastStart := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	durations, alertAfter, pings, fails, oks := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	statuses, rids, runs := make([]string, n), make([]string, n), make([]string, n)
	changes, flapping, flapCounts, reopenAt, notes, wakeAt := make([]string, n), make([]int64, n), make([]int64, n),
		make([]int64, n), make([]string, n), make([]int64, n)
	for i, c := range cs {
		changes[i], flapping[i], flapCounts[i] = encodeChanges(c.Changes), ms(c.FlappingSince), int64(c.FlapCount)
		reopenAt[i], notes[i], wakeAt[i], runs[i] = ms(c.ReopenAt), sanitize.Text(c.ReopenNote), ms(c.WakeAt()), encodeRuns(c.Runs)
		ids[i], versions[i], statuses[i], lastPing[i], lastStart[i], rids[i] = c.ID, c.Version, string(c.Status),
			ms(c.LastPingAt), ms(c.LastStartAt), sanitize.Text(c.LastStartRID)
		durations[i], alertAfter[i], pings[i], fails[i], oks[i] = c.LastDuration.Milliseconds(), ms(c.AlertAfter), c.Pings,
			int64(c.FailStreak), int64(c.OKStreak)
	}
	res, err := tx.tx.ExecContext(ctx, saveStatesPostgres, ids, versions, statuses, lastPing, lastStart, rids, durations,
		alertAfter, pings, fails, oks, changes, flapping, flapCounts, reopenAt, notes, wakeAt, runs)
	if err != nil {
		return fmt.Errorf("save check states: %w", err)
	}
	if affected, err := res.RowsAffected(); err != nil || affected != int64(n) {
		return ErrStale
	}
	for _, c := range cs {
		c.Version++
	}
	return nil
}

// saveStatesPostgres updates many checks from arrays, one per column: one
// statement text whatever the count, so it is prepared once per connection.
const saveStatesPostgres = `UPDATE checks SET status = v.status, last_ping_at = v.last_ping_at,
	last_start_at = v.last_start_at, last_start_rid = v.last_start_rid, last_duration = v.last_duration,
	alert_after = v.alert_after, pings = v.pings, fail_streak = v.fail_streak, ok_streak = v.ok_streak,
	state_changes = v.state_changes, flapping_since = v.flapping_since, flap_count = v.flap_count,
	reopen_at = v.reopen_at, reopen_note = v.reopen_note, wake_at = v.wake_at, open_runs = v.open_runs, version = checks.version + 1
	FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[],
		$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[],
		$15::bigint[], $16::text[], $17::bigint[], $18::text[])
		AS v (id, version, status, last_ping_at, last_start_at, last_start_rid, last_duration, alert_after,
			pings, fail_streak, ok_streak, state_changes, flapping_since, flap_count, reopen_at, reopen_note, wake_at,
			open_runs)
	WHERE checks.id = v.id AND checks.version = v.version AND checks.deleted_at = 0`

const saveStateSQL = `UPDATE checks SET status = $1, last_ping_at = $2, last_start_at = $3, last_start_rid = $4,
	last_duration = $5, alert_after = $6, pings = $7, fail_streak = $8, ok_streak = $9, state_changes = $10,
	flapping_since = $11, flap_count = $12, reopen_at = $13, reopen_note = $14, wake_at = $15, open_runs = $16,
	version = version + 1
	WHERE id = $17 AND version = $18 AND deleted_at = 0`

// CheckDef is a check's definition, as config or the API gives it.
type CheckDef struct {
	UUID         string // empty: keep the stored one, or generate
	Name         string
	Slug         string
	Spec         tocsin.ScheduleSpec
	Grace        time.Duration
	Notify       []string
	AutoResolve  bool
	Methods      string
	ManualResume bool
	RunbookURL   string
	Description  string
	Tags         []string // stored space-separated: a tag is one word
	// EscalationPolicy pages people about its incidents; "" for none.
	EscalationPolicy string
	// Keywords classify the pings to the plain URL by their body; nil: off.
	Keywords *tocsin.KeywordFilter

	// Active probes: Probe is the probe's config as JSON.
	Probe              string
	Interval           time.Duration
	FailuresBeforeDown int
	SuccessesBeforeUp  int

	// Flap damping (FlapChanges 0: off) and re-paging after a resolve by
	// hand (ReopenAfter 0: never); see tocsin.Check.
	FlapChanges int
	FlapWindow  time.Duration
	FlapStable  time.Duration
	ReopenAfter time.Duration
}

// SyncResult says what SyncChecks changed.
type SyncResult struct {
	Created, Updated, Removed []string // check names
	UUIDs                     map[string]string
	changed                   []int64 // ids whose deadline may have moved
}

// SyncChecks makes the checks managed by the config file match defs: new
// ones are created (with a generated UUID when none is given), changed ones
// updated (their state kept), and config checks no longer defined are
// removed (kept in the database, hidden; defining one again by name brings
// back its UUID and history). Checks created through the API are left alone
// unless the config defines one of the same name, which takes it over.
func (tx *Tx) SyncChecks(ctx context.Context, defs []CheckDef) (SyncResult, error) {
	res := SyncResult{UUIDs: map[string]string{}}
	now := ms(tx.db.clock.Now())
	type stored struct {
		id        int64
		uuid      string
		managedBy string
		deletedAt int64
	}
	// Read the config's own checks, then look up by name only the defined
	// ones it lacks: checks made through the API may be many, and a sync
	// need not read them all.
	existing := map[string]stored{}
	rows, err := tx.tx.QueryContext(ctx, "SELECT id, uuid, name, managed_by, deleted_at FROM checks WHERE managed_by = 'config'")
	if err != nil {
		return res, fmt.Errorf("sync checks: %w", err)
	}
	for rows.Next() {
		var s stored
		var name string
		if err := rows.Scan(&s.id, &s.uuid, &name, &s.managedBy, &s.deletedAt); err != nil {
			rows.Close()
			return res, fmt.Errorf("sync checks: %w", err)
		}
		existing[name] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("sync checks: %w", err)
	}
	for _, d := range defs {
		if _, ok := existing[d.Name]; ok {
			continue
		}
		var s stored
		err := tx.tx.QueryRowContext(ctx, "SELECT id, uuid, managed_by, deleted_at FROM checks WHERE name = $1", d.Name).
			Scan(&s.id, &s.uuid, &s.managedBy, &s.deletedAt)
		switch {
		case err == nil:
			existing[d.Name] = s
		case !errors.Is(err, sql.ErrNoRows):
			return res, fmt.Errorf("sync checks: %w", err)
		}
	}
	seen := map[string]bool{}
	for _, d := range defs {
		seen[d.Name] = true
		if d.Probe == "" {
			if _, err := tx.db.sched(d.Spec); err != nil {
				return res, fmt.Errorf("check %q: %w", d.Name, err)
			}
		}
		notify, err := json.Marshal(nonNil(d.Notify))
		if err != nil {
			return res, err
		}
		args := []any{d.Slug, d.Spec.Every.Milliseconds(), d.Spec.Cron, d.Spec.TZ, d.Grace.Milliseconds(), string(notify),
			boolInt(d.AutoResolve), d.Methods, boolInt(d.ManualResume), d.RunbookURL, d.Description,
			d.Probe, d.Interval.Milliseconds(), d.FailuresBeforeDown, d.SuccessesBeforeUp, d.EscalationPolicy,
			d.FlapChanges, d.FlapWindow.Milliseconds(), d.FlapStable.Milliseconds(), d.ReopenAfter.Milliseconds(),
			strings.Join(d.Tags, " "), encodeKeywords(d.Keywords)}
		s, ok := existing[d.Name]
		if !ok {
			id := d.UUID
			if id == "" {
				id = NewUUID()
			}
			var newID int64
			err := tx.tx.QueryRowContext(ctx, `INSERT INTO checks (slug, schedule_every, schedule_cron, schedule_tz, grace, notify,
				auto_resolve, methods, manual_resume, runbook_url, description, probe, probe_interval, failures_before_down,
				successes_before_up, escalation_policy, flap_changes, flap_window, flap_stable, reopen_after, tags, keyword_filter,
				uuid, name, created_at, managed_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
				$24, $25, 'config') RETURNING id`,
				append(args, id, d.Name, now)...).Scan(&newID)
			res.changed = append(res.changed, newID)
			if err != nil {
				return res, fmt.Errorf("create check %q: %w", d.Name, uniqueToUser(err, "uuid "+id+" is already used by another check"))
			}
			res.Created = append(res.Created, d.Name)
			res.UUIDs[d.Name] = id
			continue
		}
		id := s.uuid
		if d.UUID != "" {
			id = d.UUID
		}
		// Only a changed definition is written: an unchanged check keeps
		// its version, so cached copies stay good across reloads.
		r, err := tx.tx.ExecContext(ctx, `UPDATE checks SET slug = $1, schedule_every = $2, schedule_cron = $3, schedule_tz = $4,
			grace = $5, notify = $6, auto_resolve = $7, methods = $8, manual_resume = $9, runbook_url = $10,
			description = $11, probe = $12, probe_interval = $13, failures_before_down = $14, successes_before_up = $15,
			escalation_policy = $16, flap_changes = $17, flap_window = $18, flap_stable = $19, reopen_after = $20,
			tags = $21, keyword_filter = $22, uuid = $23, deleted_at = 0, managed_by = 'config', version = version + 1
			WHERE id = $24 AND NOT (slug = $1 AND schedule_every = $2 AND schedule_cron = $3 AND schedule_tz = $4
				AND grace = $5 AND notify = $6 AND auto_resolve = $7 AND methods = $8 AND manual_resume = $9
				AND runbook_url = $10 AND description = $11 AND probe = $12 AND probe_interval = $13
				AND failures_before_down = $14 AND successes_before_up = $15 AND escalation_policy = $16
				AND flap_changes = $17 AND flap_window = $18 AND flap_stable = $19 AND reopen_after = $20
				AND tags = $21 AND keyword_filter = $22 AND uuid = $23 AND deleted_at = 0 AND managed_by = 'config')`,
			append(args, id, s.id)...)
		if err != nil {
			return res, fmt.Errorf("update check %q: %w", d.Name, uniqueToUser(err, "uuid "+id+" is already used by another check"))
		}
		res.UUIDs[d.Name] = id
		if n, _ := r.RowsAffected(); n == 1 {
			res.Updated = append(res.Updated, d.Name)
			res.changed = append(res.changed, s.id)
		}
	}
	for name, s := range existing {
		if seen[name] || s.deletedAt != 0 || s.managedBy != "config" {
			continue
		}
		if _, err := tx.tx.ExecContext(ctx, "UPDATE checks SET deleted_at = $1, alert_after = 0, version = version + 1 WHERE id = $2", now, s.id); err != nil {
			return res, fmt.Errorf("remove check %q: %w", name, err)
		}
		res.Removed = append(res.Removed, name)
	}
	return res, nil
}

// CreateCheck creates a check that the config file does not manage (the API
// and bulk tools create these) and returns its UUID: d.UUID when given,
// so that an imported check keeps its ping URL, else a new one. A name or
// UUID that another check has is an EConflict error.
func (tx *Tx) CreateCheck(ctx context.Context, d CheckDef) (string, error) {
	if _, err := tx.db.sched(d.Spec); err != nil {
		return "", tocsin.Errorf(tocsin.EInvalid, "check %q: %v", d.Name, err)
	}
	notify, err := json.Marshal(nonNil(d.Notify))
	if err != nil {
		return "", err
	}
	id := d.UUID
	if id == "" {
		id = NewUUID()
	}
	cols := `slug, schedule_every, schedule_cron, schedule_tz, grace, notify, auto_resolve, methods, manual_resume,
		runbook_url, description, uuid, name, created_at, tags, escalation_policy, keyword_filter`
	args := []any{d.Slug, d.Spec.Every.Milliseconds(), d.Spec.Cron, d.Spec.TZ, d.Grace.Milliseconds(), string(notify),
		boolInt(d.AutoResolve), d.Methods, boolInt(d.ManualResume), d.RunbookURL, d.Description, id, d.Name,
		ms(tx.db.clock.Now()), strings.Join(d.Tags, " "), d.EscalationPolicy, encodeKeywords(d.Keywords)}
	// A definition without flap or re-page settings keeps the built-in
	// defaults of the columns.
	if d.FlapChanges != 0 || d.FlapWindow != 0 || d.FlapStable != 0 || d.ReopenAfter != 0 {
		cols += ", flap_changes, flap_window, flap_stable, reopen_after"
		args = append(args, d.FlapChanges, d.FlapWindow.Milliseconds(), d.FlapStable.Milliseconds(), d.ReopenAfter.Milliseconds())
	}
	_, err = tx.tx.ExecContext(ctx, "INSERT INTO checks ("+cols+", managed_by) VALUES ("+placeholders(1, len(args))+", 'api')", args...)
	if err != nil {
		return "", fmt.Errorf("create check %q: %w", d.Name, uniqueToUser(err, "a check with this name or uuid exists"))
	}
	return id, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func uniqueToUser(err error, msg string) error {
	if isUniqueViolation(err) {
		return tocsin.Errorf(tocsin.EConflict, "%s", msg)
	}
	return err
}

// NewUUID returns a random (version 4) UUID in canonical form.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// InsertPings stores pings. Their text columns pass through
// sanitize.Text on both stores: one ping whose header holds a byte that is
// not UTF-8 (legal in HTTP) must not fail the statement, which on
// PostgreSQL holds the whole batch, and what is read back must not depend
// on the store.
func (tx *Tx) InsertPings(ctx context.Context, pings []*tocsin.Ping) error {
	if tx.db.dialect == dialectPostgres {
		return tx.insertPingRows(ctx, pings)
	}
	args := make([]any, 0, pingColumns*min(len(pings), rowChunks[0]))
	return eachChunk(len(pings), func(from, to int) error {
		args = args[:0]
		for _, p := range pings[from:to] {
			args = appendPingArgs(args, p)
		}
		if _, err := tx.tx.StmtContext(ctx, tx.db.insertPings[to-from]).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert pings: %w", err)
		}
		return nil
	})
}

// appendPingArgs appends the arguments of one row of insertPingsSQL for p.
func appendPingArgs(args []any, p *tocsin.Ping) []any {
	var exit any
	if p.ExitStatus != nil {
		exit = *p.ExitStatus
	}
	t := sanitize.Text
	return append(args, p.CheckID, p.N, ms(p.At), t(string(p.Kind)), exit, t(p.RID), t(p.Method),
		t(p.RemoteAddr), t(p.Scheme), t(p.UserAgent), p.Body, boolInt(p.Truncated), p.Duration.Milliseconds())
}

// insertPingRows inserts a batch in one statement, from arrays, one per
// column: on PostgreSQL each statement is a round trip, and a batch taken
// in one commit would otherwise pay one per ping while holding the write
// lock.
func (tx *Tx) insertPingRows(ctx context.Context, pings []*tocsin.Ping) error {
	if len(pings) == 0 {
		return nil
	}
	n := len(pings)
	checkIDs, nums, ats, durations, truncated := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	kinds, rids, methods, addrs, schemes, agents := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	exits := make([]*int64, n)
	bodies := make([][]byte, n)
	for i, p := range pings {
		t := sanitize.Text
		checkIDs[i], nums[i], ats[i], kinds[i], rids[i] = p.CheckID, p.N, ms(p.At), t(string(p.Kind)), t(p.RID)
		methods[i], addrs[i], schemes[i], agents[i], bodies[i] = t(p.Method), t(p.RemoteAddr), t(p.Scheme), t(p.UserAgent), p.Body
		truncated[i], durations[i] = int64(boolInt(p.Truncated)), p.Duration.Milliseconds()
		if p.ExitStatus != nil {
			e := int64(*p.ExitStatus)
			exits[i] = &e
		}
	}
	_, err := tx.tx.ExecContext(ctx, insertPingsPostgres, checkIDs, nums, ats, kinds, exits, rids, methods, addrs, schemes,
		agents, bodies, truncated, durations)
	if err != nil {
		return fmt.Errorf("insert pings: %w", err)
	}
	return nil
}

const insertPingsPostgres = `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_addr, scheme,
	user_agent, body, truncated, duration)
	SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[],
		$8::text[], $9::text[], $10::text[], $11::bytea[], $12::bigint[], $13::bigint[])`

// PrunePings deletes the pings of a check numbered below keepFrom.
func (tx *Tx) PrunePings(ctx context.Context, checkID, keepFrom int64) error {
	_, err := tx.exec(ctx, prunePingsSQL, checkID, keepFrom)
	if err != nil {
		return fmt.Errorf("prune pings: %w", err)
	}
	return nil
}

// Pings returns the latest pings of a check, newest first.
func (db *DB) Pings(ctx context.Context, checkID int64, limit int) ([]tocsin.Ping, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT check_id, n, at, kind, exit_status, rid, method, remote_addr, scheme,
		user_agent, body, truncated, duration FROM pings WHERE check_id = $1 ORDER BY n DESC LIMIT $2`, checkID, limit)
	if err != nil {
		return nil, fmt.Errorf("query pings: %w", err)
	}
	defer rows.Close()
	var out []tocsin.Ping
	for rows.Next() {
		var p tocsin.Ping
		var at, dur int64
		var exit sql.NullInt64
		var kind string
		var trunc int
		if err := rows.Scan(&p.CheckID, &p.N, &at, &kind, &exit, &p.RID, &p.Method, &p.RemoteAddr, &p.Scheme,
			&p.UserAgent, &p.Body, &trunc, &dur); err != nil {
			return nil, fmt.Errorf("scan ping: %w", err)
		}
		p.At, p.Kind, p.Truncated, p.Duration = fromMS(at), tocsin.PingKind(kind), trunc != 0, time.Duration(dur)*time.Millisecond
		if exit.Valid {
			v := int(exit.Int64)
			p.ExitStatus = &v
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PingCount returns how many pings are stored for a check (all checks if 0).
func (db *DB) PingCount(ctx context.Context, checkID int64) (int64, error) {
	var n int64
	q, args := "SELECT COUNT(*) FROM pings", []any{}
	if checkID != 0 {
		q, args = q+" WHERE check_id = $1", []any{checkID}
	}
	err := db.read.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// Audit writes an entry to the audit log: an action that worked, by an
// actor whose role and address are not known here.
func (tx *Tx) Audit(ctx context.Context, actor, action, message string, data any) error {
	return tx.AuditEvent(ctx, AuditEvent{Actor: actor, Action: action, Message: message, Data: data})
}

// Audit writes an entry to the audit log in its own transaction.
func (db *DB) Audit(ctx context.Context, actor, action, message string, data any) error {
	return db.AuditEvent(ctx, AuditEvent{Actor: actor, Action: action, Message: message, Data: data})
}

// AuditEvent is an entry to write to the audit log: who acted (with
// which role, from which address), what they did, and how it went.
type AuditEvent struct {
	Actor   string
	Role    string // empty for the system
	Addr    string // the request's source address; empty for the system
	Action  string
	Message string
	Outcome string // "ok" when empty
	Data    any
}

// AuditEvent writes e to the audit log.
func (tx *Tx) AuditEvent(ctx context.Context, e AuditEvent) error {
	return audit(ctx, tx.tx, tx.db.clock.Now(), e)
}

// AuditEvent writes e to the audit log in its own transaction.
func (db *DB) AuditEvent(ctx context.Context, e AuditEvent) error {
	return audit(ctx, db.write, db.clock.Now(), e)
}

// AuditSource is who a request acts as, for the audit entries written
// while it is served: the principal's role and the request's address.
type AuditSource struct {
	Role string
	Addr string
}

type auditSourceKey struct{}

// WithAuditSource makes the audit entries written under ctx that name no
// role or address of their own carry src's: callers deep in a change
// (pausing a check, reloading the config) write the request's without
// being told of requests.
func WithAuditSource(ctx context.Context, src AuditSource) context.Context {
	return context.WithValue(ctx, auditSourceKey{}, src)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func audit(ctx context.Context, x execer, now time.Time, e AuditEvent) error {
	raw, err := jsonText(e.Data)
	if err != nil {
		return err
	}
	if e.Outcome == "" {
		e.Outcome = "ok"
	}
	if src, ok := ctx.Value(auditSourceKey{}).(AuditSource); ok && e.Role == "" && e.Addr == "" {
		e.Role, e.Addr = src.Role, src.Addr
	}
	_, err = x.ExecContext(ctx, `INSERT INTO audit_log (at, actor, role, addr, action, message, outcome, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ms(now), e.Actor, e.Role, e.Addr, e.Action, e.Message, e.Outcome, raw)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return string(raw), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode data: %w", err)
	}
	return string(b), nil
}

// RecomputeDeadlines sets the deadline of the checks that res created or
// changed from their definition and state.
func (tx *Tx) RecomputeDeadlines(ctx context.Context, res SyncResult) error {
	for _, id := range res.changed {
		c, err := tx.CheckByID(ctx, id)
		if err != nil {
			return err
		}
		at := c.GoesDownAt()
		if at.Equal(c.AlertAfter) && !c.Flapping() && c.ReopenAt.IsZero() {
			continue // a flapping check's stable period may have changed: its wake_at is saved again
		}
		c.AlertAfter = at
		if err := tx.SaveCheckState(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// ProbeCheck is what the probe runner needs of a probe check.
type ProbeCheck struct {
	ID       int64
	Name     string
	Probe    string // spec JSON
	Interval time.Duration
	Paused   bool
}

// ProbeChecks lists the probe checks.
func (db *DB) ProbeChecks(ctx context.Context) ([]ProbeCheck, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, name, probe, probe_interval, status FROM checks
		WHERE probe <> '' AND deleted_at = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query probe checks: %w", err)
	}
	defer rows.Close()
	var out []ProbeCheck
	for rows.Next() {
		var p ProbeCheck
		var interval int64
		var status string
		if err := rows.Scan(&p.ID, &p.Name, &p.Probe, &interval, &status); err != nil {
			return nil, err
		}
		p.Interval = time.Duration(interval) * time.Millisecond
		p.Paused = status == string(tocsin.StatePaused)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ProbeResult is one stored probe run.
type ProbeResult struct {
	At      time.Time     `json:"at"`
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"-"`
	Class   string        `json:"class,omitempty"`
	Message string        `json:"message,omitempty"`
}

// InsertProbeResult stores a run and adds it to the hourly and daily
// rollups, through statements prepared once (a result costs three).
func (tx *Tx) InsertProbeResult(ctx context.Context, checkID int64, r ProbeResult) error {
	us := r.Latency.Microseconds()
	if _, err := tx.exec(ctx, insertProbeResultSQL, checkID, ms(r.At), boolInt(r.OK), us, r.Class, r.Message); err != nil {
		return fmt.Errorf("insert probe result: %w", err)
	}
	at := r.At.UTC()
	for _, b := range [...]struct {
		gran  string
		start time.Time
	}{
		{"hour", at.Truncate(time.Hour)},
		{"day", time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := tx.exec(ctx, rollUpProbeResultSQL, checkID, b.gran, ms(b.start), boolInt(r.OK), us); err != nil {
			return fmt.Errorf("roll up probe result: %w", err)
		}
	}
	return nil
}

const insertProbeResultSQL = `INSERT INTO probe_results (check_id, at, ok, latency, class, message)
	VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (check_id, at) DO NOTHING`

const rollUpProbeResultSQL = `INSERT INTO probe_rollups (check_id, granularity, bucket, runs, ok_runs, latency_sum, latency_max)
	VALUES ($1, $2, $3, 1, $4, $5, $5)
	ON CONFLICT (check_id, granularity, bucket) DO UPDATE SET runs = probe_rollups.runs + 1,
		ok_runs = probe_rollups.ok_runs + excluded.ok_runs,
		latency_sum = probe_rollups.latency_sum + excluded.latency_sum,
		latency_max = CASE WHEN excluded.latency_max > probe_rollups.latency_max
			THEN excluded.latency_max ELSE probe_rollups.latency_max END`

// PruneProbeResults deletes runs older than before and hourly rollups
// older than hoursBefore; daily rollups stay.
func (tx *Tx) PruneProbeResults(ctx context.Context, checkID int64, before, hoursBefore time.Time) error {
	_, err := tx.tx.ExecContext(ctx, "DELETE FROM probe_results WHERE check_id = $1 AND at < $2", checkID, ms(before))
	if err != nil {
		return fmt.Errorf("prune probe results: %w", err)
	}
	_, err = tx.tx.ExecContext(ctx, "DELETE FROM probe_rollups WHERE check_id = $1 AND granularity = 'hour' AND bucket < $2",
		checkID, ms(hoursBefore))
	if err != nil {
		return fmt.Errorf("prune hourly rollups: %w", err)
	}
	return nil
}

// RecentProbeResults returns a check's latest runs, newest first.
func (tx *Tx) RecentProbeResults(ctx context.Context, checkID int64, limit int) ([]ProbeResult, error) {
	return recentProbeResults(ctx, tx.tx, checkID, limit)
}

// RecentProbeResults returns a check's latest runs, newest first.
func (db *DB) RecentProbeResults(ctx context.Context, checkID int64, limit int) ([]ProbeResult, error) {
	return recentProbeResults(ctx, db.read, checkID, limit)
}

func recentProbeResults(ctx context.Context, q sqlQuerier, checkID int64, limit int) ([]ProbeResult, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, ok, latency, class, message FROM probe_results WHERE check_id = $1
		ORDER BY at DESC LIMIT $2`, checkID, limit)
	if err != nil {
		return nil, fmt.Errorf("query probe results: %w", err)
	}
	defer rows.Close()
	var out []ProbeResult
	for rows.Next() {
		var r ProbeResult
		var at, us int64
		var ok int
		if err := rows.Scan(&at, &ok, &us, &r.Class, &r.Message); err != nil {
			return nil, err
		}
		r.At, r.OK, r.Latency = fromMS(at), ok != 0, time.Duration(us)*time.Microsecond
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rollup is uptime and response time over one hour or day.
type Rollup struct {
	Bucket      time.Time     `json:"start"`
	Runs        int64         `json:"runs"`
	OKRuns      int64         `json:"ok_runs"`
	MeanLatency time.Duration `json:"-"`
	MaxLatency  time.Duration `json:"-"`
}

// Rollups returns a check's rollups of a granularity ("hour" or "day")
// since a time, oldest first.
func (db *DB) Rollups(ctx context.Context, checkID int64, granularity string, since time.Time) ([]Rollup, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT bucket, runs, ok_runs, latency_sum, latency_max FROM probe_rollups
		WHERE check_id = $1 AND granularity = $2 AND bucket >= $3 ORDER BY bucket`, checkID, granularity, ms(since))
	if err != nil {
		return nil, fmt.Errorf("query rollups: %w", err)
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		var r Rollup
		var bucket, sum, mx int64
		if err := rows.Scan(&bucket, &r.Runs, &r.OKRuns, &sum, &mx); err != nil {
			return nil, err
		}
		r.Bucket, r.MaxLatency = fromMS(bucket), time.Duration(mx)*time.Microsecond
		if r.Runs > 0 {
			r.MeanLatency = time.Duration(sum/r.Runs) * time.Microsecond
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// encodeChanges stores a check's latest state changes as a JSON array of
// Unix milliseconds.
func encodeChanges(ts []time.Time) string {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = ms(t)
	}
	b, _ := json.Marshal(out) // a slice of integers always encodes
	return string(b)
}

func decodeChanges(s string) ([]time.Time, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var raw []int64
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := make([]time.Time, len(raw))
	for i, v := range raw {
		out[i] = fromMS(v)
	}
	return out, nil
}

// storedRun is a tocsin.Run as the open_runs column keeps it: the start in
// milliseconds, as every time in the store.
type storedRun struct {
	RID string `json:"rid"`
	At  int64  `json:"at"`
}

// encodeRuns is the open_runs column of runs. Run ids come from ping URLs
// and pass through sanitize.Text, as the pings' do.
func encodeRuns(runs []tocsin.Run) string {
	out := make([]storedRun, len(runs))
	for i, r := range runs {
		out[i] = storedRun{RID: sanitize.Text(r.RID), At: ms(r.At)}
	}
	b, _ := json.Marshal(out) // strings and integers always encode
	return string(b)
}

func decodeRuns(s string) ([]tocsin.Run, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var raw []storedRun
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	out := make([]tocsin.Run, len(raw))
	for i, r := range raw {
		out[i] = tocsin.Run{RID: r.RID, At: fromMS(r.At)}
	}
	return out, nil
}

// encodeKeywords is the keyword_filter column of f: "" for none, so that
// an unchanged definition compares equal.
func encodeKeywords(f *tocsin.KeywordFilter) string {
	if f == nil {
		return ""
	}
	b, _ := json.Marshal(f) // lists of strings and a bool always encode
	return string(b)
}

func decodeKeywords(s string) (*tocsin.KeywordFilter, error) {
	if s == "" {
		return nil, nil
	}
	var f tocsin.KeywordFilter
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return nil, err
	}
	return &f, nil
}

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tocsinhq/tocsin"
)

// UpdateCheck writes a new definition d for the check id, which the API
// manages, keeping its state and UUID (d.UUID is ignored), and sets its
// deadline from the new definition. A check of the config file is an
// EConflict error: the file defines it. It returns the check as saved.
func (tx *Tx) UpdateCheck(ctx context.Context, id int64, d CheckDef) (*tocsin.Check, error) {
	if _, err := tx.db.sched(d.Spec); err != nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "check %q: %v", d.Name, err)
	}
	notify, err := json.Marshal(nonNil(d.Notify))
	if err != nil {
		return nil, err
	}
	r, err := tx.tx.ExecContext(ctx, `UPDATE checks SET name = $1, slug = $2, schedule_every = $3, schedule_cron = $4,
		schedule_tz = $5, grace = $6, notify = $7, auto_resolve = $8, methods = $9, manual_resume = $10, runbook_url = $11,
		description = $12, tags = $13, escalation_policy = $14, flap_changes = $15, flap_window = $16, flap_stable = $17,
		reopen_after = $18, keyword_filter = $19, version = version + 1
		WHERE id = $20 AND managed_by = 'api' AND deleted_at = 0`,
		d.Name, d.Slug, d.Spec.Every.Milliseconds(), d.Spec.Cron, d.Spec.TZ, d.Grace.Milliseconds(), string(notify),
		boolInt(d.AutoResolve), d.Methods, boolInt(d.ManualResume), d.RunbookURL, d.Description, strings.Join(d.Tags, " "),
		d.EscalationPolicy, d.FlapChanges, d.FlapWindow.Milliseconds(), d.FlapStable.Milliseconds(),
		d.ReopenAfter.Milliseconds(), encodeKeywords(d.Keywords), id)
	if err != nil {
		return nil, fmt.Errorf("update check %q: %w", d.Name, uniqueToUser(err, "a check with this name exists"))
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return nil, tocsin.Errorf(tocsin.EConflict, "check %q is not managed through the API", d.Name)
	}
	if err := tx.RecomputeDeadlines(ctx, SyncResult{changed: []int64{id}}); err != nil {
		return nil, err
	}
	return tx.CheckByID(ctx, id)
}

// DeleteCheck removes the check id, which the API manages. Its row stays,
// hidden, with its pings and incidents, under a name and UUID that free
// the check's own for a new check (an import that runs again keeps its
// ping URLs). A check of the config file is an EConflict error.
func (tx *Tx) DeleteCheck(ctx context.Context, id int64) error {
	gone := "deleted:" + strconv.FormatInt(id, 10) + ":"
	r, err := tx.tx.ExecContext(ctx, `UPDATE checks SET deleted_at = $1, alert_after = 0, wake_at = 0, name = $2 || name,
		uuid = $2 || uuid, version = version + 1 WHERE id = $3 AND managed_by = 'api' AND deleted_at = 0`,
		ms(tx.db.clock.Now()), gone, id)
	if err != nil {
		return fmt.Errorf("delete check: %w", err)
	}
	if n, err := r.RowsAffected(); err != nil || n != 1 {
		return tocsin.Errorf(tocsin.EConflict, "check %d is not managed through the API", id)
	}
	return nil
}

// CheckNameTaken reports whether a check, live or removed from the config
// (which keeps its name to bring back its history), has the name.
func (tx *Tx) CheckNameTaken(ctx context.Context, name string) (bool, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM checks WHERE name = $1", name).Scan(&n); err != nil {
		return false, fmt.Errorf("check name: %w", err)
	}
	return n > 0, nil
}

// CountAPIChecks counts the live checks the API manages.
func (tx *Tx) CountAPIChecks(ctx context.Context) (int, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM checks WHERE managed_by = 'api' AND deleted_at = 0").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count checks: %w", err)
	}
	return n, nil
}

// CreateChecks creates many checks that the config file does not manage,
// all in the transaction, and returns their UUIDs in the order of defs (a
// new one where a definition gives none). Unlike CreateCheck it writes the
// flap and re-page settings as given: the caller fills them. A name or
// UUID that another check has is an EConflict error; callers that must say
// which definition it was ask ChecksTaken first. On PostgreSQL the rows go
// in one statement per call (a round trip), on SQLite through one
// prepared statement.
func (tx *Tx) CreateChecks(ctx context.Context, defs []CheckDef) ([]string, error) {
	n := len(defs)
	rows := checkRows{uuids: make([]string, n), names: make([]string, n), slugs: make([]string, n), crons: make([]string, n),
		tzs: make([]string, n), notify: make([]string, n), methods: make([]string, n), runbooks: make([]string, n),
		descriptions: make([]string, n), tags: make([]string, n), policies: make([]string, n), keywords: make([]string, n),
		every: make([]int64, n), grace: make([]int64, n), autoResolve: make([]int64, n), manualResume: make([]int64, n),
		flapChanges: make([]int64, n), flapWindow: make([]int64, n), flapStable: make([]int64, n), reopenAfter: make([]int64, n)}
	for i, d := range defs {
		if _, err := tx.db.sched(d.Spec); err != nil {
			return nil, tocsin.Errorf(tocsin.EInvalid, "check %q: %v", d.Name, err)
		}
		notify, err := json.Marshal(nonNil(d.Notify))
		if err != nil {
			return nil, err
		}
		rows.uuids[i] = d.UUID
		if rows.uuids[i] == "" {
			rows.uuids[i] = NewUUID()
		}
		rows.names[i], rows.slugs[i], rows.crons[i], rows.tzs[i], rows.notify[i] = d.Name, d.Slug, d.Spec.Cron, d.Spec.TZ, string(notify)
		rows.methods[i], rows.runbooks[i], rows.descriptions[i] = d.Methods, d.RunbookURL, d.Description
		rows.tags[i], rows.policies[i], rows.keywords[i] = strings.Join(d.Tags, " "), d.EscalationPolicy, encodeKeywords(d.Keywords)
		rows.every[i], rows.grace[i] = d.Spec.Every.Milliseconds(), d.Grace.Milliseconds()
		rows.autoResolve[i], rows.manualResume[i] = int64(boolInt(d.AutoResolve)), int64(boolInt(d.ManualResume))
		rows.flapChanges[i], rows.flapWindow[i] = int64(d.FlapChanges), d.FlapWindow.Milliseconds()
		rows.flapStable[i], rows.reopenAfter[i] = d.FlapStable.Milliseconds(), d.ReopenAfter.Milliseconds()
	}
	now := ms(tx.db.clock.Now())
	var err error
	if tx.db.dialect == dialectPostgres {
		_, err = tx.tx.ExecContext(ctx, createChecksPostgres, now, rows.uuids, rows.names, rows.slugs, rows.every, rows.crons,
			rows.tzs, rows.grace, rows.notify, rows.autoResolve, rows.methods, rows.manualResume, rows.runbooks,
			rows.descriptions, rows.tags, rows.policies, rows.keywords, rows.flapChanges, rows.flapWindow, rows.flapStable,
			rows.reopenAfter)
	} else {
		err = tx.createCheckRows(ctx, now, &rows)
	}
	if err != nil {
		return nil, fmt.Errorf("create %d checks: %w", n, uniqueToUser(err, "a check with one of these names or uuids exists"))
	}
	return rows.uuids, nil
}

// checkRows are the column values of checks to create, one slice per column.
type checkRows struct {
	uuids, names, slugs, crons, tzs, notify, methods, runbooks, descriptions, tags, policies, keywords []string
	every, grace, autoResolve, manualResume, flapChanges, flapWindow, flapStable, reopenAfter          []int64
}

func (tx *Tx) createCheckRows(ctx context.Context, now int64, rows *checkRows) error {
	stmt, err := tx.tx.PrepareContext(ctx, createCheckSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range rows.uuids {
		if _, err := stmt.ExecContext(ctx, now, rows.uuids[i], rows.names[i], rows.slugs[i], rows.every[i], rows.crons[i],
			rows.tzs[i], rows.grace[i], rows.notify[i], rows.autoResolve[i], rows.methods[i], rows.manualResume[i],
			rows.runbooks[i], rows.descriptions[i], rows.tags[i], rows.policies[i], rows.keywords[i], rows.flapChanges[i],
			rows.flapWindow[i], rows.flapStable[i], rows.reopenAfter[i]); err != nil {
			return err
		}
	}
	return nil
}

const createCheckColumns = `created_at, uuid, name, slug, schedule_every, schedule_cron, schedule_tz, grace, notify,
	auto_resolve, methods, manual_resume, runbook_url, description, tags, escalation_policy, keyword_filter,
	flap_changes, flap_window, flap_stable, reopen_after, managed_by`

const createCheckSQL = `INSERT INTO checks (` + createCheckColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
	$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'api')`

// createChecksPostgres inserts many checks from arrays, one per column:
// one statement text whatever the count.
const createChecksPostgres = `INSERT INTO checks (` + createCheckColumns + `)
	SELECT $1::bigint, v.*, 'api' FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[],
		$9::text[], $10::bigint[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
		$18::bigint[], $19::bigint[], $20::bigint[], $21::bigint[]) AS v`

// ChecksTaken returns which of names and uuids a check has, live or
// removed from the config (which keeps its name), in one query.
func (tx *Tx) ChecksTaken(ctx context.Context, names, uuids []string) (takenNames, takenUUIDs map[string]bool, err error) {
	q := "SELECT name, uuid FROM checks WHERE name IN (SELECT value FROM json_each($1)) OR uuid IN (SELECT value FROM json_each($2))"
	var nameArg, uuidArg any = names, uuids
	if tx.db.dialect == dialectPostgres {
		q = "SELECT name, uuid FROM checks WHERE name = ANY($1::text[]) OR uuid = ANY($2::text[])"
	} else {
		n, _ := json.Marshal(nonNil(names)) // strings always encode
		u, _ := json.Marshal(nonNil(uuids))
		nameArg, uuidArg = string(n), string(u)
	}
	rows, err := tx.tx.QueryContext(ctx, q, nameArg, uuidArg)
	if err != nil {
		return nil, nil, fmt.Errorf("checks taken: %w", err)
	}
	defer rows.Close()
	asked := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, s := range list {
			m[s] = true
		}
		return m
	}
	askedNames, askedUUIDs := asked(names), asked(uuids)
	takenNames, takenUUIDs = map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var name, uuid string
		if err := rows.Scan(&name, &uuid); err != nil {
			return nil, nil, fmt.Errorf("checks taken: %w", err)
		}
		if askedNames[name] {
			takenNames[name] = true
		}
		if askedUUIDs[uuid] {
			takenUUIDs[uuid] = true
		}
	}
	return takenNames, takenUUIDs, rows.Err()
}

// ParseSchedule builds the schedule of spec as the store does when it
// reads a check: a spec it refuses cannot be stored.
func (db *DB) ParseSchedule(spec tocsin.ScheduleSpec) (tocsin.Schedule, error) { return db.sched(spec) }

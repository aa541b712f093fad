package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tocsinhq/tocsin"
)

// rowChunks are the row counts of the multi-row statements the ping path
// prepares on SQLite, largest first. A batch of n pings inserts them, and
// saves the checks they changed, in a few statements (27 rows: 16+8+2+1)
// instead of one a row: besides its rows, each statement costs its
// arguments' trip through database/sql, a goroutine the driver starts to
// watch the context, and the start and end of its SQLite program.
var rowChunks = []int{64, 32, 16, 8, 4, 2, 1}

// eachChunk calls fn with consecutive ranges [from, to) of n rows, each
// the size of one of rowChunks.
func eachChunk(n int, fn func(from, to int) error) error {
	for from := 0; from < n; {
		size := 1
		for _, c := range rowChunks {
			if c <= n-from {
				size = c
				break
			}
		}
		if err := fn(from, from+size); err != nil {
			return err
		}
		from += size
	}
	return nil
}

// valueRows is "(?, ..., ?), ..." for rows rows of cols columns. The
// parameters are anonymous: the driver looks up each numbered one ($n) by
// name, in a list as long as the statement's parameters, which made
// binding a 64-row statement cost more than running it.
func valueRows(rows, cols int) string {
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	return strings.Repeat(row+", ", rows-1) + row
}

// pingColumns and stateColumns are the arguments a row of insertPingsSQL
// and of saveStateSQL takes.
const (
	pingColumns  = 13
	stateColumns = 18
)

// insertPingsSQL inserts rows pings.
func insertPingsSQL(rows int) string {
	return `INSERT INTO pings (check_id, n, at, kind, exit_status, rid, method, remote_addr, scheme,
	user_agent, body, truncated, duration) VALUES ` + valueRows(rows, pingColumns)
}

// saveStatesSQL saves the state of rows checks, each as saveStateSQL does
// and with its arguments in the same order: the id and the version last.
func saveStatesSQL(rows int) string {
	return `UPDATE checks SET status = v.column1, last_ping_at = v.column2, last_start_at = v.column3,
	last_start_rid = v.column4, last_duration = v.column5, alert_after = v.column6, pings = v.column7,
	fail_streak = v.column8, ok_streak = v.column9, state_changes = v.column10, flapping_since = v.column11,
	flap_count = v.column12, reopen_at = v.column13, reopen_note = v.column14, wake_at = v.column15,
	open_runs = v.column16, version = checks.version + 1
	FROM (VALUES ` + valueRows(rows, stateColumns) + `) AS v
	WHERE checks.id = v.column17 AND checks.version = v.column18 AND checks.deleted_at = 0`
}

// prepareRowChunks prepares sqlFor(n) on the writer for each of rowChunks.
func (db *DB) prepareRowChunks(ctx context.Context, sqlFor func(rows int) string) (map[int]*sql.Stmt, error) {
	out := make(map[int]*sql.Stmt, len(rowChunks))
	for _, n := range rowChunks {
		st, err := db.write.PrepareContext(ctx, sqlFor(n))
		if err != nil {
			return nil, fmt.Errorf("open store: prepare: %w", err)
		}
		out[n] = st
	}
	return out, nil
}

// saveStateRows is SaveCheckStates on SQLite. The versions advance only
// once every chunk is saved: on ErrStale nothing in memory has changed.
func (tx *Tx) saveStateRows(ctx context.Context, cs []*tocsin.Check) error {
	args := make([]any, 0, stateColumns*min(len(cs), rowChunks[0]))
	err := eachChunk(len(cs), func(from, to int) error {
		args = args[:0]
		for _, c := range cs[from:to] {
			args = appendStateArgs(args, c)
		}
		res, err := tx.tx.StmtContext(ctx, tx.db.saveStates[to-from]).ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("save check states: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(to-from) {
			return ErrStale
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range cs {
		c.Version++
	}
	return nil
}

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

package engine

import (
	"context"
	"log/slog"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Log keys of the probe lines.
const (
	LogCheck              = "check"
	LogCheckUUID          = "check_uuid"
	LogClass              = "class"
	LogMessage            = "message"
	LogLatencyMS          = "latency_ms"
	LogFailStreak         = "fail_streak"
	LogFailuresBeforeDown = "failures_before_down"
	LogOKStreak           = "ok_streak"
)

// logResult writes a line about a probe run once tx has committed: Warn
// for the first failure after a success and for the run that turns the
// check down, Info for the run that brings it back up, Debug for the runs
// in between, so that a probe down for a day does not fill the log.
func (r *ProbeRunner) logResult(tx *store.Tx, c *tocsin.Check, res probe.Result, before tocsin.CheckState) {
	if r.log == nil {
		return
	}
	level, msg := slog.LevelDebug, "probe failed"
	switch {
	case res.OK && c.Status == tocsin.StateUp && before == tocsin.StateDown:
		level, msg = slog.LevelInfo, "probe recovered"
	case res.OK:
		level, msg = slog.LevelDebug, "probe ok"
	case c.Status == tocsin.StateDown && before != tocsin.StateDown:
		level, msg = slog.LevelWarn, "probe down"
	case c.FailStreak == 1:
		level = slog.LevelWarn
	}
	if !r.log.Enabled(context.Background(), level) {
		return
	}
	attrs := []any{LogCheck, c.Name, LogCheckUUID, c.UUID, LogLatencyMS, res.Latency.Milliseconds()}
	if res.OK {
		attrs = append(attrs, LogOKStreak, c.OKStreak)
	} else {
		attrs = append(attrs, LogClass, res.Class, LogMessage, res.Message, LogFailStreak, c.FailStreak,
			LogFailuresBeforeDown, c.FailuresBeforeDown)
	}
	log := r.log
	tx.AfterCommit(func() { log.Log(context.Background(), level, msg, attrs...) })
}

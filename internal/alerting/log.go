package alerting

import (
	"context"
	"log/slog"
)

// Log keys of the alert lines.
const (
	LogIntegration = "integration"
	LogService     = "service"
	LogAlerts      = "alerts"
	LogNew         = "new"
	LogUpdated     = "updated"
	LogResolved    = "resolved"
	LogSilenced    = "silenced"
	LogInhibited   = "inhibited"
	LogDropped     = "dropped"
)

// logDelivery writes one line per committed delivery with what became of
// its alerts. A delivery that changed something (an alert new, resolved,
// silenced or inhibited) is Info; one that only repeated firing alerts, as
// Alertmanager does every group_interval, is Debug, so that a quiet day
// logs nothing. Dropped events (an acknowledge or resolve of a key never
// seen firing) change nothing either, and are Debug too.
func logDelivery(ctx context.Context, log *slog.Logger, d Delivery, o Outcome) {
	level := slog.LevelDebug
	if o.New+o.Resolved+o.Silenced+o.Inhibited > 0 {
		level = slog.LevelInfo
	}
	log.Log(ctx, level, "alerts taken in", LogIntegration, d.Integration, LogService, d.Service, LogAlerts, len(d.Alerts),
		LogNew, o.New, LogUpdated, o.Updated, LogResolved, o.Resolved, LogSilenced, o.Silenced, LogInhibited, o.Inhibited, LogDropped, o.Dropped)
}

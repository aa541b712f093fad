package app

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/heartbeat"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/probe"
)

// channelNames lists the channels of cfg, whose send series the metrics
// show from the start.
func channelNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Channels))
	for _, ch := range cfg.Channels {
		names = append(names, ch.Name)
	}
	return names
}

// countInMetrics has the parts report what they do to the metrics.
func (a *App) countInMetrics() {
	a.alerts.OnCommitted = func(o alerting.Outcome) {
		for outcome, n := range map[string]int{"new": o.New, "updated": o.Updated, "resolved": o.Resolved,
			"silenced": o.Silenced, "inhibited": o.Inhibited, "dropped": o.Dropped} {
			a.metrics.Alerts.WithLabelValues(outcome).Add(float64(n))
		}
	}
	a.probes.OnResult = func(_ int64, r probe.Result) {
		outcome := "ok"
		if !r.OK {
			outcome = r.Class
		}
		a.metrics.ProbeRuns.WithLabelValues(outcome).Inc()
		a.metrics.ProbeLatency.Observe(r.Latency.Seconds())
	}
	a.probes.OnStart = func(late time.Duration) { a.metrics.ProbeLag.Observe(late.Seconds()) }
	a.engine.OnExpire = func(_ int64, late time.Duration) {
		a.metrics.DeadlineLag.Observe(late.Seconds())
		a.metrics.StateChanges.WithLabelValues("up", "down").Inc()
	}
	a.dispatcher.OnResult = func(channel, outcome string, latency time.Duration) {
		a.metrics.Sends.WithLabelValues(channel, outcome).Inc()
		if latency > 0 {
			a.metrics.SendLatency.WithLabelValues(channel).Observe(latency.Seconds())
		}
	}
}

func (a *App) outboxDepth() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := a.db.OutboxDepth(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

func (a *App) pingsCommitted(pings []tocsin.Ping, trs []heartbeat.Transition, queued bool) {
	a.metrics.PingBatch.Observe(float64(len(pings)))
	for i, p := range pings {
		a.metrics.Pings.WithLabelValues(string(p.Kind)).Inc()
		if trs[i].Changed() {
			a.metrics.StateChanges.WithLabelValues(string(trs[i].From), string(trs[i].To)).Inc()
		}
	}
	if queued {
		// The outbox sends them; the alert processor pages the first
		// level of a check's escalation policy.
		a.bus.Notify(job.Queued | job.Paging)
	}
}

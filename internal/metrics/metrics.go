// Package metrics defines Tocsin's Prometheus metrics. They live in a
// registry of their own, passed to whoever records them: no global state.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors Tocsin records into.
type Metrics struct {
	Registry     *prometheus.Registry
	Pings        *prometheus.CounterVec   // by kind
	PingBatch    prometheus.Histogram     // pings per commit
	StateChanges *prometheus.CounterVec   // by from, to
	Sends        *prometheus.CounterVec   // by channel, outcome
	SendLatency  *prometheus.HistogramVec // by channel
	DeadlineLag  prometheus.Histogram     // deadline to check down
	ConfigReload *prometheus.CounterVec   // by result
	LoopStalled  *prometheus.GaugeVec     // by loop
	ProbeRuns    *prometheus.CounterVec   // by outcome: ok or the error class
	ProbeLatency prometheus.Histogram
	ProbeLag     prometheus.Histogram   // a run's start behind its schedule
	AlertReqs    *prometheus.CounterVec // by integration type and HTTP status
	Alerts       *prometheus.CounterVec // by outcome: new, updated, resolved, silenced, inhibited
	Leader       prometheus.Gauge       // 1 while this replica runs the engine
	JobRuns      *prometheus.CounterVec // by job and outcome: ok, error, panic
}

// New registers every metric; outboxDepth and scheduled are read at scrape time.
func New(outboxDepth, scheduled func() float64) *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Pings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_pings_total",
			Help: "Pings stored, by kind."}, []string{"kind"}),
		PingBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tocsin_ping_commit_batch_size",
			Help: "Pings committed per transaction.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)}),
		StateChanges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_check_state_changes_total",
			Help: "Check state changes, by old and new state."}, []string{"from", "to"}),
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_notification_attempts_total",
			Help: "Notification send attempts, by channel and outcome (sent, retry, given_up)."}, []string{"channel", "outcome"}),
		SendLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tocsin_notification_send_seconds",
			Help: "Time a send took, by channel.", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10)}, []string{"channel"}),
		DeadlineLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tocsin_deadline_lag_seconds",
			Help: "Time from a check's deadline to the engine marking it down.", Buckets: prometheus.ExponentialBuckets(0.001, 3, 10)}),
		ConfigReload: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_config_reloads_total",
			Help: "Config reloads, by result (ok, error: the file does not load, refused: by the reload guard)."}, []string{"result"}),
		LoopStalled: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_loop_stalled",
			Help: "1 while the watchdog sees the loop stalled."}, []string{"loop"}),
		ProbeRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_probe_runs_total",
			Help: "Probe runs, by outcome (ok, or the class of failure)."}, []string{"outcome"}),
		ProbeLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tocsin_probe_seconds",
			Help: "Time a probe run took.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}),
		ProbeLag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tocsin_probe_lag_seconds",
			Help: "Time from a probe run's scheduled start to its start.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}),
		AlertReqs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_alert_requests_total",
			Help: "Requests to the alert ingestion endpoints, by integration type and HTTP status."}, []string{"type", "code"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_alerts_total",
			Help: "Alerts taken in, by outcome (new, updated, resolved, silenced, inhibited)."}, []string{"outcome"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tocsin_leader",
			Help: "1 while this replica holds the engine lease and runs deadlines, probes, pages and escalations."}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tocsin_job_runs_total",
			Help: "Runs of timed jobs, by job and outcome (ok, error, panic)."}, []string{"job", "outcome"}),
	}
	r.MustRegister(m.Pings, m.PingBatch, m.StateChanges, m.Sends, m.SendLatency, m.DeadlineLag, m.ConfigReload, m.LoopStalled,
		m.ProbeRuns, m.ProbeLatency, m.ProbeLag, m.AlertReqs, m.Alerts, m.Leader, m.JobRuns,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tocsin_outbox_depth",
			Help: "Notifications waiting in the outbox."}, outboxDepth),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tocsin_scheduled_deadlines",
			Help: "Checks with a deadline in the engine's queue."}, scheduled),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

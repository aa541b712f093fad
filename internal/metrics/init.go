package metrics

import (
	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/probe"
)

// A counter with labels has no series until its first event, so a fresh
// Tocsin would show none of them and rate() or absent() alerts written
// against them would read "no data". These create the series known at
// start at zero.

// stateChanges are the transitions the check state machine makes.
var stateChanges = [][2]tocsin.CheckState{
	{tocsin.StateNew, tocsin.StateUp}, {tocsin.StateNew, tocsin.StateStarted}, {tocsin.StateNew, tocsin.StateDown},
	{tocsin.StateUp, tocsin.StateStarted}, {tocsin.StateUp, tocsin.StateDown}, {tocsin.StateUp, tocsin.StatePaused},
	{tocsin.StateStarted, tocsin.StateUp}, {tocsin.StateStarted, tocsin.StateDown}, {tocsin.StateStarted, tocsin.StatePaused},
	{tocsin.StateGrace, tocsin.StateUp}, {tocsin.StateGrace, tocsin.StateStarted}, {tocsin.StateGrace, tocsin.StateDown},
	{tocsin.StateGrace, tocsin.StatePaused},
	{tocsin.StateDown, tocsin.StateUp}, {tocsin.StateDown, tocsin.StateStarted}, {tocsin.StateDown, tocsin.StatePaused},
	{tocsin.StatePaused, tocsin.StateUp}, {tocsin.StatePaused, tocsin.StateStarted}, {tocsin.StatePaused, tocsin.StateDown},
}

// ProbeOutcomes are the outcomes of tocsin_probe_runs_total: ok or the
// class of failure.
var ProbeOutcomes = []string{"ok", probe.ClassTimeout, probe.ClassDNS, probe.ClassConnect, probe.ClassTLS,
	probe.ClassStatus, probe.ClassContent, probe.ClassSlow, probe.ClassCert, probe.ClassProtocol, probe.ClassDenied}

// AlertOutcomes are the outcomes of tocsin_alerts_total.
var AlertOutcomes = []string{"new", "updated", "resolved", "silenced", "inhibited", "dropped"}

// SendOutcomes are the outcomes of tocsin_notification_attempts_total.
var SendOutcomes = []string{"sent", "retry", "given_up"}

// alertSuccess is the answer of each ingestion endpoint that took its alerts.
var alertSuccess = map[string]string{"alertmanager": "200", "grafana": "200", "generic": "202", "pagerduty": "202"}

// InitSeries creates at zero every series whose labels are known at start:
// ping kinds, state changes, probe and alert outcomes, the ingestion
// endpoints' success answers and the config reload results. The watchdog's
// loops are created as they register.
func (m *Metrics) InitSeries() {
	for _, k := range []tocsin.PingKind{tocsin.PingSuccess, tocsin.PingStart, tocsin.PingFail, tocsin.PingLog, tocsin.PingIgnored} {
		m.Pings.WithLabelValues(string(k))
	}
	for _, t := range stateChanges {
		m.StateChanges.WithLabelValues(string(t[0]), string(t[1]))
	}
	for _, o := range ProbeOutcomes {
		m.ProbeRuns.WithLabelValues(o)
	}
	for _, o := range AlertOutcomes {
		m.Alerts.WithLabelValues(o)
	}
	for typ, code := range alertSuccess {
		m.AlertReqs.WithLabelValues(typ, code)
	}
	for _, r := range []string{"ok", "error", "refused"} {
		m.ConfigReload.WithLabelValues(r)
	}
}

// InitChannels creates at zero the send series of each channel: called with
// the channels of every config applied, so a new channel shows at once.
func (m *Metrics) InitChannels(channels []string) {
	for _, ch := range channels {
		for _, o := range SendOutcomes {
			m.Sends.WithLabelValues(ch, o)
		}
		m.SendLatency.WithLabelValues(ch)
	}
}

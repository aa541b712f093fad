package incident

import (
	"maps"
	"time"

	"github.com/tocsinhq/tocsin"
)

// EvidenceAlert is an alert as a page shows it.
type EvidenceAlert struct {
	Integration string            `json:"integration"`
	Summary     string            `json:"summary"`
	Severity    string            `json:"severity"`
	Source      string            `json:"source,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	StartsAt    *time.Time        `json:"starts_at,omitempty"`
	Links       []tocsin.Link     `json:"links,omitempty"`
	Images      []tocsin.Image    `json:"images,omitempty"`
}

// Evidence is what a page of an alert incident carries: its first page
// (sent by the alert processor) and its escalation steps (sent by the
// escalation stage) show the same.
type Evidence struct {
	Alerts      []EvidenceAlert `json:"alerts"`
	AlertsTotal int             `json:"alerts_total"`
}

// maxEvidence bounds the alerts a page lists; the incident has them all.
const maxEvidence = 20

// AlertEvidence is the evidence of alerts, the first maxEvidence listed.
func AlertEvidence(alerts []*tocsin.AlertRecord) Evidence {
	ev := Evidence{AlertsTotal: len(alerts)}
	for _, a := range alerts[:min(maxEvidence, len(alerts))] {
		e := EvidenceAlert{Integration: a.Integration, Summary: a.Summary, Severity: a.Severity, Source: a.Source,
			Labels: maps.Clone(a.Labels), Links: a.Links, Images: a.Images}
		if !a.StartsAt.IsZero() {
			t := a.StartsAt.UTC()
			e.StartsAt = &t
		}
		ev.Alerts = append(ev.Alerts, e)
	}
	return ev
}

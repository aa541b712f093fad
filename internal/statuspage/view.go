// Package statuspage runs Tocsin's public status pages: each component's
// status derived from the checks and services it is bound to, public
// incidents opened and resolved with the internal ones, scheduled
// maintenance, and the page itself in HTML, Atom and the JSON documents of
// Statuspage's public API, so that clients of Statuspage read it unchanged.
package statuspage

import "time"

// ComponentStatus is a component's status, with Statuspage's names.
type ComponentStatus string

// Component statuses, best first; a worse status has a higher Rank.
const (
	Operational         ComponentStatus = "operational"
	UnderMaintenance    ComponentStatus = "under_maintenance"
	DegradedPerformance ComponentStatus = "degraded_performance"
	PartialOutage       ComponentStatus = "partial_outage"
	MajorOutage         ComponentStatus = "major_outage"
)

// Rank orders statuses from operational (0) to major outage (4).
func (s ComponentStatus) Rank() int {
	switch s {
	case UnderMaintenance:
		return 1
	case DegradedPerformance:
		return 2
	case PartialOutage:
		return 3
	case MajorOutage:
		return 4
	}
	return 0
}

// Valid reports whether s is one of the five statuses.
func (s ComponentStatus) Valid() bool {
	switch s {
	case Operational, UnderMaintenance, DegradedPerformance, PartialOutage, MajorOutage:
		return true
	}
	return false
}

// IncidentStatus is the state of a public incident or maintenance.
type IncidentStatus string

// Incident states, as Statuspage names them; the last four are those of
// scheduled maintenance.
const (
	Investigating IncidentStatus = "investigating"
	Identified    IncidentStatus = "identified"
	Monitoring    IncidentStatus = "monitoring"
	Resolved      IncidentStatus = "resolved"
	Scheduled     IncidentStatus = "scheduled"
	InProgress    IncidentStatus = "in_progress"
	Verifying     IncidentStatus = "verifying"
	Completed     IncidentStatus = "completed"
)

// Impact is how bad a public incident is.
type Impact string

// Impacts, as Statuspage names them.
const (
	ImpactNone     Impact = "none"
	ImpactMinor    Impact = "minor"
	ImpactMajor    Impact = "major"
	ImpactCritical Impact = "critical"
)

// View is what one status page shows at one moment: everything the HTML
// page, the feed, the badges and the JSON documents are rendered from, and
// nothing more. It holds no internal names: no check, service or incident
// of Tocsin's appears in it.
type View struct {
	Page       Page
	Components []Component // in page order; a group precedes its members
	// Incidents are the published public incidents, newest first: the
	// unresolved ones and those of the history shown (90 days).
	Incidents []Incident
	// Maintenances are the published scheduled maintenances, newest
	// first: the upcoming, the active and those of the history shown.
	Maintenances []Incident
	// Now is when the view was computed.
	Now time.Time
}

// Page describes a status page.
type Page struct {
	ID          string // stable id of the page (derived from its slug)
	Slug        string
	Name        string // the title
	Description string
	URL         string // the page's public URL
	Location    *time.Location
	UpdatedAt   time.Time // the last change of anything the page shows
}

// Component is a line of the page, or a group of them.
type Component struct {
	ID          string
	Name        string
	Description string
	Status      ComponentStatus
	Position    int    // 1-based order on the page
	GroupID     string // the group it belongs to; "" for none
	Group       bool   // a group: Members lists its components
	Members     []string
	// OnlyShowIfDegraded hides it from the HTML page while operational.
	OnlyShowIfDegraded bool
	CreatedAt          time.Time
	UpdatedAt          time.Time // when its status last changed
	// Uptime is the last 90 days, oldest first, in the page's zone; empty
	// for a group.
	Uptime []Day
}

// Day is one day of a component's uptime bar.
type Day struct {
	Date          time.Time       // midnight in the page's zone
	UptimePercent float64         // 0..100; meaningless when !Known
	Known         bool            // false: nothing was monitored that day
	Worst         ComponentStatus // the worst status seen that day
	Outage        time.Duration   // time down (major or partial outage)
}

// Incident is a public incident or scheduled maintenance.
type Incident struct {
	ID           string
	Name         string
	Status       IncidentStatus
	Impact       Impact
	CreatedAt    time.Time
	UpdatedAt    time.Time
	MonitoringAt time.Time // zero: never monitoring
	ResolvedAt   time.Time // zero: not resolved (completed for maintenance)
	Components   []string  // ids of the components affected
	Updates      []Update  // newest first

	// Scheduled maintenance only.
	Maintenance    bool
	ScheduledFor   time.Time
	ScheduledUntil time.Time
}

// Update is one message of a public incident.
type Update struct {
	ID         string
	IncidentID string
	Status     IncidentStatus
	Body       string
	CreatedAt  time.Time
	DisplayAt  time.Time
	Components []string // ids of the components it affected; nil: not said
}

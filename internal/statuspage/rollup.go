package statuspage

// PageStatus is the roll-up of a page's components shown at its top: the
// indicator and description of Statuspage's status.json.
type PageStatus struct {
	Indicator   string `json:"indicator"`   // none, minor, major, critical or maintenance
	Description string `json:"description"` // "All Systems Operational", "Partial System Outage", ...
}

// Status rolls the statuses of the page's components (groups excluded:
// their status is their members') up to the page's, with the descriptions
// Statuspage documents: the worst status decides, and whether every
// component shares it picks between the narrower and the wider words
// (one component of several down is a partial outage of the system).
func (v *View) Status() PageStatus {
	worst := Operational
	for _, c := range v.Components {
		if !c.Group && c.Status.Rank() > worst.Rank() {
			worst = c.Status
		}
	}
	all := true
	for _, c := range v.Components {
		if !c.Group && c.Status != worst {
			all = false
		}
	}
	switch worst {
	case MajorOutage:
		if all {
			return PageStatus{"critical", "Major System Outage"}
		}
		return PageStatus{"major", "Partial System Outage"}
	case PartialOutage:
		if all {
			return PageStatus{"major", "Partial System Outage"}
		}
		return PageStatus{"minor", "Minor Service Outage"}
	case DegradedPerformance:
		if all {
			return PageStatus{"minor", "Degraded System Service"}
		}
		return PageStatus{"minor", "Partially Degraded Service"}
	case UnderMaintenance:
		return PageStatus{"maintenance", "Service Under Maintenance"}
	}
	return PageStatus{"none", "All Systems Operational"}
}

package config

import (
	"fmt"
	"slices"
	"strings"
)

// PagerDutyLabels are the only labels a PagerDuty Events v2 event carries
// (from payload.component, payload.group and payload.class); the
// pagerduty ingest sets these and no others.
var PagerDutyLabels = []string{"component", "group", "class"}

// warnGrouping warns where an integration cannot supply the labels its
// service groups by: each of its alerts then lacks them, and an alert
// lacking a group_by label is an incident of its own (grouped by its dedup
// key, as PagerDuty does), so the service's grouping never applies to it.
func (d *decoder) warnGrouping(cfg *Config) {
	groupBy := map[string][]string{}
	for _, s := range cfg.Services {
		groupBy[s.Name] = s.GroupBy
	}
	for i, in := range cfg.Integrations {
		if in.Type != "pagerduty" {
			continue
		}
		var missing []string
		for _, l := range groupBy[in.Service] {
			if !slices.Contains(PagerDutyLabels, l) {
				missing = append(missing, l)
			}
		}
		if len(missing) == 0 {
			continue
		}
		d.warnf(fmt.Sprintf("integrations[%d].service", i),
			"service %s groups by %s, which PagerDuty events do not carry (they have only %s): each event of integration %s is an incident of its own, keyed by its dedup_key",
			quote(in.Service), strings.Join(missing, ", "), strings.Join(PagerDutyLabels, ", "), quote(in.Name))
	}
}

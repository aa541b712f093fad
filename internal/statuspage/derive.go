package statuspage

import (
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// componentID is a component's id in the page's JSON: its configured id,
// else derived from the page's slug and its name (a group's: its group
// name), so that it stays put across restarts and replicas.
func componentID(slug string, c *config.StatusComponent) string { return c.PublicID(slug) }

// line is one component of a page, flattened: groups precede their
// members.
type line struct {
	cfg     *config.StatusComponent
	id      string
	name    string
	group   bool
	groupID string   // the group a member belongs to
	members []string // a group's member ids
}

// lines flattens the components of page in page order.
func lines(page *config.StatusPage) []line {
	var out []line
	for i := range page.Components {
		c := &page.Components[i]
		if c.Group == "" {
			out = append(out, line{cfg: c, id: componentID(page.Slug, c), name: c.Name})
			continue
		}
		g := line{cfg: c, id: componentID(page.Slug, c), name: c.Group, group: true}
		at := len(out)
		out = append(out, g)
		for j := range c.Components {
			m := &c.Components[j]
			id := componentID(page.Slug, m)
			out[at].members = append(out[at].members, id)
			out = append(out, line{cfg: m, id: id, name: m.Name, groupID: g.id})
		}
	}
	return out
}

// inputs are what a page's statuses are derived from at one instant.
type inputs struct {
	checks           map[string]*tocsin.Check        // bound checks by name; a missing one counts as fine
	latency          map[string]time.Duration        // the last run's latency of bound probes, by name
	openServices     map[string]bool                 // services with an open incident
	serviceIncidents map[string][]int64              // their open incidents, by service
	maintenance      map[string]bool                 // component ids under active maintenance
	overrides        map[string]store.StatusOverride // by component id, expired ones too
}

// bindingState is how one binding stands.
type bindingState int

const (
	bindingFine bindingState = iota
	bindingDegraded
	bindingDown
)

// checkBinding is a bound check's state: down when down, degraded in its
// grace period or, for a probe, when its last run was slower than the
// component's limit (slowOver 0: never).
func checkBinding(c *tocsin.Check, latency time.Duration, hasLatency bool, slowOver time.Duration, now time.Time) bindingState {
	switch c.StateAt(now) {
	case tocsin.StateDown:
		return bindingDown
	case tocsin.StateGrace:
		return bindingDegraded
	}
	if c.IsProbe() && slowOver > 0 && hasLatency && latency > slowOver {
		return bindingDegraded
	}
	return bindingFine
}

// combine turns the states of a component's bindings into its status:
// every binding down is a major outage, some a partial one; else any
// degraded one degrades it.
func combine(states []bindingState) ComponentStatus {
	down, degraded := 0, 0
	for _, s := range states {
		switch s {
		case bindingDown:
			down++
		case bindingDegraded:
			degraded++
		}
	}
	switch {
	case down > 0 && down == len(states):
		return MajorOutage
	case down > 0:
		return PartialOutage
	case degraded > 0:
		return DegradedPerformance
	}
	return Operational
}

// derived is the status a component's bindings give it, before
// maintenance and overrides.
func derived(c *config.StatusComponent, in *inputs, now time.Time) ComponentStatus {
	var states []bindingState
	for _, name := range c.Checks {
		ch := in.checks[name]
		if ch == nil {
			states = append(states, bindingFine) // not synced yet: nothing known against it
			continue
		}
		lat, ok := in.latency[name]
		states = append(states, checkBinding(ch, lat, ok, c.SlowOver.D(), now))
	}
	for _, svc := range c.Services {
		if in.openServices[svc] {
			states = append(states, bindingDown)
		} else {
			states = append(states, bindingFine)
		}
	}
	return combine(states)
}

// shown is what a component shows: an unexpired override first, then
// maintenance (its checks are silenced, so what they say is not news),
// then what its bindings say. A group shows the worst of its members.
func shown(l *line, in *inputs, members map[string]ComponentStatus, now time.Time) ComponentStatus {
	if o, ok := in.overrides[l.id]; ok && o.Until.After(now) && ComponentStatus(o.Status).Valid() {
		return ComponentStatus(o.Status)
	}
	if l.group {
		worst := Operational
		for _, id := range l.members {
			if s := members[id]; s.Rank() > worst.Rank() {
				worst = s
			}
		}
		return worst
	}
	if in.maintenance[l.id] {
		return UnderMaintenance
	}
	return derived(l.cfg, in, now)
}

// derive computes the status of every component of page at now, groups
// after their members.
func derive(page *config.StatusPage, in *inputs, now time.Time) map[string]ComponentStatus {
	ls := lines(page)
	out := make(map[string]ComponentStatus, len(ls))
	for i := range ls {
		if !ls[i].group {
			out[ls[i].id] = shown(&ls[i], in, out, now)
		}
	}
	for i := range ls {
		if ls[i].group {
			out[ls[i].id] = shown(&ls[i], in, out, now)
		}
	}
	return out
}

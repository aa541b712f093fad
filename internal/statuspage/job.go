package statuspage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// JobName is the name of the job that keeps the pages in step.
const JobName = "status_pages"

// Every is how often the job looks at the pages when nothing wakes it.
const Every = 5 * time.Second

// jobTimeout bounds one run over every page.
const jobTimeout = 30 * time.Second

// Job is the job that keeps the pages in step with what they are bound
// to: it runs on the leader, every Every and when wake is poked (subscribe
// it to the changes of incidents), and sooner when a maintenance window
// opens or closes.
func (s *Service) Job(wake *job.Wake) job.Job {
	return job.Job{Name: JobName, Leader: true, Timeout: jobTimeout, Wake: wake, Run: s.Run}
}

// Run brings every configured page up to date at now: maintenance moved
// through its window, each component's status recorded when it changed,
// and the page's automatic incident opened, grown or resolved. It says
// when it is next due.
func (s *Service) Run(ctx context.Context, now time.Time) (time.Time, error) {
	cfg := s.Configs.Config()
	next := now.Add(Every)
	silences := false
	var errs []error
	for i := range cfg.StatusPages {
		page := &cfg.StatusPages[i]
		run, err := s.runPage(ctx, page, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("status page %s: %w", page.Slug, err))
			continue
		}
		if !run.next.IsZero() && run.next.Before(next) {
			next = run.next
		}
		silences = silences || run.silences
	}
	if silences && s.SilencesChanged != nil {
		if err := s.SilencesChanged(ctx); err != nil {
			errs = append(errs, fmt.Errorf("status pages: silences changed: %w", err))
		}
	}
	return next, errors.Join(errs...)
}

// runPage brings one page up to date, in one transaction.
func (s *Service) runPage(ctx context.Context, page *config.StatusPage, now time.Time) (maintenanceRun, error) {
	ls := lines(page)
	recorded, err := s.recorded(ctx, page.Slug)
	if err != nil {
		return maintenanceRun{}, err
	}
	overrides, err := s.overrides(ctx, page.Slug)
	if err != nil {
		return maintenanceRun{}, err
	}
	var run maintenanceRun
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if run, err = s.advanceMaintenance(ctx, tx, page, ls, now); err != nil {
			return err
		}
		in, err := gather(ctx, tx, ls)
		if err != nil {
			return err
		}
		in.maintenance, in.overrides = run.active, overrides
		statuses := derive(page, in, now)
		changed := false
		since := make(map[string]time.Time, len(ls)) // when each status began
		for _, l := range ls {
			if rec, ok := recorded[l.id]; ok && rec.Status == string(statuses[l.id]) {
				since[l.id] = rec.Since
				continue
			}
			since[l.id], changed = now, true
			if err := tx.SetStatusComponent(ctx, store.StatusComponentState{Page: page.Slug, Component: l.id,
				Status: string(statuses[l.id]), Since: now}); err != nil {
				return err
			}
		}
		if changed {
			tx.AfterCommit(s.changed)
		}
		return s.follow(ctx, tx, page, ls, in, statuses, since, now)
	})
	return run, err
}

// recorded reads the statuses the page's components were last shown
// with, by component id.
func (s *Service) recorded(ctx context.Context, slug string) (map[string]store.StatusComponentState, error) {
	list, err := s.DB.StatusComponents(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.StatusComponentState, len(list))
	for _, c := range list {
		out[c.Component] = c
	}
	return out, nil
}

// overrides reads the page's overrides by component id.
func (s *Service) overrides(ctx context.Context, slug string) (map[string]store.StatusOverride, error) {
	list, err := s.DB.StatusOverrides(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.StatusOverride, len(list))
	for _, o := range list {
		out[o.Component] = o
	}
	return out, nil
}

// reader is where bindings are read from: a write's transaction (the job)
// or the store outside one (a View built before the job recorded).
type reader interface {
	ChecksByNames(ctx context.Context, names []string) (map[string]*tocsin.Check, error)
	RecentProbeResults(ctx context.Context, checkID int64, limit int) ([]store.ProbeResult, error)
	OpenServiceIncidents(ctx context.Context, services []string) (map[string][]int64, error)
}

// bindings lists the check and service names the lines are bound to,
// once each.
func bindings(ls []line) (checks, services []string) {
	for _, l := range ls {
		if l.group {
			continue
		}
		for _, c := range l.cfg.Checks {
			if !slices.Contains(checks, c) {
				checks = append(checks, c)
			}
		}
		for _, svc := range l.cfg.Services {
			if !slices.Contains(services, svc) {
				services = append(services, svc)
			}
		}
	}
	return checks, services
}

// gather reads the state of what the lines are bound to.
func gather(ctx context.Context, r reader, ls []line) (*inputs, error) {
	checkNames, services := bindings(ls)
	checks, err := r.ChecksByNames(ctx, checkNames)
	if err != nil {
		return nil, err
	}
	in := &inputs{checks: checks, latency: map[string]time.Duration{}, openServices: map[string]bool{}}
	for name, c := range checks {
		if !c.IsProbe() {
			continue
		}
		runs, err := r.RecentProbeResults(ctx, c.ID, 1)
		if err != nil {
			return nil, err
		}
		if len(runs) > 0 {
			in.latency[name] = runs[0].Latency
		}
	}
	if in.serviceIncidents, err = r.OpenServiceIncidents(ctx, services); err != nil {
		return nil, err
	}
	for svc, ids := range in.serviceIncidents {
		in.openServices[svc] = len(ids) > 0
	}
	return in, nil
}

// affected lists the components (not groups) that are neither operational
// nor under maintenance, in page order, and the worst of their statuses.
func affected(ls []line, statuses map[string]ComponentStatus) (ids []string, worst ComponentStatus) {
	worst = Operational
	for _, l := range ls {
		st := statuses[l.id]
		if l.group || st == Operational || st == UnderMaintenance {
			continue
		}
		ids = append(ids, l.id)
		if st.Rank() > worst.Rank() {
			worst = st
		}
	}
	return ids, worst
}

// follow opens, grows or resolves the page's automatic incident after
// its components' statuses, which began at since.
func (s *Service) follow(ctx context.Context, tx *store.Tx, page *config.StatusPage, ls []line, in *inputs,
	statuses map[string]ComponentStatus, since map[string]time.Time, now time.Time) error {
	ids, worst := affected(ls, statuses)
	si, open, err := tx.OpenAutoStatusIncident(ctx, page.Slug)
	if err != nil {
		return err
	}
	switch {
	case !open && len(ids) == 0:
		return nil
	case !open:
		if dismissed, err := s.dismissed(ctx, page.Slug, ids, since); err != nil || dismissed {
			return err
		}
		si = store.StatusIncident{Page: page.Slug, Kind: store.StatusKindIncident, Name: incidentName(worst, names(ls, ids)),
			Status: string(Investigating), Impact: string(impactOf(worst)), Components: ids, Auto: true, CreatedAt: now,
			CreatedBy: Author, UpdatedAt: now}
		if page.Publish != config.PublishDraft {
			si.PublishedAt = now
		}
		if err := tx.CreateStatusIncident(ctx, &si); err != nil {
			return err
		}
		if err := s.linkBound(ctx, tx, page, &si, ls, ids, in); err != nil {
			return err
		}
		return s.addUpdate(ctx, tx, page, &si, &store.StatusUpdate{Status: si.Status, Body: openingBody(worst, names(ls, ids)),
			CreatedAt: now, Author: Author, AffectedComponents: ids})
	case len(ids) == 0:
		if si.TakenOver {
			return nil // a responder speaks for it now, resolution included
		}
		si.Status, si.ResolvedAt = string(Resolved), now
		return s.addUpdate(ctx, tx, page, &si, &store.StatusUpdate{Status: si.Status, Body: bodyResolved, CreatedAt: now,
			Author: Author})
	}
	if err := s.linkBound(ctx, tx, page, &si, ls, ids, in); err != nil {
		return err
	}
	var joined []string
	for _, id := range ids {
		if !slices.Contains(si.Components, id) {
			joined = append(joined, id)
		}
	}
	if len(joined) == 0 {
		return nil
	}
	si.Components = append(si.Components, joined...)
	if impactOf(worst).rank() > Impact(si.Impact).rank() {
		si.Impact = string(impactOf(worst))
	}
	if !si.TakenOver {
		si.Name = incidentName(worst, names(ls, si.Components))
	}
	return s.addUpdate(ctx, tx, page, &si, &store.StatusUpdate{Status: si.Status, Body: joinedBody(names(ls, joined)),
		CreatedAt: now, Author: Author, AffectedComponents: joined})
}

// dismissed reports whether a responder resolved the page's last
// automatic incident, covering the components ids, after their statuses
// began: it was theirs to call, and Tocsin opens another only once one
// of them changes again.
func (s *Service) dismissed(ctx context.Context, slug string, ids []string, since map[string]time.Time) (bool, error) {
	list, err := s.DB.StatusIncidents(ctx, slug, store.StatusKindIncident, time.Time{}, 20)
	if err != nil {
		return false, err
	}
	i := slices.IndexFunc(list, func(si store.StatusIncident) bool { return si.Auto })
	if i < 0 || !list[i].TakenOver || list[i].ResolvedAt.IsZero() {
		return false, nil
	}
	for _, id := range ids {
		if !slices.Contains(list[i].Components, id) || !list[i].ResolvedAt.After(since[id]) {
			return false, nil
		}
	}
	return true, nil
}

// linkBound links si to the open internal incidents of what the components
// ids are bound to; linking again changes nothing.
func (s *Service) linkBound(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, ls []line, ids []string, in *inputs) error {
	for _, l := range ls {
		if !slices.Contains(ids, l.id) {
			continue
		}
		for _, name := range l.cfg.Checks {
			c := in.checks[name]
			if c == nil {
				continue
			}
			open, err := tx.OpenIncidentForCheck(ctx, c.ID)
			if err != nil {
				return err
			}
			if open != nil {
				if err := s.link(ctx, tx, page, si, open.ID); err != nil {
					return err
				}
			}
		}
		for _, svc := range l.cfg.Services {
			for _, id := range in.serviceIncidents[svc] {
				if err := s.link(ctx, tx, page, si, id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// The words of Tocsin's own updates: for customers, naming only public
// components.
const bodyResolved = "This incident has been resolved."

// names are the public names of the components ids, in page order.
func names(ls []line, ids []string) []string {
	var out []string
	for _, l := range ls {
		if slices.Contains(ids, l.id) {
			out = append(out, l.name)
		}
	}
	return out
}

// andList writes "A", "A and B", "A, B and C".
func andList(ss []string) string {
	if len(ss) <= 1 {
		return strings.Join(ss, "")
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}

// incidentName names an automatic incident after its worst status.
func incidentName(worst ComponentStatus, names []string) string {
	switch worst {
	case MajorOutage:
		return "Outage of " + andList(names)
	case PartialOutage:
		return "Partial outage of " + andList(names)
	}
	return "Degraded performance of " + andList(names)
}

// openingBody is the first update of an automatic incident.
func openingBody(worst ComponentStatus, names []string) string {
	what := "degraded performance of "
	switch worst {
	case MajorOutage:
		what = "an outage of "
	case PartialOutage:
		what = "a partial outage of "
	}
	return "We are investigating " + what + andList(names) + "."
}

// joinedBody is the update that tells of components joining.
func joinedBody(names []string) string {
	if len(names) == 1 {
		return names[0] + " is now affected too."
	}
	return andList(names) + " are now affected too."
}

// impactOf is the impact of an incident whose worst component has st.
func impactOf(st ComponentStatus) Impact {
	switch st {
	case MajorOutage:
		return ImpactCritical
	case PartialOutage:
		return ImpactMajor
	case DegradedPerformance:
		return ImpactMinor
	}
	return ImpactNone
}

// rank orders impacts from none (0) to critical (3).
func (i Impact) rank() int {
	switch i {
	case ImpactMinor:
		return 1
	case ImpactMajor:
		return 2
	case ImpactCritical:
		return 3
	}
	return 0
}

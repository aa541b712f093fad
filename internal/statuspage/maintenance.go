package statuspage

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Scheduled maintenance moves through its window by itself: scheduled,
// in progress from ScheduledFor, completed at ScheduledUntil, each with an
// update. Inside the window its components show under maintenance, open
// no public incident, and what they are bound to pages nobody: services
// through a silence on alerting.ServiceLabel (a silence like any other,
// listed by the silences API, made and ended by the job with an audit
// entry), checks through incident.Env.Muted (CheckMuted), because a
// check's incident has no labels a silence could match.

// SilenceManager is the manager of the silences maintenance puts on
// services.
const SilenceManager = "status_page"

// The updates Tocsin posts as a maintenance moves, in Statuspage's words.
const (
	bodyInProgress = "Scheduled maintenance is currently in progress. We will provide updates as necessary."
	bodyCompleted  = "The scheduled maintenance has been completed."
)

// silenceName names the silence a maintenance puts on a service until
// the end of its window: a window moved is a new silence.
func silenceName(page string, maintenanceID int64, until time.Time, service string) string {
	return silencePrefix(page) + strconv.FormatInt(maintenanceID, 10) + " until " + until.UTC().Format(time.RFC3339) + ": " + service
}

// silencePrefix begins the names of the silences of a page's maintenance.
func silencePrefix(page string) string { return "status page " + page + ", maintenance " }

// covered lists the component ids a maintenance covers: those it names,
// and the members of the groups it names.
func covered(ls []line, ids []string) map[string]bool {
	out := map[string]bool{}
	for _, l := range ls {
		if slices.Contains(ids, l.id) || l.groupID != "" && slices.Contains(ids, l.groupID) {
			out[l.id] = true
		}
	}
	return out
}

// boundServices lists the services of the components in ids, once each.
func boundServices(ls []line, ids map[string]bool) []string {
	var out []string
	for _, l := range ls {
		if !ids[l.id] || l.group {
			continue
		}
		for _, svc := range l.cfg.Services {
			if !slices.Contains(out, svc) {
				out = append(out, svc)
			}
		}
	}
	return out
}

// maintenanceRun is what moving a page's maintenances did.
type maintenanceRun struct {
	active   map[string]bool // component ids under maintenance now
	next     time.Time       // the next transition; zero: none
	silences bool            // silences were made or ended
}

// advanceMaintenance moves the maintenances of page through their windows
// at now.
func (s *Service) advanceMaintenance(ctx context.Context, tx *store.Tx, page *config.StatusPage, ls []line, now time.Time) (maintenanceRun, error) {
	run := maintenanceRun{active: map[string]bool{}}
	open, err := tx.OpenStatusMaintenances(ctx, page.Slug)
	if err != nil {
		return run, err
	}
	soon := func(t time.Time) {
		if run.next.IsZero() || t.Before(run.next) {
			run.next = t
		}
	}
	wanted := map[string]bool{} // the silences of the windows open now, by name
	for i := range open {
		m := &open[i]
		if m.ScheduledUntil.IsZero() || m.ScheduledFor.IsZero() {
			continue // not a window Tocsin can follow: left to the responder
		}
		ids := covered(ls, m.Components)
		switch {
		case !now.Before(m.ScheduledUntil):
			m.Status, m.ResolvedAt = string(Completed), now
			u := &store.StatusUpdate{Status: m.Status, Body: bodyCompleted, CreatedAt: now, Author: Author}
			if err := s.addUpdate(ctx, tx, page, m, u); err != nil {
				return run, err
			}
			if err := s.unmute(ctx, tx, m, ls, ids, now); err != nil {
				return run, err
			}
			continue
		case now.Before(m.ScheduledFor):
			soon(m.ScheduledFor)
			continue
		}
		if m.Status == string(Scheduled) {
			m.Status = string(InProgress)
			u := &store.StatusUpdate{Status: m.Status, Body: bodyInProgress, CreatedAt: now, Author: Author}
			if err := s.addUpdate(ctx, tx, page, m, u); err != nil {
				return run, err
			}
		}
		made, err := s.silence(ctx, tx, page, m, boundServices(ls, ids), wanted, now)
		if err != nil {
			return run, err
		}
		run.silences = run.silences || made
		for id := range ids {
			run.active[id] = true
		}
		soon(m.ScheduledUntil)
	}
	ended, err := s.endSilences(ctx, tx, page, wanted, now)
	run.silences = run.silences || ended
	return run, err
}

// silence makes sure each of services has been silenced until the end of
// m's window, and adds the names of their silences to wanted; made says
// whether a silence was made.
func (s *Service) silence(ctx context.Context, tx *store.Tx, page *config.StatusPage, m *store.StatusIncident, services []string,
	wanted map[string]bool, now time.Time) (made bool, err error) {
	for _, svc := range services {
		name := silenceName(page.Slug, m.ID, m.ScheduledUntil, svc)
		wanted[name] = true
		// Made once: a responder who expired it meant it.
		if _, ok, err := tx.SilenceByName(ctx, SilenceManager, name, false); err != nil || ok {
			if err != nil {
				return made, err
			}
			continue
		}
		sl := &tocsin.Silence{Name: name, ManagedBy: SilenceManager, Matchers: []string{alerting.ServiceLabel + "=" + strconv.Quote(svc)},
			StartsAt: now, EndsAt: m.ScheduledUntil, CreatedBy: Author, CreatedAt: now,
			Comment: fmt.Sprintf("scheduled maintenance %q of status page %s", m.Name, page.Slug)}
		if _, err := alerting.CompileSilence(sl); err != nil {
			return made, fmt.Errorf("maintenance silence of %s: %w", svc, err)
		}
		if err := tx.CreateSilence(ctx, sl); err != nil {
			return made, err
		}
		if err := tx.Audit(ctx, Author, "silence.create", fmt.Sprintf("silence %d created for the maintenance %q of status page %s",
			sl.ID, m.Name, page.Slug), map[string]any{"silence_id": sl.ID, "matchers": sl.Matchers, "status_page": page.Slug,
			"maintenance": m.ID}); err != nil {
			return made, err
		}
		made = true
	}
	return made, nil
}

// endSilences ends the live silences of page's maintenance that are not
// wanted: of a window completed (early too), moved, or no longer covering
// the service. ended says whether one was live.
func (s *Service) endSilences(ctx context.Context, tx *store.Tx, page *config.StatusPage, wanted map[string]bool,
	now time.Time) (ended bool, err error) {
	live, err := tx.LiveSilencesManagedBy(ctx, SilenceManager)
	if err != nil {
		return false, err
	}
	for _, sl := range live {
		if wanted[sl.Name] || !strings.HasPrefix(sl.Name, silencePrefix(page.Slug)) {
			continue
		}
		if _, err := tx.ExpireSilence(ctx, sl.ID, now); err != nil {
			return ended, err
		}
		if err := tx.Audit(ctx, Author, "silence.expire", fmt.Sprintf("silence %d (%s) ended with its maintenance window",
			sl.ID, sl.Name), map[string]any{"silence_id": sl.ID, "status_page": page.Slug}); err != nil {
			return ended, err
		}
		ended = true
	}
	return ended, nil
}

// unmute pages for the bound checks of the components ids that are still
// down when m ends, if their incident opened muted and nothing else
// mutes them now.
func (s *Service) unmute(ctx context.Context, tx *store.Tx, m *store.StatusIncident, ls []line, ids map[string]bool, now time.Time) error {
	if s.Env == nil {
		return nil
	}
	var names []string
	for _, l := range ls {
		if ids[l.id] && !l.group {
			names = append(names, l.cfg.Checks...)
		}
	}
	checks, err := tx.ChecksByNames(ctx, names)
	if err != nil {
		return err
	}
	paged := false
	for _, c := range checks {
		if c.StateAt(now) != tocsin.StateDown {
			continue
		}
		ok, err := s.pageAfter(ctx, tx, m, c, now)
		if err != nil {
			return err
		}
		paged = paged || ok
	}
	if paged {
		tx.AfterCommit(func() { s.Bus.Notify(job.Queued | job.Paging) })
	}
	return nil
}

// pageAfter pages for c's open incident if it opened muted, was not paged
// since, and nothing mutes c now.
func (s *Service) pageAfter(ctx context.Context, tx *store.Tx, m *store.StatusIncident, c *tocsin.Check, now time.Time) (bool, error) {
	in, err := tx.OpenIncidentForCheck(ctx, c.ID)
	if err != nil || in == nil {
		return false, err
	}
	if muted, err := tx.HasTimelineEntry(ctx, in.ID, incident.TimelineMuted); err != nil || !muted {
		return false, err
	}
	if done, err := tx.HasTimelineEntry(ctx, in.ID, incident.TimelineUnmuted); err != nil || done {
		return false, err
	}
	if why, err := s.CheckMuted(ctx, tx, c, now); err != nil || why != "" {
		return false, err
	}
	return true, incident.Unmuted(ctx, tx, s.Env(), in, c, now,
		fmt.Sprintf("the scheduled maintenance %q ended and %s is still down", m.Name, c.Name))
}

// CheckMuted says why nobody is to be paged for c at now: a maintenance
// window of a status page holds a component bound to it; "" if none
// does. It is incident.Env.Muted.
func (s *Service) CheckMuted(ctx context.Context, tx *store.Tx, c *tocsin.Check, now time.Time) (string, error) {
	active, err := tx.ActiveStatusMaintenances(ctx, now)
	if err != nil || len(active) == 0 {
		return "", err
	}
	cfg := s.Configs.Config()
	for _, m := range active {
		i := slices.IndexFunc(cfg.StatusPages, func(p config.StatusPage) bool { return p.Slug == m.Page })
		if i < 0 {
			continue
		}
		ls := lines(&cfg.StatusPages[i])
		ids := covered(ls, m.Components)
		for _, l := range ls {
			if ids[l.id] && !l.group && slices.Contains(l.cfg.Checks, c.Name) {
				return fmt.Sprintf("%s is under the scheduled maintenance %q of status page %s until %s", l.name, m.Name, m.Page,
					m.ScheduledUntil.UTC().Format(time.RFC3339)), nil
			}
		}
	}
	return "", nil
}

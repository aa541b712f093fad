package statuspage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// noPage is the error of a slug no page has: it is ErrNoPage to the
// Handler and a tocsin.ENotFound error to the API.
type noPage struct{ slug string }

func (e noPage) Error() string        { return fmt.Sprintf("no status page %q", e.slug) }
func (e noPage) Is(target error) bool { return target == ErrNoPage }

func (e noPage) As(target any) bool {
	if p, ok := target.(**tocsin.Error); ok {
		*p = tocsin.Errorf(tocsin.ENotFound, "%s", e.Error())
		return true
	}
	return false
}

// History is how far back a page shows resolved incidents, past
// maintenance and uptime.
const History = 90 * 24 * time.Hour

// rebuildAfter is how old a View may be before it is built again when
// this process saw no change: other replicas' changes show this late.
const rebuildAfter = time.Second

// maxListed bounds the incidents and maintenances a View lists.
const maxListed = 500

// viewCache keeps the View last built of each page.
type viewCache struct {
	mu        sync.Mutex
	pages     map[string]*builtView
	firstSeen map[string]time.Time     // when each page was first built
	building  map[string]chan struct{} // pages being built, closed when done

	builds      atomic.Int64 // Views built, for tests of the herd
	beforeBuild func()       // called before each build, for tests
}

// firstView is when this process first built the page: the creation of
// components nothing older dates.
func (c *viewCache) firstView(slug string, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstSeen == nil {
		c.firstSeen = map[string]time.Time{}
	}
	if t, ok := c.firstSeen[slug]; ok {
		return t
	}
	c.firstSeen[slug] = now
	return now
}

type builtView struct {
	view    *View
	version uint64
	at      time.Time // when built
	changes uint64    // Service.Changes when built
	cfg     *config.StatusPage
}

// View is what page slug shows now, and its version: equal Views have
// equal versions on every replica, and a change of anything shown
// changes it. The View is shared: callers must not change it. An unknown
// slug is an error that errors.Is ErrNoPage, with the code
// tocsin.ENotFound.
//
// One request at a time rebuilds a stale View: under a spike, the others
// are answered with the View they find (stale by at most that one build)
// rather than all reading the store at once, and only a request that
// finds no View of the page waits for the build.
func (s *Service) View(ctx context.Context, slug string) (*View, uint64, error) {
	page, err := s.Page(slug)
	if err != nil {
		return nil, 0, noPage{slug}
	}
	for {
		now := s.Clock.Now()
		changes := s.Changes()
		s.views.mu.Lock()
		b := s.views.pages[slug]
		if b != nil && b.cfg != page {
			b = nil // built from another config: never shown
		}
		if b != nil && b.changes == changes && now.Sub(b.at) < rebuildAfter && !now.Before(b.at) {
			s.views.mu.Unlock()
			return b.view, b.version, nil
		}
		if done, ok := s.views.building[slug]; ok {
			s.views.mu.Unlock()
			if b != nil {
				return b.view, b.version, nil
			}
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return nil, 0, ctx.Err()
			}
		}
		done := make(chan struct{})
		if s.views.building == nil {
			s.views.building = map[string]chan struct{}{}
		}
		s.views.building[slug] = done
		s.views.mu.Unlock()
		return s.rebuild(ctx, page, now, changes, done)
	}
}

// rebuild builds the View of page as the one build in flight, done its
// marker, and keeps it.
func (s *Service) rebuild(ctx context.Context, page *config.StatusPage, now time.Time, changes uint64, done chan struct{}) (*View, uint64, error) {
	var b *builtView
	defer func() {
		s.views.mu.Lock()
		if b != nil {
			if s.views.pages == nil {
				s.views.pages = map[string]*builtView{}
			}
			s.views.pages[page.Slug] = b
		}
		delete(s.views.building, page.Slug)
		s.views.mu.Unlock()
		close(done)
	}()
	s.views.builds.Add(1)
	if s.views.beforeBuild != nil {
		s.views.beforeBuild()
	}
	v, err := s.build(ctx, page, now)
	if err != nil {
		return nil, 0, err
	}
	b = &builtView{view: v, version: version(v), at: now, changes: changes, cfg: page}
	return b.view, b.version, nil
}

// version hashes everything v shows but the instant it was built at.
func version(v *View) uint64 {
	c := *v
	c.Now = time.Time{}
	c.Page.Location = nil
	h := fnv.New64a()
	json.NewEncoder(h).Encode(&c) // a View always encodes
	h.Write([]byte(v.Page.Location.String()))
	return h.Sum64()
}

// location is the zone the page shows times in.
func location(page *config.StatusPage) *time.Location {
	if page.Location != nil {
		return page.Location
	}
	if loc, err := time.LoadLocation(page.TimeZone); err == nil && page.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// pageID is the stable id of a page.
func pageID(slug string) string {
	sum := sha256.Sum256([]byte("page\x00" + slug))
	return hex.EncodeToString(sum[:])[:12]
}

// build reads what page shows at now.
func (s *Service) build(ctx context.Context, page *config.StatusPage, now time.Time) (*View, error) {
	loc := location(page)
	ls := lines(page)
	v := &View{Now: now, Page: s.pageInfo(page)}
	statuses, since, err := s.statuses(ctx, page, ls, now)
	if err != nil {
		return nil, err
	}
	checkNames, _ := bindings(ls)
	checks, err := s.DB.ChecksByNames(ctx, checkNames)
	if err != nil {
		return nil, err
	}
	first := s.views.firstView(page.Slug, now)
	created := make(map[string]time.Time, len(ls))
	for _, l := range ls {
		created[l.id] = createdAt(l, checks, since, first)
	}
	// Bars are cut at the minute: today's share of uptime would otherwise
	// change the View, and its version, every second of an outage.
	uptime, err := s.uptime(ctx, page, ls, checks, created, now.Truncate(time.Minute), loc)
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		c := Component{ID: l.id, Name: l.name, Description: l.cfg.Description, Status: statuses[l.id], Position: i + 1,
			GroupID: l.groupID, Group: l.group, Members: l.members, OnlyShowIfDegraded: l.cfg.OnlyShowIfDegraded,
			CreatedAt: created[l.id], UpdatedAt: since[l.id], Uptime: uptime[l.id]}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = c.CreatedAt
		}
		v.Components = append(v.Components, c)
		v.Page.UpdatedAt = later(v.Page.UpdatedAt, c.UpdatedAt)
	}
	if v.Incidents, err = s.incidents(ctx, page.Slug, store.StatusKindIncident, now); err != nil {
		return nil, err
	}
	if v.Maintenances, err = s.incidents(ctx, page.Slug, store.StatusKindMaintenance, now); err != nil {
		return nil, err
	}
	for _, in := range slices.Concat(v.Incidents, v.Maintenances) {
		v.Page.UpdatedAt = later(v.Page.UpdatedAt, in.UpdatedAt)
	}
	return v, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// createdAt is when a component was first shown: the first of its bound
// checks' creation, its recorded status and first (the page's first view
// by this process). A group is as old as its oldest member.
func createdAt(l line, checks map[string]*tocsin.Check, since map[string]time.Time, first time.Time) time.Time {
	out := first
	if t := since[l.id]; !t.IsZero() && t.Before(out) {
		out = t
	}
	names := slices.Clone(l.cfg.Checks)
	for _, m := range l.cfg.Components {
		names = append(names, m.Checks...)
	}
	for _, name := range names {
		if c := checks[name]; c != nil && !c.CreatedAt.IsZero() && c.CreatedAt.Before(out) {
			out = c.CreatedAt
		}
	}
	return out
}

// statuses are the statuses the components show, as the job last
// recorded them (so that every replica shows the same), with unexpired
// overrides on top (they apply at once); derived now when the job has
// recorded none yet. since is when each recorded status began.
func (s *Service) statuses(ctx context.Context, page *config.StatusPage, ls []line, now time.Time) (map[string]ComponentStatus, map[string]time.Time, error) {
	recorded, err := s.recorded(ctx, page.Slug)
	if err != nil {
		return nil, nil, err
	}
	overrides, err := s.overrides(ctx, page.Slug)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]ComponentStatus, len(ls))
	since := make(map[string]time.Time, len(ls))
	missing := false
	for _, l := range ls {
		rec, ok := recorded[l.id]
		if !ok || !ComponentStatus(rec.Status).Valid() {
			missing = true
			continue
		}
		out[l.id], since[l.id] = ComponentStatus(rec.Status), rec.Since
	}
	if missing {
		in, err := gather(ctx, s.DB, ls)
		if err != nil {
			return nil, nil, err
		}
		in.maintenance, in.overrides = map[string]bool{}, overrides
		for id, st := range derive(page, in, now) {
			if _, ok := out[id]; !ok {
				out[id] = st
			}
		}
	}
	for _, l := range ls {
		if o, ok := overrides[l.id]; ok && o.Until.After(now) && ComponentStatus(o.Status).Valid() {
			out[l.id] = ComponentStatus(o.Status)
			if o.SetAt.After(since[l.id]) {
				since[l.id] = o.SetAt
			}
		}
	}
	return out, since, nil
}

// incidents reads the published incidents or maintenances of a page that
// it shows: the unresolved ones and those of the History, newest first,
// each with its updates newest first.
func (s *Service) incidents(ctx context.Context, slug, kind string, now time.Time) ([]Incident, error) {
	list, err := s.DB.StatusIncidents(ctx, slug, kind, now.Add(-History), maxListed)
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(si store.StatusIncident) bool { return !si.Published() })
	ids := make([]int64, len(list))
	for i, si := range list {
		ids[i] = si.ID
	}
	updates, err := s.DB.StatusUpdates(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Incident, 0, len(list))
	for _, si := range list {
		in := Incident{ID: itoa(si.ID), Name: si.Name, Status: IncidentStatus(si.Status), Impact: Impact(si.Impact),
			CreatedAt: si.PublishedAt, UpdatedAt: si.UpdatedAt, MonitoringAt: si.MonitoringAt, ResolvedAt: si.ResolvedAt,
			Components: si.Components, Maintenance: kind == store.StatusKindMaintenance, ScheduledFor: si.ScheduledFor,
			ScheduledUntil: si.ScheduledUntil}
		if si.CreatedAt.After(in.CreatedAt) {
			in.CreatedAt = si.CreatedAt
		}
		ups := updates[si.ID]
		for i := len(ups) - 1; i >= 0; i-- {
			u := ups[i]
			in.Updates = append(in.Updates, Update{ID: itoa(u.ID), IncidentID: in.ID, Status: IncidentStatus(u.Status), Body: u.Body,
				CreatedAt: u.CreatedAt, DisplayAt: u.DisplayAt, Components: u.AffectedComponents})
		}
		out = append(out, in)
	}
	// Newest first by creation: ids follow creation, but a maintenance
	// is ordered by its window, the soonest start last like Statuspage.
	if kind == store.StatusKindMaintenance {
		slices.SortStableFunc(out, func(a, b Incident) int { return b.ScheduledFor.Compare(a.ScheduledFor) })
	}
	return out, nil
}

func itoa(id int64) string { return fmt.Sprint(id) }

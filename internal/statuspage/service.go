package statuspage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TimelineKind is the kind of the timeline entry an internal incident gets
// for each public update that tells of it.
const TimelineKind = "status_page.update"

// Author is who Tocsin's own updates are by.
const Author = "tocsin"

// Configs gives the running config; it is read at each use, so that a
// reload applies at once.
type Configs interface {
	Config() *config.Config
}

// Service runs the status pages of the running config: what their
// components show, their public incidents and maintenance, and the View
// each page is rendered from. The API, the job and the UI all change
// pages through its methods: there is no second path to the store.
type Service struct {
	DB      *store.DB
	Clock   clock.Clock
	Configs Configs
	Log     *slog.Logger
	// Published, when set, is called inside the transaction of every
	// update that becomes public (its own, or its incident's publication):
	// subscribers are notified through the outbox in the same commit.
	Published func(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate) error
	// SilencesChanged, when set, is called after the job made or ended
	// the silences of maintenance windows, so that alerting reads them.
	SilencesChanged func(ctx context.Context) error
	// Env, when set, is what pages about a check still down when the
	// maintenance that muted it ends; Bus hears that it paged.
	Env func() incident.Env
	Bus *job.Bus

	changes atomic.Uint64 // bumped after every committed change a page shows
	public  public        // the public pages' Handler
	subs    *Subscribers  // those of the pages; nil: none (see NotifySubscribers)
	views   viewCache     // the View last built of each page (source.go)
	rollups rollupCache   // the probes' hourly rollups last read (uptime.go)
}

// Changes counts the committed changes of this process: a View built
// before the count moved may be stale.
func (s *Service) Changes() uint64 { return s.changes.Load() }

// changed is called once a change has committed.
func (s *Service) changed() { s.changes.Add(1) }

// Page finds the configured page slug.
func (s *Service) Page(slug string) (*config.StatusPage, error) {
	cfg := s.Configs.Config()
	for i := range cfg.StatusPages {
		if p := &cfg.StatusPages[i]; p.Slug == slug {
			return p, nil
		}
	}
	return nil, tocsin.Errorf(tocsin.ENotFound, "no status page %q", slug)
}

// addUpdate stores u as an update of si (saved with it) and, when si is
// published, tells the internal incidents it is linked to on their
// timelines and hands the update to Published. The caller sets si's new
// status, times and flags; addUpdate sets UpdatedAt.
func (s *Service) addUpdate(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate) error {
	u.StatusIncidentID = si.ID
	if u.DisplayAt.IsZero() {
		u.DisplayAt = u.CreatedAt
	}
	if err := tx.AddStatusUpdate(ctx, u); err != nil {
		return err
	}
	si.UpdatedAt = u.CreatedAt
	if err := tx.SaveStatusIncident(ctx, si); err != nil {
		return err
	}
	tx.AfterCommit(s.changed)
	if !si.Published() {
		return nil
	}
	return s.announce(ctx, tx, page, si, u)
}

// announce records a published update on the timelines of the internal
// incidents si tells of and hands it to the subscribers.
func (s *Service) announce(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate) error {
	links, err := tx.StatusIncidentLinks(ctx, si.ID)
	if err != nil {
		return err
	}
	for _, id := range links {
		if err := s.record(ctx, tx, page, si, u, id, u.CreatedAt); err != nil {
			return err
		}
	}
	if s.Published != nil {
		return s.Published(ctx, tx, page, si, u)
	}
	return nil
}

// record puts the public update u of si on the timeline of the internal
// incident id, at at.
func (s *Service) record(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate, id int64, at time.Time) error {
	data, err := json.Marshal(map[string]any{"page": page.Slug, "status_incident": si.ID, "update": u.ID,
		"status": u.Status, "body": u.Body})
	if err != nil {
		return err
	}
	return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: at, Kind: TimelineKind, Actor: u.Author,
		Message: fmt.Sprintf("status page %s: %q is %s: %s", page.Slug, si.Name, u.Status, u.Body), Data: data})
}

// link links si to the internal incident id. An incident linked to a
// public one that has spoken already gets its latest update on its
// timeline, so that the timeline tells what the public was told.
func (s *Service) link(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, id int64) error {
	added, err := tx.LinkStatusIncident(ctx, si.ID, id)
	if err != nil || !added || !si.Published() {
		return err
	}
	u, ok, err := tx.LatestStatusUpdate(ctx, si.ID)
	if err != nil || !ok {
		return err
	}
	return s.record(ctx, tx, page, si, &u, id, s.Clock.Now())
}

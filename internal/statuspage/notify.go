package statuspage

import (
	"context"
	"strings"

	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// NotifySubscribers makes subs hear of every update the Service publishes,
// in the update's own transaction, gives subs the running config's pages
// to take subscriptions for, and serves subs' routes with the pages'.
func (s *Service) NotifySubscribers(subs *Subscribers) {
	s.subs = subs
	subs.Pages = s.subscriberPage
	s.Published = func(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate) error {
		notice, err := s.notice(ctx, tx, page, si, u)
		if err != nil {
			return err
		}
		n, err := subs.EnqueueUpdate(ctx, tx, notice)
		if err == nil && n > 0 && subs.Queued != nil {
			tx.AfterCommit(subs.Queued)
		}
		return err
	}
}

// pageInfo is the public description of page.
func (s *Service) pageInfo(page *config.StatusPage) Page {
	base := strings.TrimSuffix(s.Configs.Config().PublicURL, "/")
	if s.Env != nil {
		base = s.Env().PublicURL // public_url, or the listen address without one
	}
	return Page{ID: pageID(page.Slug), Slug: page.Slug, Name: page.Title, Description: page.Description,
		URL: base + "/status/" + page.Slug, Location: location(page)}
}

// subscriberPage is the page slug as subscriptions see it.
func (s *Service) subscriberPage(slug string) (SubscriberPage, bool) {
	page, err := s.Page(slug)
	if err != nil {
		return SubscriberPage{}, false
	}
	sp := SubscriberPage{Page: s.pageInfo(page), Email: s.Configs.Config().SMTP.Host != ""}
	for _, l := range lines(page) {
		sp.Components = append(sp.Components, Component{ID: l.id, Name: l.name, Group: l.group, GroupID: l.groupID, Members: l.members})
	}
	return sp, true
}

// notice is what subscribers are told of the update u of si, with the
// page's status as the components are recorded in tx.
func (s *Service) notice(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, u *store.StatusUpdate) (Notice, error) {
	sp, _ := s.subscriberPage(page.Slug)
	in := Incident{ID: itoa(si.ID), Name: si.Name, Status: IncidentStatus(si.Status), Impact: Impact(si.Impact),
		CreatedAt: later(si.CreatedAt, si.PublishedAt), UpdatedAt: si.UpdatedAt, MonitoringAt: si.MonitoringAt,
		ResolvedAt: si.ResolvedAt, Components: si.Components, Maintenance: si.Kind == store.StatusKindMaintenance,
		ScheduledFor: si.ScheduledFor, ScheduledUntil: si.ScheduledUntil}
	up := Update{ID: itoa(u.ID), IncidentID: in.ID, Status: IncidentStatus(u.Status), Body: u.Body, CreatedAt: u.CreatedAt,
		DisplayAt: u.DisplayAt, Components: u.AffectedComponents}
	in.Updates = []Update{up}
	n := Notice{Page: sp.Page, Components: sp.Components, Incident: in, Update: up}
	recorded, err := tx.StatusComponents(ctx, page.Slug)
	if err != nil || len(recorded) == 0 {
		return n, err // none yet: subscribers take the incident's impact
	}
	statuses := make(map[string]ComponentStatus, len(recorded))
	for _, r := range recorded {
		statuses[r.Component] = ComponentStatus(r.Status)
	}
	var v View
	for _, c := range sp.Components {
		c.Status = statuses[c.ID]
		if !c.Status.Valid() {
			c.Status = Operational
		}
		v.Components = append(v.Components, c)
	}
	st := v.Status()
	n.Indicator, n.Description = st.Indicator, st.Description
	return n, nil
}

package statuspage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// What a responder does to a page: open, update and publish public
// incidents, set a component's status by hand for a while, and schedule
// maintenance. Each operation is one write transaction that also writes
// its audit entry (whose role and address come from ctx, see
// store.WithAuditSource) and, for an update, the timelines of the linked
// internal incidents.

// Limits of what a responder may ask for.
const (
	// MaxOverride is how long a component's status may be set by hand:
	// an override outlives nobody's attention for long.
	MaxOverride = 7 * 24 * time.Hour
	// scheduleSlack lets a maintenance start up to a minute in the past,
	// for the time a request takes to arrive.
	scheduleSlack = time.Minute
	// detailHistory is how far back a page's detail lists closed incidents.
	detailHistory = 90 * 24 * time.Hour
	// detailLimit bounds the incidents and maintenances of a page's detail.
	detailLimit = 200
)

// NewIncident is a public incident a responder opens.
type NewIncident struct {
	Name       string
	Status     IncidentStatus // investigating (default), identified, monitoring or resolved
	Impact     Impact         // none, minor (default), major or critical
	Components []string       // public ids of the components affected
	Body       string         // the first update's message
	Incidents  []int64        // internal incidents it tells of: each update lands on their timelines
	Publish    bool           // false: a draft, shown once published
}

// NewUpdate is a message posted to a public incident.
type NewUpdate struct {
	Status     IncidentStatus // the incident's status from now on
	Body       string
	Components []string  // affected; nil: not said (the incident's stay as they are)
	Impact     Impact    // "": unchanged
	DisplayAt  time.Time // when it is shown as posted; zero: now (backdating allowed, not the future)
	// TakeOver stops Tocsin from resolving an incident it opened when its
	// components recover: a person speaks for it from now on. Resolving
	// it by hand does too.
	TakeOver bool
}

// IncidentChange changes a public incident's fields; nil fields stay.
type IncidentChange struct {
	Name       *string
	Impact     *Impact
	Components *[]string
	Link       []int64 // internal incidents to link besides those linked
}

// NewMaintenance is a scheduled maintenance: public at once, with a
// window that also silences what its components are bound to (the
// engine's job does that).
type NewMaintenance struct {
	Name           string
	Body           string
	Impact         Impact // default none
	Components     []string
	ScheduledFor   time.Time
	ScheduledUntil time.Time
}

// MaintenanceChange posts an update to a maintenance, or moves its
// window while it is scheduled.
type MaintenanceChange struct {
	Name           *string
	Body           string         // a message; "" with a Status is refused
	Status         IncidentStatus // "": unchanged; in_progress (starts it now), verifying or completed
	Components     *[]string
	ScheduledFor   *time.Time
	ScheduledUntil *time.Time
}

// ManagedIncident is a public incident or maintenance as responders see
// it: drafts too, with its updates (oldest first) and the internal
// incidents it tells of.
type ManagedIncident struct {
	store.StatusIncident
	Updates []store.StatusUpdate
	Links   []int64
}

// PageDetail is a page as responders see it.
type PageDetail struct {
	Page       *config.StatusPage
	Components []ManagedComponent
	// Incidents and Maintenances: open ones and those closed within 90
	// days, drafts included, newest first.
	Incidents    []ManagedIncident
	Maintenances []ManagedIncident
}

// ManagedComponent is a component of a page with what it is bound to and
// its override, if one is in force.
type ManagedComponent struct {
	ID       string
	Name     string
	GroupID  string // "" for none
	Group    bool
	Checks   []string
	Services []string
	Override *store.StatusOverride // nil: none in force
}

// listComponents lists page's components in page order, a group before its
// members.
func listComponents(page *config.StatusPage) []ManagedComponent {
	var out []ManagedComponent
	for _, c := range page.Components {
		id := componentID(page.Slug, &c)
		if c.Group == "" {
			out = append(out, ManagedComponent{ID: id, Name: c.Name, Checks: c.Checks, Services: c.Services})
			continue
		}
		out = append(out, ManagedComponent{ID: id, Name: c.Group, Group: true})
		for _, m := range c.Components {
			out = append(out, ManagedComponent{ID: componentID(page.Slug, &m), Name: m.Name, GroupID: id, Checks: m.Checks,
				Services: m.Services})
		}
	}
	return out
}

// validComponents refuses ids that are not components of page (a group
// is not one: it shows its members' worst), naming field, the id and the
// valid ones. It returns the ids without repeats, in the order given.
func validComponents(page *config.StatusPage, field string, ids []string) ([]string, error) {
	all := listComponents(page)
	var valid []string
	for _, c := range all {
		if !c.Group {
			valid = append(valid, fmt.Sprintf("%s (%s)", c.ID, c.Name))
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		i := slices.IndexFunc(all, func(c ManagedComponent) bool { return c.ID == id })
		switch {
		case i < 0:
			return nil, tocsin.Errorf(tocsin.EInvalid, "%s: status page %q has no component %q; its components are %s",
				field, page.Slug, id, strings.Join(valid, ", "))
		case all[i].Group:
			return nil, tocsin.Errorf(tocsin.EInvalid, "%s: %q is the group %q, whose status is its members': name them (%s)",
				field, id, all[i].Name, strings.Join(valid, ", "))
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func validIncidentStatus(field string, st IncidentStatus) error {
	switch st {
	case Investigating, Identified, Monitoring, Resolved:
		return nil
	}
	return tocsin.Errorf(tocsin.EInvalid, "%s: %q is not one of investigating, identified, monitoring, resolved", field, st)
}

func validImpact(field string, im Impact) error {
	switch im {
	case ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical:
		return nil
	}
	return tocsin.Errorf(tocsin.EInvalid, "%s: %q is not one of none, minor, major, critical", field, im)
}

func validName(field, name string) error {
	if strings.TrimSpace(name) == "" {
		return tocsin.Errorf(tocsin.EInvalid, "%s: required", field)
	}
	if len(name) > 255 {
		return tocsin.Errorf(tocsin.EInvalid, "%s: at most 255 bytes", field)
	}
	return nil
}

func validBody(body string) error {
	if strings.TrimSpace(body) == "" {
		return tocsin.Errorf(tocsin.EInvalid, "body: required: the message shown on the page")
	}
	return nil
}

// moveTo moves si to st at now: it notes when it began monitoring and
// when it was resolved (or completed).
func moveTo(si *store.StatusIncident, st IncidentStatus, now time.Time) {
	if st == Monitoring && IncidentStatus(si.Status) != Monitoring {
		si.MonitoringAt = now
	}
	if st == Resolved || st == Completed {
		si.ResolvedAt = now
	}
	si.Status = string(st)
}

// linkIncidents records that si tells of the internal incidents ids, which must exist.
func (s *Service) linkIncidents(ctx context.Context, tx *store.Tx, page *config.StatusPage, si *store.StatusIncident, ids []int64) error {
	for _, id := range ids {
		if _, err := tx.IncidentByID(ctx, id); err != nil {
			if tocsin.ErrorCode(err) == tocsin.ENotFound {
				return tocsin.Errorf(tocsin.EInvalid, "incidents: Tocsin has no incident %d", id)
			}
			return err
		}
		if err := s.link(ctx, tx, page, si, id); err != nil {
			return err
		}
	}
	return nil
}

// incidentOfKind reads the incident id of page inside tx and refuses one of
// another kind: a maintenance is changed as one, and an incident too.
func incidentOfKind(ctx context.Context, tx *store.Tx, page string, id int64, kind string) (store.StatusIncident, error) {
	si, err := tx.StatusIncident(ctx, page, id)
	if err != nil {
		return si, err
	}
	if si.Kind != kind {
		a := map[string]string{store.StatusKindIncident: "an incident", store.StatusKindMaintenance: "a maintenance"}
		return si, tocsin.Errorf(tocsin.EConflict, "%d of status page %q is %s, not %s", id, page, a[si.Kind], a[kind])
	}
	return si, nil
}

// auditIncident writes the audit entry of a change of si.
func auditIncident(ctx context.Context, tx *store.Tx, actor, action string, si *store.StatusIncident, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["page"], data["status_incident_id"] = si.Page, si.ID
	return tx.Audit(ctx, actor, action, fmt.Sprintf("status page %s: %s %d %q: %s", si.Page, si.Kind, si.ID, si.Name,
		strings.TrimPrefix(action, "status_page.")), data)
}

// CreateIncident opens a public incident on page slug with its first
// update, by actor; a draft unless in.Publish.
func (s *Service) CreateIncident(ctx context.Context, slug, actor string, in NewIncident) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	if in.Status == "" {
		in.Status = Investigating
	}
	if in.Impact == "" {
		in.Impact = ImpactMinor
	}
	if err := validName("name", in.Name); err != nil {
		return ManagedIncident{}, err
	}
	if err := validIncidentStatus("status", in.Status); err != nil {
		return ManagedIncident{}, err
	}
	if err := validImpact("impact", in.Impact); err != nil {
		return ManagedIncident{}, err
	}
	if err := validBody(in.Body); err != nil {
		return ManagedIncident{}, err
	}
	comps, err := validComponents(page, "components", in.Components)
	if err != nil {
		return ManagedIncident{}, err
	}
	now := s.Clock.Now()
	si := &store.StatusIncident{Page: slug, Kind: store.StatusKindIncident, Name: in.Name, Impact: string(in.Impact),
		Components: comps, CreatedAt: now, CreatedBy: actor, UpdatedAt: now}
	if in.Publish {
		si.PublishedAt = now
	}
	moveTo(si, in.Status, now)
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateStatusIncident(ctx, si); err != nil {
			return err
		}
		if err := s.linkIncidents(ctx, tx, page, si, in.Incidents); err != nil {
			return err
		}
		u := &store.StatusUpdate{Status: si.Status, Body: in.Body, CreatedAt: now, Author: actor, AffectedComponents: comps}
		if err := s.addUpdate(ctx, tx, page, si, u); err != nil {
			return err
		}
		return auditIncident(ctx, tx, actor, "status_page.incident.create", si,
			map[string]any{"status": si.Status, "published": si.Published(), "incidents": in.Incidents})
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, si.ID)
}

// PostUpdate posts an update to the public incident id of page slug, by
// actor. Tocsin still resolves an incident it opened when its components
// recover, unless a person's update says TakeOver or resolves it. A
// resolved incident takes no more updates: what happens next is a new
// incident.
func (s *Service) PostUpdate(ctx context.Context, slug string, id int64, actor string, in NewUpdate) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	if err := validIncidentStatus("status", in.Status); err != nil {
		return ManagedIncident{}, err
	}
	if err := validBody(in.Body); err != nil {
		return ManagedIncident{}, err
	}
	if in.Impact != "" {
		if err := validImpact("impact", in.Impact); err != nil {
			return ManagedIncident{}, err
		}
	}
	var comps []string
	if in.Components != nil {
		if comps, err = validComponents(page, "components", in.Components); err != nil {
			return ManagedIncident{}, err
		}
	}
	now := s.Clock.Now()
	if in.DisplayAt.After(now) {
		return ManagedIncident{}, tocsin.Errorf(tocsin.EInvalid, "display_at: %s is in the future (now is %s)",
			in.DisplayAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		si, err := incidentOfKind(ctx, tx, slug, id, store.StatusKindIncident)
		if err != nil {
			return err
		}
		if !si.ResolvedAt.IsZero() {
			return tocsin.Errorf(tocsin.EConflict, "incident %d of status page %q was resolved at %s: open a new incident",
				id, slug, si.ResolvedAt.UTC().Format(time.RFC3339))
		}
		moveTo(&si, in.Status, now)
		if in.Impact != "" {
			si.Impact = string(in.Impact)
		}
		for _, c := range comps {
			if !slices.Contains(si.Components, c) {
				si.Components = append(si.Components, c)
			}
		}
		if si.Auto && actor != Author && (in.TakeOver || in.Status == Resolved) {
			si.TakenOver = true
		}
		u := &store.StatusUpdate{Status: si.Status, Body: in.Body, CreatedAt: now, DisplayAt: in.DisplayAt, Author: actor,
			AffectedComponents: comps}
		if err := s.addUpdate(ctx, tx, page, &si, u); err != nil {
			return err
		}
		return auditIncident(ctx, tx, actor, "status_page.incident.update", &si,
			map[string]any{"status": si.Status, "update_id": u.ID, "taken_over": si.TakenOver})
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, id)
}

// Publish makes the draft incident id of page slug public now and
// announces its latest update: on the linked timelines and to the
// subscribers.
func (s *Service) Publish(ctx context.Context, slug string, id int64, actor string) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	now := s.Clock.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		si, err := incidentOfKind(ctx, tx, slug, id, store.StatusKindIncident)
		if err != nil {
			return err
		}
		if si.Published() {
			return tocsin.Errorf(tocsin.EConflict, "incident %d of status page %q was published at %s", id, slug,
				si.PublishedAt.UTC().Format(time.RFC3339))
		}
		// Writes follow one another (see store.DB.Write), so the updates
		// committed are all there are.
		updates, err := s.DB.StatusUpdates(ctx, []int64{id})
		if err != nil {
			return err
		}
		list := updates[id]
		if len(list) == 0 {
			return fmt.Errorf("publish status incident %d: no update to announce", id)
		}
		si.PublishedAt, si.UpdatedAt = now, now
		if err := tx.SaveStatusIncident(ctx, &si); err != nil {
			return err
		}
		tx.AfterCommit(s.changed)
		if err := s.announce(ctx, tx, page, &si, &list[len(list)-1]); err != nil {
			return err
		}
		return auditIncident(ctx, tx, actor, "status_page.incident.publish", &si, nil)
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, id)
}

// UpdateIncident changes the name, impact or components of the public
// incident id of page slug, or links it to more internal incidents,
// without posting an update.
func (s *Service) UpdateIncident(ctx context.Context, slug string, id int64, actor string, in IncidentChange) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	if in.Name == nil && in.Impact == nil && in.Components == nil && len(in.Link) == 0 {
		return ManagedIncident{}, tocsin.Errorf(tocsin.EInvalid, "nothing to change: give name, impact, components or incidents")
	}
	if in.Name != nil {
		if err := validName("name", *in.Name); err != nil {
			return ManagedIncident{}, err
		}
	}
	if in.Impact != nil {
		if err := validImpact("impact", *in.Impact); err != nil {
			return ManagedIncident{}, err
		}
	}
	var comps []string
	if in.Components != nil {
		if comps, err = validComponents(page, "components", *in.Components); err != nil {
			return ManagedIncident{}, err
		}
	}
	now := s.Clock.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		si, err := incidentOfKind(ctx, tx, slug, id, store.StatusKindIncident)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		if in.Name != nil {
			si.Name, changed["name"] = *in.Name, *in.Name
		}
		if in.Impact != nil {
			si.Impact, changed["impact"] = string(*in.Impact), *in.Impact
		}
		if in.Components != nil {
			si.Components, changed["components"] = comps, comps
		}
		if len(in.Link) > 0 {
			if err := s.linkIncidents(ctx, tx, page, &si, in.Link); err != nil {
				return err
			}
			changed["incidents"] = in.Link
		}
		si.UpdatedAt = now
		if err := tx.SaveStatusIncident(ctx, &si); err != nil {
			return err
		}
		tx.AfterCommit(s.changed)
		return auditIncident(ctx, tx, actor, "status_page.incident.change", &si, changed)
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, id)
}

// SetOverride shows component of page slug with status until then,
// whatever it is bound to, for reason; it replaces any override it has.
// until must be in the future, at most MaxOverride away.
func (s *Service) SetOverride(ctx context.Context, slug, component, actor string, status ComponentStatus, until time.Time,
	reason string) (store.StatusOverride, error) {
	page, err := s.Page(slug)
	if err != nil {
		return store.StatusOverride{}, err
	}
	if _, err := validComponents(page, "component", []string{component}); err != nil {
		return store.StatusOverride{}, err
	}
	if !status.Valid() {
		return store.StatusOverride{}, tocsin.Errorf(tocsin.EInvalid,
			"status: %q is not one of operational, degraded_performance, partial_outage, major_outage, under_maintenance", status)
	}
	now := s.Clock.Now()
	switch {
	case until.IsZero():
		return store.StatusOverride{}, tocsin.Errorf(tocsin.EInvalid, "until: required: an override ends by itself")
	case !until.After(now):
		return store.StatusOverride{}, tocsin.Errorf(tocsin.EInvalid, "until: %s is not in the future", until.UTC().Format(time.RFC3339))
	case until.Sub(now) > MaxOverride:
		return store.StatusOverride{}, tocsin.Errorf(tocsin.EInvalid, "until: %s is more than %s away",
			until.UTC().Format(time.RFC3339), tocsin.FormatDuration(MaxOverride))
	}
	o := store.StatusOverride{Page: slug, Component: component, Status: string(status), Until: until.UTC(), Reason: reason,
		SetBy: actor, SetAt: now}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetStatusOverride(ctx, o); err != nil {
			return err
		}
		tx.AfterCommit(s.changed)
		return tx.Audit(ctx, actor, "status_page.override.set", fmt.Sprintf("status page %s: component %s shown %s until %s",
			slug, component, status, o.Until.Format(time.RFC3339)),
			map[string]any{"page": slug, "component": component, "status": status, "until": o.Until, "reason": reason})
	})
	if err != nil {
		return store.StatusOverride{}, err
	}
	return o, nil
}

// ClearOverride ends the override of component of page slug now.
func (s *Service) ClearOverride(ctx context.Context, slug, component, actor string) error {
	page, err := s.Page(slug)
	if err != nil {
		return err
	}
	if _, err := validComponents(page, "component", []string{component}); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		had, err := tx.DeleteStatusOverride(ctx, slug, component)
		if err != nil {
			return err
		}
		if !had {
			return tocsin.Errorf(tocsin.ENotFound, "component %s of status page %q has no override", component, slug)
		}
		tx.AfterCommit(s.changed)
		return tx.Audit(ctx, actor, "status_page.override.clear", fmt.Sprintf("status page %s: override of component %s cleared",
			slug, component), map[string]any{"page": slug, "component": component})
	})
}

// validWindow refuses a maintenance window that ends before it starts or
// starts in the past.
func validWindow(from, until, now time.Time) error {
	switch {
	case from.IsZero():
		return tocsin.Errorf(tocsin.EInvalid, "scheduled_for: required")
	case until.IsZero():
		return tocsin.Errorf(tocsin.EInvalid, "scheduled_until: required")
	case from.Before(now.Add(-scheduleSlack)):
		return tocsin.Errorf(tocsin.EInvalid, "scheduled_for: %s is in the past (now is %s)", from.UTC().Format(time.RFC3339),
			now.UTC().Format(time.RFC3339))
	case !until.After(from):
		return tocsin.Errorf(tocsin.EInvalid, "scheduled_until: %s is not after scheduled_for %s", until.UTC().Format(time.RFC3339),
			from.UTC().Format(time.RFC3339))
	}
	return nil
}

// ScheduleMaintenance schedules a maintenance on page slug, public at
// once with its first update, by actor.
func (s *Service) ScheduleMaintenance(ctx context.Context, slug, actor string, in NewMaintenance) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	if in.Impact == "" {
		in.Impact = ImpactNone
	}
	if err := validName("name", in.Name); err != nil {
		return ManagedIncident{}, err
	}
	if err := validBody(in.Body); err != nil {
		return ManagedIncident{}, err
	}
	if err := validImpact("impact", in.Impact); err != nil {
		return ManagedIncident{}, err
	}
	comps, err := validComponents(page, "components", in.Components)
	if err != nil {
		return ManagedIncident{}, err
	}
	now := s.Clock.Now()
	if err := validWindow(in.ScheduledFor, in.ScheduledUntil, now); err != nil {
		return ManagedIncident{}, err
	}
	si := &store.StatusIncident{Page: slug, Kind: store.StatusKindMaintenance, Name: in.Name, Status: string(Scheduled),
		Impact: string(in.Impact), Components: comps, PublishedAt: now, CreatedAt: now, CreatedBy: actor, UpdatedAt: now,
		ScheduledFor: in.ScheduledFor.UTC(), ScheduledUntil: in.ScheduledUntil.UTC()}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateStatusIncident(ctx, si); err != nil {
			return err
		}
		u := &store.StatusUpdate{Status: si.Status, Body: in.Body, CreatedAt: now, Author: actor, AffectedComponents: comps}
		if err := s.addUpdate(ctx, tx, page, si, u); err != nil {
			return err
		}
		return auditIncident(ctx, tx, actor, "status_page.maintenance.schedule", si,
			map[string]any{"scheduled_for": si.ScheduledFor, "scheduled_until": si.ScheduledUntil, "components": comps})
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, si.ID)
}

// UpdateMaintenance changes the maintenance id of page slug: it moves
// its window or components while it is scheduled, renames it, or posts
// an update (with Body), which may change its status: in_progress starts
// it now, verifying says the work is being checked, completed ends it.
func (s *Service) UpdateMaintenance(ctx context.Context, slug string, id int64, actor string, in MaintenanceChange) (ManagedIncident, error) {
	page, err := s.Page(slug)
	if err != nil {
		return ManagedIncident{}, err
	}
	if in.Name == nil && in.Body == "" && in.Status == "" && in.Components == nil && in.ScheduledFor == nil && in.ScheduledUntil == nil {
		return ManagedIncident{}, tocsin.Errorf(tocsin.EInvalid,
			"nothing to change: give body (and status), name, components, scheduled_for or scheduled_until")
	}
	if in.Name != nil {
		if err := validName("name", *in.Name); err != nil {
			return ManagedIncident{}, err
		}
	}
	switch in.Status {
	case "", InProgress, Verifying, Completed:
	default:
		return ManagedIncident{}, tocsin.Errorf(tocsin.EInvalid, "status: %q is not one of in_progress, verifying, completed", in.Status)
	}
	if in.Status != "" && in.Body == "" {
		return ManagedIncident{}, tocsin.Errorf(tocsin.EInvalid, "body: required with status: the message shown on the page")
	}
	var comps []string
	if in.Components != nil {
		if comps, err = validComponents(page, "components", *in.Components); err != nil {
			return ManagedIncident{}, err
		}
	}
	now := s.Clock.Now()
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		si, err := incidentOfKind(ctx, tx, slug, id, store.StatusKindMaintenance)
		if err != nil {
			return err
		}
		if IncidentStatus(si.Status) == Completed {
			return tocsin.Errorf(tocsin.EConflict, "maintenance %d of status page %q was completed at %s", id, slug,
				si.ResolvedAt.UTC().Format(time.RFC3339))
		}
		scheduled := IncidentStatus(si.Status) == Scheduled
		if (in.ScheduledFor != nil || in.ScheduledUntil != nil || in.Components != nil) && !scheduled {
			return tocsin.Errorf(tocsin.EConflict, "maintenance %d of status page %q is %s: its window and components change only while it is scheduled",
				id, slug, si.Status)
		}
		from, until := si.ScheduledFor, si.ScheduledUntil
		if in.ScheduledFor != nil {
			from = in.ScheduledFor.UTC()
		}
		if in.ScheduledUntil != nil {
			until = in.ScheduledUntil.UTC()
		}
		if in.ScheduledFor != nil || in.ScheduledUntil != nil {
			if err := validWindow(from, until, now); err != nil {
				return err
			}
		}
		if in.Status == Verifying && scheduled {
			return tocsin.Errorf(tocsin.EConflict, "maintenance %d of status page %q has not started: it cannot be verifying", id, slug)
		}
		if in.Status == InProgress && scheduled {
			from = now // started early: its window, and so its silences, begin now
		}
		changed := map[string]any{}
		si.ScheduledFor, si.ScheduledUntil = from, until
		if in.Name != nil {
			si.Name, changed["name"] = *in.Name, *in.Name
		}
		if in.Components != nil {
			si.Components, changed["components"] = comps, comps
		}
		changed["scheduled_for"], changed["scheduled_until"] = from, until
		action := "status_page.maintenance.change"
		if in.Body == "" {
			si.UpdatedAt = now
			if err := tx.SaveStatusIncident(ctx, &si); err != nil {
				return err
			}
			tx.AfterCommit(s.changed)
		} else {
			if in.Status != "" {
				moveTo(&si, in.Status, now)
			}
			u := &store.StatusUpdate{Status: si.Status, Body: in.Body, CreatedAt: now, Author: actor}
			if err := s.addUpdate(ctx, tx, page, &si, u); err != nil {
				return err
			}
			if si.Status == string(Completed) && !now.Before(si.ScheduledFor) {
				// Ended early: what the window muted and is still
				// down pages now, as at the window's end.
				ls := lines(page)
				if err := s.unmute(ctx, tx, &si, ls, covered(ls, si.Components), now); err != nil {
					return err
				}
			}
			action, changed["status"], changed["update_id"] = "status_page.maintenance.update", si.Status, u.ID
		}
		return auditIncident(ctx, tx, actor, action, &si, changed)
	})
	if err != nil {
		return ManagedIncident{}, err
	}
	return s.ReadIncident(ctx, slug, id)
}

// CancelMaintenance completes the maintenance id of page slug now, with
// an update saying so (body, or a default); the engine's job then lifts
// the silences of its window.
func (s *Service) CancelMaintenance(ctx context.Context, slug string, id int64, actor, body string) (ManagedIncident, error) {
	if strings.TrimSpace(body) == "" {
		body = "This maintenance has been cancelled."
	}
	return s.UpdateMaintenance(ctx, slug, id, actor, MaintenanceChange{Status: Completed, Body: body})
}

// ReadIncident reads the public incident or maintenance id of page slug, with
// its updates and links.
func (s *Service) ReadIncident(ctx context.Context, slug string, id int64) (ManagedIncident, error) {
	if _, err := s.Page(slug); err != nil {
		return ManagedIncident{}, err
	}
	var mi ManagedIncident
	var err error
	if mi.StatusIncident, err = s.DB.StatusIncident(ctx, slug, id); err != nil {
		return ManagedIncident{}, err
	}
	if mi.Links, err = s.DB.StatusIncidentLinks(ctx, id); err != nil {
		return ManagedIncident{}, err
	}
	updates, err := s.DB.StatusUpdates(ctx, []int64{id})
	if err != nil {
		return ManagedIncident{}, err
	}
	mi.Updates = updates[id]
	return mi, nil
}

// ManagedPages lists the configured pages with their components and overrides.
func (s *Service) ManagedPages(ctx context.Context) ([]PageDetail, error) {
	cfg := s.Configs.Config()
	out := make([]PageDetail, 0, len(cfg.StatusPages))
	for i := range cfg.StatusPages {
		page := &cfg.StatusPages[i]
		comps, err := s.managedComponents(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, PageDetail{Page: page, Components: comps})
	}
	return out, nil
}

// ManagedPage reads page slug with its components and overrides, and its
// incidents and maintenances, drafts included: the open ones and those
// closed within 90 days, newest first.
func (s *Service) ManagedPage(ctx context.Context, slug string) (PageDetail, error) {
	page, err := s.Page(slug)
	if err != nil {
		return PageDetail{}, err
	}
	comps, err := s.managedComponents(ctx, page)
	if err != nil {
		return PageDetail{}, err
	}
	d := PageDetail{Page: page, Components: comps}
	since := s.Clock.Now().Add(-detailHistory)
	for _, kind := range []string{store.StatusKindIncident, store.StatusKindMaintenance} {
		list, err := s.DB.StatusIncidents(ctx, slug, kind, since, detailLimit)
		if err != nil {
			return PageDetail{}, err
		}
		ids := make([]int64, len(list))
		for i, si := range list {
			ids[i] = si.ID
		}
		updates, err := s.DB.StatusUpdates(ctx, ids)
		if err != nil {
			return PageDetail{}, err
		}
		all := make([]ManagedIncident, len(list))
		for i, si := range list {
			all[i] = ManagedIncident{StatusIncident: si, Updates: updates[si.ID]}
		}
		if kind == store.StatusKindIncident {
			d.Incidents = all
		} else {
			d.Maintenances = all
		}
	}
	return d, nil
}

// managedComponents lists page's components with the overrides in force.
func (s *Service) managedComponents(ctx context.Context, page *config.StatusPage) ([]ManagedComponent, error) {
	overrides, err := s.DB.StatusOverrides(ctx, page.Slug)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	comps := listComponents(page)
	for i := range comps {
		for _, o := range overrides {
			if o.Component == comps[i].ID && o.Until.After(now) {
				comps[i].Override = &o
			}
		}
	}
	return comps, nil
}

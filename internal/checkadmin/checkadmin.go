// Package checkadmin manages the checks made at run time, beside those of
// the config file: it validates a definition against the running config
// (its channels and escalation policies), stores it with an audit entry,
// and tells the engine of the deadline it moved. The management APIs
// (/api/v1 and Healthchecks' /api/v3), auto-provisioning pings and imports
// all take this one path. A check of the config file refuses every change
// here, naming the file and line that define it.
package checkadmin

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Manager creates, updates and deletes the checks the API manages.
type Manager struct {
	DB    *store.DB
	Clock interface{ Now() time.Time }
	// Running gives the running compiled config.
	Running func() *runtime.Snapshot
	// Scheduled puts a check's deadline in the engine's queue (zero: none).
	Scheduled func(checkID int64, at time.Time)
	// ProvisionLimit caps the checks a ping can make (?create=1): past
	// this many checks managed through the API, such a ping is not found,
	// as Healthchecks caps its auto-provisioning. 0: MaxProvisioned.
	ProvisionLimit int
}

// Limits of a definition, as the config file's.
const (
	MaxNameLen = 100
	maxSlugLen = 100
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// A tag made at run time is any word: clients of Healthchecks'
	// API send theirs as they are (bar,baz); the store keeps a check's
	// tags space-separated.
	tagRE  = regexp.MustCompile(`^\S+$`)
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// Validate checks d against the running config and fills its defaults (a
// slug from the name); its errors are EInvalid and name the field.
func (m *Manager) Validate(d *store.CheckDef) error {
	d.Name = strings.TrimSpace(d.Name)
	invalid := func(format string, args ...any) error { return tocsin.Errorf(tocsin.EInvalid, format, args...) }
	switch {
	case d.Name == "":
		return invalid("name: required")
	case len(d.Name) > MaxNameLen:
		return invalid("name: at most %d characters", MaxNameLen)
	case strings.HasPrefix(d.Name, "deleted:"):
		return invalid("name: may not start with \"deleted:\"")
	}
	d.UUID = strings.ToLower(d.UUID)
	if d.UUID != "" && !uuidRE.MatchString(d.UUID) {
		return invalid("uuid: %q is not a UUID", d.UUID)
	}
	if d.Slug == "" {
		d.Slug = config.Slugify(d.Name)
		if d.Slug == "" {
			return invalid("name: has no letters or digits to make a slug from; set slug")
		}
	} else if !slugRE.MatchString(d.Slug) || len(d.Slug) > maxSlugLen {
		return invalid("slug: must be 1 to %d lowercase letters, digits, _ or -, starting with a letter or digit, got %q", maxSlugLen, d.Slug)
	}
	switch {
	case d.Probe != "":
		return invalid("probe: probe checks are defined in the config file")
	case d.Spec.Every == 0 && d.Spec.Cron == "":
		return invalid("schedule: required: set every (like 1h) or cron (like \"0 3 * * *\")")
	case d.Spec.Every != 0 && d.Spec.Cron != "":
		return invalid("schedule: set every or cron, not both")
	case d.Spec.Every < 0:
		return invalid("schedule.every: must be positive")
	case d.Spec.Cron == "" && d.Spec.TZ != "":
		return invalid("schedule.tz: only with cron")
	case d.Grace < 0:
		return invalid("grace: must not be negative")
	}
	if d.Spec.TZ != "" {
		if _, err := time.LoadLocation(d.Spec.TZ); err != nil {
			return invalid("schedule.tz: unknown time zone %q", d.Spec.TZ)
		}
	}
	switch strings.ToUpper(d.Methods) {
	case "":
	case "POST":
		d.Methods = "POST"
	default:
		return invalid("methods: must be \"\" (any method) or \"POST\", got %q", d.Methods)
	}
	if d.RunbookURL != "" {
		if u, err := url.Parse(d.RunbookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("runbook_url: must be an absolute http or https URL")
		}
	}
	if len(d.Tags) > config.MaxTags {
		return invalid("tags: at most %d tags, got %d", config.MaxTags, len(d.Tags))
	}
	seen := map[string]bool{}
	for _, tag := range d.Tags {
		if !tagRE.MatchString(tag) || len(tag) > config.MaxTagLen || seen[tag] {
			return invalid("tags: %q is not a tag (1 to %d characters, no spaces, once)", tag, config.MaxTagLen)
		}
		seen[tag] = true
	}
	if k := d.Keywords; k != nil {
		for _, pr := range config.KeywordProblems(k.Failure, k.Success, k.Start) {
			if pr.Field == "" {
				if k.HTTPOff {
					continue // lists kept for Healthchecks' API, classifying nothing, may be empty
				}
				return invalid("keywords: %s", pr.Problem)
			}
			return invalid("keywords.%s: %s", pr.Field, pr.Problem)
		}
	}
	st := m.Running()
	for _, ch := range d.Notify {
		if _, ok := st.Channels[ch]; !ok {
			return invalid("notify: no channel named %q in the config", ch)
		}
	}
	if d.EscalationPolicy != "" && !hasPolicy(st.Config, d.EscalationPolicy) {
		return invalid("escalation_policy: no escalation policy named %q in the config", d.EscalationPolicy)
	}
	return nil
}

func hasPolicy(cfg *config.Config, name string) bool {
	for _, p := range cfg.EscalationPolicies {
		if p.Name == name {
			return true
		}
	}
	return false
}

// configOwned is the conflict of a change asked of a check that the
// config file defines.
func (m *Manager) configOwned(c *tocsin.Check) error {
	cfg := m.Running().Config
	for _, cc := range cfg.Checks {
		if cc.Name == c.Name {
			return tocsin.Errorf(tocsin.EConflict, "check %q is defined in the config file %s at line %d: change it there and reload",
				c.Name, cfg.File, cc.Line)
		}
	}
	return tocsin.Errorf(tocsin.EConflict, "check %q is defined in the config file %s: change it there and reload", c.Name, cfg.File)
}

// Create validates and stores a new check made by actor, with its audit
// entry, and returns it as saved. A name (or a UUID) that a check has is
// an EConflict error.
func (m *Manager) Create(ctx context.Context, d store.CheckDef, actor string) (*tocsin.Check, error) {
	if err := m.Validate(&d); err != nil {
		return nil, err
	}
	if d.FlapChanges == 0 && d.FlapWindow == 0 && d.FlapStable == 0 && d.ReopenAfter == 0 {
		// The config's check_defaults, as a config check that sets none takes.
		def := m.Running().Config.CheckDefaults
		d.FlapChanges, d.FlapWindow, d.FlapStable = def.Flap.Changes, def.Flap.Window.D(), def.Flap.Stable.D()
		d.ReopenAfter = def.ReopenAfter.D()
	}
	var c *tocsin.Check
	err := m.DB.Write(ctx, func(tx *store.Tx) error {
		if taken, err := tx.CheckNameTaken(ctx, d.Name); err != nil {
			return err
		} else if taken {
			return tocsin.Errorf(tocsin.EConflict, "a check named %q exists", d.Name)
		}
		if d.UUID != "" {
			if _, err := tx.CheckByUUID(ctx, d.UUID); err == nil {
				return tocsin.Errorf(tocsin.EConflict, "a check with uuid %s exists", d.UUID)
			}
		}
		uuid, err := tx.CreateCheck(ctx, d)
		if err != nil {
			return err
		}
		if c, err = tx.CheckByUUID(ctx, uuid); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "check.create", "check "+c.Name+" created", auditData(c))
	})
	if err != nil {
		return nil, err
	}
	m.Scheduled(c.ID, c.NextDeadline())
	return c, nil
}

// Update replaces the definition of the check uuid with d (its state and
// UUID kept) for actor, with its audit entry, and puts its new deadline in
// the engine's queue. A check of the config file is an EConflict error
// naming the file and line that define it.
func (m *Manager) Update(ctx context.Context, uuid string, d store.CheckDef, actor string) (*tocsin.Check, error) {
	if err := m.Validate(&d); err != nil {
		return nil, err
	}
	var c *tocsin.Check
	err := m.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := tx.CheckByUUID(ctx, uuid)
		if err != nil {
			return err
		}
		if old.ManagedBy == "config" {
			return m.configOwned(old)
		}
		if d.Name != old.Name {
			if taken, err := tx.CheckNameTaken(ctx, d.Name); err != nil {
				return err
			} else if taken {
				return tocsin.Errorf(tocsin.EConflict, "a check named %q exists", d.Name)
			}
		}
		if c, err = tx.UpdateCheck(ctx, old.ID, d); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "check.update", "check "+c.Name+" updated", auditData(c))
	})
	if err != nil {
		return nil, err
	}
	m.Scheduled(c.ID, c.NextDeadline())
	return c, nil
}

// deletedReason is how the open incident of a deleted check is resolved.
const deletedReason = "check deleted"

// Delete removes the check uuid for actor, with its audit entry, and
// resolves its open incident. It returns the check as it was. A check of
// the config file is an EConflict error naming the file and line.
func (m *Manager) Delete(ctx context.Context, uuid string, actor string) (*tocsin.Check, error) {
	var c *tocsin.Check
	err := m.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CheckByUUID(ctx, uuid); err != nil {
			return err
		}
		if c.ManagedBy == "config" {
			return m.configOwned(c)
		}
		in, err := tx.OpenIncidentForCheck(ctx, c.ID)
		if err != nil {
			return err
		}
		if in != nil {
			now := m.Clock.Now()
			if err := incident.Note(ctx, tx, in.ID, now, tocsin.TimelineCheckRemoved,
				fmt.Sprintf("Check %q was deleted (by %s)", c.Name, actor), map[string]any{"check": c.Name, "actor": actor}); err != nil {
				return err
			}
			if err := incident.ResolveAuto(ctx, tx, m.Running().Env, in.ID, now, deletedReason); err != nil {
				return err
			}
		}
		if err := tx.DeleteCheck(ctx, c.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "check.delete", "check "+c.Name+" deleted", auditData(c))
	})
	if err != nil {
		return nil, err
	}
	m.Scheduled(c.ID, time.Time{})
	return c, nil
}

func auditData(c *tocsin.Check) map[string]any {
	return map[string]any{"check_uuid": c.UUID, "name": c.Name, "slug": c.Slug,
		"schedule": map[string]any{"every": tocsin.FormatDuration(c.Spec.Every), "cron": c.Spec.Cron, "tz": c.Spec.TZ},
		"grace":    tocsin.FormatDuration(c.Grace), "notify": c.Notify, "tags": c.Tags}
}

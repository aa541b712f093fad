package checkadmin

import (
	"context"
	"sort"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// MaxProvisioned is the default of Manager.ProvisionLimit.
const MaxProvisioned = 1000

// provisionActor is who makes a check for a ping, in the audit log.
const provisionActor = "ping:create"

// Provision makes the check a ping by slug asks for with ?create=1, as
// Healthchecks does: named after its slug, expected daily with an hour's
// grace, notifying every channel of the config. It reports whether the
// check exists afterwards (false past the limit) and whether this
// call made it; a check another ping made meanwhile exists.
func (m *Manager) Provision(ctx context.Context, slug string) (exists, created bool, err error) {
	var n int
	if err := m.DB.Write(ctx, func(tx *store.Tx) (err error) { n, err = tx.CountAPIChecks(ctx); return err }); err != nil {
		return false, false, err
	}
	limit := m.ProvisionLimit
	if limit <= 0 {
		limit = MaxProvisioned
	}
	if n >= limit {
		return false, false, nil
	}
	channels := make([]string, 0, len(m.Running().Channels))
	for name := range m.Running().Channels {
		channels = append(channels, name)
	}
	sort.Strings(channels)
	d := store.CheckDef{Name: slug, Slug: slug, Spec: tocsin.ScheduleSpec{Every: 24 * time.Hour}, Grace: time.Hour,
		Notify: channels, AutoResolve: true}
	_, err = m.Create(ctx, d, provisionActor)
	switch {
	case tocsin.ErrorCode(err) == tocsin.EConflict:
		return true, false, nil // made by another ping meanwhile, or a check of this name has another slug
	case err != nil:
		return false, false, err
	}
	return true, true, nil
}

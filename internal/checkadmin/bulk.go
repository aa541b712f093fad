package checkadmin

import (
	"context"
	"fmt"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// MaxBulk is how many checks one CreateMany call takes.
const MaxBulk = 1000

// CreateMany validates and stores new checks made by actor, all or none,
// in one transaction with one audit entry, and returns them as saved, in
// order. An error names the definition by its index, as checks[3].name:
// EInvalid for a bad definition or two of them sharing a name or UUID,
// EConflict for a name or UUID that a check has.
func (m *Manager) CreateMany(ctx context.Context, defs []store.CheckDef, actor string) ([]*tocsin.Check, error) {
	switch {
	case len(defs) == 0:
		return nil, tocsin.Errorf(tocsin.EInvalid, "checks: give at least one check")
	case len(defs) > MaxBulk:
		return nil, tocsin.Errorf(tocsin.EInvalid, "checks: at most %d checks a request, got %d", MaxBulk, len(defs))
	}
	def := m.Running().Config.CheckDefaults
	names, uuids := make([]string, 0, len(defs)), make([]string, 0, len(defs))
	nameAt, uuidAt := make(map[string]int, len(defs)), make(map[string]int, len(defs))
	for i := range defs {
		d := &defs[i]
		if err := m.Validate(d); err != nil {
			return nil, at(i, err)
		}
		if _, err := m.DB.ParseSchedule(d.Spec); err != nil {
			return nil, tocsin.Errorf(tocsin.EInvalid, "checks[%d].schedule: %v", i, err)
		}
		if j, dup := nameAt[d.Name]; dup {
			return nil, tocsin.Errorf(tocsin.EInvalid, "checks[%d].name: %q is also the name of checks[%d]", i, d.Name, j)
		}
		nameAt[d.Name] = i
		names = append(names, d.Name)
		if d.UUID != "" {
			if j, dup := uuidAt[d.UUID]; dup {
				return nil, tocsin.Errorf(tocsin.EInvalid, "checks[%d].uuid: %s is also the uuid of checks[%d]", i, d.UUID, j)
			}
			uuidAt[d.UUID] = i
			uuids = append(uuids, d.UUID)
		}
		if d.FlapChanges == 0 && d.FlapWindow == 0 && d.FlapStable == 0 && d.ReopenAfter == 0 {
			d.FlapChanges, d.FlapWindow, d.FlapStable = def.Flap.Changes, def.Flap.Window.D(), def.Flap.Stable.D()
			d.ReopenAfter = def.ReopenAfter.D()
		}
	}
	var cs []*tocsin.Check
	err := m.DB.Write(ctx, func(tx *store.Tx) error {
		takenNames, takenUUIDs, err := tx.ChecksTaken(ctx, names, uuids)
		if err != nil {
			return err
		}
		for i, d := range defs {
			switch {
			case takenNames[d.Name]:
				return tocsin.Errorf(tocsin.EConflict, "checks[%d].name: a check named %q exists", i, d.Name)
			case takenUUIDs[d.UUID]:
				return tocsin.Errorf(tocsin.EConflict, "checks[%d].uuid: a check with uuid %s exists", i, d.UUID)
			}
		}
		made, err := tx.CreateChecks(ctx, defs)
		if err != nil {
			return err
		}
		byUUID, err := tx.ChecksByUUIDs(ctx, made)
		if err != nil {
			return err
		}
		cs = make([]*tocsin.Check, len(made))
		index := make(map[string]int, len(made))
		for i, u := range made {
			index[u] = i
		}
		for _, c := range byUUID {
			cs[index[c.UUID]] = c
		}
		created := make([]map[string]string, len(cs))
		for i, c := range cs {
			if c == nil {
				return fmt.Errorf("check %s not found after it was created", made[i])
			}
			created[i] = map[string]string{"check_uuid": c.UUID, "name": c.Name}
		}
		return tx.Audit(ctx, actor, "check.create_many", fmt.Sprintf("%d checks created", len(cs)), map[string]any{"checks": created})
	})
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		m.Scheduled(c.ID, c.NextDeadline())
	}
	return cs, nil
}

// at names definition i in the message of a validation error.
func at(i int, err error) error {
	return tocsin.Errorf(tocsin.ErrorCode(err), "checks[%d].%s", i, tocsin.ErrorMessage(err))
}

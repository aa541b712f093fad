package heartbeat

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Pause pauses c: it is not monitored until it is resumed or, unless it
// has manual_resume, pinged. A run in progress is forgotten.
func Pause(c *tocsin.Check) {
	c.Status = tocsin.StatePaused
	unwatch(c)
}

// Resume un-pauses c: it is new again, so that its next ping sets it up or
// down. A check that is not paused cannot be resumed (EConflict).
func Resume(c *tocsin.Check) error {
	if c.Status != tocsin.StatePaused {
		return tocsin.Errorf(tocsin.EConflict, "check is not paused")
	}
	c.Status = tocsin.StateNew
	unwatch(c)
	return nil
}

// unwatch forgets the run in progress of a check whose status a person set,
// and sets its deadline from that status.
func unwatch(c *tocsin.Check) {
	c.LastStartAt, c.LastStartRID = time.Time{}, ""
	c.AlertAfter = c.GoesDownAt()
}

// SetPaused pauses (pause) or resumes the check uuid in tx, saves it and
// records in the audit log that actor did. It returns the check as saved.
func SetPaused(ctx context.Context, tx *store.Tx, uuid string, pause bool, actor string) (*tocsin.Check, error) {
	c, err := tx.CheckByUUID(ctx, uuid)
	if err != nil {
		return nil, err
	}
	from := c.Status
	action := "check.pause"
	if pause {
		Pause(c)
	} else if err := Resume(c); err != nil {
		return nil, err
	} else {
		action = "check.resume"
	}
	if err := tx.SaveCheckState(ctx, c); err != nil {
		return nil, err
	}
	if err := tx.Audit(ctx, actor, action, c.Name+": "+string(from)+" -> "+string(c.Status),
		map[string]string{"check_uuid": c.UUID}); err != nil {
		return nil, err
	}
	return c, nil
}

package incident

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Down is a check that went down, and what decided it (see CheckDown).
type Down struct {
	Check  *tocsin.Check
	Reason string
	Data   any
}

// ChecksDown is CheckDown for each of downs, in one transaction, and
// returns the incident of each. A round of the engine has hundreds when
// a wave of checks misses its deadlines together, and on PostgreSQL each
// statement is a round trip: the checks' open and latest incidents are
// read in one query each, and the incidents opened, the timeline entries
// and the notifications written in one statement each.
func ChecksDown(ctx context.Context, tx *store.Tx, env Env, now time.Time, downs []Down) ([]*tocsin.Incident, error) {
	ids := make([]int64, len(downs))
	for i, d := range downs {
		ids[i] = d.Check.ID
	}
	open, err := tx.OpenIncidentsForChecks(ctx, ids)
	if err != nil {
		return nil, err
	}
	// A flap-damped check down again within its flap window re-opens its
	// latest incident, if its recovery resolved it.
	var flapIDs []int64
	for _, d := range downs {
		if c := d.Check; c.FlapChanges > 0 && open[c.ID] == nil && len(c.Changes) >= 2 {
			flapIDs = append(flapIDs, c.ID)
		}
	}
	last, err := tx.LastIncidentsForChecks(ctx, flapIDs)
	if err != nil {
		return nil, err
	}
	out := make([]*tocsin.Incident, len(downs))
	var w writes
	type opened struct {
		i     int // in downs
		o     *opening
		began bool
	}
	var opens []opened
	var ins []*tocsin.Incident
	for i, d := range downs {
		c, reason, data := d.Check, d.Reason, d.Data
		began := c.FlapChanges > 0 && beganFlapping(c)
		in := open[c.ID]
		switch {
		case in != nil && began:
			w.note(flapBegan(in, c, now, "down: "+reason, data))
		case in != nil && c.FlapChanges > 0 && c.Flapping():
			if e := flapChange(in, c, now, "down: "+reason, data); e != nil {
				w.note(e)
			}
		case in != nil:
			w.note(downAgain(in, c, now, reason, data))
		case c.FlapChanges > 0 && recentlyRecovered(c, last[c.ID]):
			in = last[c.ID]
			why := fmt.Sprintf("%s is down again %s after it recovered: %s", c.Name,
				now.Sub(in.ResolvedAt).Round(time.Second), reason)
			if err := reopen(ctx, tx, env, in, c, now, why, data); err != nil {
				return nil, err
			}
			if began {
				w.note(flapBegan(in, c, now, "down: "+reason, data))
			}
		default:
			o, err := newOpening(ctx, tx, env, c, now, reason, data)
			if err != nil {
				return nil, err
			}
			opens, ins, in = append(opens, opened{i, o, began}), append(ins, o.in), o.in
		}
		out[i] = in
	}
	if err := tx.CreateIncidents(ctx, ins); err != nil {
		return nil, err
	}
	for _, op := range opens {
		if err := op.o.write(&w, tx, env, now); err != nil {
			return nil, err
		}
		if op.began {
			d := downs[op.i]
			w.note(flapBegan(op.o.in, d.Check, now, "down: "+d.Reason, d.Data))
		}
	}
	return out, w.flush(ctx, tx)
}

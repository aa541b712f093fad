package escalation

import (
	"context"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/store"
)

// JobName names the stage's job in logs, the watchdog and metrics.
const JobName = "escalation"

// stepsPerRun bounds the steps one run takes, so that a backlog cannot hold
// the single writer for long; the rest waits for the next run, which comes
// at once.
const stepsPerRun = 100

// lookEvery is how often the stage looks for steps on a shared database,
// where other replicas schedule them unseen.
const lookEvery = time.Second

// Stage pages the escalation steps that are due, of every incident: an
// alert incident nobody acknowledged in time, a check incident whose
// first level is due. Whoever schedules a step (sets an incident's
// EscalateAt) tells the Bus job.Paging, which wakes the stage; between
// wakes it sleeps until the earliest step it knows of.
type Stage struct {
	db      *store.DB
	running func() (incident.Env, *Directory)
	bus     *job.Bus
	wake    *job.Wake
	shared  bool
}

// NewStage makes the stage. running gives, at each run, the incident
// environment and the directory of the running config; bus hears
// job.Queued when a run queued pages.
func NewStage(db *store.DB, running func() (incident.Env, *Directory), bus *job.Bus) *Stage {
	return &Stage{db: db, running: running, bus: bus, wake: job.NewWake(), shared: db.Shared()}
}

// Wake is what wakes the stage: subscribe it to job.Paging.
func (s *Stage) Wake() *job.Wake { return s.wake }

// Job is the stage as a job, run by the replica that leads the engine.
func (s *Stage) Job() job.Job {
	return job.Job{Name: JobName, Leader: true, Wake: s.wake, Run: s.Run}
}

// Run pages the steps due at now and returns when the next one is due.
func (s *Stage) Run(ctx context.Context, now time.Time) (time.Time, error) {
	// Look before taking the single writer: a wake for a step scheduled
	// later (or already taken by a run just before) costs a read only.
	if next, err := s.db.NextEscalateAt(ctx); err != nil {
		return time.Time{}, err
	} else if next.IsZero() || next.After(now) {
		return s.look(now, next), nil
	}
	env, dir := s.running()
	if dir == nil {
		dir = &Directory{}
	}
	stepped := 0
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		stepped = 0
		due, err := tx.IncidentsToEscalate(ctx, now, stepsPerRun)
		if err != nil {
			return err
		}
		for _, in := range due {
			if err := s.step(ctx, tx, env, dir, in, now); err != nil {
				return err
			}
		}
		stepped = len(due)
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	if stepped > 0 {
		s.bus.Notify(job.Queued)
	}
	if stepped == stepsPerRun {
		s.wake.Poke() // more are due: the next run comes at once
	}
	next, err := s.db.NextEscalateAt(ctx)
	if err != nil {
		return time.Time{}, err
	}
	return s.look(now, next), nil
}

// look is when the stage runs next, its next step being due at next (zero:
// none). Steps scheduled by the other replicas (an alert or a ping they
// took, an acknowledgement they served) reach no bus of this process: on a
// shared database the stage also looks every second.
func (s *Stage) look(now, next time.Time) time.Time {
	if look := now.Add(lookEvery); s.shared && (next.IsZero() || next.After(look)) {
		return look
	}
	return next
}

// step pages the next level of an incident nobody acknowledged in time,
// with its firing alerts (if it is an alert incident) as evidence.
func (s *Stage) step(ctx context.Context, tx *store.Tx, env incident.Env, dir *Directory, in *tocsin.Incident, now time.Time) error {
	members, err := tx.AlertsOfIncident(ctx, in.ID)
	if err != nil {
		return err
	}
	var firing []*tocsin.AlertRecord
	for _, m := range members {
		if m.Suppressed == "" && m.Status != tocsin.AlertResolved {
			firing = append(firing, m)
		}
	}
	reason := "not acknowledged in time"
	if in.EscalationStep == 0 {
		reason = in.Title // a check's incident: its first level
	}
	return Step(ctx, tx, env, dir, in, now, reason, incident.AlertEvidence(firing))
}

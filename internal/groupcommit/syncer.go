package groupcommit

import (
	"log/slog"

	"github.com/tocsinhq/tocsin/internal/collect"
)

// Syncer answers for batches a writer committed without waiting for the
// disk (store.DB.WriteUnsynced), once a sync has made them durable. The
// writer hands each batch's answers to After and goes on to its next
// batch while the disk syncs the last; the batches committed meanwhile
// share the next sync. Answers run in the order they were handed over,
// each after a sync that began after its batch committed.
type Syncer struct {
	sync    func() error
	log     *slog.Logger
	answers chan func(error)
	done    chan struct{}
}

// syncerDepth bounds the committed batches waiting for a sync: past it a
// writer ahead of a slow disk waits in After, as it would have waited in
// its commit.
const syncerDepth = 64

// NewSyncer makes a syncer that makes commits durable with sync
// (store.DB.Sync); Run must run for After to return.
func NewSyncer(sync func() error, log *slog.Logger) *Syncer {
	return &Syncer{sync: sync, log: log, answers: make(chan func(error), syncerDepth), done: make(chan struct{})}
}

// After runs answer once what its caller committed so far is durable,
// with the sync's error if it failed: the transaction stays committed, but
// may be lost to a crash of the machine, so its senders hear an error and
// retry.
func (s *Syncer) After(answer func(error)) { s.answers <- answer }

// Run syncs and answers until Stop.
func (s *Syncer) Run() {
	defer close(s.done)
	batch := make([]func(error), 0, syncerDepth)
	for first := range s.answers {
		batch = collect.Ready(s.answers, append(batch[:0], first), syncerDepth)
		err := s.sync()
		if err != nil {
			s.log.Error("sync the database", "err", err, "batches", len(batch))
		}
		for _, answer := range batch {
			answer(err)
		}
		clear(batch)
	}
}

// Stop answers what After was given, after one last sync, and returns once
// Run has. The writer calls it after its last After.
func (s *Syncer) Stop() {
	close(s.answers)
	<-s.done
}

package groupcommit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Timeout bounds the transactions of one batch: a stuck disk must not hold
// the writer forever, and the senders retry.
const Timeout = 30 * time.Second

// Bounded returns the context a batch's transactions run under: ctx's
// values, not its end (a batch taken is finished, then the writer stops),
// and a deadline of Timeout.
func Bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), Timeout)
}

// BusyRetry is the pause between attempts while another connection holds
// SQLite's write lock (each attempt itself waits out the busy timeout).
const BusyRetry = 250 * time.Millisecond

// Writer runs the transactions of a batch.
type Writer struct {
	DB    *store.DB
	Clock clock.Clock
	Log   *slog.Logger
}

// Write runs fn in one transaction under ctx. While another connection
// holds SQLite's write lock it tries again, BusyRetry apart, as long as
// waiting reports that a sender still waits and ctx has not ended: a short
// lock delays requests instead of failing them. what names the work in
// the log.
func (w Writer) Write(ctx context.Context, what string, waiting func() bool, fn func(*store.Tx) error) error {
	err := w.DB.Write(ctx, fn)
	for store.IsBusy(err) && waiting() {
		w.Log.Warn(what+": the database is locked by another connection; trying again", "err", err)
		if !clock.Sleep(ctx, w.Clock, BusyRetry) {
			break
		}
		err = w.DB.Write(ctx, fn)
	}
	return err
}

// Splittable reports whether a batch that failed with err is worth trying
// request by request: not when the database was locked or the write ran
// out of time, which every request alone would meet again.
func Splittable(err error) bool {
	return !store.IsBusy(err) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}

// Split tries the items of a failed batch one at a time, so that one the
// database refuses fails alone and its neighbours are stored. try commits
// one item and returns an error only when the failure was not the item's
// own (the database is gone, the write timed out): the items left then
// get that error through fail without being tried, so that a dead
// database is not asked hundreds of times.
func Split[T any](items []T, try func(T) error, fail func(T, error)) {
	var down error
	for _, it := range items {
		if down != nil {
			fail(it, down)
			continue
		}
		down = try(it)
	}
}

package alerting

import (
	"context"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// isolate handles a delivery committed alone that failed with err. When
// the database refused the content of a row (store.IsInvalidData), the
// delivery's alerts are committed one by one, so that the alerts beside a
// bad one are stored and paged, and the delivery's sender hears EInvalid
// naming the alert refused: retrying would meet the same refusal forever.
// It reports whether it answered r; other errors are left to the caller.
func (p *Processor) isolate(ctx context.Context, r *pending, err error) bool {
	if !store.IsInvalidData(err) {
		return false
	}
	if len(r.d.Alerts) == 1 {
		p.log.Warn("alert refused by the database", "integration", r.d.Integration, "err", err)
		r.out, r.err = Outcome{}, tocsin.Errorf(tocsin.EInvalid, "alert not stored: the database refused it: %s",
			store.InvalidDataMessage(err))
		close(r.done)
		return true
	}
	p.log.Warn("alert delivery refused by the database; committing its alerts one by one", "integration", r.d.Integration,
		"alerts", len(r.d.Alerts), "err", err)
	var out Outcome
	var first error
	for i := range r.d.Alerts {
		one := &pending{d: Delivery{Integration: r.d.Integration, Service: r.d.Service, Alerts: r.d.Alerts[i : i+1]},
			hashes: r.hashes[i : i+1], done: make(chan struct{})}
		if r.encoded != nil {
			one.encoded = r.encoded[i : i+1]
		}
		p.commit(ctx, []*pending{one})
		out.add(one.out)
		switch {
		case one.err == nil:
		case tocsin.ErrorCode(one.err) == tocsin.EInvalid:
			if first == nil {
				first = tocsin.Errorf(tocsin.EInvalid, "alerts[%d]: %s", i, tocsin.ErrorMessage(one.err))
			}
		default:
			// The database failed for a reason not the alert's own: the
			// sender retries the whole delivery, which updates what is
			// stored already rather than duplicating it.
			r.out, r.err = Outcome{}, one.err
			close(r.done)
			return true
		}
	}
	r.out, r.err = out, first
	close(r.done)
	return true
}

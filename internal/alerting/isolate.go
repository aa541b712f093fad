package alerting

import (
	"context"
	"fmt"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/store"
)

// isolate handles a chunk of one delivery, committed alone, that failed
// with err. When the database refused the content of a row
// (store.IsInvalidData), the chunk's alerts are committed one by one, so
// that the alerts beside a bad one are stored and paged, and the
// delivery's sender hears EInvalid naming the alert refused: retrying
// would meet the same refusal forever. The delivery's later chunks go on.
// It reports whether it handled the failure; other errors are left to
// the caller.
func (p *Processor) isolate(ctx context.Context, s *span, err error) bool {
	if !store.IsInvalidData(err) {
		return false
	}
	r := s.r
	refused := func(i int, msg string) {
		if r.refused != nil {
			return
		}
		if len(r.d.Alerts) > 1 {
			msg = fmt.Sprintf("alerts[%d]: %s", i, msg)
		}
		r.refused = tocsin.Errorf(tocsin.EInvalid, "%s", msg)
	}
	if s.hi-s.lo == 1 {
		p.log.Warn("alert refused by the database", "integration", r.d.Integration, "err", err)
		refused(s.lo, "alert not stored: the database refused it: "+store.InvalidDataMessage(err))
		if !s.more() {
			p.noteJoins(ctx, r)
		}
		return true
	}
	p.log.Warn("alert delivery refused by the database; committing its alerts one by one", "integration", r.d.Integration,
		"alerts", s.hi-s.lo, "err", err)
	for i := s.lo; i < s.hi; i++ {
		one := &pending{d: Delivery{Integration: r.d.Integration, Service: r.d.Service, Alerts: r.d.Alerts[i : i+1]},
			hashes: r.hashes[i : i+1]}
		if r.encoded != nil {
			one.encoded = r.encoded[i : i+1]
		}
		c := groupcommit.NewCall(s.c.Ctx, one)
		p.commit(ctx, []*call{c})
		switch {
		case c.Err == nil:
			r.out.add(one.out)
		case tocsin.ErrorCode(c.Err) == tocsin.EInvalid:
			refused(i, tocsin.ErrorMessage(c.Err))
		default:
			// The database failed for a reason not the alert's own: the
			// sender retries the whole delivery, which updates what is
			// stored already rather than duplicating it.
			s.c.Err = c.Err
			p.noteJoins(ctx, r)
			return true
		}
	}
	if !s.more() {
		p.noteJoins(ctx, r)
	}
	return true
}

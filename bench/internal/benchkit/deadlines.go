package benchkit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Receiver is a webhook receiver on 127.0.0.1 that keeps, for each
// incident.triggered notification it is sent (once per idempotency key),
// when it arrived.
type Receiver struct {
	URL      string
	arrivals chan arrival
	srv      *http.Server
}

type arrival struct {
	at  time.Time
	ev  incident.Event
	err error
}

// NewReceiver starts a receiver that holds up to buffer notifications
// not yet collected.
func NewReceiver(buffer int) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + ln.Addr().String() + "/hook", arrivals: make(chan arrival, buffer)}
	var mu sync.Mutex
	seen := map[string]bool{}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		var ev incident.Event
		if err == nil {
			err = json.Unmarshal(body, &ev)
		}
		w.WriteHeader(http.StatusNoContent)
		if err == nil && ev.Event != tocsin.EventTriggered {
			return
		}
		mu.Lock()
		dup := err == nil && seen[ev.IdempotencyKey]
		seen[ev.IdempotencyKey] = true
		mu.Unlock()
		if !dup {
			r.arrivals <- arrival{at: at, ev: ev, err: err}
		}
	}), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// Close stops the receiver.
func (r *Receiver) Close() { r.srv.Close() }

// Wave is how late the pages of one wave of checks came.
type Wave struct {
	// Latency is arrival - (last_ping_at + late): deadline to webhook.
	Latency []time.Duration
	// Lag is when the incident opened, after the deadline: the engine's part.
	Lag []time.Duration
	// Send is arrival - the incident's opening: outbox and delivery.
	Send []time.Duration
}

// Collect waits for n incident.triggered notifications of checks that go
// down late after their last ping (every + grace), or until timeout, and
// returns their latencies.
func (r *Receiver) Collect(n int, late, timeout time.Duration) (Wave, error) {
	var w Wave
	t := time.NewTimer(timeout)
	defer t.Stop()
	for len(w.Latency) < n {
		select {
		case a := <-r.arrivals:
			if a.err != nil {
				return w, fmt.Errorf("bad webhook: %w", a.err)
			}
			if a.ev.Check == nil || a.ev.Check.LastPingAt == nil {
				return w, fmt.Errorf("webhook without check.last_ping_at: %+v", a.ev)
			}
			deadline := a.ev.Check.LastPingAt.Add(late)
			w.Latency = append(w.Latency, a.at.Sub(deadline))
			w.Lag = append(w.Lag, a.ev.OccurredAt.Sub(deadline))
			w.Send = append(w.Send, a.at.Sub(a.ev.OccurredAt))
		case <-t.C:
			return w, nil
		}
	}
	return w, nil
}

// Row is the wave's line of the latency table WaveHeader starts.
func (w Wave) Row(label string, checks int, burst time.Duration) string {
	return fmt.Sprintf("| %s | %d | %s | %d | %s | %s | %s | %s / %s | %s / %s |\n", label, checks, Ms(burst), len(w.Latency),
		Ms(Percentile(w.Latency, 50)), Ms(Percentile(w.Latency, 99)), Ms(Percentile(w.Latency, 100)),
		Ms(Percentile(w.Lag, 50)), Ms(Percentile(w.Lag, 99)), Ms(Percentile(w.Send, 50)), Ms(Percentile(w.Send, 99)))
}

// WaveHeader starts the Markdown table of Wave rows.
const WaveHeader = "| wave | checks | burst | webhooks | p50 | p99 | max | engine lag p50 / p99 | queue+send p50 / p99 |\n" +
	"|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"

// BulkCheck is a check as POST /api/v1/checks/bulk takes it.
type BulkCheck struct {
	UUID     string            `json:"uuid"`
	Name     string            `json:"name"`
	Schedule map[string]string `json:"schedule"`
	Grace    string            `json:"grace"`
	Notify   []string          `json:"notify,omitempty"`
}

// BulkChecks returns n checks named prefix-0000001..., each with a fresh
// UUID, period every and the given grace and channels.
func BulkChecks(prefix string, n int, every, grace time.Duration, notify []string) []BulkCheck {
	out := make([]BulkCheck, n)
	for i := range out {
		out[i] = BulkCheck{UUID: store.NewUUID(), Name: fmt.Sprintf("%s-%07d", prefix, i+1),
			Schedule: map[string]string{"every": every.String()}, Grace: grace.String(), Notify: notify}
	}
	return out
}

// CreateBulk makes checks through POST /api/v1/checks/bulk on the server
// at base, batch checks a request, from conc connections, with the bearer
// token. It returns the first failure, if any.
func CreateBulk(ctx context.Context, base, token string, checks []BulkCheck, batch, conc int) error {
	n := (len(checks) + batch - 1) / batch
	bodies := make([][]byte, n)
	for i := range bodies {
		b, err := json.Marshal(map[string]any{"checks": checks[i*batch : min((i+1)*batch, len(checks))]})
		if err != nil {
			return err
		}
		bodies[i] = b
	}
	res := Once(ctx, func(i int64) Request {
		return Request{Method: http.MethodPost, URL: base + "/api/v1/checks/bulk", ContentType: "application/json",
			Body: bodies[i], Header: http.Header{"Authorization": {"Bearer " + token}}}
	}, n, conc)
	if res.Failed > 0 {
		return fmt.Errorf("%d of %d bulk requests failed: %s", res.Failed, n, strings.TrimSpace(res.FirstError))
	}
	return nil
}

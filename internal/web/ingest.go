package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/ingest"
	"github.com/tocsinhq/tocsin/internal/runtime"
)

// Alerts takes accepted alerts and returns once they are committed.
type Alerts interface {
	Ingest(ctx context.Context, d alerting.Delivery) (alerting.Outcome, error)
}

// ingestTimeout bounds the wait for a delivery's commit.
const ingestTimeout = 30 * time.Second

// receiveAlerts serves one alert format (see package ingest): Alertmanager's
// and Grafana's webhooks and the generic form at /ingest/<kind>/{key}, PagerDuty's Events
// API v2 at /v2/enqueue, whose routing key in the body names the
// integration.
func (s *Server) receiveAlerts(kind ingest.Kind) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &codeRecorder{ResponseWriter: w}
		defer func() { s.Metrics.AlertReqs.WithLabelValues(string(kind), strconv.Itoa(rec.code)).Inc() }()
		in := runtime.Integration{Type: string(kind)}
		var ok bool
		// A key in the URL is checked before the body is read.
		if !kind.KeyInBody() {
			if in, ok = s.integration(kind, r.PathValue("key")); !ok {
				kind.Refuse(rec, ingest.ErrUnknownKey)
				return
			}
		}
		d, err := ingest.Decode(rec, r, kind)
		if err != nil {
			if !kind.Refuse(rec, err) {
				s.ingestFailed(rec, kind, in, err)
			}
			return
		}
		if kind.KeyInBody() {
			if in, ok = s.integration(kind, d.RoutingKey); !ok {
				kind.Refuse(rec, ingest.ErrUnknownKey)
				return
			}
		}
		out, err := s.ingest(r, in, kind, d.Alerts)
		if err != nil {
			s.ingestFailed(rec, kind, in, err)
			return
		}
		// The answer's counts are the processor's outcome, field for field.
		kind.Accept(rec, d, ingest.Stored(out))
	})
}

// integration finds the integration of key, if it is of the given kind.
func (s *Server) integration(kind ingest.Kind, key string) (runtime.Integration, bool) {
	in, ok := s.Snapshots.Load().Integration(key)
	return in, ok && in.Type == string(kind)
}

// ingest hands alerts to the processor and waits for the commit.
func (s *Server) ingest(r *http.Request, in runtime.Integration, kind ingest.Kind, alerts []tocsin.Alert) (alerting.Outcome, error) {
	ctx, cancel := context.WithTimeout(r.Context(), ingestTimeout)
	defer cancel()
	return s.Alerts.Ingest(ctx, alerting.Delivery{Integration: in.Name, Service: in.Service, Alerts: alerts,
		DropUnknown: kind.DropsUnknown()})
}

// ingestFailed answers a delivery that could not be read or stored: 503,
// so that the sender retries, unless the database refused an alert's
// content (EInvalid): then a refusal with the reason, since a retry would
// be refused the same way; the delivery's other alerts are stored. The log
// names the integration, never the path: it holds the key.
func (s *Server) ingestFailed(w http.ResponseWriter, kind ingest.Kind, in runtime.Integration, err error) {
	if tocsin.ErrorCode(err) == tocsin.EInvalid {
		s.Log.Warn("alerts refused", "integration", in.Name, "type", in.Type, "err", err)
		kind.Refuse(w, err)
		return
	}
	s.Log.Error("alert ingestion failed", "integration", in.Name, "type", in.Type, "err", err)
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "alerts not stored; retry"})
}

// codeRecorder remembers the status written, for metrics.
type codeRecorder struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController (and MaxBytesReader) reach the
// connection.
func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codeRecorder) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

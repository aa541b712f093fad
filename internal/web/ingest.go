package web

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/ingest/alertmanager"
	"github.com/tocsinhq/tocsin/internal/ingest/generic"
	"github.com/tocsinhq/tocsin/internal/ingest/pagerduty"
	"github.com/tocsinhq/tocsin/internal/runtime"
)

// Alerts takes accepted alerts and returns once they are committed.
type Alerts interface {
	Ingest(ctx context.Context, d alerting.Delivery) (alerting.Outcome, error)
}

// Ingestion limits. Alertmanager sends every alert of a group in one body,
// so its limit is the largest.
const (
	alertmanagerLimit = 8 << 20
	genericLimit      = 1 << 20
	pagerdutyLimit    = pagerduty.DefaultLimit
	ingestTimeout     = 30 * time.Second
)

// alertmanagerWebhook receives Alertmanager's webhook (payload version 4);
// the integration key is the last path segment.
func (s *Server) alertmanagerWebhook(w http.ResponseWriter, r *http.Request) {
	rec := &codeRecorder{ResponseWriter: w}
	defer func() { s.Metrics.AlertReqs.WithLabelValues("alertmanager", strconv.Itoa(rec.code)).Inc() }()
	in, ok := s.keyedIntegration(rec, r, "alertmanager")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, alertmanagerLimit)
	_, alerts, err := alertmanager.Parse(r.Body, alertmanagerLimit)
	if err != nil {
		s.rejectBody(rec, in, err)
		return
	}
	out, err := s.ingest(r, in, alerts)
	if err != nil {
		s.ingestFailed(rec, in, err)
		return
	}
	writeJSON(rec, http.StatusOK, ingestAnswer("success", len(alerts), out))
}

// genericWebhook receives Tocsin's generic alert form (see package generic).
func (s *Server) genericWebhook(w http.ResponseWriter, r *http.Request) {
	rec := &codeRecorder{ResponseWriter: w}
	defer func() { s.Metrics.AlertReqs.WithLabelValues("generic", strconv.Itoa(rec.code)).Inc() }()
	in, ok := s.keyedIntegration(rec, r, "generic")
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, genericLimit)
	alerts, err := generic.Parse(r.Body, genericLimit)
	if err != nil {
		s.rejectBody(rec, in, err)
		return
	}
	out, err := s.ingest(r, in, alerts)
	if err != nil {
		s.ingestFailed(rec, in, err)
		return
	}
	answer := ingestAnswer("accepted", len(alerts), out)
	keys := make([]string, len(alerts))
	for i, a := range alerts {
		keys[i] = a.Key
	}
	answer["keys"] = keys
	writeJSON(rec, http.StatusAccepted, answer)
}

// pagerdutyEnqueue is PagerDuty's Events API v2: the routing key in the
// body names the integration, and the answers are PagerDuty's.
func (s *Server) pagerdutyEnqueue(w http.ResponseWriter, r *http.Request) {
	rec := &codeRecorder{ResponseWriter: w}
	defer func() { s.Metrics.AlertReqs.WithLabelValues("pagerduty", strconv.Itoa(rec.code)).Inc() }()
	if !isJSON(r) {
		pagerduty.Invalid(rec, []string{"Content-Type must be application/json"})
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, pagerdutyLimit)
	ev, err := pagerduty.Parse(r.Body, pagerdutyLimit)
	var invalid *pagerduty.InvalidError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &invalid):
		pagerduty.Invalid(rec, invalid.Errors)
		return
	case errors.As(err, &tooBig):
		pagerduty.Invalid(rec, []string{"Event is too large (should be at most " + strconv.Itoa(pagerdutyLimit) + " bytes)"})
		return
	case err != nil:
		s.ingestFailed(rec, runtime.Integration{Type: "pagerduty"}, err)
		return
	}
	in, ok := s.Snapshots.Load().Integration(ev.RoutingKey)
	if !ok || in.Type != "pagerduty" {
		pagerduty.Invalid(rec, []string{"Invalid routing key"})
		return
	}
	alert := ev.Alert(nil)
	if _, err := s.ingest(r, in, []tocsin.Alert{alert}); err != nil {
		if tocsin.ErrorCode(err) == tocsin.EInvalid {
			pagerduty.Invalid(rec, []string{tocsin.ErrorMessage(err)})
			return
		}
		s.ingestFailed(rec, in, err)
		return
	}
	pagerduty.Accepted(rec, alert.Key)
}

// keyedIntegration finds the integration of the key in the path, of the type
// the endpoint serves, after checking the content type.
func (s *Server) keyedIntegration(w http.ResponseWriter, r *http.Request, typ string) (runtime.Integration, bool) {
	in, ok := s.Snapshots.Load().Integration(r.PathValue("key"))
	if !ok || in.Type != typ {
		writeError(w, tocsin.Errorf(tocsin.ENotFound, "no %s integration has this key", typ))
		return runtime.Integration{}, false
	}
	if !isJSON(r) {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "Content-Type must be application/json"})
		return runtime.Integration{}, false
	}
	return in, true
}

func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// rejectBody answers a body the parser refused: too large is 413, the
// rest 400 with the parser's message.
func (s *Server) rejectBody(w http.ResponseWriter, in runtime.Integration, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, generic.ErrTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
	case tocsin.ErrorCode(err) == tocsin.EInvalid:
		writeError(w, err)
	default:
		s.ingestFailed(w, in, err)
	}
}

// ingest hands alerts to the processor and waits for the commit.
func (s *Server) ingest(r *http.Request, in runtime.Integration, alerts []tocsin.Alert) (alerting.Outcome, error) {
	ctx, cancel := context.WithTimeout(r.Context(), ingestTimeout)
	defer cancel()
	return s.Alerts.Ingest(ctx, alerting.Delivery{Integration: in.Name, Service: in.Service, Alerts: alerts})
}

// ingestFailed answers a delivery that could not be read or stored: 503,
// so that the sender retries, unless the database refused an alert's
// content (EInvalid): then 400 with the reason, since a retry would be
// refused the same way; the delivery's other alerts are stored. The log
// names the integration, never the path: it holds the key.
func (s *Server) ingestFailed(w http.ResponseWriter, in runtime.Integration, err error) {
	if tocsin.ErrorCode(err) == tocsin.EInvalid {
		s.Log.Warn("alerts refused", "integration", in.Name, "type", in.Type, "err", err)
		writeError(w, err)
		return
	}
	s.Log.Error("alert ingestion failed", "integration", in.Name, "type", in.Type, "err", err)
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "alerts not stored; retry"})
}

func ingestAnswer(status string, n int, out alerting.Outcome) map[string]any {
	return map[string]any{"status": status, "alerts": n, "new": out.New, "updated": out.Updated, "resolved": out.Resolved,
		"silenced": out.Silenced, "inhibited": out.Inhibited}
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

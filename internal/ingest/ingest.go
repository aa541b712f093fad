// Package ingest reads the alert formats Tocsin accepts over HTTP and
// answers their senders in each format's own words: Prometheus
// Alertmanager's webhook, Grafana's webhook contact point, PagerDuty's
// Events API v2 and Tocsin's generic form. Decode is the one way in; each
// format's parser lives in its own package below this one (alertmanager,
// grafana, pagerduty, generic). The ping API,
// which carries no alerts, is package ping.
package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/ingest/alertmanager"
	"github.com/tocsinhq/tocsin/internal/ingest/generic"
	"github.com/tocsinhq/tocsin/internal/ingest/grafana"
	"github.com/tocsinhq/tocsin/internal/ingest/pagerduty"
)

// Kind is an alert format, named as an integration's type in the config.
type Kind string

// The alert formats.
const (
	Alertmanager Kind = "alertmanager"
	Grafana      Kind = "grafana"
	PagerDuty    Kind = "pagerduty"
	Generic      Kind = "generic"
)

// Body limits. Alertmanager (and Grafana, which speaks its webhook) sends
// every alert of a group in one body, so its limit is the largest.
const (
	alertmanagerLimit = 8 << 20
	genericLimit      = 1 << 20
	pagerdutyLimit    = pagerduty.DefaultLimit
)

// Limit is the largest body of this kind that Decode reads.
func (k Kind) Limit() int64 {
	switch k {
	case Alertmanager, Grafana:
		return alertmanagerLimit
	case PagerDuty:
		return pagerdutyLimit
	}
	return genericLimit
}

// KeyInBody reports whether a request of this kind names its integration
// in the body (PagerDuty's routing_key) rather than in the URL.
func (k Kind) KeyInBody() bool { return k == PagerDuty }

// DropsUnknown reports whether an acknowledge or resolve of a key never
// seen firing is dropped rather than kept for the record: PagerDuty drops
// them, and answers them like any other event.
func (k Kind) DropsUnknown() bool { return k == PagerDuty }

// Refusals that come before the body is decoded; Refuse words them.
var (
	// ErrUnknownKey: no integration of the kind has the key.
	ErrUnknownKey = errors.New("unknown integration key")
	// ErrNotJSON: the request does not say its body is JSON.
	ErrNotJSON = errors.New("content type is not application/json")
)

// Delivery is one request's body, decoded.
type Delivery struct {
	Kind Kind
	// RoutingKey is the integration key a PagerDuty event carries; empty
	// for the kinds whose key is in the URL.
	RoutingKey string
	Alerts     []tocsin.Alert
}

// Decode reads the body of r as kind k: it checks that the body is JSON,
// caps it at k.Limit() bytes (w is told to close the connection past
// that) and parses it. An error Refuse answers is the request's fault; any
// other (the body could not be read) is Tocsin's.
func Decode(w http.ResponseWriter, r *http.Request, k Kind) (Delivery, error) {
	d := Delivery{Kind: k}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return d, ErrNotJSON
	}
	body := http.MaxBytesReader(w, r.Body, k.Limit())
	var err error
	switch k {
	case Alertmanager:
		_, d.Alerts, err = alertmanager.Parse(body, k.Limit())
	case Grafana:
		_, _, d.Alerts, err = grafana.Parse(body, k.Limit())
	case Generic:
		d.Alerts, err = generic.Parse(body, k.Limit())
	case PagerDuty:
		var ev *pagerduty.Event
		if ev, err = pagerduty.Parse(body, k.Limit()); err == nil {
			d.RoutingKey, d.Alerts = ev.RoutingKey, []tocsin.Alert{ev.Alert(nil)}
		}
	default:
		err = fmt.Errorf("decode alerts: unknown kind %q", k)
	}
	return d, err
}

// Stored says what became of a delivery's alerts, as its answer tells the
// sender.
type Stored struct {
	New, Updated, Resolved, Silenced, Inhibited, Dropped int
}

// Accept answers a delivery whose alerts are stored: Alertmanager and
// Grafana hear 200, the generic form 202 with the alerts' keys, PagerDuty its own
// answer with the dedup key.
func (k Kind) Accept(w http.ResponseWriter, d Delivery, st Stored) {
	answer := map[string]any{"alerts": len(d.Alerts), "new": st.New, "updated": st.Updated, "resolved": st.Resolved,
		"silenced": st.Silenced, "inhibited": st.Inhibited}
	switch k {
	case PagerDuty:
		pagerduty.Accepted(w, d.Alerts[0].Key)
	case Generic:
		keys := make([]string, len(d.Alerts))
		for i, a := range d.Alerts {
			keys[i] = a.Key
		}
		answer["status"], answer["keys"] = "accepted", keys
		writeJSON(w, http.StatusAccepted, answer)
	default:
		answer["status"] = "success"
		writeJSON(w, http.StatusOK, answer)
	}
}

// Refuse answers a request refused for what it holds, and reports whether
// err was such a refusal: an unknown key, a body that is not JSON, too
// large or invalid (a tocsin.EInvalid error, from the parser or from the
// store). For any other error it writes nothing and returns false: the
// caller answers that the sender should retry.
func (k Kind) Refuse(w http.ResponseWriter, err error) bool {
	var tooBig *http.MaxBytesError
	var invalid *pagerduty.InvalidError
	if k == PagerDuty {
		switch {
		case errors.Is(err, ErrUnknownKey):
			pagerduty.Invalid(w, []string{"Invalid routing key"})
		case errors.Is(err, ErrNotJSON):
			pagerduty.Invalid(w, []string{"Content-Type must be application/json"})
		case errors.As(err, &invalid):
			pagerduty.Invalid(w, invalid.Errors)
		case errors.As(err, &tooBig):
			pagerduty.Invalid(w, []string{"Event is too large (should be at most " + strconv.Itoa(pagerdutyLimit) + " bytes)"})
		case tocsin.ErrorCode(err) == tocsin.EInvalid:
			pagerduty.Invalid(w, []string{tocsin.ErrorMessage(err)})
		default:
			return false
		}
		return true
	}
	switch {
	case errors.Is(err, ErrUnknownKey):
		writeError(w, http.StatusNotFound, "no "+string(k)+" integration has this key")
	case errors.Is(err, ErrNotJSON):
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	case errors.As(err, &tooBig), errors.Is(err, generic.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
	case tocsin.ErrorCode(err) == tocsin.EInvalid:
		writeError(w, http.StatusBadRequest, tocsin.ErrorMessage(err))
	default:
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeJSON writes an answer of Tocsin's own shape, indented like every
// answer of its API.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

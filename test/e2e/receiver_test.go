package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// webhookEvent is the JSON document Tocsin posts to a webhook channel.
type webhookEvent struct {
	IdempotencyKey string    `json:"idempotency_key"`
	Event          string    `json:"event"`
	OccurredAt     time.Time `json:"occurred_at"`
	Reason         string    `json:"reason"`
	Actor          string    `json:"actor"`
	Incident       struct {
		ID     int64  `json:"id"`
		Title  string `json:"title"`
		Status string `json:"status"`
		URL    string `json:"url"`
	} `json:"incident"`
	Check *struct {
		Name       string     `json:"name"`
		UUID       string     `json:"uuid"`
		State      string     `json:"state"`
		LastPingAt *time.Time `json:"last_ping_at"`
	} `json:"check"`
}

// delivery is one webhook request that passed verification.
type delivery struct {
	Channel string // from the URL path /hook/<channel>
	Body    []byte
	Event   webhookEvent
}

// receiver is a webhook endpoint that verifies each request's signature
// and records it. Requests it cannot verify are answered 400 and noted as
// problems, which the tests treat as failures.
type receiver struct {
	srv     *httptest.Server
	secrets map[string]string // channel -> HMAC secret
	delay   func() time.Duration

	mu         sync.Mutex
	deliveries []delivery
	problems   []string
	aborted    int // requests whose body did not arrive whole
}

// newReceiver starts a receiver on 127.0.0.1; delay, if not nil, says how
// long to take before answering each request.
func newReceiver(t *testing.T, secrets map[string]string, delay func() time.Duration) *receiver {
	r := &receiver{secrets: secrets, delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// url is the webhook URL for channel.
func (r *receiver) url(channel string) string { return r.srv.URL + "/hook/" + channel }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		// The sender went away mid-request (it was killed): nothing was
		// delivered, and it will send again.
		r.mu.Lock()
		r.aborted++
		r.mu.Unlock()
		return
	}
	if r.delay != nil {
		time.Sleep(r.delay())
	}
	channel, ok := strings.CutPrefix(req.URL.Path, "/hook/")
	secret, known := r.secrets[channel]
	problem := ""
	var ev webhookEvent
	switch {
	case req.Method != http.MethodPost:
		problem = "method " + req.Method
	case !ok || !known:
		problem = "unknown path " + req.URL.Path
	case !validSignature(secret, body, req.Header.Get("Tocsin-Signature")):
		problem = fmt.Sprintf("bad signature %q on %s", req.Header.Get("Tocsin-Signature"), body)
	case !validSignatureV2(secret, body, req.Header.Get("Tocsin-Signature-V2")):
		problem = fmt.Sprintf("bad or stale V2 signature %q on %s", req.Header.Get("Tocsin-Signature-V2"), body)
	case req.Header.Get("Content-Type") != "application/json":
		problem = "content type " + req.Header.Get("Content-Type")
	default:
		if err := json.Unmarshal(body, &ev); err != nil {
			problem = fmt.Sprintf("decode %s: %v", body, err)
		} else if h := req.Header.Get("Idempotency-Key"); h == "" || h != ev.IdempotencyKey {
			problem = fmt.Sprintf("Idempotency-Key header %q, body key %q", h, ev.IdempotencyKey)
		}
	}
	r.mu.Lock()
	if problem != "" {
		r.problems = append(r.problems, channel+": "+problem)
	} else {
		r.deliveries = append(r.deliveries, delivery{Channel: channel, Body: body, Event: ev})
	}
	r.mu.Unlock()
	if problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// validSignature checks a Tocsin-Signature header: "sha256=" and the hex
// HMAC-SHA256 of the body, compared in constant time.
func validSignature(secret string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	sum, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(sum, m.Sum(nil))
}

// validSignatureV2 checks a Tocsin-Signature-V2 header as the README
// tells receivers to: "t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">",
// compared in constant time, t within 5 minutes of this clock.
func validSignatureV2(secret string, body []byte, header string) bool {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if age := time.Since(time.Unix(unix, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return false
	}
	sum, err := hex.DecodeString(v1)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal(sum, m.Sum(nil))
}

// snapshot returns copies of what was received so far.
func (r *receiver) snapshot() ([]delivery, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...), append([]string(nil), r.problems...)
}

// find returns the first delivery matching event and incident id.
func (r *receiver) find(channel, event string, incidentID int64) (delivery, bool) {
	ds, _ := r.snapshot()
	for _, d := range ds {
		if d.Channel == channel && d.Event.Event == event && d.Event.Incident.ID == incidentID {
			return d, true
		}
	}
	return delivery{}, false
}

// await waits up to timeout for a delivery of event for incident id.
func (r *receiver) await(t *testing.T, timeout time.Duration, channel, event string, incidentID int64) delivery {
	t.Helper()
	var d delivery
	eventually(t, timeout, 50*time.Millisecond, fmt.Sprintf("%s webhook for incident %d on %s", event, incidentID, channel),
		func() (bool, string) {
			var ok bool
			d, ok = r.find(channel, event, incidentID)
			ds, problems := r.snapshot()
			return ok, fmt.Sprintf("%d deliveries, problems %q", len(ds), problems)
		})
	return d
}

// checkNoProblems fails the test if any request failed verification.
func (r *receiver) checkNoProblems(t *testing.T) {
	t.Helper()
	if _, problems := r.snapshot(); len(problems) > 0 {
		t.Errorf("receiver rejected %d requests, first: %s", len(problems), problems[0])
	}
}

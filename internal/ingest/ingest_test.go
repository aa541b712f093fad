package ingest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func request(ctype string, body io.Reader) *http.Request {
	r := httptest.NewRequest("POST", "/", body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r
}

// answer is either kind of answer: Tocsin's {"error"} or PagerDuty's.
type answer struct {
	Error    string   `json:"error"`
	Status   string   `json:"status"`
	Errors   []string `json:"errors"`
	DedupKey string   `json:"dedup_key"`
	Keys     []string `json:"keys"`
	New      int      `json:"new"`
}

func decodeAnswer(t *testing.T, w *httptest.ResponseRecorder) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer is not JSON: %v: %q", err, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return a
}

// TestRefusals: each refusal is answered in the kind's words, and nothing
// is left unanswered.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		kind   Kind
		ctype  string
		body   string
		status int
		want   string // in the error message, or in PagerDuty's errors
	}{
		{Alertmanager, "text/plain", "{}", 415, "Content-Type must be application/json"},
		{Generic, "", "{}", 415, "Content-Type must be application/json"},
		{PagerDuty, "text/plain", "{}", 400, "Content-Type must be application/json"},
		{Alertmanager, "application/json", "{", 400, "line 1"},
		{Generic, "application/json; charset=utf-8", "{}", 400, "key"},
		{PagerDuty, "application/json", "{}", 400, "routing_key"},
		{Alertmanager, "application/json", strings.Repeat(" ", alertmanagerLimit+1), 413, "body too large"},
		{Generic, "application/json", strings.Repeat(" ", genericLimit+1), 413, "body too large"},
		{PagerDuty, "application/json", strings.Repeat(" ", pagerdutyLimit+1), 400, "Event is too large (should be at most 524288 bytes)"},
	} {
		w := httptest.NewRecorder()
		_, err := Decode(w, request(tc.ctype, strings.NewReader(tc.body)), tc.kind)
		if err == nil || !tc.kind.Refuse(w, err) {
			t.Errorf("%s %q: %v, not a refusal", tc.kind, tc.body[:min(len(tc.body), 20)], err)
			continue
		}
		a := decodeAnswer(t, w)
		got := a.Error
		if tc.kind == PagerDuty {
			got = strings.Join(a.Errors, "; ")
			if a.Status != "invalid event" {
				t.Errorf("%s: status %q, want PagerDuty's", tc.kind, a.Status)
			}
		}
		if w.Code != tc.status || !strings.Contains(got, tc.want) {
			t.Errorf("%s %.20q: %d %q, want %d with %q", tc.kind, tc.body, w.Code, got, tc.status, tc.want)
		}
	}
	for kind, want := range map[Kind]string{Alertmanager: "no alertmanager integration has this key",
		Generic: "no generic integration has this key", PagerDuty: "Invalid routing key"} {
		w := httptest.NewRecorder()
		if !kind.Refuse(w, ErrUnknownKey) {
			t.Fatalf("%s: an unknown key is not a refusal", kind)
		}
		a := decodeAnswer(t, w)
		if got := a.Error + strings.Join(a.Errors, ""); got != want {
			t.Errorf("%s: unknown key answered %d %q, want %q", kind, w.Code, got, want)
		}
	}
}

// TestUnreadableBody: a body that cannot be read is no refusal: the caller
// tells the sender to retry.
func TestUnreadableBody(t *testing.T) {
	for _, kind := range []Kind{Alertmanager, Generic, PagerDuty} {
		w := httptest.NewRecorder()
		_, err := Decode(w, request("application/json", iotest.ErrReader(errors.New("connection reset"))), kind)
		if err == nil || kind.Refuse(w, err) {
			t.Errorf("%s: %v answered as a refusal", kind, err)
		}
		if w.Body.Len() != 0 || w.Code != 200 || len(w.Header()) != 0 {
			t.Errorf("%s: Refuse wrote %d %q", kind, w.Code, w.Body.String())
		}
	}
}

// TestAccept: a decoded delivery is answered as each kind's senders
// expect.
func TestAccept(t *testing.T) {
	am, err := os.ReadFile("alertmanager/testdata/alertmanager-webhook-v4-firing.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind   Kind
		body   string
		status int
		check  func(answer) bool
	}{
		{Alertmanager, string(am), 200, func(a answer) bool { return a.Status == "success" && a.New == 1 }},
		{Generic, `{"alerts":[{"key":"a","summary":"s"},{"key":"b","summary":"s"}]}`, 202,
			func(a answer) bool { return a.Status == "accepted" && a.New == 1 && strings.Join(a.Keys, ",") == "a,b" }},
		{PagerDuty, `{"routing_key":"k","event_action":"trigger","dedup_key":"d1","payload":{"summary":"s","source":"x","severity":"error"}}`, 202,
			func(a answer) bool { return a.Status == "success" && a.DedupKey == "d1" }},
	} {
		w := httptest.NewRecorder()
		d, err := Decode(w, request("application/json", strings.NewReader(tc.body)), tc.kind)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		if tc.kind.KeyInBody() != (d.RoutingKey != "") {
			t.Errorf("%s: routing key %q", tc.kind, d.RoutingKey)
		}
		tc.kind.Accept(w, d, Stored{New: 1})
		if a := decodeAnswer(t, w); w.Code != tc.status || !tc.check(a) {
			t.Errorf("%s: answered %d %s", tc.kind, w.Code, w.Body.String())
		}
	}
}

package pagerduty

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tocsinhq/tocsin"
)

const routingKey = "e93facc04764012d7bfb002500d5d1a6"

// fullTrigger is the example event of PagerDuty's API reference.
const fullTrigger = `{
  "payload": {
    "summary": "DISK at 99% on machine prod-datapipe03.example.com",
    "timestamp": "2015-07-17T08:42:58.315+0000",
    "severity": "critical",
    "source": "prod-datapipe03.example.com",
    "component": "mysql",
    "group": "prod-datapipe",
    "class": "disk",
    "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75}
  },
  "routing_key": "e93facc04764012d7bfb002500d5d1a6",
  "dedup_key": "srv01/mysql",
  "event_action": "trigger",
  "client": "Sample Monitoring Service",
  "client_url": "https://monitoring.service.com",
  "links": [{"href": "http://pagerduty.example.com", "text": "An example link."}],
  "images": [{"src": "https://chart.example.com/cpu.png", "href": "https://example.com", "alt": "CPU chart"}]
}`

func noKey() string { panic("a key was generated for an event that has one") }

func parse(t *testing.T, body string) *Event {
	t.Helper()
	e, err := Parse(strings.NewReader(body), 0)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return e
}

func TestTrigger(t *testing.T) {
	e := parse(t, fullTrigger)
	got := e.Alert(noKey)
	want := tocsin.Alert{
		Key:          "srv01/mysql",
		Status:       tocsin.AlertFiring,
		Summary:      "DISK at 99% on machine prod-datapipe03.example.com",
		Source:       "prod-datapipe03.example.com",
		Severity:     "critical",
		Labels:       map[string]string{"component": "mysql", "group": "prod-datapipe", "class": "disk"},
		Annotations:  map[string]string{"client": "Sample Monitoring Service"},
		StartsAt:     time.Date(2015, 7, 17, 8, 42, 58, 315e6, time.UTC),
		GeneratorURL: "https://monitoring.service.com",
		Links:        []tocsin.Link{{Href: "http://pagerduty.example.com", Text: "An example link."}},
		Images:       []tocsin.Image{{Src: "https://chart.example.com/cpu.png", Href: "https://example.com", Alt: "CPU chart"}},
		Details:      json.RawMessage(`{"free space": "1%", "ping time": "1500ms", "load avg": 0.75}`),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alert\n got %+v\nwant %+v", got, want)
	}
	if e.Images[0].Href != "https://example.com" {
		t.Errorf("image href %q", e.Images[0].Href)
	}
}

func TestAcknowledgeAndResolve(t *testing.T) {
	for action, status := range map[string]tocsin.AlertStatus{
		"acknowledge": tocsin.AlertAcknowledged,
		"resolve":     tocsin.AlertResolved,
	} {
		t.Run(action, func(t *testing.T) {
			e := parse(t, `{"routing_key":"`+routingKey+`","event_action":"`+action+`","dedup_key":"srv01/mysql"}`)
			got := e.Alert(noKey)
			want := tocsin.Alert{Key: "srv01/mysql", Status: status}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestTriggerWithoutDedupKey(t *testing.T) {
	for _, dedup := range []string{``, `"dedup_key":"",`, `"dedup_key":null,`, `"dedup_key":"  ",`} {
		e := parse(t, `{"routing_key":"k","event_action":"trigger",`+dedup+
			`"payload":{"summary":"disk full","source":"db1","severity":"error"}}`)
		a := e.Alert(func() string { return "generated-1" })
		if a.Key != "generated-1" {
			t.Errorf("%s: key %q, want the generated one", dedup, a.Key)
		}
	}

	// The default generator: random, never the summary.
	e := parse(t, `{"routing_key":"k","event_action":"trigger","payload":{"summary":"disk full","source":"db1","severity":"error"}}`)
	k1, k2 := e.Alert(nil).Key, e.Alert(nil).Key
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(k1) {
		t.Errorf("generated key %q", k1)
	}
	if k1 == k2 {
		t.Errorf("two triggers with the same summary share key %q", k1)
	}
}

func TestTimestamps(t *testing.T) {
	want := time.Date(2024, 3, 31, 1, 30, 0, 0, time.UTC)
	for _, ts := range []string{
		"2024-03-31T01:30:00Z",
		"2024-03-31T03:30:00+02:00",
		"2024-03-31T03:30:00+0200",
		"2024-03-31T03:30:00+02",
		"2024-03-31T01:30:00.000Z",
	} {
		e := parse(t, `{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"`+ts+`"}}`)
		if got := e.Alert(NewKey).StartsAt; !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("%s: StartsAt %v, want %v", ts, got, want)
		}
	}
}

func TestInvalid(t *testing.T) {
	trigger := func(payload string) string {
		return `{"routing_key":"k","event_action":"trigger","payload":` + payload + `}`
	}
	for _, tc := range []struct {
		name  string
		body  string
		limit int64
		want  []string
	}{
		{"missing routing_key", `{"event_action":"resolve","dedup_key":"d"}`, 0,
			[]string{"'routing_key' is missing or blank"}},
		{"blank routing_key", `{"routing_key":"  ","event_action":"resolve","dedup_key":"d"}`, 0,
			[]string{"'routing_key' is missing or blank"}},
		{"long routing_key", `{"routing_key":"` + strings.Repeat("k", 129) + `","event_action":"resolve","dedup_key":"d"}`, 0,
			[]string{"Length of 'routing_key' is incorrect (should be at most 128 characters)"}},
		{"missing event_action", `{"routing_key":"k","dedup_key":"d"}`, 0,
			[]string{"'event_action' is missing or blank"}},
		{"bad event_action", `{"routing_key":"k","event_action":"Trigger","dedup_key":"d"}`, 0,
			[]string{"'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"}},
		{"trigger without payload", `{"routing_key":"k","event_action":"trigger"}`, 0,
			[]string{
				"'payload.summary' is missing or blank",
				"'payload.source' is missing or blank",
				"'payload.severity' is missing or blank",
			}},
		{"trigger without summary", trigger(`{"source":"h","severity":"info"}`), 0,
			[]string{"'payload.summary' is missing or blank"}},
		{"trigger without source", trigger(`{"summary":"s","source":" ","severity":"info"}`), 0,
			[]string{"'payload.source' is missing or blank"}},
		{"trigger without severity", trigger(`{"summary":"s","source":"h"}`), 0,
			[]string{"'payload.severity' is missing or blank"}},
		{"bad severity", trigger(`{"summary":"s","source":"h","severity":"CRITICAL"}`), 0,
			[]string{"'payload.severity' is invalid (must be one of: critical, error, warning, info)"}},
		{"bad severity on resolve", `{"routing_key":"k","event_action":"resolve","dedup_key":"d","payload":{"severity":"high"}}`, 0,
			[]string{"'payload.severity' is invalid (must be one of: critical, error, warning, info)"}},
		{"acknowledge without dedup_key", `{"routing_key":"k","event_action":"acknowledge"}`, 0,
			[]string{"'dedup_key' is missing or blank (required for acknowledge)"}},
		{"resolve with blank dedup_key", `{"routing_key":"k","event_action":"resolve","dedup_key":""}`, 0,
			[]string{"'dedup_key' is missing or blank (required for resolve)"}},
		{"long dedup_key", `{"routing_key":"k","event_action":"resolve","dedup_key":"` + strings.Repeat("d", 256) + `"}`, 0,
			[]string{"Length of 'dedup_key' is incorrect (should be at most 255 characters)"}},
		{"oversized summary", trigger(`{"summary":"` + strings.Repeat("é", 1025) + `","source":"h","severity":"info"}`), 0,
			[]string{"Length of 'payload.summary' is incorrect (should be at most 1024 characters)"}},
		{"bad timestamp", trigger(`{"summary":"s","source":"h","severity":"info","timestamp":"2024-03-31 01:30"}`), 0,
			[]string{"'payload.timestamp' is invalid (must be an ISO 8601 date and time with a time zone)"}},
		{"timestamp without zone", trigger(`{"summary":"s","source":"h","severity":"info","timestamp":"2024-03-31T01:30:00"}`), 0,
			[]string{"'payload.timestamp' is invalid (must be an ISO 8601 date and time with a time zone)"}},
		{"bad links and images", `{"routing_key":"k","event_action":"resolve","dedup_key":"d",
			"links":[{"text":"no href"},{"href":"javascript:alert(1)"}],
			"images":[{"alt":"no src"},{"src":"https://x.example/a.png","href":"ftp://x.example"}],
			"client_url":"/relative"}`, 0,
			[]string{
				"'images[0].src' is missing or blank",
				"'images[1].href' is invalid (must be an http or https URL)",
				"'links[0].href' is missing or blank",
				"'links[1].href' is invalid (must be an http or https URL)",
				"'client_url' is invalid (must be an http or https URL)",
			}},
		{"every problem at once", `{"routing_key":"","event_action":"trigger","payload":{"severity":"bad"}}`, 0,
			[]string{
				"'routing_key' is missing or blank",
				"'payload.summary' is missing or blank",
				"'payload.source' is missing or blank",
				"'payload.severity' is invalid (must be one of: critical, error, warning, info)",
			}},
		{"malformed JSON", `{"routing_key":"k",`, 0,
			[]string{"JSON parse error at byte 19: unexpected end of JSON input"}},
		{"trailing garbage", `{"routing_key":"k"} x`, 0,
			[]string{"JSON parse error at byte 21: invalid character 'x' after top-level value"}},
		{"empty body", "  \n", 0,
			[]string{"Event body is empty"}},
		{"not an object", `["trigger"]`, 0,
			[]string{"Event is invalid (must be a JSON object)"}},
		{"null", `null`, 0,
			[]string{"Event is invalid (must be a JSON object)"}},
		{"string", `"trigger"`, 0,
			[]string{"Event is invalid (must be a JSON object)"}},
		{"body over limit", fullTrigger, 100,
			[]string{"Event is too large (should be at most 100 bytes)"}},
		{"wrong types", `{"routing_key":32,"event_action":["trigger"],"dedup_key":{},"client":true,
			"payload":{"summary":1,"source":"h","severity":"info","timestamp":0,"custom_details":"any JSON is fine"},
			"links":{"href":"https://x.example"},"images":[3]}`, 0,
			[]string{
				"'routing_key' is invalid (must be a string)",
				"'event_action' is invalid (must be a string)",
				"'dedup_key' is invalid (must be a string)",
				"'client' is invalid (must be a string)",
				"'payload.summary' is invalid (must be a string)",
				"'payload.timestamp' is invalid (must be a string)",
				"'images[0]' is invalid (must be an object)",
				"'links' is invalid (must be an array)",
				// and what the fields that did decode lack:
				"'routing_key' is missing or blank",
				"'event_action' is missing or blank",
			}},
		{"payload not an object", `{"routing_key":"k","event_action":"trigger","payload":"disk full"}`, 0,
			[]string{
				"'payload' is invalid (must be an object)",
				"'payload.summary' is missing or blank",
				"'payload.source' is missing or blank",
				"'payload.severity' is missing or blank",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(strings.NewReader(tc.body), tc.limit)
			if e != nil {
				t.Errorf("event returned with an error: %+v", e)
			}
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %v (%T), want *InvalidError", err, err)
			}
			if !reflect.DeepEqual(inv.Errors, tc.want) {
				t.Errorf("errors\n got %q\nwant %q", inv.Errors, tc.want)
			}
			if got, want := errors.Is(err, ErrTooLarge), tc.name == "body over limit"; got != want {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v", got)
			}
		})
	}
}

func TestLimitIsInclusive(t *testing.T) {
	body := `{"routing_key":"k","event_action":"resolve","dedup_key":"d"}`
	if _, err := Parse(strings.NewReader(body), int64(len(body))); err != nil {
		t.Errorf("body of exactly the limit: %v", err)
	}
	if _, err := Parse(strings.NewReader(body), int64(len(body)-1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("body one byte over the limit: %v", err)
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(iotest.ErrReader(boom), 0)
	var inv *InvalidError
	if !errors.Is(err, boom) || errors.As(err, &inv) {
		t.Errorf("error %v, want the read error, not an invalid event", err)
	}
}

func TestInvalidErrorMessage(t *testing.T) {
	err := &InvalidError{Errors: []string{"a", "b"}}
	if got := err.Error(); got != "invalid event: a; b" {
		t.Errorf("Error() = %q", got)
	}
}

func TestAccepted(t *testing.T) {
	w := httptest.NewRecorder()
	Accepted(w, "srv01/mysql")
	if w.Code != http.StatusAccepted {
		t.Errorf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	want := `{"status":"success","message":"Event processed","dedup_key":"srv01/mysql"}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
}

func TestInvalidResponse(t *testing.T) {
	for _, tc := range []struct {
		errs []string
		want string
	}{
		{[]string{"'routing_key' is missing or blank", "'event_action' is missing or blank"},
			`{"status":"invalid event","message":"Event object is invalid","errors":["'routing_key' is missing or blank","'event_action' is missing or blank"]}`},
		{nil, `{"status":"invalid event","message":"Event object is invalid","errors":[]}`},
	} {
		w := httptest.NewRecorder()
		Invalid(w, tc.errs)
		if w.Code != http.StatusBadRequest {
			t.Errorf("status %d", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if w.Body.String() != tc.want+"\n" {
			t.Errorf("body %s, want %s", w.Body, tc.want)
		}
	}
}

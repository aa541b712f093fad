package alertmanager

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tocsinhq/tocsin"
)

const limit = 1 << 20

const groupKey = `{}:{alertname="HeartbeatMissed", service="billing-cron"}`

// valid is a small correct payload; the bad cases are edits of it.
const valid = `{
  "version": "4",
  "groupKey": "g",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "r",
  "groupLabels": {"alertname": "A"},
  "commonLabels": {"alertname": "A"},
  "commonAnnotations": {},
  "externalURL": "http://am:9093",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "A"}, "annotations": {},
     "startsAt": "2026-01-02T03:04:05Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "", "fingerprint": "0123456789abcdef"}
  ]
}`

// edit returns valid with old replaced by new, failing if old is absent.
func edit(t testing.TB, old, new string) string {
	t.Helper()
	if !strings.Contains(valid, old) {
		t.Fatalf("%q not in the valid payload", old)
	}
	return strings.Replace(valid, old, new, 1)
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/alertmanager-webhook-v4-" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseSamples(t *testing.T) {
	startsAt := time.Date(2026, 11, 22, 1, 27, 34, 949914522, time.UTC)
	labels := map[string]string{
		"alertname": "HeartbeatMissed",
		"instance":  "batch-01",
		"service":   "billing-cron",
		"severity":  "critical",
	}
	annotations := map[string]string{
		"runbook_url": "http://127.0.0.1/runbooks/heartbeat",
		"summary":     "billing-cron heartbeat missed for 10m",
	}
	want := tocsin.Alert{
		Key:          groupKey + "/2dfcabef7f39ccd5",
		Status:       tocsin.AlertFiring,
		Summary:      "billing-cron heartbeat missed for 10m",
		Source:       "batch-01",
		Severity:     "critical",
		Labels:       labels,
		Annotations:  annotations,
		StartsAt:     startsAt,
		GeneratorURL: "http://127.0.0.1:9090/graph?g0.expr=up",
		Links: []tocsin.Link{
			{Href: "http://127.0.0.1:9090/graph?g0.expr=up", Text: "Source"},
			{Href: "http://127.0.0.1/runbooks/heartbeat", Text: "Runbook"},
		},
	}
	resolved := want
	resolved.Status = tocsin.AlertResolved
	resolved.EndsAt = time.Date(2026, 11, 22, 1, 27, 43, 0, time.UTC)

	for _, tc := range []struct {
		name   string
		reason string
		want   tocsin.Alert
	}{
		{"firing", "first notification", want},
		{"resolved", "all alerts resolved", resolved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, alerts, err := Parse(bytes.NewReader(readSample(t, tc.name)), limit)
			if err != nil {
				t.Fatal(err)
			}
			if p.Version != "4" || p.GroupKey != groupKey || p.Receiver != "loopback-webhook" ||
				p.Status != tc.name || p.ExternalURL != "http://127.0.0.1:19093" ||
				p.NotificationReason != tc.reason || p.RouteLabels == nil || len(p.Alerts) != 1 {
				t.Errorf("payload = %+v", p)
			}
			if len(alerts) != 1 {
				t.Fatalf("got %d alerts, want 1", len(alerts))
			}
			if !reflect.DeepEqual(alerts[0], tc.want) {
				t.Errorf("alert =\n%+v\nwant\n%+v", alerts[0], tc.want)
			}
		})
	}
}

// The firing and the resolved notification of one alert share its key, so
// the second closes what the first opened.
func TestParseSamplesShareKey(t *testing.T) {
	_, firing, err := Parse(bytes.NewReader(readSample(t, "firing")), limit)
	if err != nil {
		t.Fatal(err)
	}
	_, resolved, err := Parse(bytes.NewReader(readSample(t, "resolved")), limit)
	if err != nil {
		t.Fatal(err)
	}
	if firing[0].Key != resolved[0].Key {
		t.Errorf("keys differ: %q and %q", firing[0].Key, resolved[0].Key)
	}
}

func TestParseMapping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alert string // the alert object, in place of the valid one
		check func(t *testing.T, a tocsin.Alert)
	}{
		{"summary from description",
			`{"status":"firing","labels":{"alertname":"A"},"annotations":{"description":"d"},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) { eq(t, "summary", a.Summary, "d") }},
		{"summary from alertname",
			`{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) { eq(t, "summary", a.Summary, "A") }},
		{"source from job",
			`{"status":"firing","labels":{"alertname":"A","job":"node"},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) { eq(t, "source", a.Source, "node") }},
		{"upper-case fingerprint",
			`{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-01-02T03:04:05Z","fingerprint":"ABCDEF"}`,
			func(t *testing.T, a tocsin.Alert) { eq(t, "key", a.Key, "g/abcdef") }},
		{"missing endsAt",
			`{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-01-02T03:04:05+02:00","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) {
				if !a.EndsAt.IsZero() || !a.StartsAt.Equal(time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)) {
					t.Errorf("startsAt %v, endsAt %v", a.StartsAt, a.EndsAt)
				}
			}},
		{"links",
			`{"status":"firing","labels":{"alertname":"A"},"annotations":{"runbook_url":"https://rb/x","dashboard_url":"https://grafana/d/1"},"startsAt":"2026-01-02T03:04:05Z","generatorURL":"https://prom/graph","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) {
				want := []tocsin.Link{
					{Href: "https://prom/graph", Text: "Source"},
					{Href: "https://rb/x", Text: "Runbook"},
					{Href: "https://grafana/d/1", Text: "Dashboard"},
				}
				if !reflect.DeepEqual(a.Links, want) {
					t.Errorf("links = %v", a.Links)
				}
			}},
		{"links that are not web addresses are dropped",
			`{"status":"firing","labels":{"alertname":"A"},"annotations":{"runbook_url":"javascript:alert(1)","dashboard_url":"/relative"},"startsAt":"2026-01-02T03:04:05Z","generatorURL":"data:text/html,x","fingerprint":"ab"}`,
			func(t *testing.T, a tocsin.Alert) {
				if a.Links != nil || a.GeneratorURL != "" {
					t.Errorf("links = %v, generatorURL = %q", a.Links, a.GeneratorURL)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := strings.Index(valid, `{"status": "firing"`)
			j := strings.LastIndex(valid, "}\n  ]")
			body := valid[:i] + tc.alert + valid[j+1:]
			_, alerts, err := Parse(strings.NewReader(body), limit)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, alerts[0])
		})
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]string{
		"critical": "critical", "Critical": "critical", "page": "critical",
		"error": "error", "major": "error",
		"warning": "warning", "warn": "warning", "": "warning", "bogus": "warning",
		"info": "info", " INFO ": "info", "none": "info",
	} {
		if got := severity(in); got != want {
			t.Errorf("severity(%q) = %q, want %q", in, got, want)
		}
	}
}

// badCases are bodies Parse must reject, with a part of the message that
// names the field or position. FuzzParse seeds from them too.
func badCases(t testing.TB) []struct{ name, body, want string } {
	manyAlerts := `{"version":"4","groupKey":"g","status":"firing","alerts":[` +
		strings.Repeat(`{},`, MaxAlerts) + `{}]}`
	twoAlerts := edit(t, `"fingerprint": "0123456789abcdef"}`,
		`"fingerprint": "0123456789abcdef"}, {"status": "resolved", "labels": {"alertname": "B"}, "startsAt": "2026-01-02T03:04:05Z", "fingerprint": "beef"}`)
	return []struct{ name, body, want string }{
		{"empty", "", "body is empty"},
		{"malformed", `{"version": "4",}`, "malformed JSON at line 1, column 17"},
		{"malformed later line", "{\n  \"version\": \"4\"\n  \"groupKey\": \"g\"}", "malformed JSON at line 3, column 3"},
		{"truncated", valid[:40], "malformed JSON at line 4"},
		{"trailing data", valid + " {}", "after top-level value"},
		{"not an object: array", `[]`, "body must be a JSON object, got array"},
		{"not an object: string", `"4"`, "body must be a JSON object, got string"},
		{"not an object: null", `null`, "body must be a JSON object, got null"},
		{"version missing", edit(t, `"version": "4",`, ""), `version: required; only "4" is accepted`},
		{"version 3", edit(t, `"version": "4"`, `"version": "3"`), `version: "3" is not supported; only "4" is accepted`},
		{"version a number", edit(t, `"version": "4"`, `"version": 4`), "version: must be a string, got number"},
		{"groupKey missing", edit(t, `"groupKey": "g",`, ""), "groupKey: required"},
		{"status bad", edit(t, `"status": "firing",`, `"status": "burning",`), `status: "burning" is not firing or resolved`},
		{"status missing", edit(t, `"status": "firing",`, ""), "status: required"},
		{"truncatedAlerts negative", edit(t, `"truncatedAlerts": 0`, `"truncatedAlerts": -1`), "truncatedAlerts: must be a non-negative integer, got number -1"},
		{"groupLabels value", edit(t, `"groupLabels": {"alertname": "A"}`, `"groupLabels": {"alertname": 1}`), "groupLabels: values must be strings, got number"},
		{"alerts not an array", edit(t, `"alerts": [`, `"alerts": {"x": [`) + "}", "alerts: must be an array, got object"},
		{"alerts missing", `{"version":"4","groupKey":"g","status":"firing"}`, "alerts: required"},
		{"alerts empty", `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`, "alerts: must hold at least one alert"},
		{"too many alerts", manyAlerts, "alerts: 10001 alerts, at most 10000 are accepted"},
		{"alert not an object", edit(t, `"alerts": [`, `"alerts": [1, `), "alerts[0]: must be an object, got number"},
		{"alert status bad", edit(t, `{"status": "firing"`, `{"status": "pending"`), `alerts[0].status: "pending" is not firing or resolved`},
		{"alert status missing", edit(t, `{"status": "firing", `, `{`), "alerts[0].status: required"},
		{"labels missing", edit(t, `"labels": {"alertname": "A"}, `, ""), "alerts[0].labels: required"},
		{"labels not an object", edit(t, `"labels": {"alertname": "A"}`, `"labels": ["A"]`), "alerts[0].labels: must be an object, got array"},
		{"label not a string", edit(t, `"labels": {"alertname": "A"}`, `"labels": {"alertname": true}`), "alerts[0].labels: values must be strings, got bool"},
		{"alertname missing", edit(t, `"labels": {"alertname": "A"}`, `"labels": {"job": "A"}`), "alerts[0].labels.alertname: required"},
		{"fingerprint missing", edit(t, `, "fingerprint": "0123456789abcdef"`, ""), "alerts[0].fingerprint: required"},
		{"fingerprint not hex", edit(t, `"0123456789abcdef"`, `"xyz"`), `alerts[0].fingerprint: "xyz" is not hexadecimal`},
		{"fingerprint too long", edit(t, `"0123456789abcdef"`, `"`+strings.Repeat("a", 65)+`"`), "alerts[0].fingerprint: longer than 64"},
		{"fingerprint duplicate", strings.Replace(twoAlerts, `"beef"`, `"0123456789ABCDEF"`, 1), "alerts[1].fingerprint: same as alerts[0]"},
		{"second alert bad", strings.Replace(twoAlerts, `"B"`, `""`, 1), "alerts[1].labels.alertname: required"},
		{"second alert wrong type", strings.Replace(twoAlerts, `"beef"`, `57005`, 1), "alerts[1].fingerprint: must be a string, got number"},
		{"startsAt missing", edit(t, `"startsAt": "2026-01-02T03:04:05Z", `, ""), "alerts[0].startsAt: required"},
		{"startsAt zero", edit(t, `"2026-01-02T03:04:05Z"`, `"0001-01-01T00:00:00Z"`), "alerts[0].startsAt: required"},
		{"startsAt bad", edit(t, `"2026-01-02T03:04:05Z"`, `"2026-01-02 03:04:05"`), `alerts[0].startsAt: "2026-01-02 03:04:05" is not an RFC 3339 time`},
		{"endsAt bad", edit(t, `"0001-01-01T00:00:00Z"`, `"yesterday"`), `alerts[0].endsAt: "yesterday" is not an RFC 3339 time`},
		{"over the limit", valid + strings.Repeat(" ", limit), fmt.Sprintf("body larger than %d bytes", limit)},
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range badCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			p, alerts, err := Parse(strings.NewReader(tc.body), limit)
			if err == nil {
				t.Fatalf("no error; alerts %+v", alerts)
			}
			if p != nil || alerts != nil {
				t.Error("payload or alerts returned with an error")
			}
			if code := tocsin.ErrorCode(err); code != tocsin.EInvalid {
				t.Errorf("code = %q, want %q (%v)", code, tocsin.EInvalid, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseLimit(t *testing.T) {
	n := int64(len(valid))
	if _, _, err := Parse(strings.NewReader(valid), n); err != nil {
		t.Errorf("body of exactly the limit: %v", err)
	}
	_, _, err := Parse(strings.NewReader(valid), n-1)
	if want := fmt.Sprintf("body larger than %d bytes", n-1); err == nil || err.Error() != want {
		t.Errorf("body one byte over: error %v, want %q", err, want)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, _, err := Parse(iotest.ErrReader(boom), limit)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if code := tocsin.ErrorCode(err); code != tocsin.EInternal {
		t.Errorf("a read error is the server's, not the sender's: code %q", code)
	}
}

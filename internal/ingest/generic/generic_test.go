package generic

import (
	"encoding/json"
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

// full is an alert with every field set; the package doc shows the same.
const full = `{
  "key": "backup/db1",
  "summary": "Nightly backup of db1 failed",
  "severity": "critical",
  "source": "db1.example.com",
  "labels": {"team": "storage", "env": "prod"},
  "annotations": {"description": "pg_dump exited with status 1"},
  "links": [{"href": "https://ci.example.com/jobs/1234", "text": "Job log"}],
  "details": {"exit_status": 1, "duration_seconds": 312},
  "starts_at": "2026-03-01T02:00:00Z"
}`

var fullAlert = tocsin.Alert{
	Key:         "backup/db1",
	Status:      tocsin.AlertFiring,
	Summary:     "Nightly backup of db1 failed",
	Source:      "db1.example.com",
	Severity:    "critical",
	Labels:      map[string]string{"team": "storage", "env": "prod", "severity": "critical"},
	Annotations: map[string]string{"description": "pg_dump exited with status 1"},
	StartsAt:    time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC),
	Links:       []tocsin.Link{{Href: "https://ci.example.com/jobs/1234", Text: "Job log"}},
	Details:     json.RawMessage(`{"exit_status": 1, "duration_seconds": 312}`),
}

// resolvedAlert is what {"key": "backup/db1", "status": "resolved"} maps to.
var resolvedAlert = tocsin.Alert{
	Key:      "backup/db1",
	Status:   tocsin.AlertResolved,
	Severity: "warning",
	Labels:   map[string]string{"severity": "warning"},
}

// batch holds three alerts: resolved and minimal, firing with a sender's
// severity label and a severity in capitals, and firing with spaces to
// trim, an offset time and an ends_at.
const batch = `{
  "alerts": [
    {"key": "backup/db1", "status": "resolved"},
    {"key": "disk/db2", "summary": "Disk 91% full", "severity": "Error",
     "labels": {"severity": "sev2", "host": "db2"},
     "links": [{"href": "http://grafana.example.com/d/disk"}, {"href": "https://wiki.example.com/disk", "text": " Runbook "}],
     "details": [1, "two", null]},
    {"key": "  deploy/web  ", "summary": "  Deploy of web failed  ", "source": " ci ", "severity": "INFO",
     "starts_at": "2026-03-01T03:30:00.5+01:30", "ends_at": "2026-03-01T04:00:00Z",
     "annotations": {"Job URL": "https://ci.example.com/jobs/9", "empty": ""}}
  ],
  "sender": "ci"
}`

var batchAlerts = []tocsin.Alert{
	resolvedAlert,
	{
		Key:      "disk/db2",
		Status:   tocsin.AlertFiring,
		Summary:  "Disk 91% full",
		Severity: "error",
		Labels:   map[string]string{"severity": "sev2", "host": "db2"},
		Links: []tocsin.Link{
			{Href: "http://grafana.example.com/d/disk"},
			{Href: "https://wiki.example.com/disk", Text: "Runbook"},
		},
		Details: json.RawMessage(`[1, "two", null]`),
	},
	{
		Key:         "deploy/web",
		Status:      tocsin.AlertFiring,
		Summary:     "Deploy of web failed",
		Source:      "ci",
		Severity:    "info",
		Labels:      map[string]string{"severity": "info"},
		Annotations: map[string]string{"Job URL": "https://ci.example.com/jobs/9", "empty": ""},
		StartsAt:    time.Date(2026, 3, 1, 2, 0, 0, 5e8, time.UTC),
		EndsAt:      time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC),
	},
}

// defaultAlert is what the least a firing alert needs maps to.
var defaultAlert = tocsin.Alert{
	Key:      "k",
	Status:   tocsin.AlertFiring,
	Summary:  "s",
	Severity: "warning",
	Labels:   map[string]string{"severity": "warning"},
}

// manyLabels is the most labels an alert may carry, as JSON members, and
// manyLabelsWant what they map to: one more, the severity.
var manyLabels, manyLabelsWant = func() (string, map[string]string) {
	var members []string
	want := map[string]string{"severity": "warning"}
	for i := range MaxEntries {
		members = append(members, fmt.Sprintf(`"l%d":"v"`, i))
		want[fmt.Sprintf("l%d", i)] = "v"
	}
	return strings.Join(members, ","), want
}()

// goodCases are bodies Parse must accept, with the alerts they map to.
// FuzzParse seeds from them too.
var goodCases = []struct {
	name string
	body string
	want []tocsin.Alert
}{
	{"single", full, []tocsin.Alert{fullAlert}},
	{"resolved without summary", `{"key": "backup/db1", "status": "resolved"}`, []tocsin.Alert{resolvedAlert}},
	{"batch", batch, batchAlerts},
	{"defaults", `{"key":"k","summary":"s"}`, []tocsin.Alert{defaultAlert}},
	{"null is absent", `{"key":"k","summary":"s","status":null,"source":null,"severity":null,
		"labels":null,"annotations":null,"links":null,"details":null,"starts_at":null,"ends_at":null}`,
		[]tocsin.Alert{defaultAlert}},
	{"empty collections", `{"key":"k","summary":"s","labels":{},"annotations":{},"links":[]}`,
		[]tocsin.Alert{defaultAlert}},
	{"unknown fields ignored", `{"key":"k","summary":"s","priority":1,"tags":["a"],
		"links":null,"extra":{"alerts":1}}`, []tocsin.Alert{defaultAlert}},
	{"null alert fields beside alerts", `{"key":null,"summary":null,"alerts":[{"key":"k","summary":"s","future":true}]}`,
		[]tocsin.Alert{defaultAlert}},
	{"single alert batch", `{"alerts":[{"key":"k","summary":"s"}]}`, []tocsin.Alert{defaultAlert}},
	{"severity label beside the most labels", `{"key":"k","summary":"s","labels":{` + manyLabels + `}}`,
		[]tocsin.Alert{{Key: "k", Status: tocsin.AlertFiring, Summary: "s", Severity: "warning",
			Labels: manyLabelsWant}}},
	{"zero times", `{"key":"k","summary":"s","starts_at":"0001-01-01T00:00:00Z","ends_at":"0001-01-01T00:00:00Z"}`,
		[]tocsin.Alert{defaultAlert}},
}

func TestParse(t *testing.T) {
	for _, tc := range goodCases {
		t.Run(tc.name, func(t *testing.T) {
			alerts, err := Parse(strings.NewReader(tc.body), limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(alerts, tc.want) {
				t.Errorf("alerts =\n%+v\nwant\n%+v", alerts, tc.want)
			}
		})
	}
}

// The bodies the package doc shows are the ones tested above.
func TestDocExample(t *testing.T) {
	src, err := os.ReadFile("generic.go")
	if err != nil {
		t.Fatal(err)
	}
	var body, resolve []string
	in := false
	for line := range strings.Lines(string(src)) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasSuffix(line, "<<'EOF'"):
			in = true
		case line == "//\tEOF":
			in = false
		case in:
			body = append(body, strings.TrimPrefix(line, "//\t"))
		case strings.HasPrefix(line, `//	{"key"`):
			resolve = append(resolve, strings.TrimPrefix(line, "//\t"))
		}
	}
	if got := strings.Join(body, "\n"); got != full {
		t.Errorf("doc example =\n%s\nwant\n%s", got, full)
	}
	if len(resolve) != 1 {
		t.Fatalf("doc resolve examples: %q", resolve)
	}
	alerts, err := Parse(strings.NewReader(resolve[0]), limit)
	if err != nil || !reflect.DeepEqual(alerts, []tocsin.Alert{resolvedAlert}) {
		t.Errorf("doc resolve example: %+v, %v", alerts, err)
	}
}

// The largest values of each limit are accepted.
func TestParseAtLimits(t *testing.T) {
	var labels, links, alerts []string
	for i := range MaxEntries {
		labels = append(labels, fmt.Sprintf(`"l%d":"%s"`, i, strings.Repeat("v", MaxValue)))
	}
	for i := range MaxLinks {
		links = append(links, fmt.Sprintf(`{"href":"https://x.example/%d","text":"%s"}`, i, strings.Repeat("t", MaxLinkText)))
	}
	details := `"` + strings.Repeat("d", MaxDetails-2) + `"`
	alert := fmt.Sprintf(`{"key":"%s","summary":"%s","source":"%s","labels":{%s},"annotations":{"%s":"a"},"links":[%s],"details":%s}`,
		strings.Repeat("k", MaxKey), strings.Repeat("s", MaxSummary), strings.Repeat("o", MaxSource),
		strings.Join(labels, ","), strings.Repeat("n", MaxName), strings.Join(links, ","), details)
	got, err := Parse(strings.NewReader(alert), limit)
	if err != nil {
		t.Fatal(err)
	}
	a := got[0]
	if len(a.Key) != MaxKey || len(a.Summary) != MaxSummary || len(a.Source) != MaxSource ||
		len(a.Labels) != MaxEntries+1 || len(a.Annotations) != 1 || len(a.Links) != MaxLinks ||
		string(a.Details) != details {
		t.Errorf("alert at the limits came out as %d/%d/%d bytes, %d labels, %d annotations, %d links, %d bytes of details",
			len(a.Key), len(a.Summary), len(a.Source), len(a.Labels), len(a.Annotations), len(a.Links), len(a.Details))
	}

	for i := range MaxAlerts {
		alerts = append(alerts, fmt.Sprintf(`{"key":"k%d","status":"resolved"}`, i))
	}
	got, err = Parse(strings.NewReader(`{"alerts":[`+strings.Join(alerts, ",")+`]}`), limit)
	if err != nil || len(got) != MaxAlerts || got[MaxAlerts-1].Key != fmt.Sprintf("k%d", MaxAlerts-1) {
		t.Errorf("%d alerts: got %d, error %v", MaxAlerts, len(got), err)
	}
}

// badCases are bodies Parse must reject, with a part of the message that
// names the field or position. FuzzParse seeds from them too.
func badCases() []struct{ name, body, want string } {
	alert := func(fields string) string { return `{"key":"k","summary":"s",` + fields + `}` }
	many := func(n int, item string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(item, i)
		}
		return strings.Join(items, ",")
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	return []struct{ name, body, want string }{
		// The body as a whole.
		{"empty", "", "body is empty; expected a JSON object"},
		{"only spaces", " \n\t", "body is empty"},
		{"malformed", `{"key": "a",}`, "malformed JSON at line 1, column 13: invalid character '}'"},
		{"malformed later line", "{\n  \"key\": \"a\"\n  \"summary\": \"s\"}", "malformed JSON at line 3, column 3"},
		{"truncated", "{\"key\": \"a\",\n \"summary\"", "malformed JSON at line 2, column 10: unexpected end of JSON input"},
		{"trailing data", `{"key":"k","summary":"s"} {}`, "malformed JSON at line 1, column 27: invalid character '{' after top-level value"},
		{"top-level array", `[{"key":"k","summary":"s"}]`, `body must be a JSON object (one alert, or {"alerts": [...]}), got array`},
		{"top-level string", `"k"`, "body must be a JSON object (one alert, or {\"alerts\": [...]}), got string"},
		{"top-level null", `null`, "got null"},
		{"top-level number", `42`, "got number"},

		// The batch.
		{"alerts null", `{"alerts":null}`, "alerts: must be an array of alerts, got null"},
		{"alerts an object", `{"alerts":{"key":"k"}}`, "alerts: must be an array of alerts, got object"},
		{"alerts empty", `{"alerts":[]}`, "alerts: must hold at least one alert"},
		{"too many alerts", `{"alerts":[` + many(MaxAlerts+1, `{"key":"k%d","status":"resolved"}`) + `]}`,
			"alerts: 1001 alerts, at most 1000 are accepted"},
		{"alert not an object", `{"alerts":[1]}`, "alerts[0]: must be an object, got number"},
		{"alert null", `{"alerts":[{"key":"k","summary":"s"},null]}`, "alerts[1]: must be an object, got null"},
		{"alert fields beside alerts", `{"key":"k","alerts":[{"key":"k","summary":"s"}]}`,
			`key: not allowed beside "alerts": a body is one alert or {"alerts": [...]}, not both`},
		{"summary beside alerts", `{"alerts":[{"key":"k","summary":"s"}],"summary":"s"}`, `summary: not allowed beside "alerts"`},
		{"duplicate key", `{"alerts":[{"key":"a","summary":"s"},{"key":"b","summary":"s"},{"key":"c","summary":"s"},{"key":" b ","status":"resolved"}]}`,
			"alerts[3].key: same as alerts[1]"},
		{"third alert bad", `{"alerts":[{"key":"a","summary":"s"},{"key":"b","summary":"s"},{"key":"c","status":"fire"}]}`,
			`alerts[2].status: "fire" is not firing or resolved`},
		{"second alert wrong type", `{"alerts":[{"key":"a","summary":"s"},{"key":"b","summary":"s","labels":{"env":true}}]}`,
			"alerts[1].labels.env: must be a string, got bool"},

		// key
		{"key missing", `{"summary":"s"}`, "key: required"},
		{"key blank", `{"key":"  \t ","summary":"s"}`, "key: required"},
		{"key a number", `{"key":42,"summary":"s"}`, "key: must be a string, got number"},
		{"key too long", `{"key":"` + long(MaxKey+1) + `","summary":"s"}`, "key: longer than 255 bytes"},
		{"key with a control character", `{"key":"a\u0007b","summary":"s"}`, "key: must not contain control characters"},
		{"key with a newline", `{"key":"a\nb","summary":"s"}`, "key: must not contain control characters"},

		// status, summary, source, severity
		{"status fire", alert(`"status":"fire"`), `status: "fire" is not firing or resolved`},
		{"status acknowledged", alert(`"status":"acknowledged"`), `status: "acknowledged" is not firing or resolved`},
		{"status empty", alert(`"status":""`), `status: "" is not firing or resolved`},
		{"status a bool", alert(`"status":true`), "status: must be a string, got bool"},
		{"summary missing", `{"key":"k"}`, "summary: required for a firing alert"},
		{"summary blank", `{"key":"k","summary":"  ","status":"firing"}`, "summary: required for a firing alert"},
		{"summary too long", `{"key":"k","summary":"` + long(MaxSummary+1) + `"}`, "summary: longer than 1024 bytes"},
		{"summary an object", `{"key":"k","summary":{"text":"s"}}`, "summary: must be a string, got object"},
		{"source too long", alert(`"source":"` + long(MaxSource+1) + `"`), "source: longer than 255 bytes"},
		{"severity unknown", alert(`"severity":"high"`), `severity: "high" is not one of critical, error, warning, info`},
		{"severity empty", alert(`"severity":""`), `severity: "" is not one of critical, error, warning, info`},
		{"severity a number", alert(`"severity":1`), "severity: must be a string, got number"},

		// labels and annotations
		{"labels an array", alert(`"labels":["a"]`), "labels: must be an object, got array"},
		{"label name bad", alert(`"labels":{"ok":"1","1x":"a"}`), `labels: "1x" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)`},
		{"label name with a dash", alert(`"labels":{"team-name":"a"}`), `labels: "team-name" is not a label name`},
		{"label value a number", alert(`"labels":{"team":1}`), "labels.team: must be a string, got number"},
		{"label value null", alert(`"labels":{"team":null}`), "labels.team: must be a string, got null"},
		{"label value too long", alert(`"labels":{"team":"` + long(MaxValue+1) + `"}`), "labels.team: longer than 1024 bytes"},
		{"too many labels", alert(`"labels":{` + many(MaxEntries+1, `"l%d":"v"`) + `}`), "labels: 65 entries, at most 64 are accepted"},
		{"annotations a string", alert(`"annotations":"x"`), "annotations: must be an object, got string"},
		{"annotation name empty", alert(`"annotations":{"":"x"}`), "annotations: an empty name is not allowed"},
		{"annotation name too long", alert(`"annotations":{"` + long(MaxName+1) + `":"x"}`), "annotations: a name is longer than 255 bytes"},
		{"annotation name with a control character", alert(`"annotations":{"a\tb":"x"}`), `annotations: name "a\tb" contains control characters`},
		{"annotation value an array", alert(`"annotations":{"description":["x"]}`), "annotations.description: must be a string, got array"},
		{"annotation value with an odd name", alert(`"annotations":{"Job URL":1}`), `annotations["Job URL"]: must be a string, got number`},
		{"too many annotations", alert(`"annotations":{` + many(MaxEntries+1, `"a%d":"v"`) + `}`), "annotations: 65 entries, at most 64 are accepted"},

		// links and details
		{"links an object", alert(`"links":{"href":"https://x.example"}`), "links: must be an array, got object"},
		{"link a string", alert(`"links":["https://x.example"]`), "links[0]: must be an object, got string"},
		{"link href missing", alert(`"links":[{"href":"https://x.example"},{"text":"t"}]`), "links[1].href: required"},
		{"link href javascript", alert(`"links":[{"href":"javascript:alert(1)"}]`),
			`links[0].href: "javascript:alert(1)" is not an absolute http or https URL`},
		{"link href relative", alert(`"links":[{"href":"/runbooks/x"}]`), `links[0].href: "/runbooks/x" is not an absolute http or https URL`},
		{"link href ftp", alert(`"links":[{"href":"ftp://x.example/f"}]`), `links[0].href: "ftp://x.example/f" is not an absolute http or https URL`},
		{"link href a number", alert(`"links":[{"href":1}]`), "links[0].href: must be a string, got number"},
		{"link href too long", alert(`"links":[{"href":"https://x.example/` + long(MaxLinkHref) + `"}]`), "links[0].href: longer than 2048 bytes"},
		{"link text too long", alert(`"links":[{"href":"https://x.example","text":"` + long(MaxLinkText+1) + `"}]`), "links[0].text: longer than 255 bytes"},
		{"too many links", alert(`"links":[` + many(MaxLinks+1, `{"href":"https://x.example/%d"}`) + `]`), "links: 21 links, at most 20 are accepted"},
		{"details not UTF-8", alert(`"details":{"name":"caf` + "\xe9" + `"}`), "details: not valid UTF-8"},
		{"details too large", alert(`"details":"` + long(MaxDetails) + `"`), "details: larger than 16384 bytes"},

		// times
		{"starts_at not a time", alert(`"starts_at":"yesterday"`), `starts_at: "yesterday" is not an RFC 3339 time like 2026-03-01T02:00:00Z`},
		{"starts_at without a zone", alert(`"starts_at":"2026-03-01T02:00:00"`), `starts_at: "2026-03-01T02:00:00" is not an RFC 3339 time`},
		{"starts_at empty", alert(`"starts_at":""`), `starts_at: "" is not an RFC 3339 time`},
		{"starts_at a number", alert(`"starts_at":1772330400`), "starts_at: must be a string, got number"},
		{"starts_at before year 0 in UTC", alert(`"starts_at":"0000-01-01T00:00:00+01:00"`), `starts_at: "0000-01-01T00:00:00+01:00" is outside the years 0000 to 9999 in UTC`},
		{"ends_at not a time", alert(`"ends_at":"2026-02-30T00:00:00Z"`), `ends_at: "2026-02-30T00:00:00Z" is not an RFC 3339 time`},
		{"ends_at before starts_at", alert(`"starts_at":"2026-03-01T02:00:00Z","ends_at":"2026-03-01T02:30:00+01:00"`), "ends_at: before starts_at"},

		{"over the limit", full + strings.Repeat(" ", limit), fmt.Sprintf("body larger than %d bytes", limit)},
	}
}

func TestParseBad(t *testing.T) {
	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			alerts, err := Parse(strings.NewReader(tc.body), limit)
			if err == nil {
				t.Fatalf("no error; alerts %+v", alerts)
			}
			if alerts != nil {
				t.Error("alerts returned with an error")
			}
			if code := tocsin.ErrorCode(err); code != tocsin.EInvalid {
				t.Errorf("code = %q, want %q (%v)", code, tocsin.EInvalid, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
			tooLarge := strings.HasPrefix(tc.want, "body larger than")
			if errors.Is(err, ErrTooLarge) != tooLarge {
				t.Errorf("errors.Is(err, ErrTooLarge) = %v, want %v", !tooLarge, tooLarge)
			}
			if _, ok := err.(*tocsin.Error); !ok && !tooLarge {
				t.Errorf("error is a %T, want a *tocsin.Error", err)
			}
		})
	}
}

func TestParseLimit(t *testing.T) {
	n := int64(len(full))
	if _, err := Parse(strings.NewReader(full), n); err != nil {
		t.Errorf("body of exactly the limit: %v", err)
	}
	_, err := Parse(strings.NewReader(full), n-1)
	if want := fmt.Sprintf("body larger than %d bytes", n-1); err == nil || err.Error() != want {
		t.Fatalf("body one byte over: error %v, want %q", err, want)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("error %v does not match ErrTooLarge", err)
	}
	if code, msg := tocsin.ErrorCode(err), tocsin.ErrorMessage(err); code != tocsin.EInvalid || msg != err.Error() {
		t.Errorf("code %q, message %q: want a user error", code, msg)
	}
}

func TestParseReadError(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := Parse(iotest.ErrReader(boom), limit)
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want it to wrap %v", err, boom)
	}
	if code := tocsin.ErrorCode(err); code != tocsin.EInternal {
		t.Errorf("a read error is the server's, not the sender's: code %q", code)
	}
	if errors.Is(err, ErrTooLarge) {
		t.Error("a read error matches ErrTooLarge")
	}
}

// Alerts share no memory with each other, so that a caller may change one.
func TestParseAlertsIndependent(t *testing.T) {
	alerts, err := Parse(strings.NewReader(`{"alerts":[{"key":"a","summary":"s"},{"key":"b","summary":"s"}]}`), limit)
	if err != nil {
		t.Fatal(err)
	}
	alerts[0].Labels["x"] = "y"
	if _, ok := alerts[1].Labels["x"]; ok {
		t.Error("two alerts share their labels")
	}
}

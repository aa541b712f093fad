// Package generic reads Tocsin's documented generic JSON alert form: the
// way in for tools that speak neither Alertmanager's webhook nor
// PagerDuty's Events API, such as shell scripts with curl and CI jobs.
//
// A body is one alert object, or an object whose "alerts" array holds 1 to
// MaxAlerts of them. Which one is decided by the presence of the top-level
// "alerts" key; a body with "alerts" beside the fields of an alert is
// refused. To raise an alert from a script, POST it to the URL of an
// integration of type generic, /ingest/generic/<key> (here in TOCSIN_URL):
//
//	curl -fsS -m 10 --retry 3 -H 'Content-Type: application/json' \
//	  --data-binary @- "$TOCSIN_URL" <<'EOF'
//	{
//	  "key": "backup/db1",
//	  "summary": "Nightly backup of db1 failed",
//	  "severity": "critical",
//	  "source": "db1.example.com",
//	  "labels": {"team": "storage", "env": "prod"},
//	  "annotations": {"description": "pg_dump exited with status 1"},
//	  "links": [{"href": "https://ci.example.com/jobs/1234", "text": "Job log"}],
//	  "details": {"exit_status": 1, "duration_seconds": 312},
//	  "starts_at": "2026-03-01T02:00:00Z"
//	}
//	EOF
//
// and once the job succeeds again, resolve it by its key:
//
//	{"key": "backup/db1", "status": "resolved"}
//
// Several alerts go in one body as {"alerts": [{...}, {...}]}; their keys
// must differ.
//
// The fields of an alert, all optional but key (and summary while firing):
//
//   - key: the alert's identity, a string of 1 to 255 bytes once leading and
//     trailing spaces are trimmed, without control characters. Alerts with
//     the same key are one alert: a later body updates or resolves it.
//   - status: "firing" (the default) or "resolved", in lower case.
//   - summary: what is wrong, at most 1024 bytes (trimmed); required when
//     firing, optional when resolved.
//   - source: where it happens (a host, a job), at most 255 bytes (trimmed).
//   - severity: "critical", "error", "warning" (the default) or "info", in
//     any case. It is copied into the label "severity" unless labels set
//     one, so that routes can match on it; that label does not count
//     against the 64 below.
//   - labels: an object of at most 64 string values of at most 1024 bytes,
//     named like Prometheus labels ([a-zA-Z_][a-zA-Z0-9_]*).
//   - annotations: an object of at most 64 string values of at most 1024
//     bytes, with names of 1 to 255 bytes without control characters.
//   - links: at most 20 objects {"href": ..., "text": ...}; href is an
//     absolute http or https URL of at most 2048 bytes, text at most 255
//     bytes.
//   - details: any JSON value of at most 16 KiB of UTF-8, kept as sent.
//   - starts_at, ends_at: RFC 3339 times (2026-03-01T02:00:00Z); ends_at may
//     not be before starts_at.
//
// A field sent as null counts as absent, an empty string does not
// ("severity": "" is refused). Fields Tocsin does not know are ignored, so
// senders written for a later version keep working.
//
// Parse is all or nothing: a body that is too large, malformed, or that
// carries one invalid alert is rejected whole with a tocsin.EInvalid error
// naming the position (malformed JSON at line 3, column 7) or the field
// (alerts[2].status: "fire" is not firing or resolved), so that a sender
// retrying on failure never has half a batch applied.
package generic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// Limits of the form, in bytes unless said otherwise.
const (
	MaxAlerts   = 1000     // alerts in one body
	MaxKey      = 255      // an alert's key
	MaxSummary  = 1024     // its summary
	MaxSource   = 255      // its source
	MaxEntries  = 64       // labels, and annotations, per alert
	MaxName     = 255      // an annotation's name
	MaxValue    = 1024     // a label's or an annotation's value
	MaxLinks    = 20       // links per alert
	MaxLinkHref = 2048     // a link's URL
	MaxLinkText = 255      // a link's text
	MaxDetails  = 16 << 10 // the details, as sent
)

// ErrTooLarge is wrapped by the error Parse returns for a body over its
// limit, so that a handler may answer 413 instead of 400. The error is a
// tocsin.EInvalid *tocsin.Error as well.
var ErrTooLarge = errors.New("alert body too large")

// severities are the accepted severities, from worst to mildest.
var severities = []string{"critical", "error", "warning", "info"}

// defaultSeverity is the severity of an alert that names none.
const defaultSeverity = "warning"

// labelNameForm is what a label name looks like, as in Prometheus.
const labelNameForm = "[a-zA-Z_][a-zA-Z0-9_]*"

var labelName = regexp.MustCompile(`^` + labelNameForm + `$`)

// alertFields are the fields of an alert, in the order they are checked.
// A batch body may not carry them beside "alerts".
var alertFields = []string{
	"key", "status", "summary", "source", "severity", "labels",
	"annotations", "links", "details", "starts_at", "ends_at",
}

// Parse reads a body of at most limit bytes, checks it and returns the
// alerts in the order sent. Every problem with the body is a *tocsin.Error
// with code EInvalid; a body over the limit also matches ErrTooLarge; only
// a failure to read r is returned as it is, wrapped.
func Parse(r io.Reader, limit int64) ([]tocsin.Alert, error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, err
	}
	top, err := decode(data)
	if err != nil {
		return nil, err
	}
	objs, err := split(top)
	if err != nil {
		return nil, err
	}
	alerts := make([]tocsin.Alert, len(objs))
	seen := make(map[string]int, len(objs))
	for i, o := range objs {
		a, err := o.alert()
		if err != nil {
			return nil, err
		}
		// Two alerts with one key would be one alert to the rest of Tocsin.
		if j, dup := seen[a.Key]; dup {
			return nil, invalid(o.path("key"), "same as %s", objs[j].name)
		}
		seen[a.Key] = i
		// The one place this path makes text storable: every string
		// becomes valid UTF-8 without NUL (the key was checked exact).
		sanitize.Alert(&a)
		alerts[i] = a
	}
	return alerts, nil
}

// tooLargeError is the error for a body over the limit: an EInvalid
// *tocsin.Error that also matches ErrTooLarge.
type tooLargeError struct{ err *tocsin.Error }

func (e *tooLargeError) Error() string   { return e.err.Error() }
func (e *tooLargeError) Unwrap() []error { return []error{e.err, ErrTooLarge} }

// readLimited reads all of r, failing once it goes past limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	n := limit
	if n < math.MaxInt64 {
		n++ // one byte more tells "exactly limit" from "over limit"
	}
	data, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("read generic alert body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{tocsin.Errorf(tocsin.EInvalid, "body larger than %d bytes", limit)}
	}
	return data, nil
}

// decode checks the syntax of data and splits the top-level object into
// its fields, naming the line and column of a syntax error.
func decode(data []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, tocsin.Errorf(tocsin.EInvalid, "body is empty; expected a JSON object")
	}
	// Unmarshal checks the whole document before it decodes anything, so
	// the values it hands back are well-formed JSON.
	var top map[string]json.RawMessage
	err := json.Unmarshal(data, &top)
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		line, col := position(data, syntaxErr.Offset)
		return nil, tocsin.Errorf(tocsin.EInvalid, "malformed JSON at line %d, column %d: %s",
			line, col, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case err != nil || top == nil: // not an object, or null
		return nil, tocsin.Errorf(tocsin.EInvalid,
			`body must be a JSON object (one alert, or {"alerts": [...]}), got %s`, kind(data))
	}
	return top, nil
}

// position turns the offset of a json.SyntaxError, the count of bytes read
// up to and including the bad one, into the 1-based line and column (in
// bytes) of that byte.
func position(data []byte, offset int64) (line, col int) {
	before := data[:min(max(offset-1, 0), int64(len(data)))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// kind names the kind of the JSON value raw, for messages.
func kind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// invalid returns an EInvalid error about the field at path.
func invalid(path, format string, args ...any) error {
	return tocsin.Errorf(tocsin.EInvalid, "%s: %s", path, fmt.Sprintf(format, args...))
}

// object is a JSON object whose fields are yet to be checked, with its
// name in messages ("alerts[2]", or "" for a body that is one alert).
type object struct {
	name   string
	fields map[string]json.RawMessage
}

// path names a field of o: "alerts[2].key", or "key".
func (o object) path(field string) string {
	if o.name == "" {
		return field
	}
	return o.name + "." + field
}

// split tells the two forms of body apart and returns the alert objects.
func split(top map[string]json.RawMessage) ([]object, error) {
	raw, batch := top["alerts"]
	if !batch {
		return []object{{fields: top}}, nil
	}
	for _, f := range alertFields {
		if v, ok := top[f]; ok && !isNull(v) {
			return nil, invalid(f, `not allowed beside "alerts": a body is one alert or {"alerts": [...]}, not both`)
		}
	}
	var items []json.RawMessage
	if k := kind(raw); k != "array" || json.Unmarshal(raw, &items) != nil {
		return nil, invalid("alerts", "must be an array of alerts, got %s", k)
	}
	switch {
	case len(items) == 0:
		return nil, invalid("alerts", "must hold at least one alert")
	case len(items) > MaxAlerts:
		return nil, invalid("alerts", "%d alerts, at most %d are accepted", len(items), MaxAlerts)
	}
	objs := make([]object, len(items))
	for i, item := range items {
		name := fmt.Sprintf("alerts[%d]", i)
		m, err := asObject(name, item)
		if err != nil {
			return nil, err
		}
		objs[i] = object{name: name, fields: m}
	}
	return objs, nil
}

// asObject decodes raw, which must be a JSON object, into its fields.
func asObject(path string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if k := kind(raw); k != "object" || json.Unmarshal(raw, &m) != nil {
		return nil, invalid(path, "must be an object, got %s", k)
	}
	return m, nil
}

// raw returns the field name of o, and false if it is absent or null.
func (o object) raw(name string) (json.RawMessage, bool) {
	v, ok := o.fields[name]
	if !ok || isNull(v) {
		return nil, false
	}
	return v, true
}

// str returns the string field name of o, and false if it is absent.
func (o object) str(name string) (string, bool, error) {
	raw, ok := o.raw(name)
	if !ok {
		return "", false, nil
	}
	s, err := asString(o.path(name), raw)
	return s, err == nil, err
}

// asString decodes raw, which must be a JSON string.
func asString(path string, raw json.RawMessage) (string, error) {
	var s string
	if k := kind(raw); k != "string" || json.Unmarshal(raw, &s) != nil {
		return "", invalid(path, "must be a string, got %s", k)
	}
	return s, nil
}

// alert checks o and maps it to a tocsin.Alert, stopping at the first
// problem.
func (o object) alert() (tocsin.Alert, error) {
	var a tocsin.Alert
	var err error
	if a.Key, err = o.key(); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Status, err = o.status(); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Summary, err = o.text("summary", MaxSummary); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Summary == "" && a.Status == tocsin.AlertFiring {
		return tocsin.Alert{}, invalid(o.path("summary"), "required for a firing alert")
	}
	if a.Source, err = o.text("source", MaxSource); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Severity, err = o.severity(); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Labels, err = o.stringMap("labels", checkLabelName); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Annotations, err = o.stringMap("annotations", checkAnnotationName); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Links, err = o.links(); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Details, err = o.details(); err != nil {
		return tocsin.Alert{}, err
	}
	if a.StartsAt, err = o.timestamp("starts_at"); err != nil {
		return tocsin.Alert{}, err
	}
	if a.EndsAt, err = o.timestamp("ends_at"); err != nil {
		return tocsin.Alert{}, err
	}
	if !a.StartsAt.IsZero() && !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		return tocsin.Alert{}, invalid(o.path("ends_at"), "before starts_at")
	}
	// The severity is a label too, so that routes can match on it; the
	// sender's own label wins.
	if _, ok := a.Labels["severity"]; !ok {
		if a.Labels == nil {
			a.Labels = make(map[string]string, 1)
		}
		a.Labels["severity"] = a.Severity
	}
	return a, nil
}

func (o object) key() (string, error) {
	path := o.path("key")
	s, ok, err := o.str("key")
	s = strings.TrimSpace(s)
	switch {
	case err != nil:
		return "", err
	case !ok || s == "":
		return "", invalid(path, "required")
	case !exactKey(o, "key"):
		return "", invalid(path, "%s", keyNotExact)
	case len(s) > MaxKey:
		return "", invalid(path, "longer than %d bytes", MaxKey)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", invalid(path, "must not contain control characters")
	}
	return s, nil
}

// keyNotExact says why a key that decoding would alter is refused.
const keyNotExact = "is not valid UTF-8 or holds NUL (a raw byte or an escape such as \\ud800 or \\u0000 that decoding would replace); the key is the alert's identity and must be kept exactly"

// exactKey reports whether the string field name of o decodes exactly
// (see sanitize.Exact): replacing bytes in a key would merge two alerts.
func exactKey(o object, name string) bool {
	raw, ok := o.raw(name)
	return !ok || sanitize.Exact(raw)
}

func (o object) status() (tocsin.AlertStatus, error) {
	s, ok, err := o.str("status")
	switch {
	case err != nil:
		return "", err
	case !ok:
		return tocsin.AlertFiring, nil
	}
	switch st := tocsin.AlertStatus(s); st {
	case tocsin.AlertFiring, tocsin.AlertResolved:
		return st, nil
	}
	return "", invalid(o.path("status"), "%q is not firing or resolved", s)
}

// text returns a free-text field, trimmed, of at most max bytes.
func (o object) text(name string, max int) (string, error) {
	s, _, err := o.str(name)
	if err != nil {
		return "", err
	}
	if s = strings.TrimSpace(s); len(s) > max {
		return "", invalid(o.path(name), "longer than %d bytes", max)
	}
	return s, nil
}

func (o object) severity() (string, error) {
	s, ok, err := o.str("severity")
	switch {
	case err != nil:
		return "", err
	case !ok:
		return defaultSeverity, nil
	}
	if sev := strings.ToLower(strings.TrimSpace(s)); slices.Contains(severities, sev) {
		return sev, nil
	}
	return "", invalid(o.path("severity"), "%q is not one of %s", s, strings.Join(severities, ", "))
}

func checkLabelName(name string) error {
	if !labelName.MatchString(name) {
		return fmt.Errorf("%q is not a label name (%s)", name, labelNameForm)
	}
	return nil
}

func checkAnnotationName(name string) error {
	switch {
	case name == "":
		return errors.New("an empty name is not allowed")
	case len(name) > MaxName:
		return fmt.Errorf("a name is longer than %d bytes", MaxName)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("name %q contains control characters", name)
	}
	return nil
}

// stringMap returns the string-to-string object name, nil if absent or
// empty. Its entries are checked in name order, so that the same body
// always gets the same message.
func (o object) stringMap(name string, checkName func(string) error) (map[string]string, error) {
	path := o.path(name)
	raw, ok := o.raw(name)
	if !ok {
		return nil, nil
	}
	m, err := asObject(path, raw)
	if err != nil {
		return nil, err
	}
	if len(m) > MaxEntries {
		return nil, invalid(path, "%d entries, at most %d are accepted", len(m), MaxEntries)
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := checkName(k); err != nil {
			return nil, invalid(path, "%s", err)
		}
		v, err := asString(entryPath(path, k), m[k])
		if err != nil {
			return nil, err
		}
		if len(v) > MaxValue {
			return nil, invalid(entryPath(path, k), "longer than %d bytes", MaxValue)
		}
		out[k] = v
	}
	return out, nil
}

// entryPath names the entry k of the object at path: labels.team, or
// annotations["Job URL"] when k is not a plain name.
func entryPath(path, k string) string {
	if labelName.MatchString(k) {
		return path + "." + k
	}
	return fmt.Sprintf("%s[%q]", path, k)
}

func (o object) links() ([]tocsin.Link, error) {
	path := o.path("links")
	raw, ok := o.raw("links")
	if !ok {
		return nil, nil
	}
	var items []json.RawMessage
	if k := kind(raw); k != "array" || json.Unmarshal(raw, &items) != nil {
		return nil, invalid(path, "must be an array, got %s", k)
	}
	if len(items) > MaxLinks {
		return nil, invalid(path, "%d links, at most %d are accepted", len(items), MaxLinks)
	}
	var links []tocsin.Link
	for i, item := range items {
		m, err := asObject(fmt.Sprintf("%s[%d]", path, i), item)
		if err != nil {
			return nil, err
		}
		l := object{name: fmt.Sprintf("%s[%d]", path, i), fields: m}
		href, _, err := l.str("href")
		if err != nil {
			return nil, err
		}
		switch href = strings.TrimSpace(href); {
		case href == "":
			return nil, invalid(l.path("href"), "required")
		case len(href) > MaxLinkHref:
			return nil, invalid(l.path("href"), "longer than %d bytes", MaxLinkHref)
		case !webURL(href):
			// Links are shown to people; a javascript: or data: URL must not be.
			return nil, invalid(l.path("href"), "%q is not an absolute http or https URL", href)
		}
		text, err := l.text("text", MaxLinkText)
		if err != nil {
			return nil, err
		}
		links = append(links, tocsin.Link{Href: href, Text: text})
	}
	return links, nil
}

func (o object) details() (json.RawMessage, error) {
	raw, ok := o.raw("details")
	if !ok {
		return nil, nil
	}
	switch {
	case len(raw) > MaxDetails:
		return nil, invalid(o.path("details"), "larger than %d bytes", MaxDetails)
	case !utf8.Valid(raw):
		// Strings elsewhere are decoded, which mends bad UTF-8; the details
		// are kept as sent, so they must be valid JSON text as they are.
		return nil, invalid(o.path("details"), "not valid UTF-8")
	}
	return raw, nil
}

// timestamp returns an RFC 3339 time field in UTC, zero if absent.
func (o object) timestamp(name string) (time.Time, error) {
	s, ok, err := o.str(name)
	if err != nil || !ok {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalid(o.path(name), "%q is not an RFC 3339 time like 2026-03-01T02:00:00Z", s)
	}
	// A zone offset can carry year 0 or 9999 out of what RFC 3339, and
	// so every later encoding of the time, can write.
	if t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, invalid(o.path(name), "%q is outside the years 0000 to 9999 in UTC", s)
	}
	return t, nil
}

// webURL reports whether s is an absolute http or https URL.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

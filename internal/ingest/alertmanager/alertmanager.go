// Package alertmanager reads the body of a Prometheus Alertmanager webhook
// (payload version 4) and turns it into Tocsin alerts.
//
// Parse is all or nothing: a body that is too large, malformed, of another
// version, or that carries one invalid alert is rejected whole with a
// tocsin.EInvalid error naming the field (alerts[2].fingerprint), so that
// Alertmanager's retry sees the failure and no group is half applied.
//
// An alert's identity is the group key plus its fingerprint, never its
// text: two alerts with the same summary stay two alerts, and a resolved
// notification closes exactly the alert that fired.
package alertmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// Version is the only webhook payload version Parse accepts.
const Version = "4"

// MaxAlerts is the largest number of alerts one payload may carry.
const MaxAlerts = 10000

// maxFingerprint bounds a fingerprint's length. Alertmanager sends 16 hex
// digits; senders that imitate it sometimes use a longer hash.
const maxFingerprint = 64

// Payload is the webhook body as Alertmanager sends it. Times are kept as
// sent; Parse checks them and the alerts it returns carry them parsed.
// Fields Tocsin does not know are ignored, so newer Alertmanagers work.
type Payload struct {
	Version            string            `json:"version"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    uint64            `json:"truncatedAlerts"`
	Status             string            `json:"status"`
	Receiver           string            `json:"receiver"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
	Alerts             []Alert           `json:"alerts"`
	NotificationReason string            `json:"notification_reason,omitempty"`
	RouteLabels        map[string]string `json:"routeLabels,omitempty"`
}

// Alert is one alert of a Payload, as sent.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Parse reads a webhook body of at most limit bytes, checks it and returns
// it decoded along with its alerts mapped to tocsin.Alert, in the order
// sent. Every problem with the body is a *tocsin.Error with code EInvalid;
// only a failure to read r is returned as it is, wrapped.
func Parse(r io.Reader, limit int64) (*Payload, []tocsin.Alert, error) {
	data, err := ReadLimited(r, limit)
	if err != nil {
		return nil, nil, err
	}
	p, err := Decode(data)
	if err != nil {
		return nil, nil, err
	}
	alerts, err := p.Map()
	if err != nil {
		return nil, nil, err
	}
	return p, alerts, nil
}

// Decode unmarshals a webhook body read whole, without checking its
// content, and refuses a groupKey that decoding altered. Errors name the
// position or the field, as Parse's do. Senders whose body extends
// Alertmanager's (Grafana) decode with it and map with Map.
func Decode(data []byte) (*Payload, error) {
	p, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := exactGroupKey(data, p.GroupKey); err != nil {
		return nil, err
	}
	return p, nil
}

// Map checks a decoded payload and maps its alerts, in the order sent,
// with every string made storable.
func (p *Payload) Map() ([]tocsin.Alert, error) {
	alerts, err := p.validate()
	if err != nil {
		return nil, err
	}
	// The one place this path makes text storable: every string becomes
	// valid UTF-8 without NUL (the key is the group key, checked exact,
	// and a hex fingerprint).
	for i := range alerts {
		sanitize.Alert(&alerts[i])
	}
	return alerts, nil
}

// exactGroupKey refuses a groupKey that decoding altered: it is part of
// every alert's key, and replacing its bytes would merge the alerts of
// distinct groups. Alertmanager itself always sends valid UTF-8, so the
// body is looked at again only when the decoded key holds what a
// replacement leaves.
func exactGroupKey(data []byte, groupKey string) error {
	if !strings.Contains(groupKey, sanitize.Replacement) && strings.IndexByte(groupKey, 0) < 0 {
		return nil
	}
	var raw struct {
		GroupKey json.RawMessage `json:"groupKey"`
	}
	if json.Unmarshal(data, &raw) == nil && sanitize.Exact(raw.GroupKey) {
		return nil
	}
	return tocsin.Errorf(tocsin.EInvalid, "groupKey: %s", "is not valid UTF-8 or holds NUL (a raw byte or an escape such as \\ud800 or \\u0000 that decoding would replace); the key is the alert's identity and must be kept exactly")
}

// ReadLimited reads all of r, failing once it goes past limit bytes.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	n := limit
	if n < math.MaxInt64 {
		n++ // one byte more tells "exactly limit" from "over limit"
	}
	data, err := io.ReadAll(io.LimitReader(r, n))
	if err != nil {
		return nil, fmt.Errorf("read webhook body: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, tocsin.Errorf(tocsin.EInvalid, "body larger than %d bytes", limit)
	}
	return data, nil
}

// decode unmarshals data, turning the json package's errors into messages
// that name the position (for syntax) or the field (for types).
func decode(data []byte) (*Payload, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, tocsin.Errorf(tocsin.EInvalid, "body is empty; expected a JSON object")
	}
	if p, ok := quickDecode(data); ok {
		return p, nil
	}
	var p Payload
	err := json.Unmarshal(data, &p)
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		line, col := position(data, syntaxErr.Offset)
		return nil, tocsin.Errorf(tocsin.EInvalid, "malformed JSON at line %d, column %d: %s",
			line, col, strings.TrimPrefix(syntaxErr.Error(), "json: "))
	case errors.As(err, &typeErr):
		return nil, typeError(data, typeErr)
	case err != nil:
		// Unmarshal checks syntax first and has no other decoding to do,
		// so this is not reached; still, never hand back a half-filled body.
		return nil, tocsin.Errorf(tocsin.EInvalid, "malformed JSON: %s", err)
	}
	// A JSON null decodes into an empty Payload without complaint.
	if data = bytes.TrimSpace(data); data[0] != '{' {
		return nil, tocsin.Errorf(tocsin.EInvalid, "body must be a JSON object, got %s", jsonKind(data[0]))
	}
	return &p, nil
}

// position turns the offset of a json.SyntaxError, which counts the bytes
// read up to and including the bad one, into the 1-based line and column
// of that byte.
func position(data []byte, offset int64) (line, col int) {
	before := data[:min(max(offset-1, 0), int64(len(data)))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// mapFields are the fields holding string-to-string objects, whose type
// errors concern a value rather than the field itself.
var mapFields = map[string]bool{
	"groupLabels": true, "commonLabels": true, "commonAnnotations": true,
	"routeLabels": true, "labels": true, "annotations": true,
}

// typeError names the field whose JSON type is wrong. The json package
// reports alerts.labels without the index, so on an error inside the
// alerts the array is decoded again, one alert at a time, to find it.
func typeError(data []byte, e *json.UnmarshalTypeError) error {
	path := e.Field
	// "alerts" alone is either the array or one of its elements.
	if path == "alerts" && e.Type.Kind() == reflect.Struct || strings.HasPrefix(path, "alerts.") {
		var raw struct {
			Alerts []json.RawMessage `json:"alerts"`
		}
		if json.Unmarshal(data, &raw) == nil {
			for i, a := range raw.Alerts {
				var ae *json.UnmarshalTypeError
				if errors.As(json.Unmarshal(a, new(Alert)), &ae) {
					e, path = ae, fmt.Sprintf("alerts[%d]", i)
					if ae.Field != "" {
						path += "." + ae.Field
					}
					break
				}
			}
		}
	}
	got, _, _ := strings.Cut(e.Value, " ") // "number -1" -> "number"
	switch last := path[strings.LastIndexByte(path, '.')+1:]; {
	case path == "":
		return tocsin.Errorf(tocsin.EInvalid, "body must be a JSON object, got %s", got)
	case mapFields[last] && e.Type.Kind() == reflect.String:
		return tocsin.Errorf(tocsin.EInvalid, "%s: values must be strings, got %s", path, got)
	case e.Type.Kind() == reflect.Uint64 && got == "number":
		return tocsin.Errorf(tocsin.EInvalid, "%s: must be a non-negative integer, got %s", path, e.Value)
	}
	return tocsin.Errorf(tocsin.EInvalid, "%s: must be %s, got %s", path, typeName(e.Type), got)
}

// typeName says in JSON terms what a Go type is decoded from.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Uint64:
		return "a non-negative integer"
	}
	return "a " + t.Kind().String()
}

// jsonKind names the kind of JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
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

// validate checks the payload and maps its alerts, stopping at the first
// problem.
func (p *Payload) validate() ([]tocsin.Alert, error) {
	switch {
	case p.Version == "":
		return nil, tocsin.Errorf(tocsin.EInvalid, "version: required; only %q is accepted", Version)
	case p.Version != Version:
		return nil, tocsin.Errorf(tocsin.EInvalid, "version: %q is not supported; only %q is accepted", p.Version, Version)
	case p.GroupKey == "":
		return nil, tocsin.Errorf(tocsin.EInvalid, "groupKey: required")
	}
	if err := checkStatus("status", p.Status); err != nil {
		return nil, err
	}
	switch {
	case p.Alerts == nil:
		return nil, tocsin.Errorf(tocsin.EInvalid, "alerts: required")
	case len(p.Alerts) == 0:
		return nil, tocsin.Errorf(tocsin.EInvalid, "alerts: must hold at least one alert")
	case len(p.Alerts) > MaxAlerts:
		return nil, tocsin.Errorf(tocsin.EInvalid, "alerts: %d alerts, at most %d are accepted", len(p.Alerts), MaxAlerts)
	}
	alerts := make([]tocsin.Alert, len(p.Alerts))
	seen := make(map[string]int, len(p.Alerts))
	for i := range p.Alerts {
		a, err := p.alert(i)
		if err != nil {
			return nil, err
		}
		// Two alerts with one key would be one alert to the rest of Tocsin.
		if j, dup := seen[a.Key]; dup {
			return nil, tocsin.Errorf(tocsin.EInvalid, "alerts[%d].fingerprint: same as alerts[%d]", i, j)
		}
		seen[a.Key] = i
		alerts[i] = a
	}
	return alerts, nil
}

// alert checks p.Alerts[i] and maps it to a tocsin.Alert.
func (p *Payload) alert(i int) (tocsin.Alert, error) {
	a := &p.Alerts[i]
	field := func(name string) string { return fmt.Sprintf("alerts[%d].%s", i, name) }

	if err := checkStatus(field("status"), a.Status); err != nil {
		return tocsin.Alert{}, err
	}
	if a.Labels == nil {
		return tocsin.Alert{}, tocsin.Errorf(tocsin.EInvalid, "%s: required", field("labels"))
	}
	alertname := strings.TrimSpace(a.Labels["alertname"])
	if alertname == "" {
		return tocsin.Alert{}, tocsin.Errorf(tocsin.EInvalid, "%s: required", field("labels.alertname"))
	}
	fp, err := fingerprint(a.Fingerprint)
	if err != nil {
		return tocsin.Alert{}, tocsin.Errorf(tocsin.EInvalid, "%s: %s", field("fingerprint"), err)
	}
	startsAt, err := parseTime(a.StartsAt)
	if err == nil && startsAt.IsZero() {
		err = errors.New("required")
	}
	if err != nil {
		return tocsin.Alert{}, tocsin.Errorf(tocsin.EInvalid, "%s: %s", field("startsAt"), err)
	}
	endsAt, err := parseTime(a.EndsAt)
	if err != nil {
		return tocsin.Alert{}, tocsin.Errorf(tocsin.EInvalid, "%s: %s", field("endsAt"), err)
	}

	out := tocsin.Alert{
		Key:         p.GroupKey + "/" + fp,
		Status:      tocsin.AlertStatus(a.Status),
		Summary:     firstNonEmpty(a.Annotations["summary"], a.Annotations["description"], alertname),
		Source:      firstNonEmpty(a.Labels["instance"], a.Labels["job"]),
		Severity:    severity(a.Labels["severity"]),
		Labels:      maps.Clone(a.Labels),
		Annotations: maps.Clone(a.Annotations),
		StartsAt:    startsAt,
		EndsAt:      endsAt,
	}
	if webURL(a.GeneratorURL) {
		out.GeneratorURL = a.GeneratorURL
		out.Links = append(out.Links, tocsin.Link{Href: a.GeneratorURL, Text: "Source"})
	}
	for _, l := range []struct{ annotation, text string }{
		{"runbook_url", "Runbook"},
		{"dashboard_url", "Dashboard"},
	} {
		if href := strings.TrimSpace(a.Annotations[l.annotation]); webURL(href) {
			out.Links = append(out.Links, tocsin.Link{Href: href, Text: l.text})
		}
	}
	return out, nil
}

// checkStatus accepts the two statuses Alertmanager sends.
func checkStatus(field, s string) error {
	switch tocsin.AlertStatus(s) {
	case tocsin.AlertFiring, tocsin.AlertResolved:
		return nil
	case "":
		return tocsin.Errorf(tocsin.EInvalid, "%s: required; must be firing or resolved", field)
	}
	return tocsin.Errorf(tocsin.EInvalid, "%s: %q is not firing or resolved", field, s)
}

// fingerprint checks a fingerprint is hex and returns it in lower case,
// so that one alert keeps one key whatever case it is sent in.
func fingerprint(s string) (string, error) {
	switch {
	case s == "":
		return "", errors.New("required")
	case len(s) > maxFingerprint:
		return "", fmt.Errorf("longer than %d characters", maxFingerprint)
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", fmt.Errorf("%q is not hexadecimal", s)
		}
	}
	return strings.ToLower(s), nil
}

// parseTime parses an RFC 3339 time. Alertmanager writes Go's zero time
// (0001-01-01T00:00:00Z) for "not set", which stays the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t, nil
}

// severity maps the severity label's many spellings to Tocsin's four
// levels. Anything else, or none, is a warning: loud enough to be seen,
// not loud enough to wake someone on a typo.
func severity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "fatal", "emergency", "emerg", "alert", "page", "p1":
		return "critical"
	case "error", "err", "major", "high", "p2":
		return "error"
	case "info", "informational", "notice", "low", "none", "debug", "p4", "p5":
		return "info"
	}
	return "warning"
}

// webURL reports whether s is an absolute http or https URL. Links are
// shown to people; a javascript: or data: URL from a payload must not be.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

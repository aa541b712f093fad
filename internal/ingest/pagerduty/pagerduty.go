// Package pagerduty speaks the alert half of PagerDuty's Events API v2
// (POST /v2/enqueue), so that anything able to page PagerDuty can page
// Tocsin by changing one URL: Parse reads and validates an event, Alert
// turns it into a tocsin.Alert, and Accepted and Invalid answer the way
// PagerDuty does.
//
// Validation reports every problem at once, as PagerDuty's "errors" list
// does, instead of stopping at the first one. The routing key is checked
// for shape only; which keys are known is for the caller to decide.
package pagerduty

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/sanitize"
)

// DefaultLimit is the body limit Parse applies when given none: PagerDuty
// refuses events over 512 KB.
const DefaultLimit = 512 << 10

// Limits on field lengths, in characters. PagerDuty's routing keys are
// exactly 32 characters; ours are whatever the configuration says, so
// only an upper bound is kept.
const (
	MaxRoutingKey = 128
	MaxDedupKey   = 255
	MaxSummary    = 1024
)

// Event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Severities, from worst to mildest.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// ErrTooLarge is wrapped by the *InvalidError Parse returns for a body
// over its limit, so that a handler may answer 413 instead of 400.
var ErrTooLarge = errors.New("event too large")

// Event is the body of POST /v2/enqueue.
type Event struct {
	RoutingKey  string  `json:"routing_key"`
	EventAction string  `json:"event_action"`
	DedupKey    string  `json:"dedup_key,omitempty"`
	Payload     Payload `json:"payload,omitzero"`
	Images      []Image `json:"images,omitempty"`
	Links       []Link  `json:"links,omitempty"`
	Client      string  `json:"client,omitempty"`
	ClientURL   string  `json:"client_url,omitempty"`
}

// Payload describes what happened. Summary, Source and Severity are
// required for a trigger; acknowledge and resolve may leave it out.
type Payload struct {
	Summary       string          `json:"summary,omitempty"`
	Source        string          `json:"source,omitempty"`
	Severity      string          `json:"severity,omitempty"`
	Timestamp     string          `json:"timestamp,omitempty"` // ISO 8601, with a zone
	Component     string          `json:"component,omitempty"`
	Group         string          `json:"group,omitempty"`
	Class         string          `json:"class,omitempty"`
	CustomDetails json.RawMessage `json:"custom_details,omitempty"` // any JSON, as sent
}

// Image is an image shown on the alert; Href is where clicking it leads.
type Image struct {
	Src  string `json:"src"`
	Href string `json:"href,omitempty"`
	Alt  string `json:"alt,omitempty"`
}

// Link is a link shown on the alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// InvalidError is the error for an event that cannot be accepted. Errors
// holds one line per problem, in the words PagerDuty's answer would use.
type InvalidError struct {
	Errors []string
	cause  error // ErrTooLarge, or nil
}

func (e *InvalidError) Error() string {
	return "invalid event: " + strings.Join(e.Errors, "; ")
}

// Unwrap returns ErrTooLarge for an oversized body, nil otherwise.
func (e *InvalidError) Unwrap() error { return e.cause }

// Parse reads one event of at most limit bytes (DefaultLimit if limit is
// not positive) and validates it. An event that is too large, not JSON,
// or wrong in any field yields an *InvalidError listing every problem; a
// failure to read r is returned wrapped.
func Parse(r io.Reader, limit int64) (*Event, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, &InvalidError{
			Errors: []string{fmt.Sprintf("Event is too large (should be at most %d bytes)", limit)},
			cause:  ErrTooLarge,
		}
	}
	e, problems := decode(body)
	if len(problems) == 0 {
		problems = e.validate()
	} else if e != nil {
		// Type errors first, then whatever else is wrong with the
		// fields that did decode.
		problems = append(problems, e.validate()...)
	}
	if len(problems) > 0 {
		return nil, &InvalidError{Errors: problems}
	}
	return e, nil
}

// decode turns body into an Event field by field, so that every field of
// the wrong type is reported rather than only the first. It returns a nil
// Event when body is not a JSON object at all.
func decode(body []byte) (*Event, []string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, []string{"Event body is empty"}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, []string{fmt.Sprintf("JSON parse error at byte %d: %s", syn.Offset, syn.Error())}
		}
		return nil, []string{"Event is invalid (must be a JSON object)"}
	}
	if top == nil { // the body was null
		return nil, []string{"Event is invalid (must be a JSON object)"}
	}

	d := &decoder{}
	e := &Event{
		RoutingKey:  d.str(top, "", "routing_key"),
		EventAction: d.str(top, "", "event_action"),
		DedupKey:    d.key(top, "dedup_key"),
		Client:      d.str(top, "", "client"),
		ClientURL:   d.str(top, "", "client_url"),
	}
	if p := d.object(top, "", "payload"); p != nil {
		e.Payload = Payload{
			Summary:   d.str(p, "payload.", "summary"),
			Source:    d.str(p, "payload.", "source"),
			Severity:  d.str(p, "payload.", "severity"),
			Timestamp: d.str(p, "payload.", "timestamp"),
			Component: d.str(p, "payload.", "component"),
			Group:     d.str(p, "payload.", "group"),
			Class:     d.str(p, "payload.", "class"),
		}
		if raw, ok := p["custom_details"]; ok && !isNull(raw) {
			e.Payload.CustomDetails = raw
		}
	}
	for i, item := range d.array(top, "images") {
		path := fmt.Sprintf("images[%d].", i)
		if m := d.element(item, path); m != nil {
			e.Images = append(e.Images, Image{
				Src:  d.str(m, path, "src"),
				Href: d.str(m, path, "href"),
				Alt:  d.str(m, path, "alt"),
			})
		}
	}
	for i, item := range d.array(top, "links") {
		path := fmt.Sprintf("links[%d].", i)
		if m := d.element(item, path); m != nil {
			e.Links = append(e.Links, Link{
				Href: d.str(m, path, "href"),
				Text: d.str(m, path, "text"),
			})
		}
	}
	return e, d.problems
}

// decoder collects type errors while fields are taken out of objects.
// Absent fields and JSON nulls read as zero values, as encoding/json
// would have them.
type decoder struct {
	problems []string
}

func (d *decoder) str(m map[string]json.RawMessage, prefix, name string) string {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.problems = append(d.problems, fmt.Sprintf("'%s%s' is invalid (must be a string)", prefix, name))
		return ""
	}
	return s
}

// key is str for an identity: one that decoding would alter (invalid
// UTF-8, an escaped lone surrogate or NUL) is a problem, not replaced,
// so that two keys never become one alert.
func (d *decoder) key(m map[string]json.RawMessage, name string) string {
	s := d.str(m, "", name)
	if raw, ok := m[name]; ok && s != "" && !sanitize.Exact(raw) {
		d.problems = append(d.problems, fmt.Sprintf("'%s' %s", name, "is not valid UTF-8 or holds NUL (a raw byte or an escape such as \\ud800 or \\u0000 that decoding would replace); the key is the alert's identity and must be kept exactly"))
		return ""
	}
	return s
}

func (d *decoder) object(m map[string]json.RawMessage, prefix, name string) map[string]json.RawMessage {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		d.problems = append(d.problems, fmt.Sprintf("'%s%s' is invalid (must be an object)", prefix, name))
		return nil
	}
	return obj
}

func (d *decoder) array(m map[string]json.RawMessage, name string) []json.RawMessage {
	raw, ok := m[name]
	if !ok || isNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		d.problems = append(d.problems, fmt.Sprintf("'%s' is invalid (must be an array)", name))
		return nil
	}
	return items
}

// element decodes one object of an array; path is its name with a
// trailing dot ("links[2].").
func (d *decoder) element(raw json.RawMessage, path string) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		d.problems = append(d.problems, fmt.Sprintf("'%s' is invalid (must be an object)", strings.TrimSuffix(path, ".")))
		return nil
	}
	return obj
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// validate returns every problem with the values of e's fields.
func (e *Event) validate() []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	tooLong := func(name, value string, max int) {
		if utf8.RuneCountInString(value) > max {
			add("Length of '%s' is incorrect (should be at most %d characters)", name, max)
		}
	}
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }

	if blank(e.RoutingKey) {
		add("'routing_key' is missing or blank")
	}
	tooLong("routing_key", e.RoutingKey, MaxRoutingKey)

	trigger := e.EventAction == ActionTrigger
	switch e.EventAction {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	case "":
		add("'event_action' is missing or blank")
	default:
		add("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
	}

	if blank(e.DedupKey) && (e.EventAction == ActionAcknowledge || e.EventAction == ActionResolve) {
		add("'dedup_key' is missing or blank (required for %s)", e.EventAction)
	}
	tooLong("dedup_key", e.DedupKey, MaxDedupKey)

	p := e.Payload
	if trigger {
		if blank(p.Summary) {
			add("'payload.summary' is missing or blank")
		}
		if blank(p.Source) {
			add("'payload.source' is missing or blank")
		}
		if p.Severity == "" {
			add("'payload.severity' is missing or blank")
		}
	}
	tooLong("payload.summary", p.Summary, MaxSummary)
	switch p.Severity {
	case "", SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
	default:
		add("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
	}
	if p.Timestamp != "" {
		if _, err := parseTimestamp(p.Timestamp); err != nil {
			add("'payload.timestamp' is invalid (must be an ISO 8601 date and time with a time zone)")
		}
	}

	// Links are shown to people (the API, pages), so only web URLs are let through.
	for i, img := range e.Images {
		if blank(img.Src) {
			add("'images[%d].src' is missing or blank", i)
		} else if !webURL(img.Src) {
			add("'images[%d].src' is invalid (must be an http or https URL)", i)
		}
		if img.Href != "" && !webURL(img.Href) {
			add("'images[%d].href' is invalid (must be an http or https URL)", i)
		}
	}
	for i, l := range e.Links {
		if blank(l.Href) {
			add("'links[%d].href' is missing or blank", i)
		} else if !webURL(l.Href) {
			add("'links[%d].href' is invalid (must be an http or https URL)", i)
		}
	}
	if e.ClientURL != "" && !webURL(e.ClientURL) {
		add("'client_url' is invalid (must be an http or https URL)")
	}
	return problems
}

// timestampLayouts are the ISO 8601 forms accepted: RFC 3339, and the
// zone without a colon that PagerDuty's own examples use
// (2015-07-17T08:42:58.315+0000). Fractional seconds are optional in all.
var timestampLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
}

func parseTimestamp(s string) (time.Time, error) {
	var err error
	for _, layout := range timestampLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// NewKey returns a random dedup key (32 hex digits) for a trigger that
// came without one.
func NewKey() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	return hex.EncodeToString(b[:])
}

// Alert maps a valid event to the domain. A trigger without a dedup key
// (or with a blank one) gets newKey() as its key, NewKey if newKey is nil:
// never anything derived from the summary, so two alerts with the same
// text stay two. Component, group and class become labels, the client an
// annotation, the client URL the alert's generator URL, and images stay
// whole (src, href, alt). StartsAt is the payload's timestamp, in UTC, when
// there is one.
func (e *Event) Alert(newKey func() string) tocsin.Alert {
	if newKey == nil {
		newKey = NewKey
	}
	a := tocsin.Alert{
		Key:          e.DedupKey,
		Summary:      e.Payload.Summary,
		Source:       e.Payload.Source,
		Severity:     e.Payload.Severity,
		GeneratorURL: e.ClientURL,
		Details:      e.Payload.CustomDetails,
	}
	if strings.TrimSpace(a.Key) == "" && e.EventAction == ActionTrigger {
		a.Key = newKey()
	}
	switch e.EventAction {
	case ActionTrigger:
		a.Status = tocsin.AlertFiring
	case ActionAcknowledge:
		a.Status = tocsin.AlertAcknowledged
	case ActionResolve:
		a.Status = tocsin.AlertResolved
	}
	if e.Payload.Timestamp != "" {
		if t, err := parseTimestamp(e.Payload.Timestamp); err == nil {
			a.StartsAt = t
		}
	}
	labels := map[string]string{}
	for k, v := range map[string]string{
		"component": e.Payload.Component,
		"group":     e.Payload.Group,
		"class":     e.Payload.Class,
	} {
		if v != "" {
			labels[k] = v
		}
	}
	if len(labels) > 0 {
		a.Labels = labels
	}
	if e.Client != "" {
		a.Annotations = map[string]string{"client": e.Client}
	}
	for _, l := range e.Links {
		a.Links = append(a.Links, tocsin.Link{Href: l.Href, Text: l.Text})
	}
	for _, img := range e.Images {
		a.Images = append(a.Images, tocsin.Image{Src: img.Src, Href: img.Href, Alt: img.Alt})
	}
	// The one place this path makes text storable: every string becomes
	// valid UTF-8 without NUL (the dedup key was checked exact by Parse).
	sanitize.Alert(&a)
	return a
}

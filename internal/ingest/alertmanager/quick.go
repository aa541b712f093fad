package alertmanager

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// quickDecode decodes a webhook body of the shape Alertmanager writes
// without encoding/json's reflection and its second pass over the body.
// It decodes what encoding/json would, or reports false: for anything it
// does not handle exactly as encoding/json does (a null, a key written in
// another case or given twice, a string that is not valid UTF-8, a lone
// surrogate, nesting deeper than maxQuickDepth) and for any error. decode
// then uses encoding/json, which also words the errors. FuzzQuickDecode
// holds the two equal.
func quickDecode(data []byte) (*Payload, bool) {
	r := &reader{b: data, ok: true}
	p := &Payload{}
	r.ws()
	if !r.object(payloadKeys, p.field) {
		return nil, false
	}
	r.ws()
	return p, r.ok && r.i == len(r.b)
}

// maxQuickDepth bounds the nesting of unknown fields quickDecode skips.
const maxQuickDepth = 64

// field decodes the payload's field named key.
func (p *Payload) field(r *reader, key string) bool {
	switch key {
	case "version":
		p.Version = r.str()
	case "groupKey":
		p.GroupKey = r.str()
	case "truncatedAlerts":
		p.TruncatedAlerts = r.uint()
	case "status":
		p.Status = r.str()
	case "receiver":
		p.Receiver = r.str()
	case "groupLabels":
		p.GroupLabels = r.strMap()
	case "commonLabels":
		p.CommonLabels = r.strMap()
	case "commonAnnotations":
		p.CommonAnnotations = r.strMap()
	case "externalURL":
		p.ExternalURL = r.str()
	case "notification_reason":
		p.NotificationReason = r.str()
	case "routeLabels":
		p.RouteLabels = r.strMap()
	case "alerts":
		p.Alerts = []Alert{}
		r.array(func() bool {
			p.Alerts = append(p.Alerts, Alert{})
			return r.object(alertKeys, p.Alerts[len(p.Alerts)-1].field)
		})
	default:
		return r.unknown(key, payloadKeys)
	}
	return r.ok
}

// field decodes the alert's field named key.
func (a *Alert) field(r *reader, key string) bool {
	switch key {
	case "status":
		a.Status = r.str()
	case "labels":
		a.Labels = r.strMap()
	case "annotations":
		a.Annotations = r.strMap()
	case "startsAt":
		a.StartsAt = r.str()
	case "endsAt":
		a.EndsAt = r.str()
	case "generatorURL":
		a.GeneratorURL = r.str()
	case "fingerprint":
		a.Fingerprint = r.str()
	default:
		return r.unknown(key, alertKeys)
	}
	return r.ok
}

// The JSON names of Payload's and Alert's fields, which encoding/json also
// matches in another case.
var (
	payloadKeys = []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
		"commonAnnotations", "externalURL", "alerts", "notification_reason", "routeLabels"}
	alertKeys = []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
)

// reader reads JSON from b at i; ok turns false at the first thing it does
// not take, and every method then does nothing.
type reader struct {
	b     []byte
	i     int
	ok    bool
	depth int
}

func (r *reader) fail() bool {
	r.ok = false
	return false
}

// ws skips white space.
func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and takes c if it comes next.
func (r *reader) next(c byte) bool {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object, handing each value to field with its key. One
// of the known keys given twice is refused: encoding/json would merge two
// objects under one key into one map.
func (r *reader) object(known []string, field func(r *reader, key string) bool) bool {
	if !r.next('{') {
		return r.fail()
	}
	if r.next('}') {
		return true
	}
	var seen []string // at most len(known)
	for {
		r.ws()
		key := r.str()
		if !r.ok || !r.next(':') || slices.Contains(seen, key) {
			return r.fail()
		}
		if slices.Contains(known, key) {
			seen = append(seen, key)
		}
		r.ws()
		if !field(r, key) {
			return r.fail()
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return r.fail()
		}
	}
}

// array reads an array, calling elem for each element.
func (r *reader) array(elem func() bool) {
	if !r.next('[') {
		r.fail()
		return
	}
	if r.next(']') {
		return
	}
	for {
		r.ws()
		if !elem() {
			r.fail()
			return
		}
		if r.next(']') {
			return
		}
		if !r.next(',') {
			r.fail()
			return
		}
	}
}

// strMap reads an object of strings.
func (r *reader) strMap() map[string]string {
	m := map[string]string{}
	r.object(nil, func(r *reader, key string) bool {
		m[key] = r.str() // a key given twice: the last wins, as in encoding/json
		return r.ok
	})
	return m
}

// unknown skips the value of a field Tocsin does not read, unless the key
// is a known one in another case, which encoding/json would take.
func (r *reader) unknown(key string, known []string) bool {
	for _, k := range known {
		if strings.EqualFold(key, k) {
			return r.fail()
		}
	}
	for i := range len(key) {
		if key[i] >= utf8.RuneSelf {
			return r.fail() // Unicode case folding is left to encoding/json
		}
	}
	r.skip()
	return r.ok
}

// skip reads any JSON value and drops it.
func (r *reader) skip() {
	if r.i >= len(r.b) {
		r.fail()
		return
	}
	switch c := r.b[r.i]; {
	case c == '"':
		r.str()
	case c == '{' || c == '[':
		if r.depth++; r.depth > maxQuickDepth {
			r.fail()
			return
		}
		if c == '{' {
			r.object(nil, func(r *reader, _ string) bool { r.skip(); return r.ok })
		} else {
			r.array(func() bool { r.skip(); return r.ok })
		}
		r.depth--
	case c == 't':
		r.literal("true")
	case c == 'f':
		r.literal("false")
	case c == '-' || '0' <= c && c <= '9':
		r.number()
	default:
		r.fail() // null among them: left to encoding/json
	}
}

func (r *reader) literal(s string) {
	if !strings.HasPrefix(string(r.b[r.i:min(len(r.b), r.i+len(s))]), s) {
		r.fail()
		return
	}
	r.i += len(s)
}

// number reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *reader) number() {
	digits := func() int {
		n := 0
		for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	start := r.i
	if n := digits(); n == 0 || n > 1 && r.b[start] == '0' {
		r.fail()
		return
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			r.fail()
			return
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			r.fail()
		}
	}
}

// uint reads a non-negative integer that fits a uint64.
func (r *reader) uint() uint64 {
	start := r.i
	for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
		r.i++
	}
	s := string(r.b[start:r.i])
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || len(s) > 1 && s[0] == '0' || r.i < len(r.b) && strings.IndexByte(".eE", r.b[r.i]) >= 0 {
		r.fail()
		return 0
	}
	return n
}

// str reads a string. Text without escapes is copied once; escapes are
// decoded as encoding/json decodes them.
func (r *reader) str() string {
	if !r.ok || r.i >= len(r.b) || r.b[r.i] != '"' {
		r.fail()
		return ""
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(r.b[start : r.i-1])
		case c == '\\' || c >= utf8.RuneSelf:
			return r.escaped(start)
		case c < ' ':
			r.fail()
			return ""
		}
		r.i++
	}
	r.fail()
	return ""
}

// escaped reads the rest of a string that holds escapes or non-ASCII
// text, from start, its first byte.
func (r *reader) escaped(start int) string {
	out := make([]byte, 0, 2*(r.i-start)+16)
	out = append(out, r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return string(out)
		case c < ' ':
			r.fail()
			return ""
		case c >= utf8.RuneSelf:
			ru, size := utf8.DecodeRune(r.b[r.i:])
			if ru == utf8.RuneError && size == 1 {
				r.fail() // encoding/json replaces it; left to encoding/json
				return ""
			}
			out = append(out, r.b[r.i:r.i+size]...)
			r.i += size
			continue
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			break
		}
		r.i += 2
		switch e := r.b[r.i-1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			ru := r.hex4()
			if utf16.IsSurrogate(ru) {
				// Only a high surrogate followed by a low one makes a
				// character; anything else is left to encoding/json.
				if r.i+1 >= len(r.b) || r.b[r.i] != '\\' || r.b[r.i+1] != 'u' {
					r.fail()
					return ""
				}
				r.i += 2
				if ru = utf16.DecodeRune(ru, r.hex4()); ru == utf8.RuneError {
					r.fail()
					return ""
				}
			}
			if !r.ok {
				return ""
			}
			out = utf8.AppendRune(out, ru)
		default:
			r.fail()
			return ""
		}
	}
	r.fail()
	return ""
}

// hex4 reads the four hex digits of a \u escape.
func (r *reader) hex4() rune {
	if r.i+4 > len(r.b) {
		r.fail()
		return 0
	}
	n, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16)
	if err != nil {
		r.fail()
		return 0
	}
	r.i += 4
	return rune(n)
}

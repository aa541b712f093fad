// Package labels matches alert labels the way Alertmanager does: a matcher
// is a label name, an operator (=, !=, =~, !~) and a value, and a set of
// matchers matches when every one of them does. Routes, inhibition rules and
// silences are all written as matcher sets, in Alertmanager's syntax, so a
// team's existing rules read the same in Tocsin.
package labels

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Op is a matcher's operator.
type Op string

// The four operators.
const (
	Equal     Op = "="
	NotEqual  Op = "!="
	Regexp    Op = "=~"
	NotRegexp Op = "!~"
)

// Matcher tests one label. A label that is absent has the value "", as in
// Alertmanager: `team=""` matches alerts without a team.
type Matcher struct {
	Name  string
	Op    Op
	Value string
	re    *regexp.Regexp // anchored at both ends, for =~ and !~
}

// New builds a matcher, compiling the value of a regexp operator.
func New(name string, op Op, value string) (Matcher, error) {
	m := Matcher{Name: name, Op: op, Value: value}
	if !validName(name) {
		return Matcher{}, fmt.Errorf("%q is not a valid label name", name)
	}
	switch op {
	case Equal, NotEqual:
	case Regexp, NotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("label %s: bad regular expression %q: %v", name, value, err)
		}
		m.re = re
	default:
		return Matcher{}, fmt.Errorf("%q is not an operator (=, !=, =~, !~)", op)
	}
	return m, nil
}

// Matches reports whether labels satisfy m.
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Op {
	case Equal:
		return v == m.Value
	case NotEqual:
		return v != m.Value
	case Regexp:
		return m.re.MatchString(v)
	case NotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// String writes m back in the syntax Parse reads.
func (m Matcher) String() string {
	return m.Name + string(m.Op) + strconv.Quote(m.Value)
}

// Parse reads one matcher: name, operator, value, as in
// `severity=~"critical|error"` or `team = payments`. The value may be
// double-quoted (with Go escapes) or bare; a bare value is trimmed.
func Parse(s string) (Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		if i == 0 {
			return Matcher{}, fmt.Errorf("%q: label name missing before the operator", s)
		}
		return Matcher{}, fmt.Errorf("%q: no operator (=, !=, =~, !~)", s)
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op Op
	switch {
	case strings.HasPrefix(rest, "=~"):
		op = Regexp
	case strings.HasPrefix(rest, "!~"):
		op = NotRegexp
	case strings.HasPrefix(rest, "!="):
		op = NotEqual
	case strings.HasPrefix(rest, "="):
		op = Equal
	default:
		return Matcher{}, fmt.Errorf("%q: no operator (=, !=, =~, !~)", s)
	}
	value := strings.TrimSpace(rest[len(op):])
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return Matcher{}, fmt.Errorf("%q: value %s is not a well-formed quoted string", s, value)
		}
		value = v
	}
	m, err := New(name, op, value)
	if err != nil {
		return Matcher{}, fmt.Errorf("%q: %v", s, err)
	}
	return m, nil
}

// Set is matchers that must all match. An empty set matches everything.
type Set []Matcher

// ParseSet reads matchers written one per string.
func ParseSet(ss []string) (Set, error) {
	set := make(Set, 0, len(ss))
	for i, s := range ss {
		m, err := Parse(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %v", i, err)
		}
		set = append(set, m)
	}
	return set, nil
}

// Matches reports whether every matcher of s matches labels.
func (s Set) Matches(labels map[string]string) bool {
	for _, m := range s {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

// Strings writes the set back, one matcher per string.
func (s Set) Strings() []string {
	out := make([]string, len(s))
	for i, m := range s {
		out[i] = m.String()
	}
	return out
}

// validName reports whether s is a Prometheus label name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

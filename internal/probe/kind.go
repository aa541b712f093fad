package probe

import (
	"net"
	"time"
)

// Kind is one kind of probe (http, tcp, ...): the name the config file and
// the stored spec give it, and the settings it takes. Each kind lives in a
// package of its own and is listed once, in package kinds.
type Kind interface {
	// Name is the probe's type in the config file and the stored spec.
	Name() string
	// Settings returns a zero value of the kind's settings, a pointer to a
	// struct whose yaml and json tags name its fields in the config file
	// and in the stored spec.
	Settings() Settings
}

// Settings are one probe's settings of its kind, decoded from the config
// file (yaml tags) or from the stored spec (json tags, the same keys). The
// type and the timeout, which every kind has, are not among them. The
// config file can hold strings, ints, bools, time.Duration (written 90s or
// 1h30m), pointers to these, and lists and maps of them; a field without a
// yaml key is left alone.
type Settings interface {
	// Validate checks the settings as decoded from the config file and
	// fills in defaults, reporting each problem at its field.
	Validate(v Validator)
	// Target says what the probe looks at, for people (timelines, the API).
	Target() string
	// New builds the prober, which runs under timeout; an error is a
	// setting the kind cannot use.
	New(timeout time.Duration, clock interface{ Now() time.Time }) (Prober, error)
}

// Validator is what a kind's Validate reports to. Fields are named by their
// yaml key within the probe block ("url", "expect_status[1]"); the config
// package turns them into file:line and full field paths.
type Validator interface {
	// Kind is the name of the kind being validated, for messages.
	Kind() string
	// Set reports whether field was given in the file.
	Set(field string) bool
	// Errorf reports a problem with field.
	Errorf(field, format string, args ...any)
	// Int sets *v to def when field was not given, and reports it when it
	// is outside lo..hi.
	Int(field string, v *int, def, lo, hi int)
	// HTTPURL reports field unless value is an absolute http(s) URL.
	HTTPURL(field, value string)
	// Quote quotes a value for a message, shortened and with any URL
	// credentials hidden.
	Quote(s string) string
}

// Required reports field when value is empty, with an example of a value.
func Required(v Validator, field, value, example string) {
	if value == "" {
		v.Errorf(field, "required for %s probes, like %s", v.Kind(), example)
	}
}

// HostPort reports field unless value is empty or host:port with a port.
func HostPort(v Validator, field, value string) {
	if value == "" {
		return
	}
	if _, port, err := net.SplitHostPort(value); err != nil || port == "" {
		v.Errorf(field, "must be host:port, got %s", v.Quote(value))
	}
}

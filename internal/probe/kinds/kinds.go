// Package kinds is the registry of probe kinds: the one list of their
// names. The config file's probe blocks are decoded and validated through
// it, and a probe's stored spec is read and built through it, so neither
// the config nor the runner knows any kind.
package kinds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/dnsprobe"
	"github.com/tocsinhq/tocsin/internal/probe/httpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/icmpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/tcpprobe"
	"github.com/tocsinhq/tocsin/internal/probe/tlsprobe"
)

// all lists every probe kind, in the order error messages name them. A new
// kind goes at the end: the first five keep the order in which their keys
// have always been stored and printed.
var all = []probe.Kind{
	httpprobe.Kind,
	tcpprobe.Kind,
	dnsprobe.Kind,
	tlsprobe.Kind,
	icmpprobe.Kind,
}

// All returns every probe kind, in the order error messages name them.
func All() []probe.Kind { return all }

// Names returns the names of the kinds, for messages: "http, tcp, ...".
func Names() string {
	names := make([]string, len(all))
	for i, k := range all {
		names[i] = k.Name()
	}
	return strings.Join(names, ", ")
}

// Lookup returns the kind named name.
func Lookup(name string) (probe.Kind, bool) {
	for _, k := range all {
		if k.Name() == name {
			return k, true
		}
	}
	return nil, false
}

// Spec is a probe as stored with its check (JSON): its type and timeout
// and its kind's settings, side by side in one object.
type Spec struct {
	Type    string
	Timeout time.Duration
	// Settings are nil when Type names no kind.
	Settings probe.Settings
}

// head is the part of a stored spec that every kind has.
type head struct {
	Type    string        `json:"type"`
	Timeout time.Duration `json:"timeout"`
}

// Target says what a probe looks at, for people.
func (s Spec) Target() string {
	if s.Settings == nil {
		return ""
	}
	return s.Settings.Target()
}

// Parse decodes a stored spec. An unknown type is not an error here:
// building the prober reports it.
func Parse(raw string) (Spec, error) {
	var h head
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		return Spec{}, fmt.Errorf("probe spec: %w", err)
	}
	s := Spec{Type: h.Type, Timeout: h.Timeout}
	if k, ok := Lookup(h.Type); ok {
		s.Settings = k.Settings()
		if err := json.Unmarshal([]byte(raw), s.Settings); err != nil {
			return s, fmt.Errorf("probe spec: %w", err)
		}
	}
	return s, nil
}

// Marshal encodes a spec for storage: its type and timeout, then the
// kind's settings, keys in the order of the kinds that first declare them.
// This is the order in which specs have always been stored, so an
// unchanged probe keeps its stored spec byte for byte.
func (s Spec) Marshal() (string, error) {
	raw, err := json.Marshal(head{Type: s.Type, Timeout: s.Timeout})
	if err != nil || s.Settings == nil {
		return string(raw), err
	}
	settings, err := json.Marshal(s.Settings)
	if err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(settings, &fields); err != nil {
		return "", err
	}
	keys := jsonKeys()
	for k := range fields {
		if !slices.Contains(keys, k) {
			keys = append(keys, k) // not a tagged field: after the rest
		}
	}
	buf := bytes.NewBuffer(raw[:len(raw)-1])
	for _, k := range keys {
		v, ok := fields[k]
		if !ok {
			continue
		}
		name, _ := json.Marshal(k)
		buf.WriteByte(',')
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.String(), nil
}

// jsonKeys lists the json keys of every kind's settings, each once, in the
// order of the kinds that first declare them.
func jsonKeys() []string {
	var keys []string
	for _, k := range all {
		t := reflect.TypeOf(k.Settings()).Elem()
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" && !slices.Contains(keys, name) {
				keys = append(keys, name)
			}
		}
	}
	return keys
}

// Build makes the prober a spec describes.
func Build(s Spec, clock interface{ Now() time.Time }) (probe.Prober, error) {
	if s.Settings == nil {
		return nil, fmt.Errorf("unknown probe type %q", s.Type)
	}
	return s.Settings.New(s.Timeout, clock)
}

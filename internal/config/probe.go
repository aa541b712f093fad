package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
	"go.yaml.in/yaml/v3"
)

var probeType = reflect.TypeFor[Probe]()

// probeKey is a key that some probe kind takes: the type of its value, and
// its place in the order messages list keys in.
type probeKey struct {
	typ    reflect.Type
	goName string // of the field, in the first kind that has the key
	kind   int    // index in the registry of the first kind that has it
	order  int
}

// probeKeys maps every key of every probe kind to the type of its value
// (the first kind's, where kinds share a key), and lists them in order.
// The registry is fixed, so this is worked out once.
var probeKeys = sync.OnceValues(func() (map[string]probeKey, []string) {
	keys := map[string]probeKey{}
	var order []string
	for ki, k := range kinds.All() {
		t := reflect.TypeOf(k.Settings()).Elem()
		for _, name := range yamlKeys(t) {
			if _, dup := keys[name]; !dup {
				f := t.Field(yamlFields(t)[name])
				keys[name] = probeKey{typ: f.Type, goName: f.Name, kind: ki, order: len(order)}
				order = append(order, name)
			}
		}
	}
	return keys, order
})

// yamlKeys lists the yaml keys of struct type t in field order.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// probe decodes a probe block: its type and timeout into pr, and the rest
// into the settings of the kind the type names. A key of another kind is
// decoded all the same (a bad value is reported as such) and left for
// validateProbe to refuse; a key of no kind is unknown.
func (d *decoder) probe(n *yaml.Node, pr *Probe, path string, viaAlias bool) {
	if n.Kind != yaml.MappingNode {
		d.badf(n.Line, path, "must be a mapping, got %s", describe(n))
		return
	}
	pairs := d.pairs(n, path, viaAlias)
	// The type says how to read the other keys: look at it first.
	for _, p := range pairs {
		t := p.val
		if t.Kind == yaml.AliasNode && t.Alias != nil {
			t = t.Alias
		}
		if p.key == "type" && t.Kind == yaml.ScalarNode && !isNull(t) {
			if k, ok := kinds.Lookup(t.Value); ok {
				pr.Settings = k.Settings()
			}
		}
	}
	own := yamlFields(probeType)
	var settings reflect.Value
	var kindFields map[string]int
	if pr.Settings != nil {
		settings = reflect.ValueOf(pr.Settings).Elem()
		kindFields = yamlFields(settings.Type())
	}
	keys, _ := probeKeys()
	for _, p := range pairs {
		kp := joinPath(path, p.key)
		if i, ok := own[p.key]; ok {
			d.value(p.val, reflect.ValueOf(pr).Elem().Field(i), kp, p.viaAlias)
		} else if i, ok := kindFields[p.key]; ok {
			d.value(p.val, settings.Field(i), kp, p.viaAlias)
		} else if k, ok := keys[p.key]; ok {
			d.value(p.val, reflect.New(k.typ).Elem(), kp, p.viaAlias)
		} else {
			all := allProbeKeys(own, keys)
			msg := "unknown key"
			if s := suggest(p.key, all); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			d.errorf(p.line, kp, "%s", msg)
		}
	}
}

// allProbeKeys joins the own keys of a probe block and those of its kinds, for
// suggestions.
func allProbeKeys(own map[string]int, keys map[string]probeKey) map[string]int {
	all := make(map[string]int, len(own)+len(keys))
	for k, i := range own {
		all[k] = i
	}
	for k, v := range keys {
		all[k] = v.order
	}
	return all
}

// validateProbe checks the probe check at p: its interval, thresholds and
// timeout here, the rest by its kind.
func (d *decoder) validateProbe(p string, c *Check) {
	pr := &c.Probe
	pp := p + ".probe"
	d.duration(p+".interval", &c.Interval, DefaultProbeInterval)
	d.intDefault(p+".failures_before_down", &c.FailuresBeforeDown, 2, 1, 100)
	d.intDefault(p+".successes_before_up", &c.SuccessesBeforeUp, 1, 1, 100)
	// A probe's timeout is the deadline of one run, not a period: a short
	// one (2s for a health endpoint) is normal, so it earns no warning.
	if !d.set[pp+".timeout"] {
		pr.Timeout = Duration(DefaultProbeTimeout)
	}
	if !d.set[pp+".timeout"] && pr.Timeout >= c.Interval {
		pr.Timeout = c.Interval / 2
	}
	if pr.Timeout >= c.Interval {
		d.fieldErrorf(pp+".timeout", "must be less than the interval (%s), got %s", c.Interval, pr.Timeout)
	}
	k, ok := kinds.Lookup(pr.Type)
	if !ok || pr.Settings == nil {
		d.fieldErrorf(pp+".type", "must be one of %s, got %s", kinds.Names(), quote(pr.Type))
		return
	}
	fields := yamlKeys(reflect.TypeOf(pr.Settings).Elem())
	allowed := map[string]bool{}
	for _, f := range fields {
		allowed[f] = true
	}
	_, order := probeKeys()
	for _, f := range order {
		if d.set[pp+"."+f] && !allowed[f] {
			d.fieldErrorf(pp+"."+f, "not used by %s probes (they use: %s)", pr.Type, strings.Join(fields, ", "))
		}
	}
	pr.Settings.Validate(probeValidator{d: d, path: pp, kind: k.Name()})
}

// probeValidator is what a probe kind validates its settings with: field
// paths within the block become full paths with their lines.
type probeValidator struct {
	d    *decoder
	path string // of the probe block
	kind string
}

func (v probeValidator) Kind() string          { return v.kind }
func (v probeValidator) Set(field string) bool { return v.d.set[v.path+"."+field] }
func (v probeValidator) Quote(s string) string { return quote(s) }

func (v probeValidator) Errorf(field, format string, args ...any) {
	v.d.fieldErrorf(v.path+"."+field, format, args...)
}

func (v probeValidator) Int(field string, p *int, def, lo, hi int) {
	v.d.intDefault(v.path+"."+field, p, def, lo, hi)
}

func (v probeValidator) HTTPURL(field, value string) {
	if err := checkHTTPURL(value); err != nil {
		v.d.fieldErrorf(v.path+"."+field, "%s", err)
	}
}

var _ probe.Validator = probeValidator{}

// flatKinds is how many kinds, first in the registry (http, tcp, dns, tls,
// icmp), once had their keys in one struct. A probe is still written with
// all of their keys, as it was then; a later kind adds only its own keys,
// and only to its own probes, so adding a kind changes no other probe.
const flatKinds = 5

// MarshalJSON writes the probe as it was written when one struct held the
// fields of every kind: its type and timeout, then every key of the first
// flatKinds kinds under its Go name, zero where the probe's kind has no
// such key. Check fingerprints hash this, and fingerprints are stored, so
// it must not change for a probe that did not.
func (p Probe) MarshalJSON() ([]byte, error) { return json.Marshal(p.flat()) }

// MarshalYAML writes the probe as MarshalJSON does, under its yaml keys:
// the printed config shows those keys, as it always has.
func (p Probe) MarshalYAML() (any, error) { return p.flat(), nil }

// flat returns the probe as one struct: its type, its timeout, the keys of
// the first flatKinds kinds and its own, in the order of probeKeys.
func (p Probe) flat() any {
	keys, order := probeKeys()
	var settings reflect.Value
	var own map[string]int
	if p.Settings != nil {
		settings = reflect.ValueOf(p.Settings).Elem()
		own = yamlFields(settings.Type())
	}
	fields := []reflect.StructField{
		{Name: "Type", Type: reflect.TypeFor[string](), Tag: `yaml:"type"`},
		{Name: "Timeout", Type: durationType, Tag: `yaml:"timeout"`},
	}
	var from []int // per field after the first two: the settings field, or -1
	for _, k := range order {
		j, mine := own[k]
		if keys[k].kind >= flatKinds && !mine {
			continue
		}
		t := keys[k].typ
		if t == stdDurationType {
			t = durationType // printed as 2s, as the file writes it
		}
		if !mine || !settings.Field(j).Type().ConvertibleTo(t) {
			j = -1
		}
		fields = append(fields, reflect.StructField{Name: keys[k].goName, Type: t, Tag: reflect.StructTag(`yaml:"` + k + `"`)})
		from = append(from, j)
	}
	v := reflect.New(reflect.StructOf(fields)).Elem() // StructOf caches the type
	v.Field(0).SetString(p.Type)
	v.Field(1).SetInt(int64(p.Timeout))
	for i, j := range from {
		if j >= 0 {
			v.Field(2 + i).Set(settings.Field(j).Convert(fields[2+i].Type))
		}
	}
	return v.Interface()
}

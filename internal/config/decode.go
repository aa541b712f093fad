package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

const (
	// maxExpanded bounds the nodes read through aliases and merge keys, so a
	// small file of nested aliases ("billion laughs") cannot make the
	// decoder do unbounded work.
	maxExpanded = 100_000
	// maxErrors bounds the errors kept for one file; the rest are counted.
	maxErrors = 100
	// maxDepth bounds how deep values nest. The deepest legitimate config
	// is a tree of MaxRouteDepth routes, two levels per route (the route
	// and its routes list); this leaves room to report routes nested too
	// deeply as such, and ends a route list that aliases its own route.
	maxDepth = 4*MaxRouteDepth + 8
)

// decoder turns a YAML node tree into a Config, collecting every problem
// with its line and field path instead of stopping at the first.
type decoder struct {
	file       string
	errs       ErrorList
	dropped    int            // errors past maxErrors
	warnings   []string       // "file:line: path: text"
	lines      map[string]int // field path -> line, for every node seen
	set        map[string]bool
	expanded   int
	bad        map[string]bool     // paths with a decoding error
	badParents map[string]bool     // parents of those paths
	checking   bool                // validating, after decoding
	stop       bool                // a limit was hit; decode no further
	depth      int                 // nesting of the value being decoded
	open       map[*yaml.Node]bool // anchored nodes being decoded, to catch an alias inside its own anchor
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:       file,
		lines:      map[string]int{},
		set:        map[string]bool{},
		bad:        map[string]bool{},
		badParents: map[string]bool{},
		open:       map[*yaml.Node]bool{},
	}
}

// errorf records a problem at line. While validating, a problem with a
// field that already failed to decode, or with its parent or children, is
// left out: it would only repeat the first.
func (d *decoder) errorf(line int, path, format string, args ...any) {
	if d.checking && d.related(path) {
		return
	}
	if len(d.errs) >= maxErrors {
		d.dropped++
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// badf records a value that cannot be decoded.
func (d *decoder) badf(line int, path, format string, args ...any) {
	d.bad[path] = true
	for p := path; p != ""; {
		p = parentPath(p)
		if d.badParents[p] {
			break
		}
		d.badParents[p] = true
	}
	d.errorf(line, path, format, args...)
}

// fieldErrorf records a problem with a field after decoding, at the line
// of the field or of its nearest parent.
func (d *decoder) fieldErrorf(path, format string, args ...any) {
	d.errorf(d.line(path), path, format, args...)
}

// warnf records a non-fatal remark about a field.
func (d *decoder) warnf(path, format string, args ...any) {
	e := Error{File: d.file, Line: d.line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
	d.warnings = append(d.warnings, e.Error())
}

// related says whether path, one of its parents or one of its children
// failed to decode.
func (d *decoder) related(path string) bool {
	if d.badParents[path] {
		return true
	}
	for p := path; ; p = parentPath(p) {
		if d.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// line returns the line of path, or of its nearest parent that has one.
func (d *decoder) line(path string) int {
	for {
		if l, ok := d.lines[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// result returns the collected errors in line order, or nil.
func (d *decoder) result() error {
	if len(d.errs) == 0 {
		return nil
	}
	sort.SliceStable(d.errs, func(i, j int) bool { return d.errs[i].Line < d.errs[j].Line })
	if d.dropped > 0 {
		d.errs = append(d.errs, &Error{File: d.file, Msg: fmt.Sprintf("%d more errors not shown", d.dropped)})
	}
	return d.errs
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// yamlLine matches the line number in the syntax errors of the yaml package.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML reads the single document in data. It returns nil for a file
// with no document.
func (d *decoder) parseYAML(data []byte) (root *yaml.Node) {
	defer func() {
		// The yaml package reports errors by panicking internally and
		// recovers them itself; this guards against one that escapes.
		if r := recover(); r != nil {
			d.errorf(0, "", "invalid YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.yamlError(err, data)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		d.errorf(next.Line, "", "the file holds more than one YAML document; only one is allowed")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err, data)
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return &doc
}

// parserProblems are the errors of the yaml package's parser, as opposed
// to its scanner. The parser numbers lines from 0 where the scanner
// numbers them from 1.
var parserProblems = []string{
	"did not find expected key",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected <document start>",
}

var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

func (d *decoder) yamlError(err error, data []byte) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			if slices.Contains(parserProblems, m[2]) {
				n++
			}
			d.errorf(n, "", "invalid YAML: %s", m[2])
			return
		}
	}
	line := 0
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		// The yaml package gives no line here; the first use is a good guess.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = bytes.Count(data[:i], []byte("\n")) + 1
		}
	}
	d.errorf(line, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

var durationType = reflect.TypeFor[Duration]()

// stdDurationType is time.Duration, which the settings of probe kinds use;
// it is written like a Duration.
var stdDurationType = reflect.TypeFor[time.Duration]()

// zeroDurations lists, by struct type, the duration fields (yaml keys) for
// which 0 is a meaningful value rather than a mistake.
var zeroDurations = map[reflect.Type]map[string]bool{
	reflect.TypeFor[Service]():         {"group_wait": true},
	reflect.TypeFor[Check]():           {"reopen_after": true},
	reflect.TypeFor[CheckDefaults]():   {"reopen_after": true},
	reflect.TypeFor[Watchdog]():        {"min_episode": true},
	reflect.TypeFor[StatusComponent](): {"slow_over": true},
}

// value decodes n into v, which has the type of the field at path.
// viaAlias says n was reached through an alias or a merge key.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, viaAlias bool) {
	d.valueZero(n, v, path, viaAlias, false)
}

// valueZero is value; zeroOK says the field is a duration that may be 0.
func (d *decoder) valueZero(n *yaml.Node, v reflect.Value, path string, viaAlias, zeroOK bool) {
	if d.stop || n == nil {
		return
	}
	// Errors about an aliased value point at the alias, where the field is.
	line := n.Line
	if d.depth >= maxDepth {
		d.badf(line, path, "nested more than %d levels deep", maxDepth)
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(line, path, "unknown alias")
			return
		}
		n, viaAlias = n.Alias, true
	}
	if n.Anchor != "" {
		// An alias inside the value of its own anchor (&r {routes: [*r]})
		// would repeat it forever.
		if d.open[n] {
			d.badf(line, path, "alias *%s is inside the value it names, so it would never end", n.Anchor)
			return
		}
		d.open[n] = true
		defer delete(d.open, n)
	}
	if viaAlias {
		d.expanded++
		if d.expanded > maxExpanded {
			d.errorf(line, path, "aliases expand to more than %d values; write the config out", maxExpanded)
			d.stop = true
			return
		}
	}
	if _, ok := d.lines[path]; !ok {
		d.lines[path] = line
	}
	if isNull(n) {
		return
	}
	d.set[path] = true

	if v.Type() == probeType {
		d.probe(n, v.Addr().Interface().(*Probe), path, viaAlias)
		return
	}
	if v.Type() == durationType || v.Type() == stdDurationType {
		if n.Kind != yaml.ScalarNode {
			d.badf(line, path, "must be a duration like 90s, 1h30m, 1d or 2w, got %s", describe(n))
			return
		}
		dur, err := parseDurationZero(n.Value, zeroOK)
		if err != nil {
			d.badf(line, path, "%s", err.Error())
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.badf(line, path, "must be a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.badf(line, path, "must be an integer, got %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.badf(line, path, "must be true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), path, viaAlias)
		v.Set(p)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.badf(line, path, "must be a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), viaAlias)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.badf(line, path, "must be a mapping, got %s", describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, p := range d.pairs(n, path, viaAlias) {
			e := reflect.New(v.Type().Elem()).Elem()
			d.value(p.val, e, joinPath(path, p.key), p.viaAlias)
			m.SetMapIndex(reflect.ValueOf(p.key), e)
		}
		v.Set(m)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.badf(line, path, "must be a mapping, got %s", describe(n))
			return
		}
		fields := yamlFields(v.Type())
		for _, p := range d.pairs(n, path, viaAlias) {
			i, ok := fields[p.key]
			if !ok && path == "" && strings.HasPrefix(p.key, "x-") {
				// Top-level x- keys are free, a place to define anchors.
				continue
			}
			if !ok {
				msg := "unknown key"
				if s := suggest(p.key, fields); s != "" {
					msg += fmt.Sprintf("; did you mean %q?", s)
				}
				d.errorf(p.line, joinPath(path, p.key), "%s", msg)
				continue
			}
			d.valueZero(p.val, v.Field(i), joinPath(path, p.key), p.viaAlias, zeroDurations[v.Type()][p.key])
		}
	default:
		// Only reached if a field of an unsupported type is added.
		d.errorf(line, path, "cannot decode into %s", v.Type())
	}
}

// pair is one key and value of a mapping, merge keys resolved.
type pair struct {
	key      string
	line     int
	val      *yaml.Node
	viaAlias bool
}

// pairs lists the entries of mapping n: its own keys first, then those
// brought in by merge keys ("<<: *defaults") that it does not set itself.
// Duplicate keys and keys that are not strings are errors.
func (d *decoder) pairs(n *yaml.Node, path string, viaAlias bool) []pair {
	var own, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(val, path, map[*yaml.Node]bool{n: true}, 0)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k.Line, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, joinPath(path, k.Value), "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, pair{key: k.Value, line: k.Line, val: val, viaAlias: viaAlias})
	}
	for _, p := range merged {
		if _, dup := seen[p.key]; dup {
			continue
		}
		seen[p.key] = p.line
		own = append(own, p)
	}
	return own
}

// merge lists the entries a merge key brings in: a mapping or a list of
// mappings, earlier ones winning. visiting guards against a mapping that
// merges itself.
func (d *decoder) merge(v *yaml.Node, path string, visiting map[*yaml.Node]bool, depth int) []pair {
	if d.stop {
		return nil
	}
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	d.expanded += len(v.Content)
	if d.expanded > maxExpanded || depth > 8 {
		d.errorf(v.Line, path, "merge keys expand too far; write the config out")
		d.stop = true
		return nil
	}
	switch v.Kind {
	case yaml.MappingNode:
		if visiting[v] {
			d.errorf(v.Line, path, "merge key includes the mapping itself")
			return nil
		}
		visiting[v] = true
		defer delete(visiting, v)
		// The merged mapping's own keys win over those of its own merges.
		var own, nested []pair
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				nested = append(nested, d.merge(v.Content[i+1], path, visiting, depth+1)...)
				continue
			}
			if k.Kind != yaml.ScalarNode || isNull(k) {
				d.errorf(k.Line, path, "keys must be strings, got %s", describe(k))
				continue
			}
			own = append(own, pair{key: k.Value, line: k.Line, val: v.Content[i+1], viaAlias: true})
		}
		return append(own, nested...)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			if item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.MappingNode {
				d.errorf(item.Line, path, "merge key list must hold mappings, got %s", describe(item))
				continue
			}
			out = append(out, d.merge(item, path, visiting, depth+1)...)
		}
		return out
	}
	d.errorf(v.Line, path, "merge key must be a mapping or a list of mappings, got %s", describe(v))
	return nil
}

// yamlFields maps the yaml keys of struct type t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = i
	}
	return m
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for type errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!int", "!!float":
			return "the number " + quote(n.Value)
		case "!!bool":
			return "the boolean " + quote(n.Value)
		}
		return quote(n.Value)
	}
	return "an empty document"
}

// quote quotes s for a message (see kind.Quote).
func quote(s string) string { return kind.Quote(s) }

// suggest returns the known key closest to an unknown one, if it is close.
func suggest(key string, fields map[string]int) string {
	names := slices.Sorted(maps.Keys(fields))
	best, bestDist := "", 3
	norm := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	for _, f := range names {
		if dist := levenshtein(norm, f, bestDist); dist < bestDist {
			best, bestDist = f, dist
		}
	}
	return best
}

// levenshtein is the edit distance of a and b, or limit if it is larger.
func levenshtein(a, b string, limit int) int {
	if len(a) > 64 || len(b) > 64 {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

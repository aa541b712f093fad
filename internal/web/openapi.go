package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tocsinhq/tocsin/internal/auth"
)

// The OpenAPI 3.1 description of every route is built from the route table
// and the doc entries of apidoc.go: paths, methods and roles come from the
// table, request and response schemas from the Go types the handlers
// encode, so the description cannot drift from what is served. A route
// without a doc entry is left out, and TestOpenAPICoversRouteTable fails.

// openAPIDocument serves the description: GET /api/v1/openapi.json.
func (s *Server) openAPIDocument(w http.ResponseWriter, r *http.Request) {
	doc, err := openAPI(s.routes(), apiDocs)
	if err != nil {
		s.fail(w, r, fmt.Errorf("describe the API: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// openAPI describes routes with their doc entries.
func openAPI(routes []route, docs map[string]apiDoc) (map[string]any, error) {
	schemas := &schemaSet{defs: map[string]any{}, names: map[reflect.Type]string{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		if rt.page {
			continue // a page for people, not the API
		}
		d, ok := docs[rt.pattern]
		if !ok {
			continue // the test names it
		}
		method, path, hasMethod := strings.Cut(rt.pattern, " ")
		methods, opPaths := []string{method}, []string{path}
		if !hasMethod {
			methods, path = d.methods, rt.pattern
			opPaths = []string{path}
		}
		if len(d.paths) > 0 {
			opPaths = d.paths
		}
		if len(methods) == 0 {
			return nil, fmt.Errorf("%s: a route without a method needs methods in its doc entry", rt.pattern)
		}
		for _, p := range opPaths {
			for _, m := range methods {
				op, err := operation(rt, d, p, m, schemas)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", rt.pattern, err)
				}
				if paths[p] == nil {
					paths[p] = map[string]any{}
				}
				paths[p][strings.ToLower(m)] = op
			}
		}
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info": map[string]any{
			"title":   "Tocsin",
			"version": "1",
			"description": "Every operation names the least role it needs in x-tocsin-role (public, viewer, responder, admin) " +
				"and the route of Tocsin's route table it describes in x-tocsin-route. Errors of the JSON endpoints are " +
				`{"error": "<message>"}.`,
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas.defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An API token: Authorization: Bearer <token>."},
			},
		},
	}, nil
}

// pathParam finds the {name} wildcards of a path.
var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func operation(rt route, d apiDoc, path, method string, schemas *schemaSet) (map[string]any, error) {
	op := map[string]any{"summary": d.summary, "x-tocsin-role": rt.role.String(), "x-tocsin-route": rt.pattern}
	if d.description != "" {
		op["description"] = d.description
	}
	if rt.role == auth.Public {
		op["security"] = []any{}
	} else {
		op["security"] = []any{map[string]any{"bearer": []string{}}}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		p := param{name: m[1], schema: ""}
		if i := slices.IndexFunc(d.params, func(p param) bool { return p.name == m[1] }); i >= 0 {
			p = d.params[i]
		}
		s, err := schemas.of(reflect.TypeOf(p.schema))
		if err != nil {
			return nil, err
		}
		params = append(params, paramObject(p, "path", true, s))
	}
	pathNames := map[string]bool{}
	for _, m := range pathParam.FindAllStringSubmatch(strings.Join(append([]string{rt.pattern}, d.paths...), " "), -1) {
		pathNames[m[1]] = true // of this path or of another the route stands for
	}
	for _, p := range d.params {
		if pathNames[p.name] {
			continue
		}
		s, err := schemas.of(reflect.TypeOf(p.schema))
		if err != nil {
			return nil, err
		}
		params = append(params, paramObject(p, "query", p.required, s))
	}
	if params != nil {
		op["parameters"] = params
	}
	if d.body != nil && method != http.MethodGet && method != http.MethodHead {
		content, err := schemas.content(d.body)
		if err != nil {
			return nil, err
		}
		op["requestBody"] = map[string]any{"required": !d.bodyOptional, "content": content}
	}
	resp := map[string]any{}
	statuses := map[int]any{}
	for code, v := range d.responses {
		statuses[code] = v
	}
	if rt.role != auth.Public {
		statuses[http.StatusUnauthorized] = errorJSON{}
		statuses[http.StatusForbidden] = errorJSON{}
	}
	for code, v := range statuses {
		r := map[string]any{"description": http.StatusText(code)}
		if m, ok := v.(media); ok && m.description != "" {
			r["description"] = m.description
		}
		if method != http.MethodHead && v != nil {
			content, err := schemas.content(v)
			if err != nil {
				return nil, err
			}
			r["content"] = content
		}
		resp[strconv.Itoa(code)] = r
	}
	op["responses"] = resp
	return op, nil
}

func paramObject(p param, in string, required bool, schema map[string]any) map[string]any {
	o := map[string]any{"name": p.name, "in": in, "required": required, "schema": schema}
	if p.description != "" {
		o["description"] = p.description
	}
	return o
}

// schemaSet turns Go types into JSON Schema 2020-12, as encoding/json
// encodes them; named struct types become components.
type schemaSet struct {
	defs  map[string]any
	names map[reflect.Type]string
}

// content is the content map of a body: JSON of v's Go type, or a media.
func (s *schemaSet) content(v any) (map[string]any, error) {
	if m, ok := v.(media); ok {
		return map[string]any{m.contentType: map[string]any{"schema": m.schema}}, nil
	}
	if o, ok := v.(jsonOr); ok {
		c, err := s.content(o.json)
		if err == nil {
			c[o.alt.contentType] = map[string]any{"schema": o.alt.schema}
		}
		return c, err
	}
	schema, err := s.of(reflect.TypeOf(v))
	if err != nil {
		return nil, err
	}
	return map[string]any{"application/json": map[string]any{"schema": schema}}, nil
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (s *schemaSet) of(t reflect.Type) (map[string]any, error) {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}, nil
	case t == rawType:
		return map[string]any{}, nil // any JSON value
	case t.Kind() == reflect.Pointer:
		inner, err := s.of(t.Elem())
		return nullable(inner), err
	case t.Implements(reflect.TypeFor[json.Marshaler]()):
		return nil, fmt.Errorf("%s encodes itself: describe it by hand", t)
	}
	switch t.Kind() {
	case reflect.String:
		sch := map[string]any{"type": "string"}
		if vals, ok := enums[t]; ok {
			sch["enum"] = vals
		}
		return sch, nil
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, nil
	case reflect.Interface:
		return map[string]any{}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
		}
		items, err := s.of(t.Elem())
		return map[string]any{"type": "array", "items": items}, err
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: map keys must be strings", t)
		}
		values, err := s.of(t.Elem())
		return map[string]any{"type": "object", "additionalProperties": values}, err
	case reflect.Struct:
		if t.Name() == "" {
			return s.object(t)
		}
		name, ok := s.names[t]
		if !ok {
			var err error
			if name, err = s.componentName(t); err != nil {
				return nil, err
			}
			s.names[t] = name
			s.defs[name] = map[string]any{} // taken, for recursive types
			obj, err := s.object(t)
			if err != nil {
				return nil, err
			}
			s.defs[name] = obj
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}, nil
	}
	return nil, fmt.Errorf("%s: no JSON schema for kind %s", t, t.Kind())
}

// object describes a struct's fields as encoding/json writes them: a
// field with omitempty may be absent, any other is required; a slice or
// map without omitempty may be null (a nil one is). No other property is
// allowed, so that a field added to a type without its schema fails the
// API's test.
func (s *schemaSet) object(t reflect.Type) (map[string]any, error) {
	props := map[string]any{}
	required := []string{}
	if err := s.fields(t, props, &required); err != nil {
		return nil, err
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}, nil
}

func (s *schemaSet) fields(t reflect.Type, props map[string]any, required *[]string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if err := s.fields(f.Type, props, required); err != nil {
				return err
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		sch, err := s.of(f.Type)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t, f.Name, err)
		}
		optional := slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")
		if !optional {
			*required = append(*required, name)
			if k := f.Type.Kind(); k == reflect.Slice || k == reflect.Map {
				sch = nullable(sch)
			}
		}
		props[name] = sch
	}
	return nil
}

// componentName names a struct type in components: checkJSON is Check,
// userJSONOut User, unless componentNames says otherwise. Two types of one
// name are an error, so that names do not depend on which came first.
func (s *schemaSet) componentName(t reflect.Type) (string, error) {
	name, ok := componentNames[t]
	if !ok {
		name = strings.TrimSuffix(strings.Replace(t.Name(), "JSON", "", 1), "Out")
		r := []rune(name)
		r[0] = unicode.ToUpper(r[0])
		name = string(r)
	}
	for other, n := range s.names {
		if n == name && other != t {
			return "", fmt.Errorf("%s and %s are both named %s in components: name one in componentNames", t, other, name)
		}
	}
	return name, nil
}

// nullable lets a schema be null too.
func nullable(s map[string]any) map[string]any {
	typ, ok := s["type"].(string)
	if !ok {
		if len(s) == 0 {
			return s // anything, null included
		}
		return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
	}
	out := make(map[string]any, len(s))
	for k, v := range s {
		out[k] = v
	}
	out["type"] = []string{typ, "null"}
	if vals, ok := s["enum"].([]any); ok {
		out["enum"] = append(slices.Clone(vals), nil)
	}
	return out
}

package httpprobe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parsePath splits a JSON path such as "data.items.0.name" into its steps.
func parsePath(s string) ([]string, error) {
	steps := strings.Split(s, ".")
	for i, step := range steps {
		if step == "" {
			return nil, fmt.Errorf("%q: step %d is empty", s, i+1)
		}
	}
	return steps, nil
}

// checkJSON returns what is wrong with body at path, or "". name is the path
// as configured; equals, when not empty, is the value expected there.
func checkJSON(body []byte, path []string, name, equals string) string {
	doc, err := decodeJSON(body)
	if err != nil {
		return "body is not JSON: " + clip(err.Error(), maxShown)
	}
	v, err := lookup(doc, path)
	if err != nil {
		return clip(err.Error(), maxShown)
	}
	if equals != "" && !jsonEquals(v, equals) {
		return fmt.Sprintf("%s is %s, expected %q", clip(name, 100), clip(marshal(v), maxShown), clip(equals, 100))
	}
	return ""
}

// decodeJSON decodes exactly one JSON value, keeping numbers as written.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the first JSON value")
	}
	return doc, nil
}

// lookup walks path through a decoded JSON document: a step names a key of
// an object or an index of an array.
func lookup(v any, path []string) (any, error) {
	for i, step := range path {
		at := "$"
		if i > 0 {
			at = strings.Join(path[:i], ".")
		}
		switch node := v.(type) {
		case map[string]any:
			child, ok := node[step]
			if !ok {
				return nil, fmt.Errorf("%s has no key %q", at, step)
			}
			v = child
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n < 0 || n >= len(node) {
				return nil, fmt.Errorf("%s has no index %q (an array of %d)", at, step, len(node))
			}
			v = node[n]
		default:
			return nil, fmt.Errorf("%s is %s, not an object or array", at, kind(v))
		}
	}
	return v, nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "a value"
}

// jsonText is the plain text of a value: a string without its quotes,
// anything else as compact JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return marshal(v)
}

func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonEquals reports whether v matches want as plain text, as JSON text or,
// for numbers, by value.
func jsonEquals(v any, want string) bool {
	if jsonText(v) == want {
		return true
	}
	switch v := v.(type) {
	case string:
		return marshal(v) == want
	case json.Number:
		a, err1 := strconv.ParseFloat(v.String(), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(want), 64)
		return err1 == nil && err2 == nil && a == b
	}
	return false
}

package config

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The YAML examples of the README and docs/ are configs that users copy:
// each must pass `tocsin config check` with no error and no warning.
//
// A block preceded by the line "<!-- yaml: fragment -->" shows only part of
// a config: it is checked merged into the first complete example of the same
// page (its top-level lists extended, entries of the same name replaced).
// A block preceded by "<!-- yaml: not tocsin -->" is another program's file
// (Alertmanager's, say) and is skipped.

var (
	fenceOpenRE  = regexp.MustCompile("^(\\s*)```yaml\\s*$")
	fenceCloseRE = regexp.MustCompile("^\\s*```\\s*$")
	markerRE     = regexp.MustCompile(`^\s*<!-- yaml: (fragment|not tocsin) -->\s*$`)
)

type docBlock struct {
	line   int    // of the first YAML line
	marker string // "", "fragment" or "not tocsin"
	text   string
}

func docYAMLBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var blocks []docBlock
	for i := 0; i < len(lines); i++ {
		m := fenceOpenRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := docBlock{line: i + 2}
		if i > 0 {
			if mm := markerRE.FindStringSubmatch(lines[i-1]); mm != nil {
				b.marker = mm[1]
			}
		}
		var body []string
		j := i + 1
		for ; j < len(lines) && !fenceCloseRE.MatchString(lines[j]); j++ {
			body = append(body, strings.TrimPrefix(lines[j], m[1]))
		}
		if j == len(lines) {
			t.Fatalf("%s:%d: unclosed yaml block", file, i+1)
		}
		b.text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
		i = j
	}
	return blocks
}

// mergeFragment returns base with the top-level keys of frag laid over it:
// lists are joined (a base entry whose name the fragment also uses is
// dropped), anything else is replaced.
func mergeFragment(t *testing.T, base, frag string) string {
	t.Helper()
	var b, f yaml.Node
	if err := yaml.Unmarshal([]byte(base), &b); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(frag), &f); err != nil {
		t.Fatalf("fragment: %v", err)
	}
	bm, fm := b.Content[0], f.Content[0]
	for i := 0; i+1 < len(fm.Content); i += 2 {
		key, val := fm.Content[i], fm.Content[i+1]
		at := -1
		for k := 0; k+1 < len(bm.Content); k += 2 {
			if bm.Content[k].Value == key.Value {
				at = k
			}
		}
		switch {
		case at < 0:
			bm.Content = append(bm.Content, key, val)
		case val.Kind == yaml.SequenceNode && bm.Content[at+1].Kind == yaml.SequenceNode:
			names := map[string]bool{}
			for _, item := range val.Content {
				names[entryName(item)] = true
			}
			var kept []*yaml.Node
			for _, item := range bm.Content[at+1].Content {
				if n := entryName(item); n == "" || !names[n] {
					kept = append(kept, item)
				}
			}
			bm.Content[at+1].Content = append(kept, val.Content...)
		default:
			bm.Content[at+1] = val
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	if err := enc.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func entryName(n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func TestDocsYAMLExamplesPassConfigCheck(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"../../README.md"}, files...)
	checked := 0
	for _, file := range files {
		name := strings.TrimPrefix(file, "../../")
		var base string
		for _, b := range docYAMLBlocks(t, file) {
			text := b.text
			switch b.marker {
			case "not tocsin":
				continue
			case "fragment":
				if base == "" {
					t.Errorf("%s:%d: a fragment before any complete example on the page", name, b.line)
					continue
				}
				text = mergeFragment(t, base, b.text)
			}
			if b.marker == "" {
				// Blank lines in front make the errors' line numbers the page's.
				text = strings.Repeat("\n", b.line-1) + text
			}
			cfg, err := Parse(name, []byte(text))
			if err != nil {
				t.Errorf("%s:%d: example fails config check (fragment: %v):\n%v", name, b.line, b.marker == "fragment", err)
				continue
			}
			for _, w := range cfg.Warnings {
				t.Errorf("%s:%d: example earns a warning: %v", name, b.line, w)
			}
			if b.marker == "" && base == "" {
				base = b.text
			}
			checked++
		}
	}
	if checked < 5 {
		t.Fatalf("only %d YAML examples found in README.md and docs/", checked)
	}
}

package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A check's tags: kept as written when valid; each bad one refused with
// the file, line and path of the tag.
func TestCheckTags(t *testing.T) {
	many := make([]string, MaxTags+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	long := strings.Repeat("a", MaxTagLen)
	cases := []struct {
		name string
		tags string // the YAML value of tags
		want string // part of the error; "" for none
	}{
		{"none", "[]", ""},
		{"every character", "[web, eu-1, team_payments, v1.2, team:db, " + long + "]", ""},
		{"as many as allowed", "[" + strings.Join(many[:MaxTags], ", ") + "]", ""},
		{"upper case", "[web, Web]", `c.yaml:4: checks[0].tags[1]: must be 1 to 64 lowercase letters, digits, _, -, . or :, got "Web"`},
		{"space", `["two words"]`, `c.yaml:4: checks[0].tags[0]: must be 1 to 64`},
		{"empty", `[""]`, `checks[0].tags[0]: must be 1 to 64`},
		{"too long", "[" + long + "a]", `checks[0].tags[0]: must be 1 to 64`},
		{"other character", "[web/eu]", `checks[0].tags[0]: must be 1 to 64`},
		{"duplicate", "[web, eu, web]", `c.yaml:4: checks[0].tags[2]: tag "web" is already listed at checks[0].tags[0]`},
		{"too many", "[" + strings.Join(many, ", ") + "]", `c.yaml:4: checks[0].tags: at most 20 tags, got 21`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			writeTestFile(t, path, "checks:\n  - name: a\n    schedule: {every: 1h}\n    tags: "+tc.tags+"\n")
			cfg, err := Load(path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Checks[0].Tags; tc.tags != "[]" && !slices.Equal(got, strings.Split(strings.Trim(tc.tags, "[]"), ", ")) {
					t.Errorf("tags %q, want %s", got, tc.tags)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// Probes take tags as heartbeats do.
func TestProbeTags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeTestFile(t, path, "checks:\n  - name: a\n    probe: {type: tcp, address: \"db:5432\"}\n    tags: [db, Prod]\n")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), `c.yaml:4: checks[0].tags[1]: must be 1 to 64`) {
		t.Fatalf("error %v, want the bad tag at line 4", err)
	}
}

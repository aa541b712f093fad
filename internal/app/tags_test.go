package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// The config's tags reach the API (always a list), and ?tag= filters the
// check list: several tags, checks having all of them. A reload that
// changes a check's tags shows at once.
func TestCheckTagsInAPI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, `checks:
  - {name: shop, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1h}, tags: [web, eu]}
  - {name: api, schedule: {every: 1h}, tags: [web, us]}
  - {name: backup, schedule: {every: 1d}}
`)
	r := start(t, path, nil)
	list := func(query string) string {
		t.Helper()
		var body struct {
			Checks []struct {
				Name string
				Tags []string
			}
		}
		if code := r.get(t, "/api/v1/checks"+query, &body); code != 200 {
			t.Fatalf("GET /api/v1/checks%s: %d", query, code)
		}
		var out []string
		for _, c := range body.Checks {
			if c.Tags == nil {
				t.Fatalf("%s: tags missing or null", c.Name)
			}
			out = append(out, c.Name+"["+strings.Join(c.Tags, " ")+"]")
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ query, want string }{
		{"", "api[web us],backup[],shop[web eu]"},
		{"?tag=web", "api[web us],shop[web eu]"},
		{"?tag=web&tag=eu", "shop[web eu]"},
		{"?tag=eu&tag=us", ""},
		{"?tag=nope", ""},
	} {
		if got := list(tc.query); got != tc.want {
			t.Errorf("GET /api/v1/checks%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	var one struct{ Tags []string }
	r.get(t, "/api/v1/checks/0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", &one)
	if strings.Join(one.Tags, " ") != "web eu" {
		t.Errorf("one check's tags %q", one.Tags)
	}

	writeFile(t, path, `checks:
  - {name: shop, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1h}, tags: [eu]}
  - {name: api, schedule: {every: 1h}, tags: [web, us]}
  - {name: backup, schedule: {every: 1d}}
`)
	var res map[string]any
	if code := r.do(t, "POST", "/api/v1/config/reload", &res); code != 200 {
		t.Fatalf("reload: %d %v", code, res)
	}
	if got := list("?tag=web"); got != "api[web us]" {
		t.Errorf("after the reload, tag=web: %q", got)
	}
}

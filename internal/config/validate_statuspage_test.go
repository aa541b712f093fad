package config

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// statusBase defines what status pages bind: a probe, a heartbeat and a
// service. Its lines are 1 to 5; status_pages starts on line 6.
const statusBase = `channels: [{name: ops, type: webhook, url: "https://hooks.example.com/tocsin"}]
services: [{name: payments, notify: [ops]}, {name: search, notify: [ops]}]
checks:
  - {name: web, probe: {type: http, url: "https://shop.example.com/health"}, notify: [ops]}
  - {name: backup, schedule: {every: 1d}, notify: [ops]}
`

func TestStatusPageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, pages, want string
	}{
		{"slug missing", `
  - {title: T, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].slug: required: the page is served at /status/<slug>`},
		{"slug not URL-safe", `
  - {slug: Public_Page, title: T, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].slug: must be 1 to 64 lowercase letters, digits or -, starting with a letter or digit, got "Public_Page"`},
		{"slug too long", `
  - {slug: ` + strings.Repeat("a", 65) + `, title: T, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].slug: must be 1 to 64 lowercase letters, digits or -, starting with a letter or digit, got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"...`},
		{"slug twice", `
  - {slug: p, title: T, components: [{name: A, checks: [web]}]}
  - {slug: p, title: U, components: [{name: A, checks: [web]}]}`, `s.yaml:8: status_pages[1].slug: "p" is also the slug of status_pages[0] (line 7)`},
		{"title missing", `
  - {slug: p, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].title: required`},
		{"time zone unknown", `
  - {slug: p, title: T, time_zone: Mars/Olympus, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].time_zone: unknown time zone "Mars/Olympus"; use an IANA name like Europe/Paris or UTC`},
		{"hostname with scheme", `
  - {slug: p, title: T, hostname: "https://status.example.com", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a bare host name like status.example.com, without a scheme, got "https://status.example.com"`},
		{"hostname with port", `
  - {slug: p, title: T, hostname: "status.example.com:8443", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a bare host name like status.example.com, without a port, got "status.example.com:8443"`},
		{"hostname with path", `
  - {slug: p, title: T, hostname: "status.example.com/public", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a bare host name like status.example.com, without a path, got "status.example.com/public"`},
		{"hostname an IP address", `
  - {slug: p, title: T, hostname: "192.0.2.10", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a host name, not an IP address, got "192.0.2.10"`},
		{"hostname an IPv6 address", `
  - {slug: p, title: T, hostname: "[2001:db8::1]", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a host name, not an IP address, got "[2001:db8::1]"`},
		{"hostname bad label", `
  - {slug: p, title: T, hostname: "-status.example.com", components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].hostname: must be a host name like status.example.com: dot-separated labels of 1 to 63 letters, digits or - (not at either end), got "-status.example.com"`},
		{"hostname twice", `
  - {slug: p, title: T, hostname: status.example.com, components: [{name: A, checks: [web]}]}
  - {slug: q, title: U, hostname: Status.Example.com, components: [{name: A, checks: [web]}]}`, `s.yaml:8: status_pages[1].hostname: "status.example.com" is also the hostname of status_pages[0] (line 7)`},
		{"publish unknown", `
  - {slug: p, title: T, publish: manual, components: [{name: A, checks: [web]}]}`, `s.yaml:7: status_pages[0].publish: must be auto or draft, got "manual"`},
		{"no components", `
  - {slug: p, title: T}`, `s.yaml:7: status_pages[0].components: required: at least one component, like {name: API, checks: [web]}`},
		{"component name missing", `
  - slug: p
    title: T
    components:
      - {checks: [web]}`, `s.yaml:10: status_pages[0].components[0].name: required`},
		{"component binds nothing", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web]}
      - {name: B}`, `s.yaml:11: status_pages[0].components[1]: binds nothing: list checks, services or both`},
		{"unknown check", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web]}
      - {name: B, checks: [backup, nope]}`, `s.yaml:11: status_pages[0].components[1].checks[1]: unknown check "nope"; defined: backup, web`},
		{"unknown service", `
  - slug: p
    title: T
    components:
      - {name: A, services: [payments, billing]}`, `s.yaml:10: status_pages[0].components[0].services[1]: unknown service "billing"; defined: payments, search`},
		{"check listed twice", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web, web], services: [search, search]}`, "s.yaml:10: status_pages[0].components[0].checks[1]: check \"web\" is already listed at status_pages[0].components[0].checks[0]\n" +
			"s.yaml:10: status_pages[0].components[0].services[1]: service \"search\" is already listed at status_pages[0].components[0].services[0]"},
		{"component names twice", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web]}
      - group: G
        components: [{name: A, checks: [backup]}]`, `s.yaml:12: status_pages[0].components[1].components[0].name: "A" is also the name of status_pages[0].components[0] (line 10)`},
		{"group names twice", `
  - slug: p
    title: T
    components:
      - {group: G, components: [{name: A, checks: [web]}]}
      - {group: G, components: [{name: B, checks: [web]}]}`, `s.yaml:11: status_pages[0].components[1].group: "G" is also the name of status_pages[0].components[0] (line 10)`},
		{"group without components", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web]}
      - {group: G}`, `s.yaml:11: status_pages[0].components[1].components: required: a group holds at least one component`},
		{"group with bindings", `
  - slug: p
    title: T
    components:
      - group: G
        checks: [web]
        services: [payments]
        slow_over: 2s
        only_show_if_degraded: true
        components: [{name: A, checks: [web]}]`, "s.yaml:11: status_pages[0].components[0].checks: only for components, not groups: set it on the group's components\n" +
			"s.yaml:12: status_pages[0].components[0].services: only for components, not groups: set it on the group's components\n" +
			"s.yaml:13: status_pages[0].components[0].slow_over: only for components, not groups: set it on the group's components\n" +
			"s.yaml:14: status_pages[0].components[0].only_show_if_degraded: only for components, not groups: set it on the group's components"},
		{"nested group", `
  - slug: p
    title: T
    components:
      - group: G
        components:
          - {name: A, checks: [web]}
          - {group: H, components: [{name: B, checks: [web]}]}`, `s.yaml:13: status_pages[0].components[0].components[1].group: groups do not nest: a group's components are components with a name`},
		{"components without group", `
  - slug: p
    title: T
    components:
      - {name: G, components: [{name: A, checks: [web]}]}`, `s.yaml:10: status_pages[0].components[0].group: required: a group (an entry with components) has group, its name, instead of name`},
		{"name and group", `
  - slug: p
    title: T
    components:
      - {name: G, group: G, components: [{name: A, checks: [web]}]}`, `s.yaml:10: status_pages[0].components[0].name: set name (a component) or group (a group of components), not both`},
		{"bad id", `
  - slug: p
    title: T
    components:
      - {name: A, id: API-1, checks: [web]}`, `s.yaml:10: status_pages[0].components[0].id: must be 1 to 32 lowercase letters or digits, got "API-1"`},
		{"id too long", `
  - slug: p
    title: T
    components:
      - {name: A, id: ` + strings.Repeat("a", 33) + `, checks: [web]}`, `s.yaml:10: status_pages[0].components[0].id: must be 1 to 32 lowercase letters or digits, got "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`},
		{"id twice", `
  - slug: p
    title: T
    components:
      - {name: A, id: api, checks: [web]}
      - group: G
        id: api
        components: [{name: B, checks: [web]}]`, `s.yaml:12: status_pages[0].components[1].id: id "api" is also the id of status_pages[0].components[0] (line 10)`},
		{"id equal to a default id", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web]}
      - {name: B, id: ` + StatusComponentID("p", "A") + `, checks: [web]}`, `s.yaml:11: status_pages[0].components[1].id: id "9d1168c40efe" is also the id of status_pages[0].components[0] (line 10)`},
		{"slow_over negative", `
  - slug: p
    title: T
    components:
      - {name: A, checks: [web], slow_over: -1s}`, `s.yaml:10: status_pages[0].components[0].slow_over: must be 0 or at least 1s, got "-1s"`},
		{"checks unreadable", `
  - slug: p
    title: T
    components:
      - {name: A, checks: web}`, `s.yaml:10: status_pages[0].components[0].checks: must be a list, got "web"`},
		{"everything at once", `
  - slug: p
    title: ""
    publish: Auto
    components:
      - {name: A, checks: [nope]}
  - {slug: p, title: U, components: []}`, "s.yaml:8: status_pages[0].title: required\n" +
			"s.yaml:9: status_pages[0].publish: must be auto or draft, got \"Auto\"\n" +
			"s.yaml:11: status_pages[0].components[0].checks[0]: unknown check \"nope\"; defined: backup, web\n" +
			"s.yaml:12: status_pages[1].slug: \"p\" is also the slug of status_pages[0] (line 7)\n" +
			"s.yaml:12: status_pages[1].components: required: at least one component, like {name: API, checks: [web]}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(statusBase+"status_pages:"+tc.pages+"\n"))
			if err == nil || err.Error() != tc.want {
				t.Errorf("got:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

func TestStatusPageValid(t *testing.T) {
	src := statusBase + `public_url: https://tocsin.example.com
status_pages:
  - slug: public
    title: Example Inc. status
    hostname: Status.Example.com
    components:
      - {name: API, checks: [web], services: [payments], slow_over: 2s}
      - name: Nightly backup
        id: backup
        checks: [backup]
      - group: Regions
        components:
          - {name: EU, services: [search], only_show_if_degraded: true}
  - slug: internal-2
    title: Internal
    time_zone: Europe/Berlin
    publish: draft
    components: [{name: Search, services: [search]}]
`
	cfg, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	checkPages := func(t *testing.T, cfg *Config) {
		t.Helper()
		if len(cfg.StatusPages) != 2 {
			t.Fatalf("%d pages, want 2", len(cfg.StatusPages))
		}
		pub, in := cfg.StatusPages[0], cfg.StatusPages[1]
		// Defaults: UTC, auto; the host name lowercased.
		if pub.TimeZone != "UTC" || pub.Location != time.UTC || pub.Publish != PublishAuto || pub.Hostname != "status.example.com" {
			t.Errorf("public page = %+v", pub)
		}
		if in.TimeZone != "Europe/Berlin" || in.Location == nil || in.Location.String() != "Europe/Berlin" || in.Publish != PublishDraft {
			t.Errorf("internal page = %+v", in)
		}
		api, backup, regions := pub.Components[0], pub.Components[1], pub.Components[2]
		if api.SlowOver.D() != 2*time.Second || api.IsGroup() || !regions.IsGroup() || regions.DisplayName() != "Regions" {
			t.Errorf("components = %+v", pub.Components)
		}
		// Ids: the one set, or derived from the slug and the name alone.
		for _, tc := range []struct {
			c    StatusComponent
			want string
		}{
			{api, "e3bc8f35f64e"},
			{backup, "backup"},
			{regions, StatusComponentID("public", "Regions")},
			{regions.Components[0], StatusComponentID("public", "EU")},
		} {
			if got := tc.c.PublicID("public"); got != tc.want {
				t.Errorf("PublicID of %q = %q, want %q", tc.c.DisplayName(), got, tc.want)
			}
			if tc.c.ID != "" && tc.c.ID != tc.want {
				t.Errorf("ID of %q filled with %q", tc.c.DisplayName(), tc.c.ID)
			}
		}
		if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(StatusComponentID("p", "Ünïcode name")) ||
			StatusComponentID("p", "A") == StatusComponentID("q", "A") || StatusComponentID("p", "A") == StatusComponentID("pA", "") {
			t.Error("StatusComponentID does not separate slug and name")
		}
	}
	checkPages(t, cfg)
	// Lines, for the errors found later (a check renamed at run time, say).
	pub := cfg.StatusPages[0]
	if pub.Line != 8 || pub.Components[0].Line != 12 || pub.Components[1].Line != 13 || pub.Components[2].Line != 16 ||
		pub.Components[2].Components[0].Line != 18 || cfg.StatusPages[1].Line != 19 {
		t.Errorf("lines: page %d, components %d %d %d %d, page %d", pub.Line, pub.Components[0].Line, pub.Components[1].Line,
			pub.Components[2].Line, pub.Components[2].Components[0].Line, cfg.StatusPages[1].Line)
	}

	// The printed pages read back as the same pages.
	var printed map[string]any
	if err := yaml.Unmarshal([]byte(cfg.Redacted()), &printed); err != nil {
		t.Fatal(err)
	}
	pages, err := yaml.Marshal(map[string]any{"status_pages": printed["status_pages"]})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("back.yaml", append([]byte(statusBase), pages...))
	if err != nil {
		t.Fatalf("printed pages do not parse: %v\n%s", err, pages)
	}
	if len(back.Warnings) != 0 {
		t.Errorf("warnings after the round trip: %q", back.Warnings)
	}
	checkPages(t, back)
	if !strings.Contains(cfg.Redacted(), "slug: internal-2") {
		t.Errorf("Redacted lacks the pages:\n%s", cfg.Redacted())
	}
}

func TestStatusPageWarnings(t *testing.T) {
	src := statusBase + `status_pages:
  - slug: p
    title: T
    components:
      - {name: Probe, checks: [web], slow_over: 2s}
      - {name: Heartbeat, checks: [backup], services: [payments], slow_over: 2s}
      - {name: Unset, checks: [backup]}
`
	cfg, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "s.yaml:11: status_pages[0].components[1].slow_over: no probe check is bound, so slow_over never applies; bind a probe or remove it"
	if got := strings.Join(cfg.Warnings, "\n"); got != want {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
	}
}

func TestStatusPageHostOfPublicURL(t *testing.T) {
	src := statusBase + `public_url: https://Status.example.com/tocsin
status_pages:
  - {slug: p, title: T, hostname: status.example.com, components: [{name: A, checks: [web]}]}
`
	want := `s.yaml:8: status_pages[0].hostname: "status.example.com" is the host of public_url; give the page a host name of its own`
	if _, err := Parse("s.yaml", []byte(src)); err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// Pages that cannot be read make no noise about what they bind, and
// references to checks that cannot be read are not called unknown.
func TestStatusPageQuietAfterDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"checks: [{name: [x], schedule: {every: 1h}}]\nstatus_pages: [{slug: p, title: T, components: [{name: A, checks: [web]}]}]\n",
			`s.yaml:1: checks[0].name: must be a string, got a list`},
		{"services: [{name: [x]}]\nstatus_pages: [{slug: p, title: T, components: [{name: A, services: [s]}]}]\n",
			`s.yaml:1: services[0].name: must be a string, got a list`},
		{"status_pages: [{slug: p, title: T, components: {name: A}}]\n",
			`s.yaml:1: status_pages[0].components: must be a list, got a mapping`},
		{"status_pages: {slug: p}\n",
			`s.yaml:1: status_pages: must be a list, got a mapping`},
	} {
		if _, err := Parse("s.yaml", []byte(tc.src)); err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

// checkStatusPageInvariants asserts what the status pages of every
// successfully parsed Config hold.
func checkStatusPageInvariants(t testing.TB, cfg *Config) {
	t.Helper()
	checks, services := map[string]bool{}, map[string]bool{}
	for _, c := range cfg.Checks {
		checks[c.Name] = true
	}
	for _, s := range cfg.Services {
		services[s.Name] = true
	}
	slugs, hosts := map[string]bool{}, map[string]bool{}
	for _, pg := range cfg.StatusPages {
		if !statusSlugRE.MatchString(pg.Slug) || slugs[pg.Slug] || pg.Title == "" || pg.Location == nil || pg.Line <= 0 ||
			pg.Publish != PublishAuto && pg.Publish != PublishDraft || len(pg.Components) == 0 {
			t.Errorf("bad status page %+v", pg)
		}
		slugs[pg.Slug] = true
		if pg.Hostname != "" {
			if hosts[pg.Hostname] || hostnameProblem(pg.Hostname) != "" || pg.Hostname != strings.ToLower(pg.Hostname) {
				t.Errorf("status page %q: hostname %q", pg.Slug, pg.Hostname)
			}
			hosts[pg.Hostname] = true
		}
		names, ids := map[string]bool{}, map[string]bool{}
		var walk func(c StatusComponent, inGroup bool)
		walk = func(c StatusComponent, inGroup bool) {
			name, id := c.DisplayName(), c.PublicID(pg.Slug)
			if name == "" || names[name] || !statusIDRE.MatchString(id) || ids[id] || c.Line <= 0 {
				t.Errorf("status page %q: bad component %+v", pg.Slug, c)
			}
			names[name], ids[id] = true, true
			if c.IsGroup() {
				if inGroup || c.Name != "" || len(c.Components) == 0 || len(c.Checks)+len(c.Services) > 0 || c.SlowOver != 0 {
					t.Errorf("status page %q: bad group %+v", pg.Slug, c)
				}
				for _, m := range c.Components {
					walk(m, true)
				}
				return
			}
			if len(c.Checks)+len(c.Services) == 0 || c.SlowOver < 0 {
				t.Errorf("status page %q: component %q binds nothing", pg.Slug, name)
			}
			for _, n := range c.Checks {
				if !checks[n] {
					t.Errorf("status page %q: component %q: unknown check %q", pg.Slug, name, n)
				}
			}
			for _, n := range c.Services {
				if !services[n] {
					t.Errorf("status page %q: component %q: unknown service %q", pg.Slug, name, n)
				}
			}
		}
		for _, c := range pg.Components {
			walk(c, false)
		}
	}
}

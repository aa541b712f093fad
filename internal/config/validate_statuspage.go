package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var (
	statusSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	statusIDRE   = regexp.MustCompile(`^[a-z0-9]{1,32}$`)
	dnsLabelRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// maxHostLength is the longest DNS name.
const maxHostLength = 253

// statusPageCheck validates the status pages. checks and services map the
// names that components may bind; each is nil when its section could not
// be read, so that references to it are not reported as unknown.
type statusPageCheck struct {
	d        *decoder
	checks   map[string]*Check
	services map[string]bool
}

// validateStatusPages checks the status pages and their components, after
// the checks and services they bind.
func (d *decoder) validateStatusPages(cfg *Config) {
	c := &statusPageCheck{d: d, checks: d.knownChecks(cfg), services: d.knownServices(cfg)}
	publicHost := ""
	if u, err := url.Parse(cfg.PublicURL); err == nil && cfg.PublicURL != "" {
		publicHost = strings.ToLower(u.Hostname())
	}
	slugs := map[string]int{}
	hosts := map[string]int{}
	for i := range cfg.StatusPages {
		pg := &cfg.StatusPages[i]
		p := fmt.Sprintf("status_pages[%d]", i)
		pg.Line = d.line(p)

		switch {
		case pg.Slug == "":
			d.fieldErrorf(p+".slug", "required: the page is served at /status/<slug>")
		case !statusSlugRE.MatchString(pg.Slug):
			d.fieldErrorf(p+".slug", "must be 1 to 64 lowercase letters, digits or -, starting with a letter or digit, got %s", quote(pg.Slug))
		default:
			if j, dup := slugs[pg.Slug]; dup {
				d.fieldErrorf(p+".slug", "%s is also the slug of status_pages[%d] (line %d)", quote(pg.Slug), j, cfg.StatusPages[j].Line)
			} else {
				slugs[pg.Slug] = i
			}
		}
		if err := checkName(pg.Title); err != nil {
			d.fieldErrorf(p+".title", "%s", err)
		}

		if pg.TimeZone == "" {
			pg.TimeZone = "UTC"
			pg.Location = time.UTC
		} else if loc := d.loadTZ(p+".time_zone", pg.TimeZone); loc != nil {
			pg.Location = loc
		}

		if pg.Hostname != "" {
			if msg := hostnameProblem(pg.Hostname); msg != "" {
				d.fieldErrorf(p+".hostname", "%s", msg)
			} else {
				pg.Hostname = strings.ToLower(pg.Hostname)
				switch j, dup := hosts[pg.Hostname]; {
				case dup:
					d.fieldErrorf(p+".hostname", "%s is also the hostname of status_pages[%d] (line %d)", quote(pg.Hostname), j, cfg.StatusPages[j].Line)
				case pg.Hostname == publicHost:
					// The page would take / away from Tocsin's own interface.
					d.fieldErrorf(p+".hostname", "%s is the host of public_url; give the page a host name of its own", quote(pg.Hostname))
				default:
					hosts[pg.Hostname] = i
				}
			}
		}

		switch pg.Publish {
		case "":
			pg.Publish = PublishAuto
		case PublishAuto, PublishDraft:
		default:
			d.fieldErrorf(p+".publish", "must be %s or %s, got %s", PublishAuto, PublishDraft, quote(pg.Publish))
		}

		if len(pg.Components) == 0 {
			d.fieldErrorf(p+".components", "required: at least one component, like {name: API, checks: [web]}")
		}
		c.components(pg, p)
	}
}

// pageNames tracks the names and public ids used in one page.
type pageNames struct {
	names map[string]string // display name -> path of its first use
	ids   map[string]string // public id -> path of its first use
}

// components checks the components of page pg, at path p.
func (c *statusPageCheck) components(pg *StatusPage, p string) {
	seen := &pageNames{names: map[string]string{}, ids: map[string]string{}}
	for j := range pg.Components {
		c.component(pg, &pg.Components[j], fmt.Sprintf("%s.components[%d]", p, j), seen, false)
	}
}

// component checks one entry of a page's components, at path p; inGroup
// says it is a member of a group.
func (c *statusPageCheck) component(pg *StatusPage, sc *StatusComponent, p string, seen *pageNames, inGroup bool) {
	d := c.d
	sc.Line = d.line(p)
	if sc.IsGroup() {
		c.group(pg, sc, p, seen, inGroup)
	} else {
		c.leaf(sc, p)
	}
	name := sc.DisplayName()
	namePath := p + ".name"
	if sc.IsGroup() {
		namePath = p + ".group"
	}
	nameOK := checkName(name) == nil
	if nameOK {
		if first, dup := seen.names[name]; dup {
			d.fieldErrorf(namePath, "%s is also the name of %s (line %d)", quote(name), first, d.line(first))
			nameOK = false // its default id is taken too: said once is enough
		} else {
			seen.names[name] = p
		}
	}
	if sc.ID != "" && !statusIDRE.MatchString(sc.ID) {
		d.fieldErrorf(p+".id", "must be 1 to 32 lowercase letters or digits, got %s", quote(sc.ID))
	} else if sc.ID != "" || nameOK {
		// Default ids can collide only with a chosen one (or by a SHA-256
		// collision), but a collision would merge two components in the JSON.
		id := sc.PublicID(pg.Slug)
		idPath := p + ".id"
		if sc.ID == "" {
			idPath = namePath
		}
		if first, dup := seen.ids[id]; dup {
			d.fieldErrorf(idPath, "id %s is also the id of %s (line %d)", quote(id), first, d.line(first))
		} else {
			seen.ids[id] = p
		}
	}
}

// group checks a group of components at path p.
func (c *statusPageCheck) group(pg *StatusPage, sc *StatusComponent, p string, seen *pageNames, inGroup bool) {
	d := c.d
	if inGroup {
		d.fieldErrorf(p+".group", "groups do not nest: a group's components are components with a name")
		return
	}
	switch {
	case sc.Group == "" && sc.Name != "":
		d.fieldErrorf(p+".group", "required: a group (an entry with components) has group, its name, instead of name")
	case sc.Group == "":
		d.fieldErrorf(p+".group", "required: the group's name")
	case sc.Name != "":
		d.fieldErrorf(p+".name", "set name (a component) or group (a group of components), not both")
	default:
		if err := checkName(sc.Group); err != nil {
			d.fieldErrorf(p+".group", "%s", err)
		}
	}
	if len(sc.Components) == 0 {
		d.fieldErrorf(p+".components", "required: a group holds at least one component")
	}
	for _, f := range []struct {
		key string
		set bool
	}{
		{"checks", len(sc.Checks) > 0},
		{"services", len(sc.Services) > 0},
		{"slow_over", sc.SlowOver != 0},
		{"only_show_if_degraded", sc.OnlyShowIfDegraded},
	} {
		if f.set {
			d.fieldErrorf(p+"."+f.key, "only for components, not groups: set it on the group's components")
		}
	}
	for k := range sc.Components {
		c.component(pg, &sc.Components[k], fmt.Sprintf("%s.components[%d]", p, k), seen, true)
	}
}

// leaf checks a component at path p: its name and what it binds.
func (c *statusPageCheck) leaf(sc *StatusComponent, p string) {
	d := c.d
	if err := checkName(sc.Name); err != nil {
		d.fieldErrorf(p+".name", "%s", err)
	}
	if len(sc.Checks) == 0 && len(sc.Services) == 0 {
		d.fieldErrorf(p, "binds nothing: list checks, services or both")
	}
	probe, allKnown := false, c.checks != nil
	seen := map[string]int{}
	for i, name := range sc.Checks {
		ip := fmt.Sprintf("%s.checks[%d]", p, i)
		if j, dup := seen[name]; dup {
			d.fieldErrorf(ip, "check %s is already listed at %s.checks[%d]", quote(name), p, j)
			continue
		}
		seen[name] = i
		if c.checks == nil {
			continue
		}
		if ch, ok := c.checks[name]; !ok {
			d.fieldErrorf(ip, "unknown check %s; defined: %s", quote(name), definedList(c.checks))
			allKnown = false
		} else if ch.IsProbe() {
			probe = true
		}
	}
	seen = map[string]int{}
	for i, name := range sc.Services {
		ip := fmt.Sprintf("%s.services[%d]", p, i)
		if j, dup := seen[name]; dup {
			d.fieldErrorf(ip, "service %s is already listed at %s.services[%d]", quote(name), p, j)
			continue
		}
		seen[name] = i
		if c.services != nil && !c.services[name] {
			d.fieldErrorf(ip, "unknown service %s; defined: %s", quote(name), definedList(c.services))
		}
	}
	if sc.SlowOver != 0 && allKnown && !probe {
		d.warnf(p+".slow_over", "no probe check is bound, so slow_over never applies; bind a probe or remove it")
	}
}

// hostnameProblem says what is wrong with s as a bare DNS host name, or "".
func hostnameProblem(s string) string {
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")) != nil
	switch {
	case strings.Contains(s, "://"):
		return fmt.Sprintf("must be a bare host name like status.example.com, without a scheme, got %s", quote(s))
	case strings.ContainsAny(s, "/?#"):
		return fmt.Sprintf("must be a bare host name like status.example.com, without a path, got %s", quote(s))
	case strings.Contains(s, ":") && !ip:
		return fmt.Sprintf("must be a bare host name like status.example.com, without a port, got %s", quote(s))
	case ip:
		return fmt.Sprintf("must be a host name, not an IP address, got %s", quote(s))
	case len(s) > maxHostLength:
		return fmt.Sprintf("must be at most %d characters, got %d", maxHostLength, len(s))
	}
	for _, label := range strings.Split(strings.ToLower(s), ".") {
		if !dnsLabelRE.MatchString(label) {
			return fmt.Sprintf("must be a host name like status.example.com: dot-separated labels of 1 to 63 letters, digits or - (not at either end), got %s", quote(s))
		}
	}
	return ""
}

// knownChecks maps the names of the checks, or is nil if a check or its
// name could not be read.
func (d *decoder) knownChecks(cfg *Config) map[string]*Check {
	if d.bad["checks"] {
		return nil
	}
	m := make(map[string]*Check, len(cfg.Checks))
	for i := range cfg.Checks {
		p := fmt.Sprintf("checks[%d]", i)
		if d.bad[p] || d.bad[p+".name"] {
			return nil
		}
		if _, dup := m[cfg.Checks[i].Name]; !dup && cfg.Checks[i].Name != "" {
			m[cfg.Checks[i].Name] = &cfg.Checks[i]
		}
	}
	return m
}

// knownServices is the set of service names, or nil if a service or its
// name could not be read.
func (d *decoder) knownServices(cfg *Config) map[string]bool {
	if d.bad["services"] {
		return nil
	}
	m := make(map[string]bool, len(cfg.Services))
	for i := range cfg.Services {
		p := fmt.Sprintf("services[%d]", i)
		if d.bad[p] || d.bad[p+".name"] {
			return nil
		}
		if cfg.Services[i].Name != "" {
			m[cfg.Services[i].Name] = true
		}
	}
	return m
}

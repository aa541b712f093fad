package config

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// StatusPage is a public status page: components bound to checks and
// services, whose states and incidents it shows to anyone.
type StatusPage struct {
	Slug        string            `yaml:"slug"`        // required, unique, 1 to 64 of a-z 0-9 -; the page is served at /status/<slug>
	Title       string            `yaml:"title"`       // required
	Description string            `yaml:"description"` // optional
	TimeZone    string            `yaml:"time_zone"`   // IANA zone times are shown in; default UTC (JSON times stay UTC)
	Hostname    string            `yaml:"hostname"`    // optional, unique, lowercased: the page is also served at / for this Host
	Publish     string            `yaml:"publish"`     // auto (the default) or draft: whether automatic incidents are public at once or wait for a responder
	Components  []StatusComponent `yaml:"components"`  // required, at least one
	Line        int               `yaml:"-"`           // line of the page in the file, for later errors

	Location *time.Location `yaml:"-"` // TimeZone, loaded
}

// What a status page does with the incidents Tocsin opens by itself.
const (
	PublishAuto  = "auto"
	PublishDraft = "draft"
)

// StatusComponent is one line of a status page: bound to checks and
// services, or a group of components.
type StatusComponent struct {
	// ID is the component's id in the page's JSON (1 to 32 of a-z 0-9,
	// unique in the page), stable across renames when set; PublicID gives
	// the default, derived from the page's slug and the name.
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`        // required (for a group: Group instead)
	Description string   `yaml:"description"` // optional, shown under the name
	Checks      []string `yaml:"checks"`      // names of checks (heartbeats or probes); a component binds checks, services or both
	Services    []string `yaml:"services"`    // names of services: an open incident of one is an outage
	// SlowOver marks the component degraded while a bound probe's last run
	// took longer; 0: never. Only for components that bind a probe.
	SlowOver Duration `yaml:"slow_over"`
	// OnlyShowIfDegraded hides the component while it is operational.
	OnlyShowIfDegraded bool `yaml:"only_show_if_degraded"`

	Group      string            `yaml:"group"`      // a group's name; a group has Components and no bindings
	Components []StatusComponent `yaml:"components"` // a group's members (one level only)

	Line int `yaml:"-"` // line in the file, for later errors
}

// IsGroup says whether c is a group of components rather than a component.
func (c *StatusComponent) IsGroup() bool { return c.Group != "" || len(c.Components) > 0 }

// DisplayName is the name shown for c: a component's name or a group's.
func (c *StatusComponent) DisplayName() string {
	if c.IsGroup() {
		return c.Group
	}
	return c.Name
}

// PublicID is c's id in the JSON of the page pageSlug: ID if set, else
// StatusComponentID of its name.
func (c *StatusComponent) PublicID(pageSlug string) string {
	if c.ID != "" {
		return c.ID
	}
	return StatusComponentID(pageSlug, c.DisplayName())
}

// StatusComponentID is the default id of the component (or group) called
// name on the page pageSlug: the first 12 hex digits of the SHA-256 of the
// slug and the name, so it is stable across restarts and says nothing of
// the name.
func StatusComponentID(pageSlug, name string) string {
	sum := sha256.Sum256([]byte(pageSlug + "\x00" + name))
	return hex.EncodeToString(sum[:6])
}

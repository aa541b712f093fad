package config

import "time"

// StatusPage is a public status page: components bound to checks and
// services, whose states and incidents it shows to anyone.
type StatusPage struct {
	Slug        string            `yaml:"slug"`        // required, unique; the page is served at /status/<slug>
	Title       string            `yaml:"title"`       // required
	Description string            `yaml:"description"` // optional
	TimeZone    string            `yaml:"time_zone"`   // IANA zone times are shown in; default UTC (JSON times stay UTC)
	Hostname    string            `yaml:"hostname"`    // optional: the page is also served at / for this Host
	Publish     string            `yaml:"publish"`     // auto (default): automatic incidents are public at once; draft: they wait for a responder
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
	// ID is the component's id in the page's JSON, stable across renames
	// when set; default derived from the page's slug and the name.
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`        // required (for a group: Group instead)
	Description string   `yaml:"description"` // optional, shown under the name
	Checks      []string `yaml:"checks"`      // names of checks (heartbeats or probes)
	Services    []string `yaml:"services"`    // names of services: an open incident of one is an outage
	// SlowOver marks the component degraded while a bound probe's last run
	// took longer; 0: never.
	SlowOver Duration `yaml:"slow_over"`
	// OnlyShowIfDegraded hides the component while it is operational.
	OnlyShowIfDegraded bool `yaml:"only_show_if_degraded"`

	Group      string            `yaml:"group"`      // a group's name; a group has Components and no bindings
	Components []StatusComponent `yaml:"components"` // a group's members (one level only)

	Line int `yaml:"-"` // line in the file, for later errors
}

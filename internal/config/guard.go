package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// ReloadGuard refuses a config that looks torn: a file caught between
// truncate and write, or cut short, still parses, and applying it would
// silently stop monitoring. The settings of the file being loaded apply;
// a file cut short loses its reload_guard lines and gets the strict
// defaults.
type ReloadGuard struct {
	Enabled      *bool `yaml:"enabled"`       // default true; false applies every file that parses
	SharePercent int   `yaml:"share_percent"` // refuse removing more than this share of the checks; default 20, 1 to 100
	MinRemoved   int   `yaml:"min_removed"`   // the share rule counts from this many removed checks; default 1
	// RemovedIncidents says what happens to the open incidents of checks the
	// file no longer defines: resolve (default) or keep. Either way their
	// timeline says the check was removed.
	RemovedIncidents string `yaml:"removed_incidents"`
}

// Reload guard defaults and RemovedIncidents values.
const (
	DefaultReloadSharePercent = 20
	RemovedIncidentsResolve   = "resolve"
	RemovedIncidentsKeep      = "keep"
)

// On reports whether the guard refuses torn configs.
func (g ReloadGuard) On() bool { return g.Enabled == nil || *g.Enabled }

func (d *decoder) validateReloadGuard(cfg *Config) {
	g := &cfg.ReloadGuard
	if g.Enabled == nil {
		on := true
		g.Enabled = &on
	}
	d.intDefault("reload_guard.share_percent", &g.SharePercent, DefaultReloadSharePercent, 1, 100)
	d.intDefault("reload_guard.min_removed", &g.MinRemoved, 1, 1, 1000000)
	switch g.RemovedIncidents {
	case "":
		g.RemovedIncidents = RemovedIncidentsResolve
	case RemovedIncidentsResolve, RemovedIncidentsKeep:
	default:
		d.fieldErrorf("reload_guard.removed_incidents", "must be %s or %s, got %s", RemovedIncidentsResolve,
			RemovedIncidentsKeep, quote(g.RemovedIncidents))
	}
}

// Previous is the config a new one replaces, as far as the guard needs it:
// the running config on a reload, the database at start.
type Previous struct {
	// Present is false when there is nothing to lose (the first start on a
	// new database, a config without checks, channels or operator route):
	// then nothing is refused.
	Present bool
	Checks  []PreviousCheck // the checks the config file manages now
	// ChannelsKnown is false when the channels and operator route are not
	// known (a database written by a version that did not record them).
	ChannelsKnown bool
	Channels      []string // channel names
	Operator      []string // operator.notify
}

// PreviousCheck is a check the config file manages now.
type PreviousCheck struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
	Slug string `json:"slug"`
	// Fingerprint of its definition (Check.Fingerprint); empty: unknown,
	// so a change cannot be told.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Fingerprint identifies the definition of a check: two checks with the
// same fingerprint are defined alike. It is short, as it is stored for
// every check of every applied config.
func (c Check) Fingerprint() string {
	c.Line = 0
	raw, _ := json.Marshal(c) // plain data: cannot fail
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// Diff is what replacing prev by next does to the checks.
type Diff struct {
	Created, Changed, Removed []string // check names, in file order (removed: in prev's order)
	// Renamed warns of checks whose ping URL goes away: a check removed
	// while one without uuid is created, which looks like a rename.
	Renamed []string
}

// Compare computes what replacing prev by next does to the checks. pingBase
// prefixes ping URLs in the rename warnings ("" leaves them as paths).
func Compare(prev Previous, next *Config, pingBase string) Diff {
	var d Diff
	old := map[string]PreviousCheck{}
	for _, c := range prev.Checks {
		old[c.Name] = c
	}
	defined := map[string]bool{}
	var fresh []Check // created without uuid: a new ping URL
	for _, c := range next.Checks {
		defined[c.Name] = true
		p, ok := old[c.Name]
		switch {
		case !ok:
			d.Created = append(d.Created, c.Name)
			if c.UUID == "" {
				fresh = append(fresh, c)
			}
		case p.Fingerprint != "" && p.Fingerprint != c.Fingerprint():
			d.Changed = append(d.Changed, c.Name)
		}
	}
	var gone []PreviousCheck
	for _, c := range prev.Checks {
		if !defined[c.Name] {
			d.Removed = append(d.Removed, c.Name)
			gone = append(gone, c)
		}
	}
	if len(fresh) == 0 {
		return d
	}
	base := strings.TrimSuffix(pingBase, "/")
	var names []string
	for _, c := range fresh {
		names = append(names, fmt.Sprintf("%q (slug %s)", c.Name, c.Slug))
	}
	for _, g := range gone {
		d.Renamed = append(d.Renamed, fmt.Sprintf("check %q is removed while %s without uuid is created with a new ping URL: "+
			"if it is %q renamed, the jobs still pinging %s/ping/%s (or its slug %s) get 404 from now on; "+
			"give it \"uuid: %s\" to keep that URL", g.Name, strings.Join(names, ", "), g.Name, base, g.UUID, g.Slug, g.UUID))
	}
	return d
}

// Finding is one reason the guard refuses a config.
type Finding struct {
	Rule    string `json:"rule"` // empty_file, every_check, every_channel, operator_route or share
	Message string `json:"message"`
}

// Guard rules.
const (
	RuleEmptyFile     = "empty_file"
	RuleEveryCheck    = "every_check"
	RuleEveryChannel  = "every_channel"
	RuleOperatorRoute = "operator_route"
	RuleShare         = "share"
)

// Guard lists why next, replacing prev with the checks diff d, looks torn.
// None when the guard is off (next's reload_guard.enabled) or prev is not
// present.
func Guard(prev Previous, next *Config, d Diff) []Finding {
	g := next.ReloadGuard
	if !g.On() || !prev.Present {
		return nil
	}
	var out []Finding
	if next.Empty {
		out = append(out, Finding{RuleEmptyFile, fmt.Sprintf("%s is empty (nothing but whitespace or comments): "+
			"probably caught between truncate and write", next.File)})
	}
	switch n := len(prev.Checks); {
	case n > 0 && len(next.Checks) == 0:
		out = append(out, Finding{RuleEveryCheck, fmt.Sprintf("it would remove every check (%d): %s", n, nameList(d.Removed))})
	case n > 0 && len(d.Removed) >= max(g.MinRemoved, 1) && len(d.Removed)*100 > g.SharePercent*n:
		out = append(out, Finding{RuleShare, fmt.Sprintf("it would remove %d of %d checks (%d%%, more than reload_guard.share_percent %d%%): %s",
			len(d.Removed), n, len(d.Removed)*100/n, g.SharePercent, nameList(d.Removed))})
	}
	if prev.ChannelsKnown {
		if len(prev.Channels) > 0 && len(next.Channels) == 0 {
			out = append(out, Finding{RuleEveryChannel, fmt.Sprintf("it would remove every channel (%d): %s",
				len(prev.Channels), nameList(prev.Channels))})
		}
		if len(prev.Operator) > 0 && len(next.Operator.Notify) == 0 {
			out = append(out, Finding{RuleOperatorRoute, fmt.Sprintf("it would remove the operator's route (operator.notify: %s): "+
				"nobody would hear of Tocsin's own trouble", nameList(prev.Operator))})
		}
	}
	return out
}

// FindingsText joins findings into one sentence list.
func FindingsText(fs []Finding) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, f.Message)
	}
	return strings.Join(parts, "; ")
}

// maxListed bounds the names a message lists.
const maxListed = 20

// nameList lists names for a message, at most maxListed of them.
func nameList(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return strings.Join(slices.Clip(names[:maxListed]), ", ") + fmt.Sprintf(" and %d more", len(names)-maxListed)
}

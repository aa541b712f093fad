package config

import (
	"time"
)

// Built-in flap damping and re-page defaults, for checks and
// check_defaults that leave them out (and for checks made through the API).
const (
	DefaultFlapChanges = 4
	DefaultFlapWindow  = 10 * time.Minute
	DefaultReopenAfter = time.Hour
	MaxFlapChanges     = 100
	MaxFlapWindow      = 7 * 24 * time.Hour
	MinReopenAfter     = time.Minute // shorter would page again almost as soon as someone resolved
)

// Flap is flap damping: Changes changes between up and down within Window
// make a check flapping; its one incident then stays open, and pages nobody
// again, until the check has been up for Stable.
type Flap struct {
	Changes int      `yaml:"changes"` // 0 turns flap damping off; else 2 to MaxFlapChanges; default 4
	Window  Duration `yaml:"window"`  // default 10m, at most 7d
	Stable  Duration `yaml:"stable"`  // how long up ends flapping; default the window, at most 7d
}

// CheckDefaults holds settings every check takes unless it sets its own.
type CheckDefaults struct {
	Flap Flap `yaml:"flap"`
	// ReopenAfter: an incident resolved by hand while its check is still
	// down is followed, this long after, by a new incident that pages
	// again if the check still is down; 0: never. Default 1h; 0 or at
	// least 1m.
	ReopenAfter Duration `yaml:"reopen_after"`
}

// validateCheckDefaults applies the built-in defaults to check_defaults.
func (d *decoder) validateCheckDefaults(cfg *Config) {
	def := &cfg.CheckDefaults
	d.validateFlap("check_defaults.flap", &def.Flap, Flap{Changes: DefaultFlapChanges, Window: Duration(DefaultFlapWindow)}, false)
	d.validateReopenAfter("check_defaults.reopen_after", &def.ReopenAfter, Duration(DefaultReopenAfter))
}

// validateCheckFlap applies check_defaults to the flap settings of the
// check at p and checks them.
func (d *decoder) validateCheckFlap(p string, c *Check, def CheckDefaults) {
	// A check that sets its own window and no stable period is stable
	// after its own window, not after the default one.
	d.validateFlap(p+".flap", &c.Flap, def.Flap, !d.set[p+".flap.window"])
	d.validateReopenAfter(p+".reopen_after", &c.ReopenAfter, def.ReopenAfter)
}

// validateFlap fills the unset fields of f at p from def and checks them.
// An unset stable period is def's if defStable, else f's own window.
func (d *decoder) validateFlap(p string, f *Flap, def Flap, defStable bool) {
	if !d.set[p+".changes"] {
		f.Changes = def.Changes
	} else if f.Changes != 0 && (f.Changes < 2 || f.Changes > MaxFlapChanges) {
		d.fieldErrorf(p+".changes", "must be 0 (off) or between 2 and %d, got %d", MaxFlapChanges, f.Changes)
	}
	if !d.set[p+".window"] {
		f.Window = def.Window
	} else if f.Window.D() > MaxFlapWindow {
		d.fieldErrorf(p+".window", "must be at most %s, got %s", Duration(MaxFlapWindow), f.Window)
	}
	switch {
	case d.set[p+".stable"]:
		if f.Stable.D() > MaxFlapWindow {
			d.fieldErrorf(p+".stable", "must be at most %s, got %s", Duration(MaxFlapWindow), f.Stable)
		}
	case defStable:
		f.Stable = def.Stable
	default:
		f.Stable = f.Window
	}
}

func (d *decoder) validateReopenAfter(p string, v *Duration, def Duration) {
	if !d.set[p] {
		*v = def
	} else if *v != 0 && v.D() < MinReopenAfter {
		d.fieldErrorf(p, "must be 0 (never) or at least %s, got %s", Duration(MinReopenAfter), *v)
	}
}

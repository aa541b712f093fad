package tlsprobe

import (
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Kind is the tls probe kind.
var Kind probe.Kind = probeKind{}

type probeKind struct{}

func (probeKind) Name() string             { return "tls" }
func (probeKind) Settings() probe.Settings { return new(Config) }

// Validate checks the settings of a tls probe in the config file;
// warning_days defaults to 14.
func (c *Config) Validate(v probe.Validator) {
	probe.Required(v, "address", c.Address, `"example.com:443"`)
	probe.HostPort(v, "address", c.Address)
	v.Int("warning_days", &c.WarningDays, 14, 0, 3650)
	v.Int("fail_days", &c.FailDays, 0, 0, 3650)
}

// Target is the address.
func (c *Config) Target() string { return c.Address }

// New builds the prober.
func (c *Config) New(timeout time.Duration, clock interface{ Now() time.Time }) (probe.Prober, error) {
	cfg := *c
	cfg.Timeout = timeout
	return New(cfg, clock)
}

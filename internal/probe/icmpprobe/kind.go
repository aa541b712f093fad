package icmpprobe

import (
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Kind is the icmp probe kind.
var Kind probe.Kind = probeKind{}

type probeKind struct{}

func (probeKind) Name() string             { return "icmp" }
func (probeKind) Settings() probe.Settings { return new(Config) }

// Validate checks the settings of an icmp probe in the config file; count
// defaults to 1.
func (c *Config) Validate(v probe.Validator) {
	probe.Required(v, "host", c.Host, `"10.0.0.1"`)
	v.Int("count", &c.Count, 1, 1, 10)
}

// Target is the host.
func (c *Config) Target() string { return c.Host }

// New builds the prober.
func (c *Config) New(timeout time.Duration, clock interface{ Now() time.Time }) (probe.Prober, error) {
	cfg := *c
	cfg.Timeout = timeout
	return New(cfg, clock)
}

package tcpprobe

import (
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Kind is the tcp probe kind.
var Kind probe.Kind = probeKind{}

type probeKind struct{}

func (probeKind) Name() string             { return "tcp" }
func (probeKind) Settings() probe.Settings { return new(Config) }

// Validate checks the settings of a tcp probe in the config file.
func (c *Config) Validate(v probe.Validator) {
	probe.Required(v, "address", c.Address, `"db.internal:5432"`)
	probe.HostPort(v, "address", c.Address)
}

// Target is the address.
func (c *Config) Target() string { return c.Address }

// New builds the prober.
func (c *Config) New(timeout time.Duration, clock interface{ Now() time.Time }) (probe.Prober, error) {
	cfg := *c
	cfg.Timeout = timeout
	return New(cfg, clock)
}

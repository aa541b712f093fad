package dnsprobe

import (
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Kind is the dns probe kind.
var Kind probe.Kind = probeKind{}

type probeKind struct{}

func (probeKind) Name() string             { return "dns" }
func (probeKind) Settings() probe.Settings { return new(Config) }

// Validate checks the settings of a dns probe in the config file; the
// record type is upper-cased, A by default.
func (c *Config) Validate(v probe.Validator) {
	probe.Required(v, "name", c.Name, `"example.com"`)
	switch strings.ToUpper(c.RecordType) {
	case "":
		c.RecordType = "A"
	case "A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV":
		c.RecordType = strings.ToUpper(c.RecordType)
	default:
		v.Errorf("record_type", "must be one of A, AAAA, CNAME, MX, TXT, NS, SRV, got %s", v.Quote(c.RecordType))
	}
	probe.HostPort(v, "resolver", c.Resolver)
}

// Target is the record type and the name ("A example.com").
func (c *Config) Target() string { return c.RecordType + " " + c.Name }

// New builds the prober.
func (c *Config) New(timeout time.Duration, clock interface{ Now() time.Time }) (probe.Prober, error) {
	cfg := *c
	cfg.Timeout = timeout
	return New(cfg, clock)
}

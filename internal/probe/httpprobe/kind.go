package httpprobe

import (
	"fmt"
	"regexp"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Kind is the http probe kind.
var Kind probe.Kind = probeKind{}

type probeKind struct{}

func (probeKind) Name() string             { return "http" }
func (probeKind) Settings() probe.Settings { return new(Config) }

// Validate checks the settings of an http probe in the config file.
func (c *Config) Validate(v probe.Validator) {
	probe.Required(v, "url", c.URL, `"https://example.com/health"`)
	if c.URL != "" {
		v.HTTPURL("url", c.URL)
	}
	for i, st := range c.ExpectStatus {
		if st < 100 || st > 599 {
			v.Errorf(fmt.Sprintf("expect_status[%d]", i), "must be an HTTP status from 100 to 599, got %d", st)
		}
	}
	if c.BodyRegex != "" {
		if _, err := regexp.Compile(c.BodyRegex); err != nil {
			v.Errorf("body_regex", "%s", err)
		}
	}
	if (c.JSONPath == "") != (c.JSONEquals == "") && v.Set("json_equals") != v.Set("json_path") {
		v.Errorf("json_path", "json_path and json_equals go together")
	}
	if c.CertExpiryWarningDays < 0 {
		v.Errorf("cert_expiry_warning_days", "must not be negative")
	}
}

// Target is the URL.
func (c *Config) Target() string { return c.URL }

// New builds the prober.
func (c *Config) New(timeout time.Duration, clock interface{ Now() time.Time }) (probe.Prober, error) {
	cfg := *c
	cfg.Timeout = timeout
	return New(cfg, clock)
}

package config

import (
	"net/netip"
	"strconv"
	"time"
)

// Who may read /metrics.
const (
	MetricsPublic = "public" // anyone, as Prometheus exporters are (the default)
	MetricsToken  = "token"  // only with an API bearer token
	MetricsOff    = "off"    // not served
)

// validateEdge checks the settings of the HTTP edge: the trusted proxies,
// who may read /metrics and how long sessions last.
func (d *decoder) validateEdge(cfg *Config) {
	for i, s := range cfg.TrustedProxies {
		if _, err := ParseProxy(s); err != nil {
			d.fieldErrorf("trusted_proxies["+strconv.Itoa(i)+"]", "must be an IP address or a CIDR such as 10.0.0.0/8, got %s", quote(s))
		}
	}
	switch cfg.Metrics {
	case "":
		cfg.Metrics = MetricsPublic
	case MetricsPublic, MetricsToken, MetricsOff:
	default:
		d.fieldErrorf("metrics", "must be one of %s, %s, %s, got %s", MetricsPublic, MetricsToken, MetricsOff, quote(cfg.Metrics))
	}
	d.durationRange("sessions.idle_timeout", &cfg.Sessions.IdleTimeout, DefaultSessionIdleTimeout, time.Minute, 30*24*time.Hour)
	d.durationRange("sessions.max_age", &cfg.Sessions.MaxAge, DefaultSessionMaxAge, time.Minute, 365*24*time.Hour)
	if cfg.Sessions.IdleTimeout.D() > cfg.Sessions.MaxAge.D() {
		d.fieldErrorf("sessions.idle_timeout", "must not be longer than sessions.max_age (%s), got %s", cfg.Sessions.MaxAge, cfg.Sessions.IdleTimeout)
	}
	if cfg.Metrics == MetricsToken && len(cfg.APITokens) == 0 {
		d.warnf("metrics", "is token, but no api_tokens are set: only an admin token given at start can read /metrics")
	}
}

// ParseProxy parses a trusted_proxies entry: a CIDR, or one address (a
// prefix of its full length).
func ParseProxy(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

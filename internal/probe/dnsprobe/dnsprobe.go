// Package dnsprobe checks that a name resolves, and optionally that one of
// its answers is the expected one, by asking the system resolver or a
// configured DNS server.
package dnsprobe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// DefaultTimeout is the deadline of one run when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// recordTypes are the record types a probe can ask for.
var recordTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV"}

// Config describes one DNS probe.
type Config struct {
	// Name is looked up as an absolute name, without search domains. A,
	// AAAA and CNAME lookups see /etc/hosts first, as the system
	// resolver does.
	Name       string `yaml:"name" json:"name,omitempty"`
	RecordType string `yaml:"record_type" json:"record_type,omitempty"` // A (default), AAAA, CNAME, MX, TXT, NS or SRV
	Resolver   string `yaml:"resolver" json:"resolver,omitempty"`       // host:port of the DNS server to ask; default the system resolver
	// Expect, when set, must equal one of the answers (case-insensitive,
	// trailing dot ignored). MX answers are compared by host, SRV answers
	// by target, A and AAAA answers as addresses.
	Expect  string        `yaml:"expect" json:"expect,omitempty"`
	Timeout time.Duration `yaml:"-" json:"-"`
}

// Prober runs one DNS probe. It is safe for concurrent use.
type Prober struct {
	cfg      Config
	fqdn     string
	expectIP netip.Addr // Expect parsed, for A and AAAA
	resolver *net.Resolver
	clock    interface{ Now() time.Time }
}

var _ probe.Prober = (*Prober)(nil)

// New validates cfg, fills in its defaults and returns a Prober that
// measures latency with clock.
func New(cfg Config, clock interface{ Now() time.Time }) (*Prober, error) {
	if clock == nil {
		return nil, errors.New("dns probe: clock is required")
	}
	if err := checkName(cfg.Name); err != nil {
		return nil, fmt.Errorf("dns probe: name: %w", err)
	}
	cfg.RecordType = strings.ToUpper(cfg.RecordType)
	if cfg.RecordType == "" {
		cfg.RecordType = "A"
	}
	if !slices.Contains(recordTypes, cfg.RecordType) {
		return nil, fmt.Errorf("dns probe: record_type must be one of %s, got %q",
			strings.Join(recordTypes, ", "), cfg.RecordType)
	}
	p := &Prober{cfg: cfg, clock: clock, fqdn: strings.TrimSuffix(cfg.Name, ".") + "."}
	if cfg.Expect != "" && (cfg.RecordType == "A" || cfg.RecordType == "AAAA") {
		family := "IPv4"
		if cfg.RecordType == "AAAA" {
			family = "IPv6"
		}
		ip, err := netip.ParseAddr(cfg.Expect)
		if err != nil || (cfg.RecordType == "A") != ip.Unmap().Is4() {
			return nil, fmt.Errorf("dns probe: expect must be an %s address for %s records, got %q",
				family, cfg.RecordType, cfg.Expect)
		}
		p.expectIP = ip.Unmap()
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("dns probe: timeout must not be negative, got %s", cfg.Timeout)
	case cfg.Timeout == 0:
		p.cfg.Timeout = DefaultTimeout
	}
	p.resolver = &net.Resolver{PreferGo: true}
	if cfg.Resolver != "" {
		host, port, err := net.SplitHostPort(cfg.Resolver)
		if err != nil || host == "" {
			return nil, fmt.Errorf("dns probe: resolver must be host:port, got %q", cfg.Resolver)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("dns probe: resolver port must be 1 to 65535, got %q", port)
		}
		server := cfg.Resolver
		// The Go resolver picks servers from resolv.conf and asks Dial for
		// one; every query goes to the configured server instead, over
		// UDP, or TCP when the resolver retries a truncated answer.
		p.resolver.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		}
	}
	return p, nil
}

// Probe looks the name up once. All of its work, including retries the
// resolver makes, happens under one deadline: Config.Timeout or ctx's,
// whichever comes first.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()

	answers, err := p.lookup(ctx)
	latency := p.clock.Now().Sub(start)
	if err == nil && len(answers) == 0 {
		err = &net.DNSError{Err: "no answers", Name: p.fqdn, IsNotFound: true}
	}
	if err != nil {
		class := probe.Classify(ctx, err)
		return probe.Fail(class, p.describe(ctx, class, err), latency)
	}
	if p.cfg.Expect != "" && !p.matches(answers) {
		return probe.Fail(probe.ClassContent, fmt.Sprintf("%s %s: expected %q, got %s",
			p.cfg.RecordType, p.fqdn, p.cfg.Expect, summarize(answers)), latency)
	}
	return probe.Result{OK: true, Latency: latency}
}

// lookup returns the answers as strings: addresses, host names (MX, NS,
// CNAME), SRV targets or TXT texts.
func (p *Prober) lookup(ctx context.Context) ([]string, error) {
	r := p.resolver
	var out []string
	switch p.cfg.RecordType {
	case "A", "AAAA":
		network := "ip4"
		if p.cfg.RecordType == "AAAA" {
			network = "ip6"
		}
		ips, err := r.LookupNetIP(ctx, network, p.fqdn)
		for _, ip := range ips {
			out = append(out, ip.Unmap().String())
		}
		return out, err
	case "CNAME":
		cname, err := r.LookupCNAME(ctx, p.fqdn)
		if cname != "" {
			out = append(out, cname)
		}
		return out, err
	case "MX":
		mxs, err := r.LookupMX(ctx, p.fqdn)
		for _, mx := range mxs {
			out = append(out, mx.Host)
		}
		return out, err
	case "TXT":
		return r.LookupTXT(ctx, p.fqdn)
	case "NS":
		nss, err := r.LookupNS(ctx, p.fqdn)
		for _, ns := range nss {
			out = append(out, ns.Host)
		}
		return out, err
	case "SRV":
		_, srvs, err := r.LookupSRV(ctx, "", "", p.fqdn)
		for _, srv := range srvs {
			out = append(out, srv.Target)
		}
		return out, err
	}
	return nil, fmt.Errorf("unsupported record type %q", p.cfg.RecordType)
}

func (p *Prober) matches(answers []string) bool {
	want := strings.TrimSuffix(p.cfg.Expect, ".")
	for _, a := range answers {
		if p.expectIP.IsValid() {
			if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap() == p.expectIP {
				return true
			}
			continue
		}
		if strings.EqualFold(strings.TrimSuffix(a, "."), want) {
			return true
		}
	}
	return false
}

// describe says what failed. The resolver's own message names the server
// from resolv.conf even when another one was asked, so it is rebuilt here.
func (p *Prober) describe(ctx context.Context, class string, err error) string {
	what := fmt.Sprintf("lookup %s %s", p.cfg.RecordType, p.fqdn)
	if p.cfg.Resolver != "" {
		what += " via " + p.cfg.Resolver
	}
	if class == probe.ClassTimeout {
		return fmt.Sprintf("%s: no answer within %s", what, p.cfg.Timeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return fmt.Sprintf("%s: no such name, or no %s records (%s)", what, p.cfg.RecordType, dnsErr.Err)
		}
		return fmt.Sprintf("%s: %s", what, dnsErr.Err)
	}
	return fmt.Sprintf("%s: %v", what, err)
}

// summarize lists a few answers, each shortened, for a failure message.
func summarize(answers []string) string {
	const maxAnswers, maxLen = 5, 64
	parts := make([]string, 0, maxAnswers+1)
	for i, a := range answers {
		if i == maxAnswers {
			parts = append(parts, fmt.Sprintf("and %d more", len(answers)-maxAnswers))
			break
		}
		if len(a) > maxLen {
			a = a[:maxLen] + "..."
		}
		parts = append(parts, strconv.Quote(a))
	}
	return strings.Join(parts, ", ")
}

// checkName accepts names made of labels of letters, digits, hyphens and
// underscores (as in SRV and DKIM names), with or without a trailing dot.
func checkName(name string) error {
	n := strings.TrimSuffix(name, ".")
	switch {
	case n == "":
		return errors.New("required, like \"example.com\"")
	case len(n) > 253:
		return fmt.Errorf("longer than 253 characters (%d)", len(n))
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q: each dot-separated label must be 1 to 63 characters", name)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("%q: %q is not allowed in a DNS name (use the punycode form of international names)", name, c)
			}
		}
	}
	return nil
}

// Package tlsprobe checks a TLS endpoint: that the handshake succeeds, that
// the certificate chain and host name verify, and how long the certificate
// has left before it expires.
package tlsprobe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultWarningDays = 14
)

const day = 24 * time.Hour

// Config describes one TLS probe.
type Config struct {
	Address    string `yaml:"address" json:"address,omitempty"`         // host:port
	ServerName string `yaml:"server_name" json:"server_name,omitempty"` // sent as SNI and verified; default the host of Address
	// WarningDays: a certificate that expires within this many days passes
	// with a warning. Zero means DefaultWarningDays.
	WarningDays int `yaml:"warning_days" json:"warning_days,omitempty"`
	// FailDays: a certificate that expires within this many days fails.
	// Zero means it fails only once it has expired.
	FailDays int `yaml:"fail_days" json:"fail_days,omitempty"`
	// Verify says whether the chain and host name are verified against
	// the system roots; nil means true. When false only expiry is checked.
	Verify *bool `yaml:"tls_verify" json:"tls_verify,omitempty"`
	// RootCAs, when set, replaces the system roots. It exists for tests,
	// which sign certificates with a CA of their own.
	RootCAs *x509.CertPool `yaml:"-" json:"-"`
	Timeout time.Duration  `yaml:"-" json:"-"`
}

// Prober runs one TLS probe. It is safe for concurrent use.
type Prober struct {
	cfg        Config
	serverName string
	verify     bool
	clock      interface{ Now() time.Time }
}

var _ probe.Prober = (*Prober)(nil)

// New validates cfg, fills in its defaults and returns a Prober that
// measures latency and judges expiry with clock.
func New(cfg Config, clock interface{ Now() time.Time }) (*Prober, error) {
	if clock == nil {
		return nil, errors.New("tls probe: clock is required")
	}
	host, port, err := net.SplitHostPort(cfg.Address)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("tls probe: address must be host:port, like \"example.com:443\", got %q", cfg.Address)
	}
	switch {
	case cfg.WarningDays < 0 || cfg.WarningDays > 3650:
		return nil, fmt.Errorf("tls probe: warning_days must be 0 to 3650, got %d", cfg.WarningDays)
	case cfg.FailDays < 0 || cfg.FailDays > 3650:
		return nil, fmt.Errorf("tls probe: fail_days must be 0 to 3650, got %d", cfg.FailDays)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("tls probe: timeout must not be negative, got %s", cfg.Timeout)
	}
	if cfg.WarningDays == 0 {
		cfg.WarningDays = DefaultWarningDays
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	p := &Prober{cfg: cfg, serverName: cfg.ServerName, verify: cfg.Verify == nil || *cfg.Verify, clock: clock}
	if p.serverName == "" {
		p.serverName = host
	}
	return p, nil
}

// Probe connects, completes a handshake and judges the leaf certificate.
// Connecting and the handshake share one deadline: Config.Timeout or
// ctx's, whichever comes first.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	fail := func(class, format string, args ...any) probe.Result {
		return probe.Fail(class, fmt.Sprintf(format, args...), p.clock.Now().Sub(start))
	}

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", p.cfg.Address)
	if err != nil {
		class := probe.Classify(ctx, err)
		if class == probe.ClassTimeout {
			return fail(class, "connect to %s: no connection within %s", p.cfg.Address, p.cfg.Timeout)
		}
		return fail(class, "connect to %s: %v", p.cfg.Address, err)
	}
	defer raw.Close()
	// HandshakeContext watches ctx too; the deadline on the socket also
	// covers the Close that ends the probe.
	deadline, _ := ctx.Deadline()
	raw.SetDeadline(deadline)

	// Verification is done below rather than by crypto/tls so that an
	// expired certificate is reported as such (ClassCert) and judged by
	// the injected clock.
	conn := tls.Client(&cappedConn{Conn: raw, left: probe.MaxBody}, &tls.Config{
		ServerName:         p.serverName,
		InsecureSkipVerify: true,
	})
	if err := conn.HandshakeContext(ctx); err != nil {
		if probe.Classify(ctx, err) == probe.ClassTimeout {
			return fail(probe.ClassTimeout, "tls handshake with %s: not done within %s", p.cfg.Address, p.cfg.Timeout)
		}
		return fail(probe.ClassTLS, "tls handshake with %s: %v", p.cfg.Address, err)
	}
	now := p.clock.Now()
	latency := now.Sub(start)
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return probe.Fail(probe.ClassTLS, fmt.Sprintf("tls handshake with %s: no certificate", p.cfg.Address), latency)
	}
	leaf := certs[0]

	if p.verify {
		opts := x509.VerifyOptions{
			Roots:         p.cfg.RootCAs,
			Intermediates: x509.NewCertPool(),
			DNSName:       p.serverName,
			// Verified as of the leaf's last valid moment when it has
			// expired, so that expiry alone is reported as ClassCert.
			CurrentTime: now,
		}
		if now.After(leaf.NotAfter) {
			opts.CurrentTime = leaf.NotAfter
		}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := leaf.Verify(opts); err != nil {
			return probe.Fail(probe.ClassTLS, fmt.Sprintf("certificate for %s does not verify: %v", p.serverName, err), latency)
		}
	}

	left := leaf.NotAfter.Sub(now)
	expiry := leaf.NotAfter.UTC().Format("2006-01-02 15:04 MST")
	switch {
	case left <= 0:
		return probe.Fail(probe.ClassCert, fmt.Sprintf("certificate for %s expired %s ago (%s)",
			p.serverName, span(-left), expiry), latency)
	case left < time.Duration(p.cfg.FailDays)*day:
		return probe.Fail(probe.ClassCert, fmt.Sprintf("certificate for %s expires in %s (%s), within fail_days (%d)",
			p.serverName, span(left), expiry, p.cfg.FailDays), latency)
	}
	res := probe.Result{OK: true, Latency: latency}
	if left < time.Duration(p.cfg.WarningDays)*day {
		res.Warning = fmt.Sprintf("certificate for %s expires in %s (%s)", p.serverName, span(left), expiry)
	}
	return res
}

// span says how long d is in whole days, rounded, or hours and minutes
// under a day.
func span(d time.Duration) string {
	switch {
	case d >= day+day/2:
		return fmt.Sprintf("%d days", (d+day/2)/day)
	case d >= day:
		return "1 day"
	case d >= time.Minute:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return d.Round(time.Second).String()
}

// cappedConn fails reads once the peer has sent limit bytes, so that a
// hostile server cannot feed the handshake without end.
type cappedConn struct {
	net.Conn
	left int64
}

var errTooLong = fmt.Errorf("peer sent more than %d bytes", probe.MaxBody)

func (c *cappedConn) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooLong
	}
	if int64(len(b)) > c.left {
		b = b[:c.left]
	}
	n, err := c.Conn.Read(b)
	c.left -= int64(n)
	return n, err
}

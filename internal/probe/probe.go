// Package probe defines what an active probe reports and what a kind of
// probe is (Kind). Each kind lives in a package of its own (httpprobe,
// tcpprobe, dnsprobe, tlsprobe, icmpprobe) and is listed once, in kinds;
// every probe runs under a hard context deadline that covers all of its
// work (name resolution, connect, handshake, reading), and reads at most a
// bounded number of bytes, so a hung or hostile peer delays only itself.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// Error classes: what kind of failure a result reports.
const (
	ClassTimeout  = "timeout"  // the deadline passed
	ClassDNS      = "dns"      // the name did not resolve
	ClassConnect  = "connect"  // refused, unreachable, reset
	ClassTLS      = "tls"      // handshake or verification failed
	ClassStatus   = "status"   // an unexpected status code
	ClassContent  = "content"  // the answer did not say what was expected
	ClassSlow     = "slow"     // answered, but slower than allowed
	ClassCert     = "cert"     // the certificate expires too soon (or has)
	ClassProtocol = "protocol" // the peer spoke nonsense
	ClassDenied   = "denied"   // the probe is not allowed here (ICMP sockets)
)

// Result is one probe run.
type Result struct {
	OK      bool
	Latency time.Duration
	Class   string // empty when OK
	Message string // what failed, for people; empty when OK
	Warning string // a concern that does not fail the probe (a certificate expiring soon)
}

// Prober runs one kind of probe against one target.
type Prober interface {
	Probe(ctx context.Context) Result
}

// MaxBody is the most a probe reads of any answer.
const MaxBody = 1 << 20

// Fail returns a failed result.
func Fail(class, msg string, latency time.Duration) Result {
	return Result{Class: class, Message: msg, Latency: latency}
}

// Classify names the class of a network error.
func Classify(ctx context.Context, err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), ctx.Err() != nil:
		return ClassTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalid),
		errors.As(err, &recordErr):
		return ClassTLS
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return ClassConnect
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ClassTimeout
	}
	return ClassConnect
}

package tlsprobe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/tlsprobe"
)

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// healthyTimeout is generous: a loaded CI machine must never fail a probe
// of a server on loopback.
const healthyTimeout = 10 * time.Second

const day = 24 * time.Hour

// testCA signs leaf certificates for 127.0.0.1 and probe.test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Tocsin Test CA"},
		NotBefore:             time.Now().Add(-365 * day),
		NotAfter:              time.Now().Add(3650 * day),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf returns a certificate valid from notBefore to notAfter for the
// given names (IP addresses or DNS names).
func (ca *testCA) leaf(t *testing.T, notBefore, notAfter time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serveTLS starts a TLS server on 127.0.0.1 with cert and returns its
// address.
func serveTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(healthyTimeout))
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					io.Copy(io.Discard, tc)
				}
			})
		}
	})
	return ln.Addr().String()
}

// serveSilent starts a TCP listener on 127.0.0.1 that accepts connections
// and never says anything.
func serveSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}

func newProber(t *testing.T, cfg tlsprobe.Config) *tlsprobe.Prober {
	t.Helper()
	p, err := tlsprobe.New(cfg, realClock{})
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

func TestProbe(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	valid := serveTLS(t, ca.leaf(t, now.Add(-day), now.Add(90*day), "127.0.0.1", "probe.test"))
	soon := serveTLS(t, ca.leaf(t, now.Add(-day), now.Add(3*day), "127.0.0.1"))
	expired := serveTLS(t, ca.leaf(t, now.Add(-30*day), now.Add(-2*day), "127.0.0.1"))
	otherHost := serveTLS(t, ca.leaf(t, now.Add(-day), now.Add(90*day), "other.example"))
	no := false

	tests := []struct {
		name    string
		cfg     tlsprobe.Config
		class   string // empty: OK
		message string // part of Message
		warning string // part of Warning; empty: no warning
	}{
		{name: "valid", cfg: tlsprobe.Config{Address: valid}},
		{name: "valid by name", cfg: tlsprobe.Config{Address: valid, ServerName: "probe.test"}},
		{name: "expires soon", cfg: tlsprobe.Config{Address: soon, WarningDays: 14},
			warning: "certificate for 127.0.0.1 expires in 3 days (" + now.Add(3*day).UTC().Format("2006-01-02")},
		{name: "expires within fail days", cfg: tlsprobe.Config{Address: soon, FailDays: 7},
			class: probe.ClassCert, message: "certificate for 127.0.0.1 expires in 3 days"},
		{name: "expired", cfg: tlsprobe.Config{Address: expired},
			class: probe.ClassCert, message: "certificate for 127.0.0.1 expired 2 days ago"},
		{name: "expired unverified", cfg: tlsprobe.Config{Address: expired, Verify: &no},
			class: probe.ClassCert, message: "expired 2 days ago"},
		{name: "wrong host", cfg: tlsprobe.Config{Address: otherHost},
			class: probe.ClassTLS, message: "certificate for 127.0.0.1 does not verify"},
		{name: "wrong host unverified", cfg: tlsprobe.Config{Address: otherHost, Verify: &no}},
		{name: "wrong server name", cfg: tlsprobe.Config{Address: valid, ServerName: "nope.test"},
			class: probe.ClassTLS, message: "nope.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.RootCAs = ca.pool
			tt.cfg.Timeout = healthyTimeout
			res := newProber(t, tt.cfg).Probe(context.Background())
			if tt.class == "" {
				if !res.OK || res.Class != "" || res.Message != "" {
					t.Fatalf("got %+v, want OK", res)
				}
			} else if res.OK || res.Class != tt.class {
				t.Fatalf("got %+v, want class %s", res, tt.class)
			}
			if !strings.Contains(res.Message, tt.message) {
				t.Errorf("message %q does not contain %q", res.Message, tt.message)
			}
			if tt.warning == "" && res.Warning != "" || !strings.Contains(res.Warning, tt.warning) {
				t.Errorf("warning %q, want %q", res.Warning, tt.warning)
			}
			if res.Latency <= 0 || res.Latency > healthyTimeout {
				t.Errorf("latency %s out of range", res.Latency)
			}
		})
	}
}

func TestUntrustedByDefault(t *testing.T) {
	// Without RootCAs the system roots apply, and they do not know the
	// test CA.
	ca := newCA(t)
	addr := serveTLS(t, ca.leaf(t, time.Now().Add(-day), time.Now().Add(90*day), "127.0.0.1"))
	res := newProber(t, tlsprobe.Config{Address: addr, Timeout: healthyTimeout}).Probe(context.Background())
	if res.Class != probe.ClassTLS {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTLS)
	}
}

func TestClockJudgesExpiry(t *testing.T) {
	ca := newCA(t)
	notAfter := time.Now().Add(90 * day)
	addr := serveTLS(t, ca.leaf(t, time.Now().Add(-day), notAfter, "127.0.0.1"))
	for _, tt := range []struct {
		at    time.Time
		class string
		warn  bool
	}{
		{at: notAfter.Add(-30 * day)},
		{at: notAfter.Add(-5 * day), warn: true},
		{at: notAfter.Add(time.Hour), class: probe.ClassCert},
	} {
		p, err := tlsprobe.New(tlsprobe.Config{Address: addr, RootCAs: ca.pool, Timeout: healthyTimeout}, fixedClock{tt.at})
		if err != nil {
			t.Fatal(err)
		}
		res := p.Probe(context.Background())
		if res.Class != tt.class || (res.Warning != "") != tt.warn || res.Latency != 0 {
			t.Errorf("at %s: got %+v, want class %q, warning %v, latency 0 (fixed clock)", tt.at, res, tt.class, tt.warn)
		}
	}
}

func TestHandshakeTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	p := newProber(t, tlsprobe.Config{Address: serveSilent(t), Timeout: timeout})
	start := time.Now()
	res := p.Probe(context.Background())
	elapsed := time.Since(start)
	if res.Class != probe.ClassTimeout {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTimeout)
	}
	if elapsed < timeout || elapsed > timeout+500*time.Millisecond {
		t.Errorf("took %s, want about %s", elapsed, timeout)
	}
}

func TestNotTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
		io.Copy(io.Discard, c)
	}()
	res := newProber(t, tlsprobe.Config{Address: ln.Addr().String(), Timeout: healthyTimeout}).Probe(context.Background())
	if res.Class != probe.ClassTLS {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTLS)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res := newProber(t, tlsprobe.Config{Address: addr, Timeout: healthyTimeout}).Probe(context.Background())
	if res.Class != probe.ClassConnect {
		t.Fatalf("got %+v, want class %s", res, probe.ClassConnect)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg  tlsprobe.Config
		want string
	}{
		{tlsprobe.Config{}, "address must be host:port"},
		{tlsprobe.Config{Address: "example.com"}, "address must be host:port"},
		{tlsprobe.Config{Address: ":443"}, "address must be host:port"},
		{tlsprobe.Config{Address: "example.com:443", WarningDays: -1}, "warning_days must be 0 to 3650"},
		{tlsprobe.Config{Address: "example.com:443", FailDays: -1}, "fail_days must be 0 to 3650"},
		{tlsprobe.Config{Address: "example.com:443", Timeout: -time.Second}, "timeout must not be negative"},
	}
	for _, tt := range tests {
		_, err := tlsprobe.New(tt.cfg, realClock{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := tlsprobe.New(tlsprobe.Config{Address: "example.com:443"}, nil); err == nil {
		t.Error("New with a nil clock succeeded")
	}
}

package dnsprobe_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/dnsprobe"
)

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// healthyTimeout is generous: a loaded CI machine must never fail a probe
// of a server on loopback.
const healthyTimeout = 10 * time.Second

const zone = "svc.tocsin.test."

// serveDNS starts a UDP DNS server on 127.0.0.1 that answers for zone and
// says NXDOMAIN for every other name. It returns the server's address.
func serveDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			resp, err := answer(buf[:n])
			if err != nil {
				continue
			}
			pc.WriteTo(resp, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired,
		RecursionAvailable: true}
	known := strings.EqualFold(q.Name.String(), zone)
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if known {
		rr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		switch q.Type {
		case dnsmessage.TypeA:
			for _, ip := range [][4]byte{{192, 0, 2, 10}, {192, 0, 2, 11}} {
				if err := b.AResource(rr, dnsmessage.AResource{A: ip}); err != nil {
					return nil, err
				}
			}
		case dnsmessage.TypeTXT:
			if err := b.TXTResource(rr, dnsmessage.TXTResource{TXT: []string{"v=tocsin1 ok"}}); err != nil {
				return nil, err
			}
		case dnsmessage.TypeMX:
			mx := dnsmessage.MustNewName("Mail.Tocsin.Test.")
			if err := b.MXResource(rr, dnsmessage.MXResource{Pref: 10, MX: mx}); err != nil {
				return nil, err
			}
		}
	}
	return b.Finish()
}

// silentDNS starts a UDP socket on 127.0.0.1 that reads queries and never
// answers.
func silentDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return pc.LocalAddr().String()
}

func newProber(t *testing.T, cfg dnsprobe.Config) *dnsprobe.Prober {
	t.Helper()
	p, err := dnsprobe.New(cfg, realClock{})
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

func TestProbe(t *testing.T) {
	server := serveDNS(t)
	tests := []struct {
		name, recordType, probeName, expect string
		class                               string // empty: OK
		msg                                 string // part of the message
	}{
		{name: "A", recordType: "A", probeName: "svc.tocsin.test"},
		{name: "A default type", probeName: zone},
		{name: "A expect", recordType: "a", probeName: "SVC.tocsin.test", expect: "192.0.2.11"},
		{name: "A expect mismatch", recordType: "A", probeName: "svc.tocsin.test", expect: "192.0.2.99",
			class: probe.ClassContent, msg: `expected "192.0.2.99", got "192.0.2.10", "192.0.2.11"`},
		{name: "TXT expect", recordType: "TXT", probeName: "svc.tocsin.test", expect: "V=TOCSIN1 OK"},
		{name: "TXT expect mismatch", recordType: "TXT", probeName: "svc.tocsin.test", expect: "v=spf1",
			class: probe.ClassContent, msg: `got "v=tocsin1 ok"`},
		{name: "MX expect host", recordType: "MX", probeName: "svc.tocsin.test", expect: "mail.tocsin.test"},
		{name: "MX expect trailing dot", recordType: "MX", probeName: "svc.tocsin.test", expect: "mail.tocsin.test."},
		{name: "MX expect mismatch", recordType: "MX", probeName: "svc.tocsin.test", expect: "mx.example.com",
			class: probe.ClassContent, msg: `got "Mail.Tocsin.Test."`},
		{name: "NXDOMAIN", recordType: "A", probeName: "missing.tocsin.test",
			class: probe.ClassDNS, msg: "lookup A missing.tocsin.test. via " + server},
		{name: "no records of the type", recordType: "NS", probeName: "svc.tocsin.test", class: probe.ClassDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProber(t, dnsprobe.Config{Name: tt.probeName, RecordType: tt.recordType, Expect: tt.expect,
				Resolver: server, Timeout: healthyTimeout})
			res := p.Probe(context.Background())
			if tt.class == "" {
				if !res.OK || res.Class != "" || res.Message != "" {
					t.Fatalf("got %+v, want OK", res)
				}
			} else if res.OK || res.Class != tt.class {
				t.Fatalf("got %+v, want class %s", res, tt.class)
			}
			if !strings.Contains(res.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", res.Message, tt.msg)
			}
			if res.Latency <= 0 || res.Latency > healthyTimeout {
				t.Errorf("latency %s out of range", res.Latency)
			}
		})
	}
}

func TestProbeTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	p := newProber(t, dnsprobe.Config{Name: zone, Resolver: silentDNS(t), Timeout: timeout})
	start := time.Now()
	res := p.Probe(context.Background())
	elapsed := time.Since(start)
	if res.OK || res.Class != probe.ClassTimeout {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTimeout)
	}
	if !strings.Contains(res.Message, "no answer within 300ms") {
		t.Errorf("message %q", res.Message)
	}
	if elapsed < timeout || elapsed > timeout+500*time.Millisecond {
		t.Errorf("took %s, want about %s", elapsed, timeout)
	}
}

func TestProbeCallerDeadline(t *testing.T) {
	// The caller's deadline wins when it is the earlier one.
	p := newProber(t, dnsprobe.Config{Name: zone, Resolver: silentDNS(t), Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := p.Probe(ctx)
	if elapsed := time.Since(start); elapsed > 700*time.Millisecond {
		t.Errorf("took %s, want about 200ms", elapsed)
	}
	if res.Class != probe.ClassTimeout {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTimeout)
	}
}

type stepClock struct{ t time.Time }

func (c *stepClock) Now() time.Time {
	c.t = c.t.Add(1500 * time.Millisecond)
	return c.t
}

func TestLatencyFromClock(t *testing.T) {
	p, err := dnsprobe.New(dnsprobe.Config{Name: zone, Resolver: serveDNS(t), Timeout: healthyTimeout},
		&stepClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if res := p.Probe(context.Background()); !res.OK || res.Latency != 1500*time.Millisecond {
		t.Fatalf("got %+v, want OK with latency 1.5s from the clock", res)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		cfg  dnsprobe.Config
		want string
	}{
		{dnsprobe.Config{}, "name: required"},
		{dnsprobe.Config{Name: "a..b"}, "label must be 1 to 63"},
		{dnsprobe.Config{Name: "a b.com"}, "not allowed"},
		{dnsprobe.Config{Name: strings.Repeat("a", 64) + ".com"}, "label must be 1 to 63"},
		{dnsprobe.Config{Name: "example.com", RecordType: "PTR"}, "record_type must be one of A, AAAA"},
		{dnsprobe.Config{Name: "example.com", Expect: "example.org"}, "expect must be an IPv4 address"},
		{dnsprobe.Config{Name: "example.com", RecordType: "AAAA", Expect: "192.0.2.1"}, "expect must be an IPv6 address"},
		{dnsprobe.Config{Name: "example.com", Resolver: "127.0.0.1"}, "resolver must be host:port"},
		{dnsprobe.Config{Name: "example.com", Resolver: "127.0.0.1:0"}, "resolver port must be 1 to 65535"},
		{dnsprobe.Config{Name: "example.com", Timeout: -time.Second}, "timeout must not be negative"},
	}
	for _, tt := range tests {
		_, err := dnsprobe.New(tt.cfg, realClock{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := dnsprobe.New(dnsprobe.Config{Name: "example.com"}, nil); err == nil {
		t.Error("New with a nil clock succeeded")
	}
	if _, err := dnsprobe.New(dnsprobe.Config{Name: "_sip._tcp.example.com.", RecordType: "srv"}, realClock{}); err != nil {
		t.Errorf("SRV name: %v", err)
	}
}

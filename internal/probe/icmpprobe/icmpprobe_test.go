package icmpprobe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// These tests send ICMP only to 127.0.0.0/8. Where the kernel does not
// allow unprivileged ping sockets (net.ipv4.ping_group_range excludes this
// process's group), each test checks the ClassDenied result and its hint
// instead, and logs that it did.

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// healthyTimeout is generous: a loaded CI machine must never fail a ping
// of loopback.
const healthyTimeout = 10 * time.Second

func newProber(t *testing.T, cfg Config) *Prober {
	t.Helper()
	if a, err := netip.ParseAddr(cfg.Host); err != nil || !netip.MustParsePrefix("127.0.0.0/8").Contains(a) {
		t.Fatalf("tests ping only 127.0.0.0/8, not %q", cfg.Host)
	}
	p, err := New(cfg, realClock{})
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

// denied reports whether res is the ClassDenied result of a kernel that
// refuses ping sockets, after checking that it says how to allow them.
func denied(t *testing.T, res probe.Result) bool {
	t.Helper()
	if res.Class != probe.ClassDenied {
		return false
	}
	if !strings.Contains(res.Message, `sysctl -w net.ipv4.ping_group_range="0 2147483647"`) {
		t.Errorf("denied without the sysctl hint: %q", res.Message)
	}
	t.Logf("unprivileged ping sockets are not allowed here; checked the denied result: %s", res.Message)
	return true
}

func TestPingLoopback(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
		res := newProber(t, Config{Host: host, Timeout: healthyTimeout}).Probe(context.Background())
		if denied(t, res) {
			return
		}
		if !res.OK || res.Class != "" || res.Message != "" {
			t.Fatalf("ping %s: got %+v, want OK", host, res)
		}
		if res.Latency <= 0 || res.Latency > healthyTimeout {
			t.Errorf("ping %s: latency %s out of range", host, res.Latency)
		}
		t.Logf("ping sockets allowed: %s answered in %s", host, res.Latency)
	}
}

func TestTimeout(t *testing.T) {
	const timeout = 400 * time.Millisecond
	p := newProber(t, Config{Host: "127.0.0.1", Count: 3, Timeout: timeout})
	p.dropReplies = true
	start := time.Now()
	res := p.Probe(context.Background())
	elapsed := time.Since(start)
	if denied(t, res) {
		return
	}
	if res.Class != probe.ClassTimeout {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTimeout)
	}
	// How many requests went out before the deadline depends on the load
	// of the machine; the message says it.
	if !strings.Contains(res.Message, "ping 127.0.0.1: no echo reply within 400ms (") {
		t.Errorf("message %q", res.Message)
	}
	if elapsed < timeout || elapsed > timeout+500*time.Millisecond {
		t.Errorf("took %s, want about %s", elapsed, timeout)
	}
}

func TestCallerCancel(t *testing.T) {
	// A caller's cancellation ends a probe that is waiting for a reply at
	// once, well before its own timeout.
	p := newProber(t, Config{Host: "127.0.0.1", Timeout: time.Minute})
	p.dropReplies = true
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	res := p.Probe(ctx)
	if denied(t, res) {
		return
	}
	if elapsed := time.Since(start); elapsed > 700*time.Millisecond {
		t.Errorf("took %s after a cancel at 200ms", elapsed)
	}
	if res.Class != probe.ClassTimeout {
		t.Fatalf("got %+v, want class %s", res, probe.ClassTimeout)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "host is required"},
		{Config{Host: "10.0.0.1:80"}, "without a port"},
		{Config{Host: "a b"}, "must be a name or an address"},
		{Config{Host: "0.0.0.0"}, "single host"},
		{Config{Host: "224.0.0.1"}, "single host"},
		{Config{Host: "255.255.255.255"}, "single host"},
		{Config{Host: "10.0.0.1", Count: 11}, "count must be 1 to 10"},
		{Config{Host: "10.0.0.1", Count: -1}, "count must be 1 to 10"},
		{Config{Host: "10.0.0.1", Timeout: -time.Second}, "timeout must not be negative"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg, realClock{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	if _, err := New(Config{Host: "10.0.0.1"}, nil); err == nil {
		t.Error("New with a nil clock succeeded")
	}
	p, err := New(Config{Host: "db.internal"}, realClock{})
	if err != nil {
		t.Fatal(err)
	}
	if p.cfg.Count != 1 || p.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults: count %d, timeout %s", p.cfg.Count, p.cfg.Timeout)
	}
	if _, err := New(Config{Host: "fe80::1%eth0", Count: 10}, realClock{}); err != nil {
		t.Errorf("IPv6 with zone: %v", err)
	}
}

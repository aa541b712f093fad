// Package icmpprobe checks that a host answers ICMP echo (ping).
//
// It uses unprivileged ping sockets (SOCK_DGRAM with IPPROTO_ICMP), which
// Linux offers to the groups in net.ipv4.ping_group_range, so Tocsin never
// needs root or CAP_NET_RAW. Where the kernel refuses such a socket, the
// probe fails with ClassDenied and says how to allow it.
package icmpprobe

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Defaults and limits for Config.
const (
	DefaultTimeout = 10 * time.Second
	MaxCount       = 10
)

// enableHint tells an operator how to allow unprivileged ping sockets.
const enableHint = `allow them with: sysctl -w net.ipv4.ping_group_range="0 2147483647" ` +
	`(to keep it, put "net.ipv4.ping_group_range = 0 2147483647" in a file in /etc/sysctl.d/)`

// IANA protocol numbers, as icmp.ParseMessage wants them.
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// Config describes one ICMP probe.
type Config struct {
	Host string `yaml:"host" json:"host,omitempty"` // a host name or an IPv4 or IPv6 address
	// Count is how many echo requests may be sent, spread over the
	// timeout; the probe passes at the first reply. Default 1.
	Count   int           `yaml:"count" json:"count,omitempty"`
	Timeout time.Duration `yaml:"-" json:"-"`
}

// Prober runs one ICMP probe. It is safe for concurrent use.
type Prober struct {
	cfg   Config
	addr  netip.Addr // Host, when it is an address
	clock interface{ Now() time.Time }

	// dropReplies makes the probe read replies and ignore them, so that
	// tests can exercise the timeout path on loopback, the only place
	// they may send ICMP.
	dropReplies bool
}

var _ probe.Prober = (*Prober)(nil)

// New validates cfg, fills in its defaults and returns a Prober that
// measures round trips with clock.
func New(cfg Config, clock interface{ Now() time.Time }) (*Prober, error) {
	if clock == nil {
		return nil, errors.New("icmp probe: clock is required")
	}
	p := &Prober{cfg: cfg, clock: clock}
	switch {
	case cfg.Host == "":
		return nil, errors.New(`icmp probe: host is required, like "10.0.0.1" or "db.internal"`)
	case strings.ContainsAny(cfg.Host, " \t/"):
		return nil, fmt.Errorf("icmp probe: host must be a name or an address, got %q", cfg.Host)
	}
	if addr, err := netip.ParseAddr(cfg.Host); err == nil {
		addr = addr.Unmap()
		if addr.IsUnspecified() || addr.IsMulticast() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil, fmt.Errorf("icmp probe: host must be a single host, got %q", cfg.Host)
		}
		p.addr = addr
	} else if strings.Contains(cfg.Host, ":") {
		return nil, fmt.Errorf("icmp probe: host must be a name or an address without a port, got %q", cfg.Host)
	}
	switch {
	case cfg.Count < 0 || cfg.Count > MaxCount:
		return nil, fmt.Errorf("icmp probe: count must be 1 to %d, got %d", MaxCount, cfg.Count)
	case cfg.Count == 0:
		p.cfg.Count = 1
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("icmp probe: timeout must not be negative, got %s", cfg.Timeout)
	case cfg.Timeout == 0:
		p.cfg.Timeout = DefaultTimeout
	}
	return p, nil
}

// Probe sends up to Count echo requests, spread evenly over the timeout,
// and passes at the first matching reply; Latency is that echo's round
// trip. Name resolution and all sending and reading share one deadline:
// Config.Timeout or ctx's, whichever comes first.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.clock.Now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	fail := func(class, format string, args ...any) probe.Result {
		return probe.Fail(class, fmt.Sprintf(format, args...), p.clock.Now().Sub(start))
	}
	timedOut := func(sent int) probe.Result {
		return fail(probe.ClassTimeout, "ping %s: no echo reply within %s (%d sent)", p.cfg.Host, p.cfg.Timeout, sent)
	}

	dst := p.addr
	if !dst.IsValid() {
		var err error
		if dst, err = resolve(ctx, p.cfg.Host); err != nil {
			class := probe.Classify(ctx, err)
			if class == probe.ClassTimeout {
				return timedOut(0)
			}
			return fail(class, "ping %s: %v", p.cfg.Host, err)
		}
	}

	network, laddr, proto := "udp4", "0.0.0.0", protoICMP
	var request, reply icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if dst.Is6() {
		network, laddr, proto = "udp6", "::", protoICMPv6
		request, reply = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	conn, err := icmp.ListenPacket(network, laddr)
	switch {
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fail(probe.ClassDenied, "ping %s: this system does not allow unprivileged ping sockets for group %d; %s",
			p.cfg.Host, os.Getgid(), enableHint)
	case errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, syscall.ESOCKTNOSUPPORT):
		return fail(probe.ClassDenied, "ping %s: this kernel has no unprivileged ping sockets (%v)", p.cfg.Host, err)
	case err != nil:
		return fail(probe.ClassConnect, "ping %s: open ping socket: %v", p.cfg.Host, err)
	}
	defer conn.Close()
	// Closing the socket when ctx ends wakes a blocked read at once, also
	// when the caller cancels before the deadline.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	deadline, _ := ctx.Deadline()

	// The kernel sets the echo identifier of a ping socket itself and
	// delivers only replies to it; a random payload tells this run's
	// replies from any stray ones.
	token := make([]byte, 16)
	rand.Read(token)
	to := &net.UDPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
	interval := time.Until(deadline) / time.Duration(p.cfg.Count)
	sentAt := make([]time.Time, 0, p.cfg.Count)
	buf := make([]byte, 1500)
	var received int

	for seq := 1; seq <= p.cfg.Count; seq++ {
		msg := icmp.Message{Type: request, Body: &icmp.Echo{ID: os.Getpid() & 0xffff, Seq: seq, Data: token}}
		b, err := msg.Marshal(nil)
		if err != nil {
			return fail(probe.ClassProtocol, "ping %s: build echo request: %v", p.cfg.Host, err)
		}
		sentAt = append(sentAt, p.clock.Now())
		if _, err := conn.WriteTo(b, to); err != nil {
			if ctx.Err() != nil {
				return timedOut(seq - 1)
			}
			return fail(probe.Classify(ctx, err), "ping %s: send echo request: %v", p.cfg.Host, err)
		}
		wait := deadline
		if next := time.Now().Add(interval); seq < p.cfg.Count && next.Before(deadline) {
			wait = next
		}
		if err := conn.SetReadDeadline(wait); err != nil {
			return timedOut(seq)
		}
		for {
			n, from, err := conn.ReadFrom(buf)
			if ctx.Err() != nil {
				return timedOut(seq)
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break // time for the next request
			}
			if err != nil {
				return fail(probe.Classify(ctx, err), "ping %s: read echo reply: %v", p.cfg.Host, err)
			}
			if received += n; received > probe.MaxBody {
				return fail(probe.ClassProtocol, "ping %s: more than %d bytes of replies that do not match", p.cfg.Host, probe.MaxBody)
			}
			if p.dropReplies {
				continue
			}
			m, err := icmp.ParseMessage(proto, buf[:n])
			if err != nil || m.Type != reply {
				continue
			}
			echo, ok := m.Body.(*icmp.Echo)
			if !ok || echo.Seq < 1 || echo.Seq > seq || !bytes.Equal(echo.Data, token) || !sameHost(from, dst) {
				continue
			}
			return probe.Result{OK: true, Latency: p.clock.Now().Sub(sentAt[echo.Seq-1])}
		}
	}
	return timedOut(p.cfg.Count)
}

// resolve looks host up, preferring an IPv4 address.
func resolve(ctx context.Context, host string) (netip.Addr, error) {
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	if len(addrs) == 0 {
		return netip.Addr{}, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs[0], nil
}

func sameHost(from net.Addr, dst netip.Addr) bool {
	u, ok := from.(*net.UDPAddr)
	if !ok {
		return false
	}
	a, ok := netip.AddrFromSlice(u.IP)
	return ok && a.Unmap() == dst.WithZone("")
}

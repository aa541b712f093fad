// Package tcpprobe checks a TCP service: it connects, optionally sends a
// line, and optionally waits for the answer to contain an expected string
// within the first probe.MaxBody bytes.
//
// The whole probe (name resolution, connect, write and read) runs under
// Config.Timeout, so a peer that accepts and then says nothing costs its own
// probe that long and no more.
package tcpprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Config describes one TCP check.
type Config struct {
	Address string `yaml:"address" json:"address,omitempty"` // host:port
	Send    string `yaml:"send" json:"send,omitempty"`       // written after connecting, when not empty
	// Expect, when not empty, must appear in what the peer sends within
	// its first probe.MaxBody bytes; without it a connection (and a
	// complete write of Send) is success.
	Expect  string        `yaml:"expect" json:"expect,omitempty"`
	Timeout time.Duration `yaml:"-" json:"-"` // bounds the whole probe; required
}

// Prober runs one configured TCP check. It is safe for concurrent use.
type Prober struct {
	cfg Config
	now func() time.Time
}

// New validates cfg and returns a prober. clock is Tocsin's clock; it times
// each probe.
func New(cfg Config, clock interface{ Now() time.Time }) (*Prober, error) {
	if clock == nil {
		return nil, errors.New("tcp probe: clock is required")
	}
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("tcp probe: %w", err)
	}
	return &Prober{cfg: cfg, now: clock.Now}, nil
}

func validate(cfg Config) error {
	if cfg.Address == "" {
		return errors.New("address: required")
	}
	host, port, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return fmt.Errorf("address: %w", err)
	}
	if host == "" {
		return fmt.Errorf("address %q: no host", cfg.Address)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("address %q: port must be a number from 1 to 65535", cfg.Address)
	}
	if len(cfg.Expect) > probe.MaxBody {
		return fmt.Errorf("expect: longer than the %d bytes a probe reads", probe.MaxBody)
	}
	if cfg.Timeout <= 0 {
		return fmt.Errorf("timeout: must be positive, got %s", cfg.Timeout)
	}
	return nil
}

// Probe runs the check once. It returns within Config.Timeout (or sooner, if
// ctx ends first), whatever the peer does.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.now()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	since := func() time.Duration { return p.now().Sub(start) }

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.cfg.Address)
	if err != nil {
		return p.failed(ctx, err, "connecting", since())
	}
	defer conn.Close()
	// Reads and writes do not watch ctx; when it ends (the timeout or the
	// caller), a deadline in the past unblocks them at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if p.cfg.Send != "" {
		if _, err := io.WriteString(conn, p.cfg.Send); err != nil {
			return p.failed(ctx, err, "sending", since())
		}
	}
	if p.cfg.Expect == "" {
		return probe.Result{OK: true, Latency: since()}
	}

	want := []byte(p.cfg.Expect)
	buf := make([]byte, 0, 4096)
	for len(buf) < probe.MaxBody {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf))
		}
		n, err := conn.Read(buf[len(buf):min(cap(buf), probe.MaxBody)])
		// Search only where the new bytes could complete a match.
		from := max(0, len(buf)-len(want)+1)
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf[from:], want) {
			return probe.Result{OK: true, Latency: since()}
		}
		if err != nil {
			what := fmt.Sprintf("waiting for %q (read %d bytes)", clip(p.cfg.Expect), len(buf))
			if errors.Is(err, io.EOF) {
				return probe.Fail(probe.ClassContent, "connection closed "+what, since())
			}
			return p.failed(ctx, err, what, since())
		}
	}
	return probe.Fail(probe.ClassContent, fmt.Sprintf("%q not in the first %d bytes", clip(p.cfg.Expect), probe.MaxBody), since())
}

// failed turns a network error into a result.
func (p *Prober) failed(ctx context.Context, err error, doing string, latency time.Duration) probe.Result {
	class := probe.Classify(ctx, err)
	if class == probe.ClassTimeout {
		return probe.Fail(class, fmt.Sprintf("timed out after %s %s", latency.Round(time.Millisecond), doing), latency)
	}
	return probe.Fail(class, doing+": "+err.Error(), latency)
}

// clip shortens an expected string for a message.
func clip(s string) string {
	const n = 100
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

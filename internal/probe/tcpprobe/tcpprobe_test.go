package tcpprobe

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/probe"
	"github.com/tocsinhq/tocsin/internal/probe/probetest"
)

const (
	healthy = probetest.Healthy
	slack   = probetest.Slack
)

func newProber(t *testing.T, cfg Config) *Prober {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = healthy
	}
	p, err := New(cfg, clock.Real{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func run(t *testing.T, p *Prober) probe.Result {
	t.Helper()
	return probetest.Run(t, p, p.cfg.Timeout)
}

func expectClass(t *testing.T, r probe.Result, class string) {
	t.Helper()
	probetest.ExpectClass(t, r, class)
}

// peer listens on 127.0.0.1 and runs handle for each connection until the
// test ends; then the connections are closed and the handlers waited for.
func peer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  []net.Conn
		closed bool
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { handle(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// silent holds the connection open and never reads or writes. entered, if
// not nil, is signalled when a connection arrives.
func silent(entered chan<- struct{}) func(net.Conn) {
	return func(c net.Conn) {
		if entered != nil {
			entered <- struct{}{}
		}
		io.Copy(io.Discard, c) // returns when the prober or the cleanup closes c
	}
}

func say(s string) func(net.Conn) {
	return func(c net.Conn) {
		io.WriteString(c, s)
		io.Copy(io.Discard, c)
	}
}

func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnect(t *testing.T) {
	r := run(t, newProber(t, Config{Address: peer(t, silent(nil))}))
	expectClass(t, r, "")
	if r.Latency <= 0 {
		t.Errorf("latency %s, want > 0", r.Latency)
	}
}

func TestRefused(t *testing.T) {
	r := run(t, newProber(t, Config{Address: refusedAddr(t)}))
	expectClass(t, r, probe.ClassConnect)
	if !strings.Contains(r.Message, "refused") {
		t.Errorf("message %q", r.Message)
	}
}

func TestSilentPeerTimesOut(t *testing.T) {
	const timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	p := newProber(t, Config{Address: peer(t, silent(nil)), Expect: "220", Timeout: timeout})
	r := p.Probe(ctx)
	if ctx.Err() != nil {
		t.Fatal("the probe needed the caller's context to stop")
	}
	expectClass(t, r, probe.ClassTimeout)
	if r.Latency > timeout+slack {
		t.Errorf("latency %s, timeout %s", r.Latency, timeout)
	}
	if want := `waiting for "220" (read 0 bytes)`; !strings.Contains(r.Message, want) {
		t.Errorf("message %q, want it to contain %q", r.Message, want)
	}
}

func TestExpect(t *testing.T) {
	// A banner split across writes, to match across reads.
	split := func(c net.Conn) {
		io.WriteString(c, "220 mail.exa")
		time.Sleep(10 * time.Millisecond)
		io.WriteString(c, "mple.com ESMTP ready\r\n")
		io.Copy(io.Discard, c)
	}
	closes := func(c net.Conn) {
		io.WriteString(c, "421 go away\r\n")
		c.Close()
	}
	tests := []struct {
		name   string
		handle func(net.Conn)
		expect string
		class  string
	}{
		{"matched", say("SSH-2.0-OpenSSH_9.6\r\n"), "SSH-2.0", ""},
		{"matched across reads", split, "example.com ESMTP", ""},
		{"closed without it", closes, "220", probe.ClassContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, newProber(t, Config{Address: peer(t, tt.handle), Expect: tt.expect}))
			expectClass(t, r, tt.class)
		})
	}
}

func TestExpectNotInFirstMaxBody(t *testing.T) {
	flood := func(c net.Conn) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	// With a healthy timeout, only a capped read can finish without timing
	// out.
	r := run(t, newProber(t, Config{Address: peer(t, flood), Expect: "needle"}))
	expectClass(t, r, probe.ClassContent)
	if want := fmt.Sprintf("first %d bytes", probe.MaxBody); !strings.Contains(r.Message, want) {
		t.Errorf("message %q, want it to contain %q", r.Message, want)
	}
}

func TestSendIsWritten(t *testing.T) {
	got := make(chan string, 1)
	echo := func(c net.Conn) {
		line := make([]byte, len("PING\r\n"))
		if _, err := io.ReadFull(c, line); err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(line)
		io.WriteString(c, "+PONG\r\n")
		io.Copy(io.Discard, c)
	}
	addr := peer(t, echo)

	expectClass(t, run(t, newProber(t, Config{Address: addr, Send: "PING\r\n"})), "")
	if s := <-got; s != "PING\r\n" {
		t.Errorf("peer read %q", s)
	}
	expectClass(t, run(t, newProber(t, Config{Address: addr, Send: "PING\r\n", Expect: "+PONG"})), "")
	if s := <-got; s != "PING\r\n" {
		t.Errorf("peer read %q", s)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	ok := Config{Address: "127.0.0.1:25", Timeout: time.Second}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"empty address", func(c *Config) { c.Address = "" }, "address: required"},
		{"no port", func(c *Config) { c.Address = "example.com" }, "address"},
		{"no host", func(c *Config) { c.Address = ":25" }, "no host"},
		{"port out of range", func(c *Config) { c.Address = "example.com:70000" }, "port"},
		{"port name", func(c *Config) { c.Address = "example.com:smtp" }, "port"},
		{"expect too long", func(c *Config) { c.Expect = strings.Repeat("x", probe.MaxBody+1) }, "expect"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := New(cfg, clock.Real{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(Config{Address: "[::1]:25", Timeout: time.Second}, clock.Real{}); err != nil {
		t.Fatalf("New(valid): %v", err)
	}
	if _, err := New(ok, nil); err == nil {
		t.Fatal("New with a nil clock: no error")
	}
}

// TestHungProbesDoNotDelayOthers starts probes of peers that accept and then
// say nothing, waits until each is connected, then probes a healthy peer: its
// result must come first. The stuck ones end when their context does.
func TestHungProbesDoNotDelayOthers(t *testing.T) {
	const hung = 4
	entered := make(chan struct{})
	quiet := peer(t, silent(entered))
	ok := peer(t, say("220 ready\r\n"))

	type result struct {
		name string
		probe.Result
	}
	results := make(chan result, hung+1)
	hungCtx, stopHung := context.WithCancel(t.Context())
	defer stopHung()
	var wg sync.WaitGroup
	for i := range hung {
		p := newProber(t, Config{Address: quiet, Expect: "220", Timeout: time.Hour})
		wg.Go(func() { results <- result{fmt.Sprint("hung ", i), p.Probe(hungCtx)} })
	}
	for range hung {
		<-entered
	}

	p := newProber(t, Config{Address: ok, Expect: "220"})
	wg.Go(func() { results <- result{"healthy", p.Probe(t.Context())} })

	first := <-results
	if first.name != "healthy" {
		t.Fatalf("%s finished first (%+v)", first.name, first.Result)
	}
	expectClass(t, first.Result, "")

	stopHung()
	wg.Wait()
	close(results)
	for r := range results {
		expectClass(t, r.Result, probe.ClassTimeout)
	}
}

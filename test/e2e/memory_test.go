package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Documented in docs/operations.md, "Worst-case memory": the bytes of ping
// bodies held at once (the ping handler's DefaultBodyBudget), and what an
// open connection costs at most.
const (
	pingBodyBudget = 16 << 20
	perConnection  = 64 << 10
)

// TestUnfinishedPingBodiesStayWithinMemoryBound opens 500 connections that
// each send a ping's headers with a large Content-Length and part of the
// body, and then hold: 450 to UUIDs of no check, 50 to a real check. The
// server's resident memory must stay under the documented bound: its
// memory at rest, plus twice the body budget (the garbage collector lets
// the heap grow to twice what is live), plus 64 KiB per connection. The
// pings to no check are answered 404 without their bodies being read.
func TestUnfinishedPingBodiesStayWithinMemoryBound(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc to read the server's resident memory")
	}
	const (
		conns   = 500
		known   = 50
		limit   = 100_000
		partial = 99_000 // just under the limit: a server that reads first keeps waiting for more
	)
	in := newInstance(t, fmt.Sprintf(`
ping_body_limit: %d
checks:
  - {name: %s, uuid: %s, schedule: {every: 1h}}
`, limit, backupName, backupUUID))
	srv := in.start()
	pid := srv.cmd.Process.Pid
	addr := strings.TrimPrefix(srv.base, "http://")
	// Warm up: a ping with a body, so that what is allocated once is.
	resp, err := http.Post(srv.base+"/ping/"+backupUUID+"/log", "text/plain", strings.NewReader(strings.Repeat("w", limit)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rest := vmRSS(t, pid)
	bound := rest + 2*pingBodyBudget + conns*perConnection
	t.Logf("resident at rest %d KiB, bound %d KiB", rest>>10, bound>>10)

	// Every connection is closed at the end, whatever happens.
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
	})
	body := strings.Repeat("x", partial)
	conn := make([]net.Conn, conns)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50) // dials and writes at once
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			target, length := backupUUID+"/log", limit
			if i >= known {
				target, length = fmt.Sprintf("00000000-0000-4000-8000-%012d", i), 10_000_000
			}
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				t.Errorf("connection %d: %v", i, err)
				return
			}
			mu.Lock()
			open = append(open, c)
			conn[i] = c
			mu.Unlock()
			c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			// The server may close a connection to no check before all of
			// this is sent: a write error is then expected.
			fmt.Fprintf(c, "POST /ping/%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", target, addr, length, body)
		}()
		if i%25 == 0 {
			if r := vmRSS(t, pid); r > bound {
				t.Errorf("resident %d KiB while opening connections, over the bound %d KiB", r>>10, bound>>10)
			}
		}
	}
	wg.Wait()
	// Held for a while: the resident memory stays under the bound.
	var peak int64
	for range 20 {
		peak = max(peak, vmRSS(t, pid))
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("peak resident while held %d KiB (bound %d KiB)", peak>>10, bound>>10)
	if peak > bound {
		t.Errorf("resident %d KiB with %d unfinished ping bodies, over the bound %d KiB", peak>>10, conns, bound>>10)
	}

	// The pings to no check were answered 404 (or their connection
	// closed) without the server waiting for their bodies.
	deadline := time.Now().Add(20 * time.Second)
	var unanswered atomic.Int64
	for i := known; i < conns; i++ {
		if conn[i] == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn[i].SetReadDeadline(deadline)
			resp, err := http.ReadResponse(bufio.NewReader(conn[i]), nil)
			switch {
			case err == nil && resp.StatusCode == http.StatusNotFound:
			case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
				// Closed or reset by the server: not waited on either.
			default:
				unanswered.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := unanswered.Load(); n > 0 {
		t.Errorf("%d of %d pings to no check not answered 404 while their bodies were unfinished", n, conns-known)
	}

	// Released: the server pings as before.
	mu.Lock()
	for _, c := range open {
		c.Close()
	}
	open = nil
	mu.Unlock()
	eventually(t, 20*time.Second, 100*time.Millisecond, "a ping after the connections closed", func() (bool, string) {
		resp, err := http.Post(srv.base+"/ping/"+backupUUID, "text/plain", strings.NewReader("done"))
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
}

// vmRSS is the resident memory of a process in bytes.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

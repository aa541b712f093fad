// Package sdnotify speaks systemd's notify protocol: a service started with
// Type=notify tells systemd when it is ready (READY=1) and stopping
// (STOPPING=1), and one with WatchdogSec= proves it is alive (WATCHDOG=1)
// at least every WatchdogSec, or systemd restarts it. Messages are
// datagrams to the unix socket named by NOTIFY_SOCKET; a name starting
// with '@' is an abstract socket.
package sdnotify

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// Notifier sends to systemd's notify socket. A nil *Notifier (no
// NOTIFY_SOCKET) sends nothing.
type Notifier struct {
	addr     *net.UnixAddr
	clock    clock.Clock
	watchdog time.Duration
}

// FromEnv reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID through
// getenv. It returns nil, nil when NOTIFY_SOCKET is unset: not run by
// systemd with Type=notify. The watchdog is on when WATCHDOG_USEC is set
// and WATCHDOG_PID, if set, is pid.
func FromEnv(getenv func(string) string, pid int, clk clock.Clock) (*Notifier, error) {
	socket := getenv("NOTIFY_SOCKET")
	if socket == "" {
		return nil, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("sd_notify: NOTIFY_SOCKET must be a path or start with @, got %q", socket)
	}
	n := &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}, clock: clk}
	usec := getenv("WATCHDOG_USEC")
	if usec == "" {
		return n, nil
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return n, nil // the watchdog is another process's
	}
	v, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || v <= 0 {
		return nil, fmt.Errorf("sd_notify: WATCHDOG_USEC must be a positive number of microseconds, got %q", usec)
	}
	n.watchdog = time.Duration(v) * time.Microsecond
	return n, nil
}

// Watchdog is systemd's watchdog timeout (WatchdogSec=), or 0 when it is
// off. WATCHDOG=1 must be sent at least this often; sd_watchdog_enabled(3)
// advises every half of it.
func (n *Notifier) Watchdog() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog
}

// Notify sends state, such as "READY=1" or "WATCHDOG=1", as one datagram.
// It never blocks for long: the write has a one-second deadline.
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	if state == "" {
		return errors.New("sd_notify: empty state")
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(n.clock.Now().Add(time.Second)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

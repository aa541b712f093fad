package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkScript writes a wrk Lua script that sends GET to paths in turn, each
// of wrk's threads starting at its own place in the list, and returns its
// file name.
func wrkScript(dir, name string, paths []string) (string, error) {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	b.WriteString(`}
local threads = 0
function setup(thread)
  thread:set("start", threads * 7919)
  threads = threads + 1
end
local i = 0
function init(args)
  i = start or 0
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
`)
	file := filepath.Join(dir, name+".lua")
	return file, os.WriteFile(file, []byte(b.String()), 0o600)
}

// wrkRun is what one wrk run measured.
type wrkRun struct {
	rps      float64
	p50, p99 time.Duration
	failed   int64         // non-2xx answers and socket errors
	cpu      time.Duration // wrk's own CPU time, user and system
	output   string
}

// runWrk runs wrk in its own process against base (http://host:port)
// with the script, on conns connections and threads threads, for d.
func runWrk(ctx context.Context, base, script string, threads, conns int, d time.Duration) (wrkRun, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(min(threads, conns)), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(secs)+"s", "--latency", "-s", script, base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkRun{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	r, err := parseWrk(out)
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, err
}

// parseWrk reads requests/s, the 50th and 99th latency percentiles and
// the failures from wrk's report.
func parseWrk(out []byte) (wrkRun, error) {
	r := wrkRun{output: string(out)}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50.000%" || len(f) == 2 && f[0] == "50%":
			r.p50 = wrkDuration(f[1])
		case len(f) == 2 && f[0] == "99.000%" || len(f) == 2 && f[0] == "99%":
			r.p99 = wrkDuration(f[1])
		case len(f) == 5 && f[0] == "Non-2xx":
			n, _ := strconv.ParseInt(f[4], 10, 64)
			r.failed += n
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				r.failed += n
			}
		}
	}
	if r.rps == 0 {
		return r, fmt.Errorf("wrk: no Requests/sec in its report: %s", out)
	}
	return r, nil
}

// wrkDuration parses wrk's latencies: 812.00us, 1.23ms, 2.01s.
func wrkDuration(s string) time.Duration {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0
			}
			return time.Duration(f * float64(u.unit))
		}
	}
	return 0
}

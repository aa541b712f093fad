// Command rss measures the memory of the tocsin binary with 100,000 checks:
// it builds ./cmd/tocsin, runs it on an empty database (the baseline) and on
// one seeded with the checks, pings every check once so each has a queued
// deadline, lets it idle, and reads VmRSS and VmHWM from /proc/<pid>/status.
// It prints a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/rss [-checks 100000] [-idle 5s]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rss:", err)
		os.Exit(1)
	}
}

func run() error {
	nChecks := flag.Int("checks", 100_000, "checks in the loaded database")
	idle := flag.Duration("idle", 5*time.Second, "idle time before reading the memory")
	conc := flag.Int("c", 256, "concurrent connections for the pings")
	dir := flag.String("dir", "", "directory for the binary and databases (default: a new temporary directory)")
	flag.Parse()
	ctx := context.Background()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-rss-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	bin := filepath.Join(*dir, "tocsin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tocsin")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build tocsin: %w", err)
	}
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte("checks: []\n"), 0o600); err != nil {
		return err
	}

	fmt.Printf("## Memory with 100,000 checks\n\n%s", benchkit.Machine(*dir))
	fmt.Printf("- Binary: `go build ./cmd/tocsin`, run as `tocsin serve` with a config file that declares no checks\n")
	fmt.Printf("- Memory read %s after the last request, from /proc/<pid>/status\n\n", *idle)

	// Baseline: the same binary on an empty database.
	base, err := startTocsin(bin, cfgPath, filepath.Join(*dir, "empty.db"))
	if err != nil {
		return err
	}
	time.Sleep(*idle)
	baseMem, err := readMem(base.pid)
	base.stop()
	if err != nil {
		return err
	}

	// Loaded: seeded checks, each pinged once.
	loadedDB := filepath.Join(*dir, "loaded.db")
	t0 := time.Now()
	uuids, err := benchkit.Seed(ctx, loadedDB, benchkit.Checks("job", *nChecks, time.Hour, time.Hour, nil))
	if err != nil {
		return err
	}
	seeded := time.Since(t0)
	tc, err := startTocsin(bin, cfgPath, loadedDB)
	if err != nil {
		return err
	}
	defer tc.stop()
	time.Sleep(*idle)
	newMem, err := readMem(tc.pid)
	if err != nil {
		return err
	}
	urls := make([]string, len(uuids))
	for i, id := range uuids {
		urls[i] = "http://" + tc.addr + "/ping/" + id
	}
	t0 = time.Now()
	if err := benchkit.PingAll(ctx, urls, *conc); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	pinged := time.Since(t0)
	time.Sleep(*idle)
	loadedMem, err := readMem(tc.pid)
	if err != nil {
		return err
	}
	sched, _ := benchkit.Scrape("http://"+tc.addr+"/metrics", "tocsin_scheduled_deadlines", "go_memstats_heap_inuse_bytes")

	fmt.Printf("- Seeding %d checks: %s; start-up to /healthz with them: %s; pinging each once (%d connections): %s (%.0f pings/s)\n\n",
		*nChecks, seeded.Round(time.Millisecond), tc.startup.Round(time.Millisecond), *conc, pinged.Round(time.Millisecond),
		float64(*nChecks)/pinged.Seconds())
	fmt.Println("| process | VmRSS | VmHWM |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| empty database (baseline) | %s | %s |\n", mib(baseMem.rss), mib(baseMem.hwm))
	fmt.Printf("| %d checks, just started (no deadlines yet) | %s | %s |\n", *nChecks, mib(newMem.rss), mib(newMem.hwm))
	fmt.Printf("| %d checks, each pinged once, idle (%.0f deadlines queued) | %s | %s |\n\n", *nChecks,
		sched["tocsin_scheduled_deadlines"], mib(loadedMem.rss), mib(loadedMem.hwm))
	fmt.Printf("Per check over the baseline: %.0f bytes of VmRSS, %.0f bytes of VmHWM; Go heap in use with the checks: %s.\n",
		float64(loadedMem.rss-baseMem.rss)/float64(*nChecks), float64(loadedMem.hwm-baseMem.hwm)/float64(*nChecks),
		mib(int64(sched["go_memstats_heap_inuse_bytes"])))
	return nil
}

type tocsinProc struct {
	pid     int
	addr    string
	startup time.Duration
	stop    func()
}

// startTocsin runs the binary on a free port and waits for /healthz.
func startTocsin(bin, cfgPath, dbPath string) (*tocsinProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(dbPath + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", addr, "--database", dbPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &tocsinProc{pid: cmd.Process.Pid, addr: addr, startup: time.Since(t0), stop: stop}, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("tocsin exited before serving (log: %s.log): %v", dbPath, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(t0) > time.Minute {
			stop()
			return nil, errors.New("tocsin did not answer /healthz within a minute")
		}
	}
}

type mem struct{ rss, hwm int64 } // bytes

func readMem(pid int) (mem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return mem{}, err
	}
	defer f.Close()
	var m mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.rss = kb << 10
		case "VmHWM":
			m.hwm = kb << 10
		}
	}
	return m, sc.Err()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Command rss measures the memory of the tocsin binary with 100,000 checks:
// it builds ./cmd/tocsin, runs it on an empty database (the baseline) and on
// one seeded with the checks, pings every check once so each has a queued
// deadline, lets it idle, and reads VmRSS and VmHWM from /proc/<pid>/status.
// It prints a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/rss [-checks 100000] [-idle 5s]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	bin, err := benchkit.BuildTocsin(*dir)
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte("checks: []\n"), 0o600); err != nil {
		return err
	}

	fmt.Printf("## Memory with 100,000 checks\n\n%s", benchkit.Machine(*dir))
	fmt.Printf("- Binary: `go build ./cmd/tocsin`, run as `tocsin serve` with a config file that declares no checks\n")
	fmt.Printf("- Memory read %s after the last request, from /proc/<pid>/status\n\n", *idle)

	// Baseline: the same binary on an empty database.
	base, err := benchkit.StartTocsin(bin, cfgPath, filepath.Join(*dir, "empty.db"))
	if err != nil {
		return err
	}
	time.Sleep(*idle)
	baseMem, err := benchkit.ReadMem(base.PID)
	base.Stop()
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
	tc, err := benchkit.StartTocsin(bin, cfgPath, loadedDB)
	if err != nil {
		return err
	}
	defer tc.Stop()
	time.Sleep(*idle)
	newMem, err := benchkit.ReadMem(tc.PID)
	if err != nil {
		return err
	}
	urls := make([]string, len(uuids))
	for i, id := range uuids {
		urls[i] = "http://" + tc.Addr + "/ping/" + id
	}
	t0 = time.Now()
	if err := benchkit.PingAll(ctx, urls, *conc); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	pinged := time.Since(t0)
	time.Sleep(*idle)
	loadedMem, err := benchkit.ReadMem(tc.PID)
	if err != nil {
		return err
	}
	sched, _ := benchkit.Scrape("http://"+tc.Addr+"/metrics", "tocsin_scheduled_deadlines", "go_memstats_heap_inuse_bytes")

	fmt.Printf("- Seeding %d checks: %s; start-up to /healthz with them: %s; pinging each once (%d connections): %s (%.0f pings/s)\n\n",
		*nChecks, seeded.Round(time.Millisecond), tc.Startup.Round(time.Millisecond), *conc, pinged.Round(time.Millisecond),
		float64(*nChecks)/pinged.Seconds())
	fmt.Println("| process | VmRSS | VmHWM |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| empty database (baseline) | %s | %s |\n", mib(baseMem.RSS), mib(baseMem.HWM))
	fmt.Printf("| %d checks, just started (no deadlines yet) | %s | %s |\n", *nChecks, mib(newMem.RSS), mib(newMem.HWM))
	fmt.Printf("| %d checks, each pinged once, idle (%.0f deadlines queued) | %s | %s |\n\n", *nChecks,
		sched["tocsin_scheduled_deadlines"], mib(loadedMem.RSS), mib(loadedMem.HWM))
	fmt.Printf("Per check over the baseline: %.0f bytes of VmRSS, %.0f bytes of VmHWM; Go heap in use with the checks: %s.\n",
		float64(loadedMem.RSS-baseMem.RSS)/float64(*nChecks), float64(loadedMem.HWM-baseMem.HWM)/float64(*nChecks),
		mib(int64(sched["go_memstats_heap_inuse_bytes"])))
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Command probes measures the cost of active probes against a Gatus-like
// baseline in the same run. It builds ./cmd/tocsin and the baseline
// (./bench/probes/gatuslike: per endpoint, what Gatus does for an HTTP
// endpoint with the condition "[STATUS] == 200", results in memory), starts
// an HTTP target on 127.0.0.1 in a process of its own (this binary with
// -role target), and runs side by side, against that target:
//
//   - Tocsin with n HTTP probes every interval, on a fresh SQLite file
//     (default sync=full: every result durable);
//   - the baseline with the same n endpoints and interval;
//   - Tocsin with no checks, the idle cost.
//
// After a warm-up (the first runs of both are spread over one interval) it
// measures several windows of one interval each: the CPU time of each
// process (utime+stime from /proc/<pid>/stat), its memory (VmRSS sampled,
// VmHWM, from /proc/<pid>/status), the requests the target saw of each
// prober, Tocsin's probe counters and the lag of each run's start behind
// its schedule (tocsin_probe_lag_seconds), and, from the target, the
// longest gap between two requests of one probe and the runs that never
// came (a gap over 1.5 intervals); every Tocsin's /metrics is scraped at
// the same moments, so that each carries the cost of being scraped alike.
// Running the three side by side puts the machine's noise on all of them
// alike. It prints a Markdown report for
// docs/benchmarks.md.
//
//	go run ./bench/probes [-n 1000] [-interval 30s] [-windows 4] [-warmup 45s] [-cpuprofile FILE] [-before BIN] [-gogc N]
//
// -before BIN runs one more Tocsin with the same probes beside them, that
// binary (built from an older tree, say), and -gogc N one more of this
// tree's under GOGC=N, so that a change is measured against the code
// before it in the same run.
//
// With -cpuprofile, the Tocsin with probes and the idle one are this binary
// running Tocsin in its process (app.New and Run, as `tocsin serve` does)
// with a CPU profile of the measured windows, instead of the built binary;
// at the end each writes a heap profile, its goroutines and runtime/metrics'
// account of its memory beside the CPU profile (FILE-heap.prof,
// FILE-goroutines.txt, FILE-memory.txt; the idle one's as FILE-idle-*).
//
// CPU times in /proc are in clock ticks; the tick rate comes from
// `getconf CLK_TCK`, or is taken as 100 (USER_HZ on Linux) when getconf
// cannot be run.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
)

// Gatus's own figures for 1,000 HTTP probes every 30 s on this machine, as
// issue #20 measured them (Gatus cannot be built here).
const (
	gatusCPULow, gatusCPUHigh = 1.1, 1.3 // seconds of CPU per 30 s
	gatusRSS                  = 50 << 20
)

// profileEnv tells this binary, started as `probes serve ...`, where to
// write Tocsin's CPU profile.
const profileEnv = "TOCSIN_PROBES_CPUPROFILE"

// memRateEnv passes -memprofilerate to the profiled Tocsins.
const memRateEnv = "TOCSIN_PROBES_MEMPROFILERATE"

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "serve":
		err = serveProfiled(os.Args[2:])
	default:
		err = run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		os.Exit(1)
	}
}

func run() error {
	role := flag.String("role", "", "internal: target (the HTTP target process)")
	n := flag.Int("n", 1000, "HTTP probes (and baseline endpoints)")
	interval := flag.Duration("interval", 30*time.Second, "interval of every probe; also the length of a measured window")
	windows := flag.Int("windows", 4, "measured windows of one interval each")
	warmup := flag.Duration("warmup", 45*time.Second, "time after start-up before measuring (the first runs are spread over one interval)")
	sample := flag.Duration("sample", 5*time.Second, "period of the memory samples")
	gatusConc := flag.Int("gatus-concurrency", 3, "endpoints the baseline evaluates at once (Gatus's default is 3)")
	cpuprofile := flag.String("cpuprofile", "", "run the Tocsin with probes and the idle one in this binary's process and write a CPU profile of the measured windows here (and the baseline's beside it, FILE-gatuslike.prof), and at the end heap profiles, goroutines and runtime/metrics (FILE-heap.prof, FILE-goroutines.txt, FILE-memory.txt, FILE-idle-*)")
	before := flag.String("before", "", "also run this tocsin binary (one built from an older tree, say) with the same probes, as \"Tocsin before\"")
	gogc := flag.Int("gogc", 0, "also run this tree's Tocsin with the same probes under the environment variable GOGC=N")
	memRate := flag.Int("memprofilerate", 0, "with -cpuprofile: runtime.MemProfileRate of the profiled Tocsins (1: every allocation; 0: Go's default, one sample per 512 KiB)")
	dir := flag.String("dir", "", "directory for the binaries and databases (default: a new temporary directory)")
	flag.Parse()
	if *role == "target" {
		return serveTarget(*n, *interval)
	}
	if *n < 1 || *interval < time.Second || *windows < 1 || *sample <= 0 {
		return errors.New("need -n >= 1, -interval >= 1s, -windows >= 1 and -sample > 0")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-probes-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	machine := benchkit.Machine(*dir)
	root, err := benchkit.ModuleRoot()
	if err != nil {
		return err
	}
	tocsinBin, gatusBin := filepath.Join(*dir, "tocsin"), filepath.Join(*dir, "gatuslike")
	for _, b := range [][2]string{{tocsinBin, "./cmd/tocsin"}, {gatusBin, "./bench/probes/gatuslike"}} {
		build := exec.Command("go", "build", "-o", b[0], b[1])
		build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b[1], err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	hz := clockTicks()

	// The target, in a process of its own.
	tgt := exec.Command(self, "-role", "target", "-n", strconv.Itoa(*n), "-interval", interval.String())
	tgt.Stderr = os.Stderr
	out, err := tgt.StdoutPipe()
	if err != nil {
		return err
	}
	if err := tgt.Start(); err != nil {
		return err
	}
	defer func() { tgt.Process.Signal(syscall.SIGTERM); tgt.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return fmt.Errorf("target address: %w", err)
	}
	targetAddr := strings.TrimSpace(line)

	emptyCfg := filepath.Join(*dir, "empty.yaml")
	if err := os.WriteFile(emptyCfg, []byte("checks: []\n"), 0o600); err != nil {
		return err
	}
	probesCfg := filepath.Join(*dir, "probes.yaml")
	if err := os.WriteFile(probesCfg, probeConfig(*n, *interval, targetAddr, "t"), 0o600); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "probes: %d every %s; %s warm-up, %d windows of %s\n", *n, *interval, *warmup, *windows, *interval)
	loadBin := tocsinBin
	if *cpuprofile != "" {
		loadBin = self
		if *cpuprofile, err = filepath.Abs(*cpuprofile); err != nil {
			return err
		}
		os.Setenv(profileEnv, *cpuprofile)
		os.Setenv(memRateEnv, strconv.Itoa(*memRate))
	}
	load, err := benchkit.StartTocsin(loadBin, probesCfg, filepath.Join(*dir, "probes.db"))
	if err != nil {
		return fmt.Errorf("tocsin with probes: %w", err)
	}
	defer load.Stop()
	idleBin := tocsinBin
	if *cpuprofile != "" {
		idleBin = self
		os.Setenv(profileEnv, strings.TrimSuffix(*cpuprofile, ".prof")+"-idle.prof")
	}
	idle, err := benchkit.StartTocsin(idleBin, emptyCfg, filepath.Join(*dir, "empty.db"))
	if err != nil {
		return fmt.Errorf("idle tocsin: %w", err)
	}
	defer idle.Stop()
	// The extra Tocsins with probes, each probing as a prober of its own.
	var extras []*proc
	for _, x := range []struct {
		on        bool
		name, key string
		bin, env  string
	}{{*before != "", "Tocsin before", "b", *before, ""}, {*gogc > 0, fmt.Sprintf("Tocsin, GOGC=%d", *gogc), "c", tocsinBin, "GOGC=" + strconv.Itoa(*gogc)}} {
		if !x.on {
			continue
		}
		cfg := filepath.Join(*dir, "probes-"+x.key+".yaml")
		if err := os.WriteFile(cfg, probeConfig(*n, *interval, targetAddr, x.key), 0o600); err != nil {
			return err
		}
		p, err := startWithEnv(x.bin, cfg, filepath.Join(*dir, "probes-"+x.key+".db"), x.env)
		if err != nil {
			return fmt.Errorf("%s: %w", x.name, err)
		}
		defer p.Stop()
		extras = append(extras, &proc{name: x.name, key: x.key, pid: p.PID, addr: p.Addr})
	}
	gatusArgs := []string{"-n", strconv.Itoa(*n), "-interval", interval.String(),
		"-url", "http://" + targetAddr + "/health?by=g&i=", "-concurrency", strconv.Itoa(*gatusConc)}
	if *cpuprofile != "" {
		gatusArgs = append(gatusArgs, "-cpuprofile", strings.TrimSuffix(*cpuprofile, ".prof")+"-gatuslike.prof")
	}
	gatus := exec.Command(gatusBin, gatusArgs...)
	gatus.Stderr = os.Stderr // its per-run log lines go to stdout: discarded, as a container's would be read and dropped
	if err := gatus.Start(); err != nil {
		return err
	}
	defer func() { gatus.Process.Signal(syscall.SIGTERM); gatus.Wait() }()

	time.Sleep(*warmup)
	if *cpuprofile != "" {
		syscall.Kill(load.PID, syscall.SIGUSR1)
		syscall.Kill(idle.PID, syscall.SIGUSR1)
		gatus.Process.Signal(syscall.SIGUSR1)
	}
	procs := append([]*proc{{name: "Tocsin, probes", key: "t", pid: load.PID, addr: load.Addr}, {name: "Gatus-like baseline", key: "g", pid: gatus.Process.Pid},
		{name: "Tocsin, no checks", pid: idle.PID, addr: idle.Addr}}, extras...)
	metricsURL := "http://" + load.Addr + "/metrics"
	statsURL := "http://" + targetAddr + "/stats"
	if _, err := targetStatsOf(statsURL + "?reset=gaps"); err != nil {
		return err
	}
	m0, err := benchkit.ScrapePrefix(metricsURL, "tocsin_probe_")
	if err != nil {
		return err
	}
	if err := scrapeRest(procs); err != nil {
		return err
	}
	s0, err := targetStatsOf(statsURL)
	if err != nil {
		return err
	}
	var wins []window
	for w := range *windows {
		win, err := measureWindow(procs, hz, *interval, *sample, metricsURL, statsURL)
		if err != nil {
			return fmt.Errorf("window %d: %w", w+1, err)
		}
		wins = append(wins, win)
		fmt.Fprintf(os.Stderr, "window %d: Tocsin %.2f s, baseline %.2f s of CPU\n", w+1, win.cpu[0], win.cpu[1])
	}
	m1, err := benchkit.ScrapePrefix(metricsURL, "tocsin_probe_")
	if err != nil {
		return err
	}
	if err := scrapeRest(procs); err != nil {
		return err
	}
	s1, err := targetStatsOf(statsURL)
	if err != nil {
		return err
	}
	for _, p := range procs {
		if p.end, err = benchkit.ReadMem(p.pid); err != nil {
			return err
		}
		if p.rollup, err = readRollup(p.pid); err != nil {
			return err
		}
	}
	if *cpuprofile != "" {
		for _, p := range []struct {
			pid  int
			base string
		}{{load.PID, *cpuprofile}, {idle.PID, strings.TrimSuffix(*cpuprofile, ".prof") + "-idle.prof"}} {
			if err := memProfiles(p.pid, strings.TrimSuffix(p.base, ".prof")); err != nil {
				return err
			}
		}
	}
	g, err := benchkit.Scrape(metricsURL, "go_memstats_heap_inuse_bytes", "go_goroutines")
	if err != nil {
		return err
	}

	report(reportInput{machine: machine, n: *n, interval: *interval, warmup: *warmup, gatusConc: *gatusConc,
		profiled: *cpuprofile != "", hz: hz, procs: procs, wins: wins, m0: m0, m1: m1, s0: s0, s1: s1, heap: g["go_memstats_heap_inuse_bytes"],
		goroutines: g["go_goroutines"]})
	return nil
}

// serveProfiled is this binary started as `probes serve --config C
// --listen A --database D` by benchkit.StartTocsin: Tocsin with a CPU
// profile written to the file named in profileEnv.
func serveProfiled(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := fs.String("config", "", "config file")
	listen := fs.String("listen", "", "address")
	database := fs.String("database", "", "database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serveTocsin(*cfg, *database, *listen, os.Getenv(profileEnv))
}

// startWithEnv is benchkit.StartTocsin with env ("K=V", or "" for none)
// added to the environment the process inherits.
func startWithEnv(bin, cfgPath, dbPath, env string) (*benchkit.Proc, error) {
	if k, v, ok := strings.Cut(env, "="); ok {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}
	return benchkit.StartTocsin(bin, cfgPath, dbPath)
}

// probeConfig is a config file with n HTTP probes of the target, each
// telling the target that it comes from prober key.
func probeConfig(n int, interval time.Duration, addr, key string) []byte {
	var b strings.Builder
	b.WriteString("checks:\n")
	width := max(4, len(strconv.Itoa(n)))
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: web-%0*d, probe: {type: http, url: \"http://%s/health?by=%s&i=%d\", expect_status: [200]}, interval: %s}\n",
			width, i, addr, key, i, interval)
	}
	return []byte(b.String())
}

// proc is one measured process.
type proc struct {
	name   string
	key    string // the prober the target counts its requests as; "" for none
	pid    int
	addr   string  // a Tocsin's HTTP address; "" for the baseline
	rss    []int64 // samples over every window
	end    benchkit.Mem
	rollup map[string]int64 // /proc/<pid>/smaps_rollup at the end, bytes
}

// scrapeRest scrapes /metrics of every Tocsin but the first whenever the
// first's is scraped, so that all carry the cost of being scraped alike
// (the gzip writers of the Prometheus handler keep a megabyte or two).
func scrapeRest(procs []*proc) error {
	for _, p := range procs[1:] {
		if p.addr == "" {
			continue
		}
		if _, err := benchkit.ScrapePrefix("http://"+p.addr+"/metrics", "tocsin_probe_"); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	return nil
}

// readRollup reads /proc/<pid>/smaps_rollup: the process's mappings summed,
// in bytes by field (Rss, Anonymous, Private_Dirty, ...).
func readRollup(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); ok && err == nil {
			out[k] = kb << 10
		}
	}
	return out, nil
}

// memProfiles asks the profiled Tocsin pid (serveTocsin) for its memory
// profiles, base-heap.prof and the rest, and waits for the last of them.
func memProfiles(pid int, base string) error {
	last := base + "-memory.txt"
	os.Remove(last)
	if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, err := os.Stat(last); err == nil && st.Size() > 0 {
			time.Sleep(200 * time.Millisecond) // the file is written in a few calls
			return nil
		}
	}
	return fmt.Errorf("no %s within 30 s", last)
}

// window is what one measured window saw; cpu is in the order of procs.
type window struct {
	wall     time.Duration
	cpu      []float64 // seconds
	requests map[string]int64
	metrics  [2]map[string]float64
}

func measureWindow(procs []*proc, hz int64, length, sample time.Duration, metricsURL, statsURL string) (window, error) {
	w := window{cpu: make([]float64, len(procs)), requests: map[string]int64{}}
	t0 := time.Now()
	c0 := make([]int64, len(procs))
	for i, p := range procs {
		v, err := cpuTicks(p.pid)
		if err != nil {
			return w, err
		}
		c0[i] = v
	}
	s0, err := targetStatsOf(statsURL)
	if err != nil {
		return w, err
	}
	if w.metrics[0], err = benchkit.ScrapePrefix(metricsURL, "tocsin_probe_"); err != nil {
		return w, err
	}
	if err := scrapeRest(procs); err != nil {
		return w, err
	}
	for end := t0.Add(length); ; {
		for _, p := range procs {
			m, err := benchkit.ReadMem(p.pid)
			if err != nil {
				return w, err
			}
			p.rss = append(p.rss, m.RSS)
		}
		left := time.Until(end)
		if left <= 0 {
			break
		}
		time.Sleep(min(sample, left))
	}
	for i, p := range procs {
		v, err := cpuTicks(p.pid)
		if err != nil {
			return w, err
		}
		w.cpu[i] = float64(v-c0[i]) / float64(hz)
	}
	w.wall = time.Since(t0)
	s1, err := targetStatsOf(statsURL)
	if err != nil {
		return w, err
	}
	if w.metrics[1], err = benchkit.ScrapePrefix(metricsURL, "tocsin_probe_"); err != nil {
		return w, err
	}
	if err := scrapeRest(procs); err != nil {
		return w, err
	}
	for k := range s1 {
		w.requests[k] = sum(s1[k].Count) - sum(s0[k].Count)
	}
	return w, nil
}

func targetStatsOf(url string) (map[string]targetStats, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]targetStats
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

func sum(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

type reportInput struct {
	machine          string
	n                int
	interval, warmup time.Duration
	gatusConc        int
	profiled         bool
	hz               int64
	procs            []*proc
	wins             []window
	m0, m1           map[string]float64
	s0, s1           map[string]targetStats
	heap, goroutines float64
}

func report(in reportInput) {
	per30 := 30 * time.Second.Seconds() / in.interval.Seconds() // scale of a window to 30 s
	fmt.Printf("## %s HTTP probes every %s, against a Gatus-like baseline\n\n%s", thousands(in.n), in.interval, in.machine)
	fmt.Printf("- Tick rate for /proc CPU times: %d Hz\n", in.hz)
	if in.profiled {
		fmt.Printf("- Tocsin with probes: this benchmark's binary running Tocsin in its process (app.New, Run) with a CPU profile of the windows\n")
	} else {
		fmt.Printf("- Tocsin with probes: `go build ./cmd/tocsin`, `tocsin serve` on a fresh SQLite file (default `sync=full`)\n")
	}
	fmt.Printf("- Probes: `probe: {type: http, url: \"http://127.0.0.1:PORT/health?by=t&i=K\", expect_status: [200]}, interval: %s`; other settings at their defaults (timeout 10s, probes.concurrency 64)\n", in.interval)
	fmt.Printf("- Baseline: `bench/probes/gatuslike`, the same %s endpoints, condition `[STATUS] == 200`, results in memory, concurrency %d\n", thousands(in.n), in.gatusConc)
	fmt.Printf("- Target: a `net/http` server in a process of its own on 127.0.0.1, answering 200 `{\"status\":\"ok\"}`\n")
	fmt.Printf("- The %d processes run side by side; %s warm-up, then %d windows of %s; memory sampled every 5 s\n\n", len(in.procs), in.warmup, len(in.wins), in.interval)

	fmt.Println("| window | Tocsin, probes: CPU s | baseline: CPU s | Tocsin, no checks: CPU s | Tocsin / baseline | Tocsin runs (target saw) | baseline runs (target saw) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|")
	ratios := make([]float64, 0, len(in.wins))
	cpus := make([][]float64, len(in.procs))
	for i, w := range in.wins {
		runs := runsIn(w.metrics[0], w.metrics[1])
		fmt.Printf("| %d | %.2f | %.2f | %.2f | %.2fx | %.0f (%d) | - (%d) |\n", i+1, w.cpu[0], w.cpu[1], w.cpu[2], w.cpu[0]/w.cpu[1],
			runs, w.requests["t"], w.requests["g"])
		ratios = append(ratios, w.cpu[0]/w.cpu[1])
		for j := range in.procs {
			cpus[j] = append(cpus[j], w.cpu[j]*per30/w.wall.Seconds()*in.interval.Seconds())
		}
	}
	fmt.Println()
	fmt.Println("| process | CPU per 30 s, median (min-max) | CPU per run | VmRSS mean (min-max) over the windows | VmRSS at end | VmHWM |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	var total float64
	for _, w := range in.wins {
		total += w.wall.Seconds()
	}
	for j, p := range in.procs {
		perRun := "-"
		if req := sumReq(in.wins, p.key); p.key != "" && req > 0 {
			var s float64
			for _, w := range in.wins {
				s += w.cpu[j]
			}
			perRun = fmt.Sprintf("%.2f ms", s/float64(req)*1000)
		}
		fmt.Printf("| %s | %.2f s (%.2f-%.2f) | %s | %s (%s-%s) | %s | %s |\n", p.name, median(cpus[j]), slices.Min(cpus[j]), slices.Max(cpus[j]),
			perRun, mib(mean(p.rss)), mib(slices.Min(p.rss)), mib(slices.Max(p.rss)), mib(p.end.RSS), mib(p.end.HWM))
	}
	fmt.Println()
	fmt.Println("| process, at the end (`/proc/PID/smaps_rollup`) | Rss | anonymous (heap, stacks, runtime) | file-backed (binary, libraries) | Private_Dirty |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, p := range in.procs {
		r := p.rollup
		fmt.Printf("| %s | %s | %s | %s | %s |\n", p.name, mib(r["Rss"]), mib(r["Anonymous"]), mib(r["Rss"]-r["Anonymous"]), mib(r["Private_Dirty"]))
	}
	fmt.Println()
	tc, bc := median(cpus[0]), median(cpus[1])
	fmt.Printf("- Tocsin against the baseline, same windows: CPU %.2fx (median of the per-window ratios; %.2fx to %.2fx); VmRSS %.2fx on the window means\n",
		median(ratios), slices.Min(ratios), slices.Max(ratios), mean(in.procs[0].rss)/mean(in.procs[1].rss))
	if in.n == 1000 && in.interval == 30*time.Second {
		fmt.Printf("- Against Gatus's figures from issue #20 (%.1f-%.1f s of CPU per 30 s, %s): CPU %.2f s per 30 s is %s; VmRSS %s is %s\n",
			gatusCPULow, gatusCPUHigh, mib(int64(gatusRSS)), tc, verdict(tc <= gatusCPULow, tc <= gatusCPUHigh),
			mib(mean(in.procs[0].rss)), verdict(mean(in.procs[0].rss) <= gatusRSS, mean(in.procs[0].rss) <= gatusRSS))
	}
	fmt.Printf("- Baseline CPU per 30 s: %.2f s; Tocsin's over its own idle process: %.2f s\n", bc, tc-median(cpus[2]))
	for j := 3; j < len(in.procs); j++ {
		r := make([]float64, len(in.wins))
		for i, w := range in.wins {
			r[i] = w.cpu[j] / w.cpu[1]
		}
		fmt.Printf("- %s against the baseline, same windows: CPU %.2f s per 30 s, %.2fx (%.2fx to %.2fx); VmRSS %s, %.2fx; against Tocsin with probes: CPU %.2fx, VmRSS %.2fx\n",
			in.procs[j].name, median(cpus[j]), median(r), slices.Min(r), slices.Max(r), mib(mean(in.procs[j].rss)), mean(in.procs[j].rss)/mean(in.procs[1].rss),
			median(cpus[j])/tc, mean(in.procs[j].rss)/mean(in.procs[0].rss))
	}

	// Lateness and missed runs.
	runs := runsIn(in.m0, in.m1)
	expected := float64(in.n) * total / in.interval.Seconds()
	fmt.Printf("- Tocsin's runs over the windows: %.0f, %.2f a second (n/interval = %.2f); outcomes: %s\n", runs, runs/total,
		float64(in.n)/in.interval.Seconds(), outcomes(in.m0, in.m1))
	lagCount := in.m1["tocsin_probe_lag_seconds_count"] - in.m0["tocsin_probe_lag_seconds_count"]
	lagMean := 0.0
	if lagCount > 0 {
		lagMean = (in.m1["tocsin_probe_lag_seconds_sum"] - in.m0["tocsin_probe_lag_seconds_sum"]) / lagCount
	}
	fmt.Printf("- Lag of each run's start behind its schedule (`tocsin_probe_lag_seconds`, %.0f runs, interpolated in its buckets): mean %s, p50 %s, p99 %s, max at most %s\n",
		lagCount, benchkit.Ms(secs(lagMean)), benchkit.Ms(histQuantile(in.m0, in.m1, "tocsin_probe_lag_seconds", 0.5)),
		benchkit.Ms(histQuantile(in.m0, in.m1, "tocsin_probe_lag_seconds", 0.99)), histMax(in.m0, in.m1, "tocsin_probe_lag_seconds"))
	for _, p := range in.procs {
		if p.key == "" {
			continue
		}
		k := struct{ key, name string }{p.key, p.name}
		st0, st1 := in.s0[k.key], in.s1[k.key]
		per := make([]int64, 0, in.n)
		var missed int64
		var maxGap time.Duration
		unseen := 0
		for i := 1; i < len(st1.Count); i++ {
			per = append(per, st1.Count[i]-st0.Count[i])
			missed += st1.Missed[i] - st0.Missed[i]
			maxGap = max(maxGap, st1.MaxGap[i])
			if st1.Count[i] == st0.Count[i] {
				unseen++
			}
		}
		sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
		got := sum(per)
		fmt.Printf("- %s, as the target saw it over the windows: %d requests (%.3f of n x windows); runs per probe min %d, median %d, max %d (expected %.1f); probes never seen: %d; longest gap between two runs of a probe: %s (interval %s); runs missed (a gap over 1.5 intervals): %d\n",
			k.name, got, float64(got)/expected, per[0], per[len(per)/2], per[len(per)-1], total/in.interval.Seconds(), unseen,
			maxGap.Round(time.Millisecond), in.interval, missed)
	}
	fmt.Printf("- Tocsin's latency of a run (`tocsin_probe_seconds`): p50 %s, p99 %s; Go heap in use at the end %s, %.0f goroutines\n",
		benchkit.Ms(histQuantile(in.m0, in.m1, "tocsin_probe_seconds", 0.5)), benchkit.Ms(histQuantile(in.m0, in.m1, "tocsin_probe_seconds", 0.99)),
		mib(in.heap), in.goroutines)
}

func verdict(low, high bool) string {
	switch {
	case low:
		return "at or below the whole range"
	case high:
		return "within the range"
	}
	return "ABOVE it"
}

func sumReq(ws []window, k string) int64 {
	var s int64
	for _, w := range ws {
		s += w.requests[k]
	}
	return s
}

func runsIn(m0, m1 map[string]float64) float64 {
	var s float64
	for k, v := range m1 {
		if strings.HasPrefix(k, "tocsin_probe_runs_total{") {
			s += v - m0[k]
		}
	}
	return s
}

func outcomes(m0, m1 map[string]float64) string {
	var out []string
	for k, v := range m1 {
		if o, ok := strings.CutPrefix(k, `tocsin_probe_runs_total{outcome="`); ok && v-m0[k] > 0 {
			out = append(out, fmt.Sprintf("%s %.0f", strings.TrimSuffix(o, `"}`), v-m0[k]))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

type bucket struct{ le, n float64 }

// buckets are the counts of histogram name between two scrapes, by bound.
func buckets(m0, m1 map[string]float64, name string) []bucket {
	var bs []bucket
	for k, v := range m1 {
		le, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, `"}`)
		f, err := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			f, err = math.Inf(1), nil
		}
		if err != nil {
			continue
		}
		bs = append(bs, bucket{f, v - m0[k]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	return bs
}

// histQuantile estimates the q-quantile of histogram name between two
// scrapes, interpolating linearly inside a bucket, as Prometheus'
// histogram_quantile does.
func histQuantile(m0, m1 map[string]float64, name string, q float64) time.Duration {
	bs := buckets(m0, m1, name)
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0
	}
	rank := q * bs[len(bs)-1].n
	lo, below := 0.0, 0.0
	for _, b := range bs {
		if b.n >= rank {
			if math.IsInf(b.le, 1) {
				return secs(lo) // above the last finite bound
			}
			if b.n == below {
				return secs(b.le)
			}
			return secs(lo + (b.le-lo)*(rank-below)/(b.n-below))
		}
		lo, below = b.le, b.n
	}
	return secs(lo)
}

// histMax is the upper bound of the highest bucket that gained an
// observation between two scrapes.
func histMax(m0, m1 map[string]float64, name string) string {
	bs := buckets(m0, m1, name)
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "-"
	}
	for i, b := range bs {
		if b.n == bs[len(bs)-1].n {
			if math.IsInf(b.le, 1) {
				return fmt.Sprintf("above %s", benchkit.Ms(secs(bs[i-1].le)))
			}
			return benchkit.Ms(secs(b.le))
		}
	}
	return "-"
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean[T int64 | float64](v []T) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(max(1, len(v)))
}

// clockTicks is the tick rate of the CPU times in /proc/<pid>/stat.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 100 // USER_HZ, fixed at 100 on Linux for every architecture Go supports
}

// cpuTicks is utime+stime of a process, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, the 12th and 13th after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return u + k, nil
}

func mib[T int64 | float64](b T) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

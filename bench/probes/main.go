// Command probes measures the cost of active probes: it builds ./cmd/tocsin,
// starts an HTTP target on 127.0.0.1 in this process (it answers 200 with a
// small JSON body and counts the requests), and runs `tocsin serve` twice on
// fresh SQLite files: first with a config file that declares no checks (the
// baseline), then with one that declares n HTTP probes of the target, each
// every interval. After a warm-up (the first runs are spread over one
// interval) it samples, over the measured duration, the CPU time of the
// process (utime+stime from /proc/<pid>/stat), its memory (VmRSS, VmHWM from
// /proc/<pid>/status), the requests the target saw, the probe counters and
// latency histogram from Tocsin's /metrics, and the growth of the database
// files. It prints a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/probes [-n 1000] [-interval 30s] [-warmup 35s] [-duration 2m]
//
// CPU times in /proc are in clock ticks; the tick rate comes from
// `getconf CLK_TCK`, or is taken as 100 (USER_HZ on Linux) when getconf
// cannot be run.
package main

import (
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "probes:", err)
		os.Exit(1)
	}
}

// retention is Tocsin's default probes.retention, for the extrapolation.
const retention = 48 * time.Hour

func run() error {
	n := flag.Int("n", 1000, "HTTP probes in the config file")
	interval := flag.Duration("interval", 30*time.Second, "interval of every probe")
	warmup := flag.Duration("warmup", 35*time.Second, "time after start-up before measuring (the first runs are spread over one interval)")
	duration := flag.Duration("duration", 2*time.Minute, "measured time")
	baseline := flag.Duration("baseline", 30*time.Second, "measured time of the baseline without checks (after 5 s of warm-up)")
	sample := flag.Duration("sample", 5*time.Second, "period of the memory samples")
	dir := flag.String("dir", "", "directory for the binary and databases (default: a new temporary directory)")
	flag.Parse()
	if *n < 1 || *interval < time.Second || *duration < *sample || *sample <= 0 {
		return errors.New("need -n >= 1, -interval >= 1s and -duration >= -sample > 0")
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
	bin := filepath.Join(*dir, "tocsin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tocsin")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build tocsin: %w", err)
	}
	hz := clockTicks()

	// The target: every probe's URL carries its index, so the runs of each
	// probe can be counted.
	tgt := newTarget(*n)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: tgt, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	targetAddr := ln.Addr().String()

	emptyCfg := filepath.Join(*dir, "empty.yaml")
	if err := os.WriteFile(emptyCfg, []byte("checks: []\n"), 0o600); err != nil {
		return err
	}
	probesCfg := filepath.Join(*dir, "probes.yaml")
	if err := os.WriteFile(probesCfg, probeConfig(*n, *interval, targetAddr), 0o600); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "baseline: %d checks, %s warm-up, %s measured\n", 0, 5*time.Second, *baseline)
	base, err := measure(bin, emptyCfg, filepath.Join(*dir, "empty.db"), hz, 5*time.Second, *baseline, *sample, nil)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	fmt.Fprintf(os.Stderr, "probes: %d checks every %s, %s warm-up, %s measured\n", *n, *interval, *warmup, *duration)
	dbPath := filepath.Join(*dir, "probes.db")
	load, err := measure(bin, probesCfg, dbPath, hz, *warmup, *duration, *sample, tgt)
	if err != nil {
		return fmt.Errorf("probes: %w", err)
	}
	// Tocsin has stopped (and checkpointed its WAL): count what it stored.
	tables := dbTables(dbPath)

	window := load.wall.Seconds()
	expected := float64(*n) / interval.Seconds()
	reqRate := float64(load.requests) / window
	var runs, fails float64
	outcomes := make([]string, 0, len(load.runs))
	for k, v := range load.runs {
		runs += v
		if k != "ok" {
			fails += v
		}
		outcomes = append(outcomes, fmt.Sprintf("%s %.0f", k, v))
	}
	sort.Strings(outcomes)

	fmt.Printf("## %s HTTP probes every %s\n\n%s", thousands(*n), *interval, machine)
	fmt.Printf("- Tick rate for /proc CPU times: %d Hz\n", hz)
	fmt.Printf("- Binary: `go build ./cmd/tocsin`, run as `tocsin serve` on a fresh SQLite file (default `sync=full`)\n")
	fmt.Printf("- Target: a `net/http` server in the benchmark process on %s, answering 200 `{\"status\":\"ok\"}`\n", "127.0.0.1")
	fmt.Printf("- Probes: `probe: {type: http, url: \"http://127.0.0.1:PORT/health?i=K\", expect_status: [200]}, interval: %s`; other settings at their defaults (timeout 10s, probes.concurrency 64, probes.retention 2d)\n", *interval)
	fmt.Printf("- Baseline: the same binary with no checks, %s warm-up, %s measured\n", 5*time.Second, base.wall.Round(time.Second))
	fmt.Printf("- With probes: %s warm-up, %s measured; memory sampled every %s\n\n", *warmup, load.wall.Round(time.Second), *sample)

	fmt.Println("| process | CPU (% of one core) | VmRSS at end | VmRSS mean (min-max) over the window | VmHWM | Go heap in use | goroutines |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range []struct {
		name string
		m    *result
	}{{"no checks (baseline)", base}, {fmt.Sprintf("%s HTTP probes every %s", thousands(*n), *interval), load}} {
		fmt.Printf("| %s | %.2f%% | %s | %s (%s-%s) | %s | %s | %.0f |\n", r.name, r.m.cpuPct(), mib(r.m.end.RSS),
			mib(r.m.rssMean()), mib(r.m.rssMin()), mib(r.m.rssMax()), mib(r.m.end.HWM), mib(int64(r.m.heap)), r.m.goroutines)
	}
	fmt.Println()
	perRSS := float64(load.end.RSS-base.end.RSS) / float64(*n)
	perMean := (load.rssMean() - base.rssMean()) / float64(*n)
	perHWM := float64(load.end.HWM-base.end.HWM) / float64(*n)
	fmt.Printf("- Per probe over the baseline: %.1f KiB of VmRSS at the end (%.1f KiB on the window means), %.1f KiB of VmHWM\n",
		perRSS/1024, perMean/1024, perHWM/1024)
	fmt.Printf("- CPU over the baseline: %.2f%% of one core, %.1f ms of CPU per probe run\n",
		load.cpuPct()-base.cpuPct(), (load.cpuSec()-base.cpuSec()*window/base.wall.Seconds())/math.Max(runs, 1)*1000)
	fmt.Printf("- Target: %d requests in %.1f s, %.2f req/s (expected n/interval = %.2f/s, ratio %.3f); runs per probe in the window: min %d, median %d, max %d (expected %.1f); probes never seen: %d\n",
		load.requests, window, reqRate, expected, reqRate/expected, load.perProbe[0], load.perProbe[len(load.perProbe)/2],
		load.perProbe[len(load.perProbe)-1], window/interval.Seconds(), load.unseen)
	fmt.Printf("- Tocsin's `tocsin_probe_runs_total` over the window: %.0f runs, %.2f runs/s; failures: %.0f (outcomes: %s); since start: %.0f runs, %.0f failures\n",
		runs, runs/window, fails, strings.Join(outcomes, ", "), load.totalRuns, load.totalFails)
	fmt.Printf("- Probe latency (`tocsin_probe_seconds` over the window, interpolated in its buckets): mean %s, p50 %s, p99 %s\n",
		benchkit.Ms(load.latMean), benchkit.Ms(load.latP50), benchkit.Ms(load.latP99))
	growth := float64(load.sizeEnd.bytes - load.sizeStart.bytes)
	rows := load.sizeEnd.results - load.sizeStart.results
	fmt.Printf("- Database size as SQLite sees it (page_count x page_size, committed WAL included): %s at the start of the window, %s at its end; growth %s for %d result rows (%.0f bytes a row), %s an hour extrapolated\n",
		mib(load.sizeStart.bytes), mib(load.sizeEnd.bytes), kib(int64(growth)), rows, growth/math.Max(float64(rows), 1), mib(int64(growth/window*3600)))
	fmt.Printf("- Database files on disk (main + WAL): %s at the start of the window, %s at its end\n", mib(load.dbStart), mib(load.dbEnd))
	if tables.err != "" {
		fmt.Printf("- Tables after stopping: %s\n", tables.err)
	} else {
		fmt.Printf("- Tables after stopping (database %s): probe_results %d rows, %s of pages (%.0f bytes a row); probe_rollups %d rows (%d hour, %d day), %s of pages (%.0f bytes a row)\n",
			mib(tables.fileBytes), tables.results, kib(tables.resultBytes), float64(tables.resultBytes)/math.Max(float64(tables.results), 1),
			tables.rollups, tables.hourRollups, tables.dayRollups, kib(tables.rollupBytes), float64(tables.rollupBytes)/math.Max(float64(tables.rollups), 1))
		resultRows := float64(*n) * retention.Seconds() / interval.Seconds()
		rollupRows := float64(*n) * (365*24 + 365)
		fmt.Printf("- At steady state, with the default retention of 2 days: %.0f result rows, about %s; a year of rollups (%d hour + 365 day rows per probe): %.0f rows, about %s\n",
			resultRows, mib(int64(resultRows*float64(tables.resultBytes)/math.Max(float64(tables.results), 1))),
			365*24, rollupRows, mib(int64(rollupRows*float64(tables.rollupBytes)/math.Max(float64(tables.rollups), 1))))
	}
	return nil
}

// probeConfig is a config file with n HTTP probes of the target.
func probeConfig(n int, interval time.Duration, addr string) []byte {
	var b strings.Builder
	b.WriteString("checks:\n")
	width := max(4, len(strconv.Itoa(n)))
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: web-%0*d, probe: {type: http, url: \"http://%s/health?i=%d\", expect_status: [200]}, interval: %s}\n",
			width, i, addr, i, interval)
	}
	return []byte(b.String())
}

// target answers every request with 200 and a small JSON body, and counts
// the requests of each probe by the i in its query.
type target struct {
	total atomic.Int64
	per   []atomic.Int64 // index 0: requests without a valid i
}

func newTarget(n int) *target { return &target{per: make([]atomic.Int64, n+1)} }

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.total.Add(1)
	i, err := strconv.Atoi(r.URL.Query().Get("i"))
	if err != nil || i < 1 || i >= len(t.per) {
		i = 0
	}
	t.per[i].Add(1)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`)
}

func (t *target) snapshot() []int64 {
	out := make([]int64, len(t.per))
	for i := range t.per {
		out[i] = t.per[i].Load()
	}
	return out
}

// result is what one run of the binary measured over its window.
type result struct {
	wall       time.Duration
	ticks      int64 // utime+stime over the window
	hz         int64
	end        benchkit.Mem
	rss        []int64 // samples
	heap       float64
	goroutines float64

	// With a target only.
	requests              int64
	perProbe              []int64 // sorted requests per probe in the window
	unseen                int
	runs                  map[string]float64 // by outcome, over the window
	totalRuns, totalFails float64
	latMean, latP50       time.Duration
	latP99                time.Duration
	dbStart, dbEnd        int64  // main file + WAL, bytes
	sizeStart, sizeEnd    dbSize // as SQLite sees it, committed WAL frames included
}

func (r *result) cpuSec() float64 { return float64(r.ticks) / float64(r.hz) }
func (r *result) cpuPct() float64 { return r.cpuSec() / r.wall.Seconds() * 100 }
func (r *result) rssMean() float64 {
	var s int64
	for _, v := range r.rss {
		s += v
	}
	return float64(s) / float64(len(r.rss))
}
func (r *result) rssMin() int64 { return minMax(r.rss, false) }
func (r *result) rssMax() int64 { return minMax(r.rss, true) }

func minMax(v []int64, isMax bool) int64 {
	m := v[0]
	for _, x := range v[1:] {
		if (isMax && x > m) || (!isMax && x < m) {
			m = x
		}
	}
	return m
}

// measure starts the binary, waits warmup, then samples it for window and
// stops it. tgt, when not nil, is the probes' target.
func measure(bin, cfgPath, dbPath string, hz int64, warmup, window, sample time.Duration, tgt *target) (*result, error) {
	tc, err := benchkit.StartTocsin(bin, cfgPath, dbPath)
	if err != nil {
		return nil, err
	}
	defer tc.Stop()
	metricsURL := "http://" + tc.Addr + "/metrics"
	time.Sleep(warmup)

	res := &result{hz: hz}
	t0 := time.Now()
	cpu0, err := cpuTicks(tc.PID)
	if err != nil {
		return nil, err
	}
	var req0 int64
	var per0 []int64
	var m0 map[string]float64
	if tgt != nil {
		req0, per0 = tgt.total.Load(), tgt.snapshot()
		if m0, err = benchkit.ScrapePrefix(metricsURL, "tocsin_probe_"); err != nil {
			return nil, err
		}
		res.dbStart = fileSizes(dbPath)
		if res.sizeStart, err = logicalSize(dbPath); err != nil {
			return nil, err
		}
	}
	m, err := benchkit.ReadMem(tc.PID)
	if err != nil {
		return nil, err
	}
	res.rss = append(res.rss, m.RSS)
	for end := t0.Add(window); ; {
		left := time.Until(end)
		if left <= 0 {
			break
		}
		time.Sleep(min(sample, left))
		if m, err = benchkit.ReadMem(tc.PID); err != nil {
			return nil, err
		}
		res.rss = append(res.rss, m.RSS)
	}
	cpu1, err := cpuTicks(tc.PID)
	if err != nil {
		return nil, err
	}
	res.wall = time.Since(t0)
	res.ticks = cpu1 - cpu0
	res.end = m
	if tgt != nil {
		res.requests = tgt.total.Load() - req0
		per1 := tgt.snapshot()
		for i := 1; i < len(per1); i++ {
			d := per1[i] - per0[i]
			res.perProbe = append(res.perProbe, d)
			if per1[i] == 0 {
				res.unseen++
			}
		}
		sort.Slice(res.perProbe, func(i, j int) bool { return res.perProbe[i] < res.perProbe[j] })
		res.dbEnd = fileSizes(dbPath)
		if res.sizeEnd, err = logicalSize(dbPath); err != nil {
			return nil, err
		}
		m1, err := benchkit.ScrapePrefix(metricsURL, "tocsin_probe_")
		if err != nil {
			return nil, err
		}
		res.runs = map[string]float64{}
		for k, v := range m1 {
			if o, ok := strings.CutPrefix(k, `tocsin_probe_runs_total{outcome="`); ok {
				o = strings.TrimSuffix(o, `"}`)
				res.runs[o] = v - m0[k]
				res.totalRuns += v
				if o != "ok" {
					res.totalFails += v
				}
			}
		}
		cnt := m1["tocsin_probe_seconds_count"] - m0["tocsin_probe_seconds_count"]
		if cnt > 0 {
			res.latMean = secs((m1["tocsin_probe_seconds_sum"] - m0["tocsin_probe_seconds_sum"]) / cnt)
		}
		res.latP50, res.latP99 = histQuantile(m0, m1, 0.50), histQuantile(m0, m1, 0.99)
	}
	g, err := benchkit.Scrape(metricsURL, "go_memstats_heap_inuse_bytes", "go_goroutines")
	if err != nil {
		return nil, err
	}
	res.heap, res.goroutines = g["go_memstats_heap_inuse_bytes"], g["go_goroutines"]
	return res, nil
}

// histQuantile estimates the q-quantile of tocsin_probe_seconds between two
// scrapes, interpolating linearly inside a bucket, as Prometheus'
// histogram_quantile does.
func histQuantile(m0, m1 map[string]float64, q float64) time.Duration {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range m1 {
		le, ok := strings.CutPrefix(k, `tocsin_probe_seconds_bucket{le="`)
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

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// fileSizes is the size of the database file and its WAL.
func fileSizes(dbPath string) int64 {
	var s int64
	for _, p := range []string{dbPath, dbPath + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			s += fi.Size()
		}
	}
	return s
}

type dbSize struct{ bytes, results int64 }

// logicalSize reads the size of the database and the number of stored
// probe results through a read-only connection, which sees every committed
// transaction, checkpointed or not.
func logicalSize(dbPath string) (dbSize, error) {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return dbSize{}, err
	}
	defer db.Close()
	var pages, pageSize int64
	var st dbSize
	if err := db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		return dbSize{}, fmt.Errorf("page_count: %w", err)
	}
	if err := db.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil {
		return dbSize{}, fmt.Errorf("page_size: %w", err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM probe_results").Scan(&st.results); err != nil {
		return dbSize{}, fmt.Errorf("count results: %w", err)
	}
	st.bytes = pages * pageSize
	return st, nil
}

type tableStats struct {
	err                      string
	fileBytes                int64
	results, rollups         int64
	hourRollups, dayRollups  int64
	resultBytes, rollupBytes int64
}

// dbTables counts the probe tables' rows and, through SQLite's dbstat
// table, the bytes of their pages.
func dbTables(dbPath string) tableStats {
	st := tableStats{fileBytes: fileSizes(dbPath)}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return tableStats{err: err.Error()}
	}
	defer db.Close()
	for _, q := range []struct {
		sql string
		to  *int64
	}{
		{"SELECT COUNT(*) FROM probe_results", &st.results},
		{"SELECT COUNT(*) FROM probe_rollups WHERE granularity = 'hour'", &st.hourRollups},
		{"SELECT COUNT(*) FROM probe_rollups WHERE granularity = 'day'", &st.dayRollups},
		{"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'probe_results'", &st.resultBytes},
		{"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = 'probe_rollups'", &st.rollupBytes},
	} {
		if err := db.QueryRow(q.sql).Scan(q.to); err != nil {
			return tableStats{err: fmt.Sprintf("%s: %v", q.sql, err)}
		}
	}
	st.rollups = st.hourRollups + st.dayRollups
	return st
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

func kib(b int64) string { return fmt.Sprintf("%.0f KiB", float64(b)/1024) }

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

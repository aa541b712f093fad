// Command million measures Tocsin with a million heartbeat checks made
// through the API: it builds ./cmd/tocsin, runs it on SQLite (or, with
// -postgres, on a throwaway PostgreSQL started here), creates the checks
// through POST /api/v1/checks/bulk, pings every one once so that each has
// a deadline, restarts the server on them, and then lets waves of a few
// hundred short-period checks (every 3s, grace 1s, notifying a webhook on
// 127.0.0.1) go late together. It reports the time to create the checks,
// the start-up time (process start to /healthz, and to every deadline
// queued), VmRSS idle and under the waves, and the deadline-to-webhook
// latency of the waves. With -profile DIR it then starts Tocsin once more
// in this process, on the same database, and writes a CPU profile of that
// start-up and a heap profile of the loaded server there. It prints a
// Markdown report for docs/benchmarks.md.
//
//	go run ./bench/million [-checks 1000000] [-postgres] [-wave 300] [-waves 3] [-profile DIR] [-dir DIR [-reuse] [-bin PATH]]
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

const (
	shortEvery = 3 * time.Second
	shortGrace = time.Second
	token      = "bench-responder-token-0123456789"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "million:", err)
		os.Exit(1)
	}
}

func run() error {
	nChecks := flag.Int("checks", 1_000_000, "checks made through the API, short ones included")
	waveSize := flag.Int("wave", 300, "short-period checks going late together in each wave")
	waves := flag.Int("waves", 3, "waves, one after another")
	batch := flag.Int("batch", 1000, "checks a POST /api/v1/checks/bulk request")
	bulkConc := flag.Int("bulk-c", 2, "concurrent bulk requests")
	conc := flag.Int("c", 256, "concurrent connections for the pings")
	withPG := flag.Bool("postgres", false, "run Tocsin on a throwaway PostgreSQL started here (needs initdb and pg_ctl)")
	idle := flag.Duration("idle", 5*time.Second, "idle time before reading the memory")
	profile := flag.String("profile", "", "directory for CPU and heap profiles of an in-process start-up on the loaded database")
	dir := flag.String("dir", "", "directory for the binary and database (default: a new temporary directory)")
	binFlag := flag.String("bin", "", "run this tocsin binary instead of building ./cmd/tocsin (to compare two builds on one database)")
	reuse := flag.Bool("reuse", false, "SQLite: the database in -dir holds the checks of an earlier run with the same -checks and -waves; "+
		"measure the restart, the waves and the profiles only (within two hours of that run, before the long checks go down)")
	flag.Parse()
	if *reuse && (*withPG || *dir == "") {
		return fmt.Errorf("-reuse needs -dir and SQLite")
	}
	nShort := *waves * *waveSize
	nLong := *nChecks - nShort
	if nLong < 0 {
		return fmt.Errorf("-checks %d is fewer than the %d short checks", *nChecks, nShort)
	}
	ctx := context.Background()
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return err
		}
	} else {
		d, err := os.MkdirTemp("", "tocsin-million-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	bin := *binFlag
	if bin == "" {
		var err error
		if bin, err = benchkit.BuildTocsin(*dir); err != nil {
			return err
		}
	}
	storeName := "SQLite"
	database := filepath.Join(*dir, "tocsin.db")
	if *withPG {
		srv, err := benchkit.LaunchPostgres(*dir)
		if err != nil {
			return err
		}
		defer srv.Stop()
		storeName, database = "PostgreSQL", srv.DSN
	}
	recv, err := benchkit.NewReceiver(nShort + 16)
	if err != nil {
		return err
	}
	defer recv.Close()
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	cfg := fmt.Sprintf("api_tokens:\n  - {name: bench, token_sha256: %x, role: responder}\nchannels:\n  - {name: ops, type: webhook, url: %q}\n",
		sha256.Sum256([]byte(token)), recv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(*dir, "tocsin.log")

	fmt.Printf("## %d checks on %s\n\n%s", *nChecks, storeName, benchkit.Machine(*dir))
	fmt.Printf("- Binary: `go build ./cmd/tocsin`, run as `tocsin serve` on %s; the checks made through `POST /api/v1/checks/bulk`, %d a request, %d requests at a time\n",
		storeName, *batch, *bulkConc)
	fmt.Printf("- Checks: %d (every 1h, grace 1h) + %d waves of %d (every %s, grace %s, notify: [ops] webhook on 127.0.0.1)\n",
		nLong, *waves, *waveSize, shortEvery, shortGrace)
	fmt.Printf("- Memory read %s after the last request, from /proc/<pid>/status\n\n", *idle)

	var baseMem, firstMem benchkit.Mem
	var short []benchkit.BulkCheck
	if *reuse {
		if short, err = shortChecks(ctx, database, nShort); err != nil {
			return err
		}
		fmt.Printf("- The database of an earlier run, reused: its checks made and pinged then\n")
	} else {
		if short, baseMem, firstMem, err = createAndPing(ctx, bin, cfgPath, database, logPath, nLong, nShort, *batch, *bulkConc, *conc, *idle); err != nil {
			return err
		}
	}

	// Restart on the loaded database: every long check has a deadline.
	p, err := benchkit.StartTocsinOn(bin, cfgPath, database, logPath)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			p.Stop()
		}
	}()
	t0 := time.Now()
	for {
		m, err := benchkit.Scrape("http://"+p.Addr+"/metrics", "tocsin_scheduled_deadlines")
		if err == nil && int(m["tocsin_scheduled_deadlines"]) >= nLong {
			break
		}
		if time.Since(t0) > 5*time.Minute {
			return fmt.Errorf("deadlines not queued 5 minutes after /healthz: %v %v", m, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	queued := p.Startup + time.Since(t0)
	time.Sleep(*idle)
	idleMem, err := benchkit.ReadMem(p.PID)
	if err != nil {
		return err
	}
	fmt.Printf("- Restart with %d deadlines in the store: process start to /healthz %s, to every deadline queued (tocsin_scheduled_deadlines) %s\n\n",
		nLong, p.Startup.Round(time.Millisecond), queued.Round(time.Millisecond))

	// The waves, with VmRSS sampled every 50 ms.
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		for {
			if m, err := benchkit.ReadMem(p.PID); err == nil && m.RSS > peak.Load() {
				peak.Store(m.RSS)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	fmt.Print(benchkit.WaveHeader)
	var all, waveCPU []time.Duration
	shortURLs := pingURLs(p.Addr, short)
	for w := range *waves {
		ids := shortURLs[w**waveSize : (w+1)**waveSize]
		cpu0, err := benchkit.ProcCPU(p.PID)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if err := benchkit.PingAll(ctx, ids, *conc); err != nil {
			return fmt.Errorf("ping wave %d: %w", w+1, err)
		}
		burst := time.Since(t0)
		wave, err := recv.Collect(len(ids), shortEvery+shortGrace, shortEvery+shortGrace+30*time.Second)
		if err != nil {
			return err
		}
		cpu1, err := benchkit.ProcCPU(p.PID)
		if err != nil {
			return err
		}
		all = append(all, wave.Latency...)
		waveCPU = append(waveCPU, cpu1-cpu0)
		fmt.Print(wave.Row(fmt.Sprint(w+1), len(ids), burst))
	}
	close(stopSampling)
	sampling.Wait()
	p99 := benchkit.Percentile(all, 99)
	fmt.Printf("| all | %d | | %d | %s | %s | %s | | |\n\n", nShort, len(all), benchkit.Ms(benchkit.Percentile(all, 50)), benchkit.Ms(p99),
		benchkit.Ms(benchkit.Percentile(all, 100)))
	// CPU time is what a busy machine leaves least changed: latency waits
	// for the cores other work holds, the work itself does not.
	var cpuText []string
	for _, c := range waveCPU {
		cpuText = append(cpuText, fmt.Sprintf("%d ms (%.2f ms a check)", c.Milliseconds(), float64(c.Microseconds())/1000/float64(*waveSize)))
	}
	fmt.Printf("Tocsin's CPU time in each wave, from its first ping to its last webhook: %s.\n\n", strings.Join(cpuText, ", "))
	heap, _ := benchkit.Scrape("http://"+p.Addr+"/metrics", "go_memstats_heap_inuse_bytes")
	fmt.Println("| process | VmRSS | VmHWM |")
	fmt.Println("|---|---:|---:|")
	if !*reuse {
		fmt.Printf("| empty database (baseline) | %s | %s |\n", mib(baseMem.RSS), mib(baseMem.HWM))
		fmt.Printf("| first run, after creating %d checks and pinging %d, idle | %s | %s |\n", *nChecks, nLong, mib(firstMem.RSS), mib(firstMem.HWM))
	}
	fmt.Printf("| restarted with %d deadlines, idle | %s | %s |\n", nLong, mib(idleMem.RSS), mib(idleMem.HWM))
	fmt.Printf("| the same, highest VmRSS sampled during the waves | %s | |\n\n", mib(peak.Load()))
	if !*reuse {
		fmt.Printf("Per check over the baseline, restarted and idle: %.0f bytes of VmRSS. ", float64(idleMem.RSS-baseMem.RSS)/float64(*nChecks))
	}
	fmt.Printf("Go heap in use after the waves: %s.\n\n", mib(int64(heap["go_memstats_heap_inuse_bytes"])))
	verdict := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	fmt.Printf("Targets: p99 <= 250 ms over all waves: %s (%s, %d of %d webhooks); VmRSS <= 1 GiB: %s (%s at most); start-up <= 30 s: %s (%s to every deadline queued).\n",
		verdict(p99 <= 250*time.Millisecond && len(all) == nShort), benchkit.Ms(p99), len(all), nShort,
		verdict(max(idleMem.RSS, peak.Load(), firstMem.HWM) <= 1<<30), mib(max(idleMem.RSS, peak.Load(), firstMem.HWM)),
		verdict(queued <= 30*time.Second), queued.Round(time.Millisecond))
	p.Stop()
	stopped = true
	if *profile != "" {
		return profileStartup(ctx, *profile, cfgPath, database, nLong)
	}
	return nil
}

// profileStartup starts Tocsin in this process on the loaded database with
// a CPU profile running until every deadline is queued, then writes a heap
// profile of the loaded server.
func profileStartup(ctx context.Context, dir, cfgPath, database string, deadlines int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cpu, err := os.Create(filepath.Join(dir, "startup.cpu"))
	if err != nil {
		return err
	}
	defer cpu.Close()
	if err := pprof.StartCPUProfile(cpu); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	t0 := time.Now()
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: database, Version: "bench",
		Clock: clock.Real{}, Log: log})
	if err != nil {
		pprof.StopCPUProfile()
		return err
	}
	built := time.Since(t0)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(rctx) }()
	defer func() { cancel(); <-done }()
	for a.Engine().Scheduled() < deadlines {
		if time.Since(t0) > 5*time.Minute {
			pprof.StopCPUProfile()
			return fmt.Errorf("in-process start-up: %d of %d deadlines queued after 5 minutes", a.Engine().Scheduled(), deadlines)
		}
		time.Sleep(10 * time.Millisecond)
	}
	queued := time.Since(t0)
	pprof.StopCPUProfile()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap, err := os.Create(filepath.Join(dir, "heap.pprof"))
	if err != nil {
		return err
	}
	defer heap.Close()
	if err := pprof.WriteHeapProfile(heap); err != nil {
		return err
	}
	fmt.Printf("\nIn-process start-up under the CPU profile: app.New %s, every deadline queued %s; Go heap in use after a GC: %s (%.0f bytes a deadline). Profiles: %s/startup.cpu, %s/heap.pprof.\n",
		built.Round(time.Millisecond), queued.Round(time.Millisecond), mib(int64(ms.HeapInuse)), float64(ms.HeapInuse)/float64(deadlines), dir, dir)
	return nil
}

// createAndPing starts Tocsin on the empty database, reads its memory (the
// baseline), makes the checks through the bulk API, pings each long one
// once, reads the memory again and stops it. It returns the short checks.
func createAndPing(ctx context.Context, bin, cfgPath, database, logPath string, nLong, nShort, batch, bulkConc, conc int,
	idle time.Duration) (short []benchkit.BulkCheck, baseMem, firstMem benchkit.Mem, err error) {
	p, err := benchkit.StartTocsinOn(bin, cfgPath, database, logPath)
	if err != nil {
		return nil, baseMem, firstMem, err
	}
	defer p.Stop()
	time.Sleep(idle)
	if baseMem, err = benchkit.ReadMem(p.PID); err != nil {
		return nil, baseMem, firstMem, err
	}
	long := benchkit.BulkChecks("long", nLong, time.Hour, time.Hour, nil)
	short = benchkit.BulkChecks("short", nShort, shortEvery, shortGrace, []string{"ops"})
	t0 := time.Now()
	if err := benchkit.CreateBulk(ctx, "http://"+p.Addr, token, append(long, short...), batch, bulkConc); err != nil {
		return nil, baseMem, firstMem, err
	}
	created := time.Since(t0)
	t0 = time.Now()
	if err := benchkit.PingAll(ctx, pingURLs(p.Addr, long), conc); err != nil {
		return nil, baseMem, firstMem, fmt.Errorf("ping long checks: %w", err)
	}
	pinged := time.Since(t0)
	time.Sleep(idle)
	if firstMem, err = benchkit.ReadMem(p.PID); err != nil {
		return nil, baseMem, firstMem, err
	}
	fmt.Printf("- Creating %d checks: %s, %.0f checks/s; pinging the %d long checks once (%d connections): %s, %.0f pings/s\n",
		nLong+nShort, created.Round(time.Millisecond), float64(nLong+nShort)/created.Seconds(), nLong, conc,
		pinged.Round(time.Millisecond), float64(nLong)/pinged.Seconds())
	return short, baseMem, firstMem, nil
}

// pingURLs are the ping URLs of checks on the server at addr.
func pingURLs(addr string, cs []benchkit.BulkCheck) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = "http://" + addr + "/ping/" + c.UUID
	}
	return out
}

// shortChecks reads the UUIDs of the short checks an earlier run made.
func shortChecks(ctx context.Context, path string, n int) ([]benchkit.BulkCheck, error) {
	db, err := store.Open(ctx, path, store.Options{Clock: clock.Real{}})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := benchkit.BulkChecks("short", n, shortEvery, shortGrace, nil)
	names := make([]string, n)
	for i, c := range out {
		names[i] = c.Name
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		byName, err := tx.ChecksByNames(ctx, names)
		for i := range out {
			c, ok := byName[out[i].Name]
			if !ok {
				return fmt.Errorf("no check %s in %s: not the database of an earlier run", out[i].Name, path)
			}
			out[i].UUID = c.UUID
		}
		return err
	})
	return out, err
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

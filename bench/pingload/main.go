// Command pingload measures durable ping ingest: GET /ping/<uuid> against a
// Tocsin started in this process (SQLite in a temporary directory, every
// ping committed before "OK"), and the same load against a bare net/http
// handler that answers "OK", in the same run, at a few concurrency levels.
// It prints a Markdown report for docs/benchmarks.md.
//
// With -postgres it also starts a throwaway PostgreSQL (initdb and pg_ctl
// from Debian's postgresql package, every commit synced to disk) and a
// second Tocsin on it, and measures the same load against it in the same
// repetitions: ping ingest on PostgreSQL against SQLite.
//
//	go run ./bench/pingload [-sync full|normal] [-postgres] [-c 16,64] [-d 2s] [-warmup 1s] [-reps 3] [-checks 1000] [-cpuprofile FILE]
//
// The load generator runs in the same process and shares the CPUs with
// both servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pingload:", err)
		os.Exit(1)
	}
}

func run() error {
	concs := flag.String("c", "16,64", "comma-separated numbers of concurrent connections")
	window := flag.Duration("d", 2*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run")
	reps := flag.Int("reps", 3, "repetitions of each (server, concurrency) pair")
	nChecks := flag.Int("checks", 1000, "checks in the config file; pings are spread over them")
	dir := flag.String("dir", "", "directory for the database (default: a new temporary directory)")
	syncMode := flag.String("sync", "full", "SQLite sync mode of Tocsin's database: full (the default) or normal")
	withPG := flag.Bool("postgres", false, "also measure Tocsin on a throwaway PostgreSQL started here (needs initdb and pg_ctl)")
	replicas := flag.Int("replicas", 1, "with -postgres: Tocsin replicas on the PostgreSQL database, each ping sent to the next")
	cpuprofile := flag.String("cpuprofile", "", "after the comparison, run Tocsin once more at the highest concurrency with a CPU profile written here")
	flag.Parse()
	var levels []int
	for _, s := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -c %q", *concs)
		}
		levels = append(levels, n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-pingload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}

	// Tocsin, with its checks declared in a config file.
	var cfg strings.Builder
	cfg.WriteString("checks:\n")
	uuids := make([]string, *nChecks)
	for i := range uuids {
		uuids[i] = store.NewUUID()
		fmt.Fprintf(&cfg, "  - {name: job-%06d, uuid: %s, schedule: {every: 1h}}\n", i+1, uuids[i])
	}
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o600); err != nil {
		return err
	}
	// Errors only: the checks notify no channel, which the config warns about once per check.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	start := func(database string) (addr string, stop func(), err error) {
		a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: database,
			Version: "bench", Clock: clock.Real{}, Log: log})
		if err != nil {
			return "", nil, err
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(actx) }()
		return a.Addr(), func() { cancel(); <-done }, nil
	}
	addr, stop, err := start(filepath.Join(*dir, "tocsin.db") + "?sync=" + *syncMode)
	if err != nil {
		return err
	}
	defer stop()
	pingURLs := func(addr string) []string {
		urls := make([]string, len(uuids))
		for i, u := range uuids {
			urls[i] = "http://" + addr + "/ping/" + u
		}
		return urls
	}
	tocsinURLs := pingURLs(addr)
	var pgURLs []string
	if *withPG {
		// The server runs as the postgres user when this runs as root: let
		// it pass through the directory.
		if err := os.Chmod(*dir, 0o711); err != nil {
			return err
		}
		pgDir := filepath.Join(*dir, "postgres")
		if err := os.Mkdir(pgDir, 0o700); err != nil {
			return err
		}
		srv, err := pgtest.Launch(pgDir, true)
		if err != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		defer srv.Stop()
		// With several replicas, consecutive pings of a check go to
		// different replicas, as behind a round-robin load balancer.
		var perReplica [][]string
		for range max(1, *replicas) {
			pgAddr, pgStop, err := start(srv.DSN)
			if err != nil {
				return err
			}
			defer pgStop()
			perReplica = append(perReplica, pingURLs(pgAddr))
		}
		for i := range uuids {
			for _, urls := range perReplica {
				pgURLs = append(pgURLs, urls[i])
			}
		}
	}

	// The baseline: a bare net/http handler on the same kind of listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "OK")
	}), ReadHeaderTimeout: 10 * time.Second}
	go bare.Serve(ln)
	defer bare.Close()
	bareURLs := make([]string, len(uuids))
	for i, u := range uuids {
		bareURLs[i] = "http://" + ln.Addr().String() + "/ping/" + u
	}
	spread := func(urls []string) func(int64) string {
		return func(i int64) string { return urls[i%int64(len(urls))] }
	}

	fsync, err := benchkit.FsyncProbe(*dir, time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("## Durable ping ingest\n\n%s- Checks: %d, pings spread round-robin; SQLite in WAL mode, sync=%s\n", benchkit.Machine(*dir), *nChecks, *syncMode)
	fmt.Printf("- Each run: %s warm-up, %s measured; %d repetitions, bare and Tocsin alternating\n", *warmup, *window, *reps)
	fmt.Printf("- Disk before the runs: 4 KiB write + fdatasync p50 %s, p99 %s (%d in 1 s)\n\n",
		benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)), len(fsync))
	fmt.Println("| connections | rep | bare req/s | bare p50 | bare p99 | Tocsin req/s | Tocsin p50 | Tocsin p99 | ratio | commits/s | pings/commit |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	metricsURL := "http://" + addr + "/metrics"
	batches := func() (commits, pings float64) {
		m, err := benchkit.Scrape(metricsURL, "tocsin_ping_commit_batch_size_count", "tocsin_ping_commit_batch_size_sum")
		if err != nil {
			return 0, 0
		}
		return m["tocsin_ping_commit_batch_size_count"], m["tocsin_ping_commit_batch_size_sum"]
	}
	type summary struct{ bare, tocsin, ratio, pg, pgRatio []float64 }
	type pgRow struct {
		conns, rep int
		sqlite, pg benchkit.Result
	}
	var pgRows []pgRow
	sums := map[int]*summary{}
	for _, c := range levels {
		s := &summary{}
		sums[c] = s
		for rep := 1; rep <= *reps; rep++ {
			b := benchkit.Load(ctx, spread(bareURLs), c, *warmup, *window)
			c0, p0 := batches()
			start := time.Now()
			t := benchkit.Load(ctx, spread(tocsinURLs), c, *warmup, *window)
			c1, p1 := batches()
			commits, perCommit := (c1-c0)/time.Since(start).Seconds(), (p1-p0)/max(1, c1-c0)
			for _, r := range []benchkit.Result{b, t} {
				if r.Failed > 0 {
					fmt.Fprintf(os.Stderr, "pingload: %d failed requests, first: %s\n", r.Failed, r.FirstError)
				}
			}
			ratio := t.RPS() / b.RPS()
			s.bare, s.tocsin, s.ratio = append(s.bare, b.RPS()), append(s.tocsin, t.RPS()), append(s.ratio, ratio)
			if pgURLs != nil {
				p := benchkit.Load(ctx, spread(pgURLs), c, *warmup, *window)
				if p.Failed > 0 {
					fmt.Fprintf(os.Stderr, "pingload: PostgreSQL: %d failed requests, first: %s\n", p.Failed, p.FirstError)
				}
				s.pg, s.pgRatio = append(s.pg, p.RPS()), append(s.pgRatio, p.RPS()/t.RPS())
				pgRows = append(pgRows, pgRow{c, rep, t, p})
			}
			fmt.Printf("| %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.2f | %.0f | %.1f |\n", c, rep, b.RPS(), benchkit.Ms(b.Percentile(50)),
				benchkit.Ms(b.Percentile(99)), t.RPS(), benchkit.Ms(t.Percentile(50)), benchkit.Ms(t.Percentile(99)), ratio,
				commits, perCommit)
		}
	}
	fmt.Println("\nMedians over the repetitions:")
	fmt.Println()
	fmt.Println("| connections | bare req/s | Tocsin req/s | ratio | target | met |")
	fmt.Println("|---:|---:|---:|---:|---:|:---|")
	for _, c := range levels {
		s := sums[c]
		r := median(s.ratio)
		met := "yes"
		if r < 0.5 {
			met = "no"
		}
		fmt.Printf("| %d | %.0f | %.0f | %.2f | >= 0.50 | %s |\n", c, median(s.bare), median(s.tocsin), r, met)
	}

	if pgURLs != nil {
		fmt.Printf("\n### PostgreSQL (%d replicas) against SQLite (sync=%s), same run\n\n", max(1, *replicas), *syncMode)
		fmt.Println("Each repetition ran SQLite, then PostgreSQL (local, 127.0.0.1, fsync and synchronous_commit on), right after the bare handler above.")
		fmt.Println()
		fmt.Println("| connections | rep | SQLite req/s | SQLite p50 | SQLite p99 | PostgreSQL req/s | PostgreSQL p50 | PostgreSQL p99 | PG/SQLite |")
		fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range pgRows {
			fmt.Printf("| %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.2f |\n", r.conns, r.rep, r.sqlite.RPS(),
				benchkit.Ms(r.sqlite.Percentile(50)), benchkit.Ms(r.sqlite.Percentile(99)), r.pg.RPS(),
				benchkit.Ms(r.pg.Percentile(50)), benchkit.Ms(r.pg.Percentile(99)), r.pg.RPS()/r.sqlite.RPS())
		}
		fmt.Println("\nMedians over the repetitions:")
		fmt.Println()
		fmt.Println("| connections | SQLite req/s | PostgreSQL req/s | PG/SQLite |")
		fmt.Println("|---:|---:|---:|---:|")
		for _, c := range levels {
			s := sums[c]
			fmt.Printf("| %d | %.0f | %.0f | %.2f |\n", c, median(s.tocsin), median(s.pg), median(s.pgRatio))
		}
	}

	if fsync, err = benchkit.FsyncProbe(*dir, time.Second); err == nil {
		fmt.Printf("\nDisk after the runs: 4 KiB write + fdatasync p50 %s, p99 %s (%d in 1 s)\n",
			benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)), len(fsync))
	}

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		c := slices.Max(levels)
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		t := benchkit.Load(ctx, spread(tocsinURLs), c, 0, *window)
		pprof.StopCPUProfile()
		fmt.Printf("\nProfiled Tocsin run (%d connections): %.0f req/s, p99 %s; profile in %s\n", c, t.RPS(),
			benchkit.Ms(t.Percentile(99)), *cpuprofile)
	}
	return nil
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

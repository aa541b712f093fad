// Command pingload measures durable ping ingest: GET /ping/<uuid> against a
// Tocsin started in this process (SQLite in a temporary directory, every
// ping committed before "OK"), and the same load against a bare net/http
// handler that answers "OK", in the same run, at a few concurrency levels.
// It prints a Markdown report for docs/benchmarks.md. -checks gives the
// numbers of checks the pings are spread over, each measured in turn; 1
// puts every ping on one check.
//
// With -wrk the load comes from wrk, in a process of its own, and Tocsin
// runs as the built binary, in a process of its own too, so that neither
// server shares its process with the load generator; -tocsin then names
// one or more binaries to measure side by side in the same run (a build
// before a change and one after it, say).
//
// With -postgres it also starts a throwaway PostgreSQL (initdb and pg_ctl
// from Debian's postgresql package, every commit synced to disk) and a
// second Tocsin on it, and measures the same load against it in the same
// repetitions: ping ingest on PostgreSQL against SQLite.
//
//	go run ./bench/pingload [-sync full|normal] [-postgres] [-c 16,64] [-d 2s] [-warmup 1s] [-reps 3] [-checks 1000] [-cpuprofile FILE]
//	go run ./bench/pingload -wrk [-tocsin BIN,BIN] [-threads 2] [-checks 10000,1] [-c 32] ...
//
// Without -wrk the load generator runs in the same process and shares the
// CPUs with both servers.
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
	spreadList := flag.String("checks", "1000", "comma-separated numbers of checks the pings are spread over, each measured in turn (1: every ping on one check); the config declares the largest")
	dir := flag.String("dir", "", "directory for the database (default: a new temporary directory)")
	syncMode := flag.String("sync", "full", "SQLite sync mode of Tocsin's database: full (the default) or normal")
	withPG := flag.Bool("postgres", false, "also measure Tocsin on a throwaway PostgreSQL started here (needs initdb and pg_ctl)")
	replicas := flag.Int("replicas", 1, "with -postgres: Tocsin replicas on the PostgreSQL database, each ping sent to the next")
	useWrk := flag.Bool("wrk", false, "load with wrk in a process of its own, against Tocsin as a built binary in a process of its own (needs wrk)")
	binList := flag.String("tocsin", "", "with -wrk: comma-separated tocsin binaries measured side by side (default: one built from this tree)")
	threads := flag.Int("threads", 2, "with -wrk: wrk's threads")
	cpuprofile := flag.String("cpuprofile", "", "after the comparison, run Tocsin once more in this process at the highest concurrency with a CPU profile written here (with several -checks, one file each, FILE.<n>checks)")
	flag.Parse()
	levels, err := positiveInts("-c", *concs)
	if err != nil {
		return err
	}
	spreads, err := positiveInts("-checks", *spreadList)
	if err != nil {
		return err
	}
	if *useWrk && *withPG {
		return fmt.Errorf("-wrk and -postgres are not measured together")
	}
	if !*useWrk && *binList != "" {
		return fmt.Errorf("-tocsin needs -wrk")
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
	uuids := make([]string, slices.Max(spreads))
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
	sqliteDSN := func(name string) string { return filepath.Join(*dir, name) + "?sync=" + *syncMode }

	// The servers measured: Tocsin in this process, or the binaries in
	// processes of their own.
	var targets []target
	var inProcessAddr string
	if !*useWrk {
		addr, stop, err := start(sqliteDSN("tocsin.db"))
		if err != nil {
			return err
		}
		defer stop()
		inProcessAddr = addr
		targets = append(targets, target{name: "Tocsin", bases: []string{"http://" + addr}})
	} else {
		bins := strings.Split(*binList, ",")
		if *binList == "" {
			bin, err := benchkit.BuildTocsin(*dir)
			if err != nil {
				return err
			}
			bins = []string{bin}
		}
		for i, bin := range bins {
			p, err := benchkit.StartTocsin(bin, cfgPath, sqliteDSN(fmt.Sprintf("tocsin-%d.db", i+1)))
			if err != nil {
				return fmt.Errorf("%s: %w", bin, err)
			}
			defer p.Stop()
			name := "Tocsin"
			if len(bins) > 1 {
				name = filepath.Base(bin)
			}
			targets = append(targets, target{name: name, bases: []string{"http://" + p.Addr}, pid: p.PID})
		}
	}
	var pg *target
	if *withPG {
		srv, err := benchkit.LaunchPostgres(*dir)
		if err != nil {
			return err
		}
		defer srv.Stop()
		// With several replicas, consecutive pings of a check go to
		// different replicas, as behind a round-robin load balancer.
		pg = &target{name: "PostgreSQL"}
		for range max(1, *replicas) {
			pgAddr, pgStop, err := start(srv.DSN)
			if err != nil {
				return err
			}
			defer pgStop()
			pg.bases = append(pg.bases, "http://"+pgAddr)
		}
	}

	// The baseline: a bare net/http handler on the same kind of listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bareSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "OK")
	}), ReadHeaderTimeout: 10 * time.Second}
	go bareSrv.Serve(ln)
	defer bareSrv.Close()
	// This process is otherwise idle while wrk loads the bare handler.
	bare := target{name: "bare", bases: []string{"http://" + ln.Addr().String()}, pid: os.Getpid()}

	// measure loads t with pings spread over the first n checks.
	scripts := map[int]string{}
	measure := func(t target, n, conns int) (result, error) {
		if !*useWrk {
			var urls []string
			for _, u := range uuids[:n] {
				for _, b := range t.bases {
					urls = append(urls, b+"/ping/"+u)
				}
			}
			r := benchkit.Load(ctx, func(i int64) string { return urls[i%int64(len(urls))] }, conns, *warmup, *window)
			return result{rps: r.RPS(), p50: r.Percentile(50), p99: r.Percentile(99), failed: int64(r.Failed), firstErr: r.FirstError}, nil
		}
		script, ok := scripts[n]
		if !ok {
			paths := make([]string, n)
			for i, u := range uuids[:n] {
				paths[i] = "/ping/" + u
			}
			var err error
			if script, err = wrkScript(*dir, fmt.Sprintf("pings-%d", n), paths); err != nil {
				return result{}, err
			}
			scripts[n] = script
		}
		if *warmup > 0 {
			if _, err := runWrk(ctx, t.bases[0], script, *threads, conns, *warmup); err != nil {
				return result{}, err
			}
		}
		cpu0, err := benchkit.ProcCPU(t.pid)
		if err != nil {
			return result{}, err
		}
		w, err := runWrk(ctx, t.bases[0], script, *threads, conns, *window)
		cpu1, cerr := benchkit.ProcCPU(t.pid)
		if err == nil {
			err = cerr
		}
		reqs := max(1, w.rps*window.Seconds())
		r := result{rps: w.rps, p50: w.p50, p99: w.p99, failed: w.failed,
			serverCPU: time.Duration(float64(cpu1-cpu0) / reqs), loadCPU: time.Duration(float64(w.cpu) / reqs)}
		if w.failed > 0 {
			r.firstErr = "wrk: " + strings.Join(strings.Fields(w.output), " ")
		}
		return r, err
	}

	fsync, err := benchkit.FsyncProbe(*dir, time.Second)
	if err != nil {
		return err
	}
	loadGen := "one Go load generator in this process, Tocsin in this process too"
	if *useWrk {
		loadGen = fmt.Sprintf("wrk -t%d in a process of its own; Tocsin as the built binary, in a process of its own; the bare handler in this process", *threads)
	}
	fmt.Printf("## Durable ping ingest\n\n%s- Load: %s\n- Checks declared: %d; pings spread round-robin over the first %s; SQLite in WAL mode, sync=%s\n",
		benchkit.Machine(*dir), loadGen, len(uuids), *spreadList, *syncMode)
	fmt.Printf("- Each run: %s warm-up, %s measured; %d repetitions, bare and Tocsin alternating\n", *warmup, *window, *reps)
	fmt.Printf("- Disk before the runs: 4 KiB write + fdatasync p50 %s, p99 %s (%d in 1 s)\n\n",
		benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)), len(fsync))
	header := "| checks | connections | rep | bare req/s | bare p50 | bare p99 |"
	align := "|---:|---:|---:|---:|---:|---:|"
	for _, t := range targets {
		header += fmt.Sprintf(" %[1]s req/s | %[1]s p50 | %[1]s p99 | ratio | commits/s | pings/commit |", t.name)
		align += "---:|---:|---:|---:|---:|---:|"
	}
	fmt.Println(header)
	fmt.Println(align)
	type key struct{ n, conns int }
	type summary struct {
		bare        []float64
		rps, ratio  [][]float64    // by target
		cpu         [][2][]float64 // server and wrk µs per request: bare, then by target
		pg, pgRatio []float64
		pgRows      [][2]result // SQLite, PostgreSQL, by repetition
	}
	sums := map[key]*summary{}
	for _, n := range spreads {
		for _, c := range levels {
			s := &summary{rps: make([][]float64, len(targets)), ratio: make([][]float64, len(targets)),
				cpu: make([][2][]float64, 1+len(targets))}
			addCPU := func(i int, r result) {
				s.cpu[i][0] = append(s.cpu[i][0], float64(r.serverCPU)/1e3)
				s.cpu[i][1] = append(s.cpu[i][1], float64(r.loadCPU)/1e3)
			}
			sums[key{n, c}] = s
			for rep := 1; rep <= *reps; rep++ {
				b, err := measure(bare, n, c)
				if err != nil {
					return err
				}
				warnFailed("bare", b)
				s.bare = append(s.bare, b.rps)
				addCPU(0, b)
				row := fmt.Sprintf("| %d | %d | %d | %.0f | %s | %s |", n, c, rep, b.rps, benchkit.Ms(b.p50), benchkit.Ms(b.p99))
				var first result
				for i, t := range targets {
					c0, p0 := t.batches()
					t0 := time.Now()
					r, err := measure(t, n, c)
					if err != nil {
						return err
					}
					c1, p1 := t.batches()
					warnFailed(t.name, r)
					commits, perCommit := (c1-c0)/time.Since(t0).Seconds(), (p1-p0)/max(1, c1-c0)
					s.rps[i], s.ratio[i] = append(s.rps[i], r.rps), append(s.ratio[i], r.rps/b.rps)
					addCPU(1+i, r)
					row += fmt.Sprintf(" %.0f | %s | %s | %.2f | %.0f | %.1f |", r.rps, benchkit.Ms(r.p50), benchkit.Ms(r.p99),
						r.rps/b.rps, commits, perCommit)
					if i == 0 {
						first = r
					}
				}
				if pg != nil {
					p, err := measure(*pg, n, c)
					if err != nil {
						return err
					}
					warnFailed("PostgreSQL", p)
					s.pg, s.pgRatio = append(s.pg, p.rps), append(s.pgRatio, p.rps/first.rps)
					s.pgRows = append(s.pgRows, [2]result{first, p})
				}
				fmt.Println(row)
			}
		}
	}
	// perTarget prints a table with a row for each number of checks and
	// connections: the bare handler's cells, then each target's.
	perTarget := func(header, align, targetHeader, targetAlign string, bare func(*summary) string, cells func(*summary, int) string) {
		for _, t := range targets {
			header += fmt.Sprintf(targetHeader, t.name)
			align += targetAlign
		}
		fmt.Println(header)
		fmt.Println(align)
		for _, n := range spreads {
			for _, c := range levels {
				s := sums[key{n, c}]
				row := fmt.Sprintf("| %d | %d |", n, c) + bare(s)
				for i := range targets {
					row += cells(s, i)
				}
				fmt.Println(row)
			}
		}
	}
	fmt.Println("\nMedians over the repetitions:")
	fmt.Println()
	perTarget("| checks | connections | bare req/s |", "|---:|---:|---:|", " %[1]s req/s | %[1]s ratio | target | met |", "---:|---:|---:|:---|",
		func(s *summary) string { return fmt.Sprintf(" %.0f |", median(s.bare)) },
		func(s *summary, i int) string {
			r := median(s.ratio[i])
			met := "yes"
			if r < 0.5 {
				met = "no"
			}
			return fmt.Sprintf(" %.0f | %.2f | >= 0.50 | %s |", median(s.rps[i]), r, met)
		})

	if *useWrk {
		fmt.Println("\nCPU time per request answered, medians over the repetitions: the server's process and wrk's, in µs;")
		fmt.Println("the two cores hold 2,000,000 µs a second, the kernel's network work included in both processes' system time.")
		fmt.Println()
		perTarget("| checks | connections | bare server µs | bare wrk µs |", "|---:|---:|---:|---:|",
			" %[1]s server µs | %[1]s wrk µs | %[1]s server cores |", "---:|---:|---:|",
			func(s *summary) string {
				return fmt.Sprintf(" %.1f | %.1f |", median(s.cpu[0][0]), median(s.cpu[0][1]))
			},
			func(s *summary, i int) string {
				return fmt.Sprintf(" %.1f | %.1f | %.2f |", median(s.cpu[1+i][0]), median(s.cpu[1+i][1]),
					median(s.cpu[1+i][0])*median(s.rps[i])/1e6)
			})
	}

	if pg != nil {
		fmt.Printf("\n### PostgreSQL (%d replicas) against SQLite (sync=%s), same run\n\n", len(pg.bases), *syncMode)
		fmt.Println("Each repetition ran SQLite, then PostgreSQL (local, 127.0.0.1, fsync and synchronous_commit on), right after the bare handler above.")
		fmt.Println()
		fmt.Println("| checks | connections | rep | SQLite req/s | SQLite p50 | SQLite p99 | PostgreSQL req/s | PostgreSQL p50 | PostgreSQL p99 | PG/SQLite |")
		fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, n := range spreads {
			for _, c := range levels {
				s := sums[key{n, c}]
				for i, r := range s.pgRows {
					fmt.Printf("| %d | %d | %d | %.0f | %s | %s | %.0f | %s | %s | %.2f |\n", n, c, i+1, r[0].rps,
						benchkit.Ms(r[0].p50), benchkit.Ms(r[0].p99), r[1].rps, benchkit.Ms(r[1].p50), benchkit.Ms(r[1].p99), r[1].rps/r[0].rps)
				}
			}
		}
		fmt.Println("\nMedians over the repetitions:")
		fmt.Println()
		fmt.Println("| checks | connections | SQLite req/s | PostgreSQL req/s | PG/SQLite |")
		fmt.Println("|---:|---:|---:|---:|---:|")
		for _, n := range spreads {
			for _, c := range levels {
				s := sums[key{n, c}]
				fmt.Printf("| %d | %d | %.0f | %.0f | %.2f |\n", n, c, median(s.rps[0]), median(s.pg), median(s.pgRatio))
			}
		}
	}

	if fsync, err = benchkit.FsyncProbe(*dir, time.Second); err == nil {
		fmt.Printf("\nDisk after the runs: 4 KiB write + fdatasync p50 %s, p99 %s (%d in 1 s)\n",
			benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)), len(fsync))
	}

	if *cpuprofile != "" {
		// The profile is of this process, so Tocsin runs in it; with -wrk
		// the load still comes from wrk, and the profile holds only Tocsin.
		if inProcessAddr == "" {
			addr, stop, err := start(sqliteDSN("profiled.db"))
			if err != nil {
				return err
			}
			defer stop()
			inProcessAddr = addr
		}
		t := target{name: "Tocsin", bases: []string{"http://" + inProcessAddr}, pid: os.Getpid()}
		c := slices.Max(levels)
		for _, n := range spreads {
			file := *cpuprofile
			if len(spreads) > 1 {
				file = fmt.Sprintf("%s.%dchecks", *cpuprofile, n)
			}
			// Every check pinged once first: the profile is of pings to
			// checks Tocsin has seen, as in the measured runs.
			urls := make([]string, n)
			for i, u := range uuids[:n] {
				urls[i] = t.bases[0] + "/ping/" + u
			}
			if err := benchkit.PingAll(ctx, urls, c); err != nil {
				return err
			}
			if err := profile(file, func() (result, error) { return measure(t, n, c) }, n, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// target is a server under load: one address, or several replicas of
// Tocsin taking the pings in turn.
type target struct {
	name  string
	bases []string // http://host:port
	pid   int      // the server's process, whose CPU time -wrk reads
}

// batches reads the group commits so far and the pings they held from
// the first replica's metrics.
func (t target) batches() (commits, pings float64) {
	m, err := benchkit.Scrape(t.bases[0]+"/metrics", "tocsin_ping_commit_batch_size_count", "tocsin_ping_commit_batch_size_sum")
	if err != nil {
		return 0, 0
	}
	return m["tocsin_ping_commit_batch_size_count"], m["tocsin_ping_commit_batch_size_sum"]
}

// result is what one load run measured.
type result struct {
	rps      float64
	p50, p99 time.Duration
	failed   int64
	firstErr string
	// With -wrk, the CPU time per request of the server's process and of
	// wrk: with the kernel's share, the two cores' budget.
	serverCPU, loadCPU time.Duration
}

func warnFailed(name string, r result) {
	if r.failed > 0 {
		fmt.Fprintf(os.Stderr, "pingload: %s: %d failed requests, first: %s\n", name, r.failed, r.firstErr)
	}
}

// profile runs load once with a CPU profile of this process written to file.
func profile(file string, load func() (result, error), n, conns int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	r, err := load()
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	fmt.Printf("\nProfiled Tocsin run (%d checks, %d connections): %.0f req/s, p99 %s; profile in %s\n", n, conns, r.rps,
		benchkit.Ms(r.p99), file)
	return nil
}

func positiveInts(name, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad %s %q", name, list)
		}
		out = append(out, n)
	}
	return out, nil
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

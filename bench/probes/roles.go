package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// The benchmark runs its target, and Tocsin when profiled, as processes of
// its own binary started with -role, so that each one's CPU time and memory
// are its own in /proc.

// serveTarget is the -role target process: an HTTP server on 127.0.0.1 that
// answers every request with 200 and a small JSON body. It prints its
// address on stdout and keeps, for each prober ("by" in the query: t for
// Tocsin, g for the Gatus-like baseline, b and c for the Tocsins of -before
// and -gogc) and each probe ("i"), the number of
// requests and the gaps between consecutive ones; GET /stats returns them.
func serveTarget(n int, interval time.Duration) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	t := &target{interval: interval, by: map[string]*arrivals{}}
	for _, k := range []string{"t", "g", "b", "c"} { // Tocsin, the baseline, Tocsin before (-before), under GOGC (-gogc)
		t.by[k] = newArrivals(n)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", t.stats)
	mux.Handle("/", t)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Println(ln.Addr().String())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// target counts the requests of each probe of each prober.
type target struct {
	interval time.Duration
	by       map[string]*arrivals
}

// arrivals are one prober's requests, by probe index (0: no valid index).
type arrivals struct {
	mu     sync.Mutex
	count  []int64
	last   []time.Time
	maxGap []time.Duration
	missed []int64 // gaps longer than 1.5 intervals: a run that never came
}

func newArrivals(n int) *arrivals {
	return &arrivals{count: make([]int64, n+1), last: make([]time.Time, n+1), maxGap: make([]time.Duration, n+1),
		missed: make([]int64, n+1)}
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	q := r.URL.Query()
	a := t.by[q.Get("by")]
	i, err := strconv.Atoi(q.Get("i"))
	if a == nil {
		a = t.by["t"]
		i = 0
	}
	if err != nil || i < 1 || i >= len(a.count) {
		i = 0
	}
	a.mu.Lock()
	a.count[i]++
	if !a.last[i].IsZero() {
		gap := now.Sub(a.last[i])
		a.maxGap[i] = max(a.maxGap[i], gap)
		if gap > t.interval*3/2 {
			a.missed[i]++
		}
	}
	a.last[i] = now
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`)
}

// targetStats is what GET /stats answers, by prober.
type targetStats struct {
	Count  []int64         `json:"count"`
	MaxGap []time.Duration `json:"max_gap"`
	Missed []int64         `json:"missed"`
}

// stats answers targetStats by prober; ?reset=gaps forgets the longest
// gaps so far, at the start of a measurement.
func (t *target) stats(w http.ResponseWriter, r *http.Request) {
	out := map[string]targetStats{}
	for k, a := range t.by {
		a.mu.Lock()
		if r.URL.Query().Get("reset") == "gaps" {
			clear(a.maxGap)
		}
		out[k] = targetStats{Count: append([]int64(nil), a.count...), MaxGap: append([]time.Duration(nil), a.maxGap...),
			Missed: append([]int64(nil), a.missed...)}
		a.mu.Unlock()
	}
	json.NewEncoder(w).Encode(out)
}

// serveTocsin is the -role tocsin process: Tocsin run as `tocsin serve`
// runs it (app.New, then Run until SIGTERM), with a CPU profile written to
// profile from the first SIGUSR1 (the start of the measured windows) to
// the stop, so that start-up does not weigh in it. On SIGUSR2 (the end of
// the windows) it writes its memory profiles beside it (writeMemProfiles).
func serveTocsin(cfgPath, database, listen, profile string) error {
	if rate, _ := strconv.Atoi(os.Getenv(memRateEnv)); rate > 0 {
		runtime.MemProfileRate = rate // before anything worth profiling is allocated
	}
	f, err := os.Create(profile)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listen: listen, Database: database, Version: "bench",
		Clock: clock.Real{}, Log: log})
	if err != nil {
		return err
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	var profiling sync.Once
	go func() {
		<-usr1
		profiling.Do(func() {
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Error("cpu profile", "err", err)
			}
		})
	}()
	usr2 := make(chan os.Signal, 1)
	signal.Notify(usr2, syscall.SIGUSR2)
	go func() {
		for range usr2 {
			if err := writeMemProfiles(strings.TrimSuffix(profile, ".prof")); err != nil {
				log.Error("memory profiles", "err", err)
			}
		}
	}()
	err = a.Run(ctx)
	profiling.Do(func() {}) // no profile starts after this
	pprof.StopCPUProfile()
	return err
}

// writeMemProfiles writes, under the name base: a heap profile after a
// collection (base-heap.prof: inuse_space and, since the start,
// alloc_space), the goroutines by where they wait (base-goroutines.txt)
// and where the runtime's memory goes (base-memory.txt: runtime/metrics'
// heap, stacks and runtime structures, and /proc/self/smaps_rollup).
func writeMemProfiles(base string) error {
	runtime.GC()
	if err := writeProfile(base+"-heap.prof", "heap", 0); err != nil {
		return err
	}
	if err := writeProfile(base+"-goroutines.txt", "goroutine", 1); err != nil {
		return err
	}
	f, err := os.Create(base + "-memory.txt")
	if err != nil {
		return err
	}
	defer f.Close()
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 && (strings.HasPrefix(d.Name, "/memory/classes/") || strings.HasPrefix(d.Name, "/gc/") ||
			strings.HasPrefix(d.Name, "/sched/goroutines")) {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	sort.Slice(samples, func(i, j int) bool { return samples[i].Name < samples[j].Name })
	for _, s := range samples {
		fmt.Fprintf(f, "%-60s %d\n", s.Name, s.Value.Uint64())
	}
	rollup, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "\n%s", rollup)
	return err
}

func writeProfile(path, name string, debug int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, debug); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Command deadlines measures how late Tocsin pages when many checks miss
// their deadline at once. It seeds a SQLite database with 100,000 checks,
// starts Tocsin in this process, pings every check once, and lets waves of
// a few hundred short-period checks (every 3s, grace 1s, notifying a webhook
// channel) go late together. A webhook receiver on 127.0.0.1 records when
// each incident.triggered notification arrives; the latency of a check is
// arrival - (last_ping_at + every + grace), last_ping_at taken from the
// notification. It also times loading the deadlines at start-up. It prints
// a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/deadlines [-checks 100000] [-wave 300] [-waves 2] [-per-channel N]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
)

const (
	shortEvery = 3 * time.Second
	shortGrace = time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "deadlines:", err)
		os.Exit(1)
	}
}

func run() error {
	nChecks := flag.Int("checks", 100_000, "checks in the database, short ones included")
	waveSize := flag.Int("wave", 300, "short-period checks going late together in each wave")
	waves := flag.Int("waves", 2, "waves, one after another")
	conc := flag.Int("c", 256, "concurrent connections for the pings")
	perChannel := flag.Int("per-channel", 0, "outbox.per_channel in the config (0: Tocsin's default)")
	dir := flag.String("dir", "", "directory for the database (default: a new temporary directory)")
	flag.Parse()
	nShort := *waves * *waveSize
	if nShort > *nChecks {
		return fmt.Errorf("-checks %d is fewer than the %d short checks", *nChecks, nShort)
	}
	ctx := context.Background()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-deadlines-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	dbPath := filepath.Join(*dir, "tocsin.db")

	recv, err := benchkit.NewReceiver(nShort + 16)
	if err != nil {
		return err
	}
	defer recv.Close()

	cfg := fmt.Sprintf("channels:\n  - {name: ops, type: webhook, url: %q}\n", recv.URL)
	if *perChannel > 0 {
		cfg += fmt.Sprintf("outbox:\n  per_channel: %d\n", *perChannel)
	}
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}

	fmt.Printf("## Deadline-to-webhook latency\n\n%s", benchkit.Machine(*dir))
	t0 := time.Now()
	long := benchkit.Checks("long", *nChecks-nShort, time.Hour, time.Hour, nil)
	short := benchkit.Checks("short", nShort, shortEvery, shortGrace, []string{"ops"})
	uuids, err := benchkit.Seed(ctx, dbPath, append(long, short...))
	if err != nil {
		return err
	}
	longUUIDs, shortUUIDs := uuids[:len(long)], uuids[len(long):]
	fmt.Printf("- Checks: %d (every 1h, grace 1h) + %d waves of %d (every %s, grace %s, notify: [ops] webhook on 127.0.0.1)\n",
		len(long), *waves, *waveSize, shortEvery, shortGrace)
	if *perChannel > 0 {
		fmt.Printf("- outbox.per_channel: %d\n", *perChannel)
	} else {
		fmt.Printf("- outbox: defaults\n")
	}
	fmt.Printf("- Seeding %d checks into SQLite: %s\n", *nChecks, time.Since(t0).Round(time.Millisecond))

	// First start: every check is new and has no deadline yet.
	a, stop, startup, err := start(ctx, cfgPath, dbPath)
	if err != nil {
		return err
	}
	fmt.Printf("- Start-up with %d new checks (app.New: migrate, config sync, deadline recompute, queue load): %s\n",
		*nChecks, startup.Round(time.Millisecond))
	base := "http://" + a.Addr() + "/ping/"
	urls := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = base + id
		}
		return out
	}
	t0 = time.Now()
	if err := benchkit.PingAll(ctx, urls(longUUIDs), *conc); err != nil {
		stop()
		return fmt.Errorf("ping long checks: %w", err)
	}
	d := time.Since(t0)
	fmt.Printf("- Pinging the %d long checks once (%d connections): %s, %.0f pings/s; deadlines queued: %d\n\n",
		len(longUUIDs), *conc, d.Round(time.Millisecond), float64(len(longUUIDs))/d.Seconds(), a.Engine().Scheduled())

	fmt.Print(benchkit.WaveHeader)
	var all []time.Duration
	for w := range *waves {
		ids := shortUUIDs[w**waveSize : (w+1)**waveSize]
		t0 := time.Now()
		if err := benchkit.PingAll(ctx, urls(ids), *conc); err != nil {
			stop()
			return fmt.Errorf("ping wave %d: %w", w+1, err)
		}
		burst := time.Since(t0)
		wave, err := recv.Collect(len(ids), shortEvery+shortGrace, shortEvery+shortGrace+30*time.Second)
		if err != nil {
			stop()
			return err
		}
		all = append(all, wave.Latency...)
		fmt.Print(wave.Row(fmt.Sprint(w+1), len(ids), burst))
	}
	p99 := benchkit.Percentile(all, 99)
	met := "yes"
	if p99 > time.Second || len(all) < nShort {
		met = "no"
	}
	fmt.Printf("| all | %d | | %d | %s | %s | %s | | |\n\n", nShort, len(all), benchkit.Ms(benchkit.Percentile(all, 50)), benchkit.Ms(p99),
		benchkit.Ms(benchkit.Percentile(all, 100)))
	fmt.Printf("Target: p99 <= 1 s over all waves: %s.\n\n", met)
	stop()

	// Second start: every check now has a deadline (the short ones are
	// down and have none).
	a, stop, startup, err = start(ctx, cfgPath, dbPath)
	if err != nil {
		return err
	}
	n := a.Engine().Scheduled()
	t0 = time.Now()
	if err := a.Engine().Load(ctx); err != nil {
		stop()
		return err
	}
	load := time.Since(t0)
	stop()
	fmt.Printf("Restart with %d deadlines: app.New %s, of which reading and queueing the deadlines (engine Load, timed again alone) %s.\n",
		n, startup.Round(time.Millisecond), load.Round(time.Millisecond))
	return nil
}

// start makes and runs a Tocsin, and returns it with its stop function and
// how long app.New took.
func start(ctx context.Context, cfgPath, dbPath string) (*app.App, func(), time.Duration, error) {
	// Errors only: one info line per check that goes down would be noise here.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	t0 := time.Now()
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: dbPath, Version: "bench",
		Clock: clock.Real{}, Log: log})
	if err != nil {
		return nil, nil, 0, err
	}
	took := time.Since(t0)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(rctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "deadlines: run:", err)
		}
	}
	return a, stop, took, nil
}

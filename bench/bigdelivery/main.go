// Command bigdelivery measures how a large Alertmanager delivery delays
// everything else that writes: it starts a Tocsin in this process, pings a
// check over HTTP from a few clients at a steady pace, and meanwhile POSTs
// Alertmanager webhook bodies of 10,000 new alerts each, back to back, to
// /ingest/alertmanager/<key>. It reports the ping latency while no
// delivery runs and while the deliveries commit, how long each delivery
// took, and how the lease renewals fared: how many failed (the leader logs
// each one) and the longest time between two renewals of a lease, read
// from the leases table.
//
//	go run ./bench/bigdelivery [-alerts 10000] [-deliveries 5] [-pingers 4] [-pace 10ms] [-idle 3s]
//	    [-sync full|normal] [-postgres] [-dir DIR] [-timeout 10m]
//
// With -postgres the database is a throwaway PostgreSQL started here
// (initdb and pg_ctl from Debian's postgresql package, every commit synced
// to disk) instead of SQLite. Everything listens on 127.0.0.1; the load
// generator shares the CPUs with Tocsin.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to watch the leases
	_ "modernc.org/sqlite"             // the "sqlite" driver, likewise
)

const (
	checkUUID      = "5f0c3a2e-7b1d-4c8e-9a6f-2d4b8e1c7a90"
	integrationKey = "bigdelivery-0123456789abcdef0123456789abcdef"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bigdelivery:", err)
		os.Exit(1)
	}
}

func run() error {
	nAlerts := flag.Int("alerts", 10000, "alerts in each delivery, all new")
	nDeliveries := flag.Int("deliveries", 5, "deliveries, sent back to back")
	pingers := flag.Int("pingers", 4, "clients pinging the check, each on its own connection")
	pace := flag.Duration("pace", 10*time.Millisecond, "pause of each pinger between a ping's answer and its next ping")
	idle := flag.Duration("idle", 3*time.Second, "pings measured before the first delivery, with nothing else writing")
	syncMode := flag.String("sync", "full", "SQLite sync mode: full (the default) or normal")
	withPG := flag.Bool("postgres", false, "use a throwaway PostgreSQL started here instead of SQLite (needs initdb and pg_ctl)")
	dir := flag.String("dir", "", "directory for the database (default: a new temporary directory)")
	timeout := flag.Duration("timeout", 10*time.Minute, "stop everything after this long")
	flag.Parse()
	if *nAlerts < 1 || *nDeliveries < 1 || *pingers < 1 {
		return errors.New("-alerts, -deliveries and -pingers must be at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-bigdelivery-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	database := filepath.Join(*dir, "tocsin.db") + "?sync=" + *syncMode
	watchDriver, watchDSN := "sqlite", "file:"+filepath.Join(*dir, "tocsin.db")+"?mode=ro"
	store := "SQLite in WAL mode, sync=" + *syncMode
	if *withPG {
		srv, err := benchkit.LaunchPostgres(*dir)
		if err != nil {
			return err
		}
		defer srv.Stop()
		database, store = srv.DSN, "PostgreSQL, every commit synced"
		watchDriver, watchDSN = "pgx", srv.DSN
	}

	cfg := fmt.Sprintf(`checks:
  - {name: heartbeat, uuid: %s, schedule: {every: 1h}}
services:
  - {name: payments, group_by: [alertname, cluster], group_wait: 30s}
integrations:
  - {name: prometheus, type: alertmanager, key: %s, service: payments}
`, checkUUID, integrationKey)
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	// Errors only, counted: a failed lease renewal is logged as one.
	renewals := &renewalCounter{}
	log := slog.New(renewals)
	runCtx, stopTocsin := context.WithCancel(ctx)
	defer stopTocsin()
	a, err := app.New(runCtx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: database,
		Version: "bench", Clock: clock.Real{}, Log: log})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stopTocsin(); <-done }()
	pingURL := "http://" + a.Addr() + "/ping/" + checkUUID
	ingestURL := "http://" + a.Addr() + "/ingest/alertmanager/" + integrationKey

	bodies := make([][]byte, *nDeliveries)
	for i := range bodies {
		if bodies[i], err = delivery(i, *nAlerts); err != nil {
			return err
		}
	}

	// Pingers run from start to end; each ping is filed under the phase
	// it started in.
	type sample struct {
		at  time.Time
		lat time.Duration
		ok  bool
	}
	var (
		mu      sync.Mutex
		samples []sample
	)
	pctx, stopPings := context.WithCancel(ctx)
	var wg sync.WaitGroup
	client := benchkit.NewClient(*pingers)
	for range *pingers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pctx.Err() == nil {
				start := time.Now()
				ok := ping(pctx, client, pingURL)
				s := sample{at: start, lat: time.Since(start), ok: ok}
				if pctx.Err() != nil {
					return
				}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
				select {
				case <-pctx.Done():
				case <-time.After(*pace):
				}
			}
		}()
	}

	// The leases: every renewal moves expires_at; the time between two
	// renewals, nominally the renewal period, grows by however long a
	// renewal waited for the writer.
	watch, err := sql.Open(watchDriver, watchDSN)
	if err != nil {
		stopPings()
		wg.Wait()
		return err
	}
	defer watch.Close()
	var gaps []time.Duration // between renewals seen while the deliveries ran
	var loading atomic.Bool
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		last := map[string]int64{}
		seenAt := map[string]time.Time{}
		for wctx.Err() == nil {
			rows, err := watch.QueryContext(wctx, "SELECT name, expires_at FROM leases WHERE name = 'engine' OR name LIKE 'member:%'")
			if err == nil {
				now := time.Now()
				for rows.Next() {
					var name string
					var exp int64
					if rows.Scan(&name, &exp) == nil && exp != last[name] {
						if !seenAt[name].IsZero() && loading.Load() {
							mu.Lock()
							gaps = append(gaps, now.Sub(seenAt[name]))
							mu.Unlock()
						}
						last[name], seenAt[name] = exp, now
					}
				}
				rows.Close()
			}
			select {
			case <-wctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	time.Sleep(*idle)
	renewals.reset()
	loading.Store(true)
	loadFrom := time.Now()
	var took []time.Duration
	bigClient := benchkit.NewClient(1)
	for i, body := range bodies {
		start := time.Now()
		if err := post(ctx, bigClient, ingestURL, body); err != nil {
			stopPings()
			wg.Wait()
			return fmt.Errorf("delivery %d: %w", i+1, err)
		}
		took = append(took, time.Since(start))
	}
	loadTo := time.Now()
	loading.Store(false)
	failedRenewals := renewals.count.Load()
	stopPings()
	stopWatch()
	wg.Wait()
	<-watched

	var quiet, loaded []time.Duration
	var failedQuiet, failedLoaded int
	for _, s := range samples {
		switch {
		case s.at.Before(loadFrom):
			if !s.ok {
				failedQuiet++
			}
			quiet = append(quiet, s.lat)
		case s.at.Before(loadTo):
			if !s.ok {
				failedLoaded++
			}
			loaded = append(loaded, s.lat)
		}
	}

	fmt.Printf("## Ping latency during %d-alert deliveries\n\n%s", *nAlerts, benchkit.Machine(*dir))
	fmt.Printf("- Tocsin: %s; one check; one service (group_by [alertname, cluster], group_wait 30s), no channels\n", store)
	fmt.Printf("- Load: %d pingers, each pausing %s between an answer and its next ping; %d deliveries of %d new alerts each (one group, body %s), sent back to back after %s of pings alone\n\n",
		*pingers, *pace, *nDeliveries, *nAlerts, mib(len(bodies[0])), *idle)
	fmt.Printf("| phase | pings | failed | p50 | p99 | max |\n|---|--:|--:|--:|--:|--:|\n")
	for _, r := range []struct {
		name   string
		lat    []time.Duration
		failed int
	}{{"no delivery", quiet, failedQuiet}, {"deliveries committing", loaded, failedLoaded}} {
		fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", r.name, len(r.lat), r.failed, benchkit.Ms(benchkit.Percentile(r.lat, 50)),
			benchkit.Ms(benchkit.Percentile(r.lat, 99)), benchkit.Ms(benchkit.Percentile(r.lat, 100)))
	}
	var parts []string
	for _, d := range took {
		parts = append(parts, fmt.Sprintf("%.2f s", d.Seconds()))
	}
	fmt.Printf("\nEach delivery, from POST to answer: %s.\n\nLease renewals while they ran (every 2 s, TTL 8 s): %d failed; longest time between two renewals of a lease %s (%d seen).\n",
		strings.Join(parts, ", "), failedRenewals, benchkit.Ms(benchkit.Percentile(gaps, 100)), len(gaps))
	return nil
}

// delivery is an Alertmanager webhook body (version 4) of n firing alerts
// of one group, new to Tocsin: the cluster label carries i.
func delivery(i, n int) ([]byte, error) {
	type alert struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    time.Time         `json:"startsAt"`
		EndsAt      time.Time         `json:"endsAt"`
		Fingerprint string            `json:"fingerprint"`
	}
	cluster := fmt.Sprintf("prod-eu-west-1-%03d", i)
	startsAt := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	alerts := make([]alert, n)
	for j := range alerts {
		pod := fmt.Sprintf("checkout-7c9f8b6d4-%05d", j)
		alerts[j] = alert{Status: "firing", StartsAt: startsAt, Fingerprint: fmt.Sprintf("%016x", uint64(i)<<32|uint64(j)),
			Labels: map[string]string{"alertname": "KubePodNotReady", "cluster": cluster, "namespace": "checkout",
				"pod": pod, "job": "kube-state-metrics", "severity": "warning"},
			Annotations: map[string]string{"summary": "Pod checkout/" + pod + " has been in a non-ready state for longer than 15 minutes.",
				"runbook_url": "https://runbooks.example.com/alerts/kubepodnotready"}}
	}
	return json.Marshal(map[string]any{"receiver": "tocsin", "status": "firing", "alerts": alerts, "version": "4",
		"groupLabels":  map[string]string{"alertname": "KubePodNotReady", "cluster": cluster},
		"commonLabels": map[string]string{"alertname": "KubePodNotReady", "cluster": cluster, "namespace": "checkout", "severity": "warning"},
		"groupKey":     fmt.Sprintf(`{}:{alertname="KubePodNotReady", cluster=%q}`, cluster)})
}

func ping(ctx context.Context, c *http.Client, url string) bool {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func post(ctx context.Context, c *http.Client, url string, body []byte) error {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(answer))
	}
	return nil
}

// renewalCounter is a log handler that prints errors to stderr and counts
// failed lease renewals ("renew engine lease", "renew member lease").
type renewalCounter struct {
	count atomic.Int64
}

func (h *renewalCounter) reset() { h.count.Store(0) }

func (h *renewalCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *renewalCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "renew ") && strings.HasSuffix(r.Message, " lease") {
		h.count.Add(1)
	}
	var attrs []string
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a.String()); return true })
	fmt.Fprintf(os.Stderr, "tocsin: %s %s\n", r.Message, strings.Join(attrs, " "))
	return nil
}

func (h *renewalCounter) WithAttrs([]slog.Attr) slog.Handler { return h }

func (h *renewalCounter) WithGroup(string) slog.Handler { return h }

func mib(n int) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

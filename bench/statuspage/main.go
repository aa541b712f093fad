// Command statuspage measures the public status page under a traffic
// spike: GET /status/<slug> (HTML) and /status/<slug>/api/v2/summary.json
// served by statuspage.Service.Public() over the real store, for a page of
// 50 components bound to 50 checks with a year of history, against a bare
// net/http handler that writes the same bytes, in the same run, at a few
// concurrency levels. It prints a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/statuspage [-c 16,64] [-d 2s] [-warmup 1s] [-reps 3] [-components 50] [-days 365]
//	                          [-change 5s] [-database postgres://...] [-cpuprofile FILE]
//
// The history is written as Tocsin writes it, on a fake clock that walks
// the year hour by hour: probe results through the probe runner's store
// methods (which roll them up, and prune them as the runner does),
// incidents opened and resolved through internal/incident, public
// incidents opened, grown and resolved by the status page job
// (Service.Run) with a responder's update on every other one, and
// maintenance scheduled through the Service every two weeks. During the
// measurement the job runs every second and a heartbeat check goes down or
// comes back every -change, so the page changes as during an incident. The
// load generator runs in the same process and shares the CPUs with both
// servers.
package main

import (
	"context"
	"errors"
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

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		os.Exit(1)
	}
}

const slug = "bench"

func run() error {
	concs := flag.String("c", "16,64", "comma-separated numbers of concurrent connections")
	window := flag.Duration("d", 2*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run")
	reps := flag.Int("reps", 3, "repetitions of each (document, server, concurrency)")
	nComponents := flag.Int("components", 50, "components on the page, each bound to a check of its own")
	nDays := flag.Int("days", 365, "days of history")
	change := flag.Duration("change", 5*time.Second, "a heartbeat check goes down or comes back this often during the runs (0: never)")
	dir := flag.String("dir", "", "directory of the SQLite database (default: a new temporary one)")
	database := flag.String("database", "", "a postgres:// DSN of an empty database to use instead of SQLite")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured runs to this file")
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

	dsn, dbDir := *database, *dir
	if dsn == "" {
		if dbDir == "" {
			d, err := os.MkdirTemp("", "tocsin-statuspage-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(d)
			dbDir = d
		}
		dsn = filepath.Join(dbDir, "tocsin.db")
	}

	cfg := pageConfig(*nComponents)
	seedStart := time.Now()
	hist, err := seed(ctx, dsn, cfg, *nComponents, *nDays, clock.Real{}.Now())
	if err != nil {
		return err
	}
	seedTime := time.Since(seedStart)

	db, err := store.Open(ctx, dsn, store.Options{Clock: clock.Real{}})
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.DiscardHandler)
	newService := func() *statuspage.Service {
		svc := &statuspage.Service{DB: db, Clock: clock.Real{}, Configs: staticConfig{cfg}, Log: logger}
		svc.Env = func() incident.Env { return env(svc) }
		return svc
	}

	// The cost of one View built from the store: a fresh Service has
	// nothing cached, so its first View reads everything (cold); a View
	// rebuilt when the last is a second old, as under load, reads again
	// only what may have changed (warm).
	var cold, warm []time.Duration
	for range 10 {
		svc := newService()
		start := time.Now()
		if _, _, err := svc.View(ctx, slug); err != nil {
			return fmt.Errorf("build view: %w", err)
		}
		cold = append(cold, time.Since(start))
	}
	fake := clock.NewFake(clock.Real{}.Now())
	rebuilt := &statuspage.Service{DB: db, Clock: fake, Configs: staticConfig{cfg}, Log: logger}
	for i := range 21 {
		fake.Advance(2 * time.Second)
		start := time.Now()
		if _, _, err := rebuilt.View(ctx, slug); err != nil {
			return fmt.Errorf("build view: %w", err)
		}
		if i > 0 {
			warm = append(warm, time.Since(start))
		}
	}
	slices.Sort(cold)
	slices.Sort(warm)

	svc := newService()
	view, _, err := svc.View(ctx, slug)
	if err != nil {
		return err
	}
	if _, err := svc.Run(ctx, clock.Real{}.Now()); err != nil {
		return fmt.Errorf("status page job: %w", err)
	}
	stopBackground := background(ctx, svc, db, *change)
	defer stopBackground()

	serve := func(h http.Handler) (string, func(), error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
	}
	tocsinURL, stopTocsin, err := serve(svc.Public())
	if err != nil {
		return err
	}
	defer stopTocsin()

	docs := []struct{ name, path, contentType string }{
		{"`/status/bench` (HTML)", "/status/" + slug, "text/html; charset=utf-8"},
		{"`summary.json`", "/status/" + slug + "/api/v2/summary.json", "application/json; charset=utf-8"},
	}
	// The baseline writes the bytes Tocsin served before the run, with the
	// same Content-Type and Content-Length: what is left is the cost of
	// Tocsin's handler and of keeping its View current.
	bodies := map[string][]byte{}
	bare := http.NewServeMux()
	for _, d := range docs {
		b, err := fetch(ctx, tocsinURL+d.path)
		if err != nil {
			return err
		}
		bodies[d.path] = b
		bare.HandleFunc("GET "+d.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", d.contentType)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
		})
	}
	bareURL, stopBare, err := serve(bare)
	if err != nil {
		return err
	}
	defer stopBare()

	incidents, updates := 0, 0
	for _, list := range [][]statuspage.Incident{view.Incidents, view.Maintenances} {
		for _, in := range list {
			incidents++
			updates += len(in.Updates)
		}
	}
	machine := benchkit.Machine(dbDir)
	if *database != "" {
		// PostgreSQL's data is not in a directory of ours.
		var b strings.Builder
		for _, line := range strings.SplitAfter(machine, "\n") {
			if !strings.HasPrefix(line, "- Database directory") {
				b.WriteString(line)
			}
		}
		machine = b.String()
	}
	backend := "SQLite"
	if *database != "" {
		backend = "PostgreSQL"
	}
	fmt.Printf("## Status page under load\n\n%s", machine)
	fmt.Printf("- Store: %s; %d components (%d groups), each bound to a check (%d HTTP probes, %d heartbeat checks), %d also to a service\n",
		backend, *nComponents, len(cfg.StatusPages[0].Components), hist.probes, hist.heartbeats, hist.services)
	fmt.Printf("- History: %d days written in %s: %d probe results, %d internal incidents, %d public incidents (%d with a responder's update) and %d maintenances by the job and the Service\n",
		*nDays, seedTime.Round(time.Second), hist.results, hist.incidents, hist.publicIncidents, hist.updatesByHuman, hist.maintenances)
	fmt.Printf("- The page shows %d incidents and maintenances with %d updates (the last 90 days); HTML %d bytes, summary.json %d bytes\n",
		incidents, updates, len(bodies[docs[0].path]), len(bodies[docs[1].path]))
	fmt.Printf("- One View built from the store: cold (nothing cached) median %s, max %s over %d builds; "+
		"rebuilt a second later, as under load, median %s, max %s over %d builds\n",
		benchkit.Ms(cold[len(cold)/2]), benchkit.Ms(cold[len(cold)-1]), len(cold),
		benchkit.Ms(warm[len(warm)/2]), benchkit.Ms(warm[len(warm)-1]), len(warm))
	fmt.Printf("- During the runs the job runs every second")
	if *change > 0 {
		fmt.Printf(" and a heartbeat check goes down or comes back every %s", *change)
	}
	fmt.Printf("\n- Each run: %s warm-up, %s measured; %d repetitions, bare and Tocsin alternating\n\n", *warmup, *window, *reps)

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println("| document | connections | rep | bare req/s | bare p99 | Tocsin req/s | Tocsin p99 | ratio |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	type key struct {
		doc  string
		conc int
	}
	ratios, bareRPS, tocsinRPS := map[key][]float64{}, map[key][]float64{}, map[key][]float64{}
	versions := map[uint64]bool{}
	for _, d := range docs {
		for _, c := range levels {
			for rep := 1; rep <= *reps; rep++ {
				b := benchkit.Load(ctx, func(int64) string { return bareURL + d.path }, c, *warmup, *window)
				t := benchkit.Load(ctx, func(int64) string { return tocsinURL + d.path }, c, *warmup, *window)
				for _, r := range []benchkit.Result{b, t} {
					if r.Failed > 0 {
						fmt.Fprintf(os.Stderr, "statuspage: %d failed requests, first: %s\n", r.Failed, r.FirstError)
					}
				}
				if _, v, err := svc.View(ctx, slug); err == nil {
					versions[v] = true
				}
				k := key{d.name, c}
				ratios[k] = append(ratios[k], t.RPS()/b.RPS())
				bareRPS[k], tocsinRPS[k] = append(bareRPS[k], b.RPS()), append(tocsinRPS[k], t.RPS())
				fmt.Printf("| %s | %d | %d | %.0f | %s | %.0f | %s | %.2f |\n", d.name, c, rep, b.RPS(), benchkit.Ms(b.Percentile(99)),
					t.RPS(), benchkit.Ms(t.Percentile(99)), t.RPS()/b.RPS())
			}
		}
	}
	fmt.Printf("\nDistinct page versions seen after the runs: %d\n", len(versions))
	fmt.Println("\nMedians over the repetitions:")
	fmt.Println()
	fmt.Println("| document | connections | bare req/s | Tocsin req/s | ratio | target | met |")
	fmt.Println("|---|---:|---:|---:|---:|---:|:---|")
	for _, d := range docs {
		for _, c := range levels {
			k := key{d.name, c}
			r := median(ratios[k])
			met := "yes"
			if r < 0.5 {
				met = "no"
			}
			fmt.Printf("| %s | %d | %.0f | %.0f | %.2f | >= 0.50 | %s |\n", d.name, c, median(bareRPS[k]), median(tocsinRPS[k]), r, met)
		}
	}
	return nil
}

type staticConfig struct{ cfg *config.Config }

func (s staticConfig) Config() *config.Config { return s.cfg }

// pageConfig is the page: n components in groups of ten, component i
// bound to check chk-i, every seventh also to a service.
func pageConfig(n int) *config.Config {
	page := config.StatusPage{Slug: slug, Title: "Bench Inc. status", Description: "Fifty components and a year of history",
		TimeZone: "Europe/Berlin", Publish: config.PublishAuto}
	for i := range n {
		if i%10 == 0 {
			page.Components = append(page.Components, config.StatusComponent{Group: fmt.Sprintf("Region %d", i/10+1)})
		}
		c := config.StatusComponent{Name: fmt.Sprintf("Service %d", i+1), Checks: []string{checkName(i)}}
		if isProbe(i) {
			c.SlowOver = config.Duration(300 * time.Millisecond)
		}
		if i%7 == 3 {
			c.Services = []string{fmt.Sprintf("svc-%d", i)}
		}
		g := &page.Components[len(page.Components)-1]
		g.Components = append(g.Components, c)
	}
	return &config.Config{PublicURL: "https://status.example.com/", StatusPages: []config.StatusPage{page}}
}

func checkName(i int) string { return fmt.Sprintf("chk-%02d", i) }

// isProbe: three of every five checks are HTTP probes, the others
// heartbeat checks.
func isProbe(i int) bool { return i%5 < 3 }

func env(svc *statuspage.Service) incident.Env {
	return incident.Env{PublicURL: "https://tocsin.example.com", HasChannel: func(string) bool { return true }, Muted: svc.CheckMuted}
}

// history counts what seed wrote.
type history struct {
	probes, heartbeats, services                                      int
	results, incidents, publicIncidents, maintenances, updatesByHuman int
}

// seed writes the checks and days of history ending at end into the
// store at dsn, on a fake clock that walks the days hour by hour.
func seed(ctx context.Context, dsn string, cfg *config.Config, n, days int, end time.Time) (history, error) {
	var h history
	end = end.UTC().Truncate(time.Hour)
	clk := clock.NewFake(end.AddDate(0, 0, -days))
	// The history is written with SQLite syncing at checkpoints only: it
	// is set-up, not what is measured.
	seedDSN := dsn
	if !strings.HasPrefix(dsn, "postgres") {
		seedDSN += "?sync=normal"
	}
	db, err := store.Open(ctx, seedDSN, store.Options{Clock: clk})
	if err != nil {
		return h, err
	}
	defer db.Close()
	var defs []store.CheckDef
	for i := range n {
		d := store.CheckDef{Name: checkName(i), Slug: checkName(i), AutoResolve: true}
		if isProbe(i) {
			h.probes++
			// Never probed here: its results are written below.
			d.Probe, d.Interval, d.FailuresBeforeDown, d.SuccessesBeforeUp = `{"http":{"url":"http://127.0.0.1:1/"}}`, 30*time.Second, 1, 1
		} else {
			h.heartbeats++
			d.Spec, d.Grace = tocsin.ScheduleSpec{Every: time.Hour}, 10*time.Minute
		}
		if i%7 == 3 {
			h.services++
		}
		defs = append(defs, d)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error { _, err := tx.SyncChecks(ctx, defs); return err }); err != nil {
		return h, fmt.Errorf("sync checks: %w", err)
	}
	svc := &statuspage.Service{DB: db, Clock: clk, Configs: staticConfig{cfg}, Log: slog.New(slog.DiscardHandler)}
	svc.Env = func() incident.Env { return env(svc) }
	v, _, err := svc.View(ctx, slug)
	if err != nil {
		return h, err
	}
	var componentIDs []string // of the checks, in order
	for _, c := range v.Components {
		if !c.Group {
			componentIDs = append(componentIDs, c.ID)
		}
	}
	job := func(now time.Time) error {
		if _, err := svc.Run(ctx, now); err != nil {
			return fmt.Errorf("status page job at %s: %w", now, err)
		}
		return nil
	}
	down := map[int]time.Time{} // checks down, since
	for hour := 0; hour < days*24; hour++ {
		now := clk.Now()
		day, hourOfDay := hour/24, hour%24
		changed := false
		err := db.Write(ctx, func(tx *store.Tx) error {
			cs, err := tx.ChecksByNames(ctx, checkNamesOf(n))
			if err != nil {
				return err
			}
			for i := range n {
				c := cs[checkName(i)]
				// An outage of an hour or two every 40 days or so per
				// check, at a different time for each.
				outage := (day+i*7)%41 == 0 && hourOfDay == (i*5)%24
				if _, isDown := down[i]; !isDown && outage {
					c.Status = tocsin.StateDown
					if err := tx.SaveCheckState(ctx, c); err != nil {
						return err
					}
					if _, err := incident.CheckDown(ctx, tx, env(svc), c, now, "bench outage", nil); err != nil {
						return err
					}
					down[i], changed = now, true
					h.incidents++
				} else if since, isDown := down[i]; isDown && now.Sub(since) >= time.Duration(1+i%2)*time.Hour {
					c.Status = tocsin.StateUp
					c.LastPingAt = now
					if err := tx.SaveCheckState(ctx, c); err != nil {
						return err
					}
					if err := incident.RecoverCheck(ctx, tx, env(svc), c, now, "bench recovery", nil); err != nil {
						return err
					}
					delete(down, i)
					changed = true
				}
				if !isProbe(i) {
					continue
				}
				// Two runs an hour (the rollups the bars read are hourly),
				// failing while the check is down.
				_, isDown := down[i]
				for k := range 2 {
					latency := time.Duration(40+(hour*7+i*13+k)%60) * time.Millisecond
					if (hour+i)%97 == 0 {
						latency = 450 * time.Millisecond // a slow hour now and then
					}
					r := store.ProbeResult{At: now.Add(time.Duration(k) * 30 * time.Minute), OK: !isDown, Latency: latency}
					if isDown {
						r.Class, r.Message = "connect", "connection refused"
					}
					if err := tx.InsertProbeResult(ctx, c.ID, r); err != nil {
						return err
					}
					h.results++
				}
				if hourOfDay == 0 {
					if err := tx.PruneProbeResults(ctx, c.ID, now.Add(-2*24*time.Hour), now.Add(-90*24*time.Hour)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return h, fmt.Errorf("history at %s: %w", now, err)
		}
		if changed || hourOfDay == 0 {
			if err := job(now); err != nil {
				return h, err
			}
		}
		if changed {
			// A responder speaks on every other public incident opened.
			open, err := db.StatusIncidents(ctx, slug, store.StatusKindIncident, now, 5)
			if err != nil {
				return h, err
			}
			for _, si := range open {
				if si.ResolvedAt.IsZero() && si.ID%2 == 0 && si.UpdatedAt.Equal(si.CreatedAt) {
					_, err := svc.PostUpdate(ctx, slug, si.ID, "responder", statuspage.NewUpdate{Status: statuspage.Identified,
						Body: "We found the cause: a failed node. Traffic is moving to the others; next update within 30 minutes."})
					if err != nil {
						return h, fmt.Errorf("post update: %w", err)
					}
					h.updatesByHuman++
				}
			}
		}
		// Maintenance every two weeks, scheduled three days ahead for an
		// hour at 02:00 UTC.
		if day%14 == 0 && hourOfDay == 9 {
			at := time.Date(now.Year(), now.Month(), now.Day()+3, 2, 0, 0, 0, time.UTC)
			_, err := svc.ScheduleMaintenance(ctx, slug, "responder", statuspage.NewMaintenance{Name: "Database upgrade",
				Body: "We will upgrade the primary database; writes pause for a few seconds.", Components: componentIDs[1:3],
				ScheduledFor: at, ScheduledUntil: at.Add(time.Hour)})
			if err != nil {
				return h, fmt.Errorf("schedule maintenance: %w", err)
			}
			h.maintenances++
		}
		if hourOfDay == 2 || hourOfDay == 3 {
			if err := job(now); err != nil { // maintenance windows open and close on the hour
				return h, err
			}
		}
		clk.Advance(time.Hour)
	}
	list, err := db.StatusIncidents(ctx, slug, store.StatusKindIncident, time.Time{}, 1_000_000)
	if err != nil {
		return h, err
	}
	h.publicIncidents = len(list)
	return h, nil
}

func checkNamesOf(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = checkName(i)
	}
	return out
}

// background runs the status page job every second, as the engine would
// under frequent wakes, and turns a heartbeat check down or back up every
// change, until stopped.
func background(ctx context.Context, svc *statuspage.Service, db *store.DB, change time.Duration) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastChange, isDown := time.Now(), false
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			now := clock.Real{}.Now()
			if change > 0 && now.Sub(lastChange) >= change {
				lastChange, isDown = now, !isDown
				if err := flip(ctx, svc, db, checkName(3), isDown, now); err != nil && !errors.Is(err, context.Canceled) {
					fmt.Fprintln(os.Stderr, "statuspage: flip check:", err)
				}
			}
			if _, err := svc.Run(ctx, now); err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintln(os.Stderr, "statuspage: job:", err)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// flip turns a heartbeat check down (opening its incident) or up.
func flip(ctx context.Context, svc *statuspage.Service, db *store.DB, name string, down bool, now time.Time) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		cs, err := tx.ChecksByNames(ctx, []string{name})
		if err != nil {
			return err
		}
		c := cs[name]
		if down {
			c.Status = tocsin.StateDown
			if err := tx.SaveCheckState(ctx, c); err != nil {
				return err
			}
			_, err := incident.CheckDown(ctx, tx, env(svc), c, now, "bench outage", nil)
			return err
		}
		c.Status, c.LastPingAt = tocsin.StateUp, now
		if err := tx.SaveCheckState(ctx, c); err != nil {
			return err
		}
		return incident.RecoverCheck(ctx, tx, env(svc), c, now, "bench recovery", nil)
	})
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return b, nil
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

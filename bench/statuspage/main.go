// Command statuspage measures the public status page under a traffic
// spike: GET /status/<slug> (HTML) and /status/<slug>/api/v2/summary.json
// through Tocsin's status page handler, for a page of 50 components with a
// year of history (365 days of uptime each, an incident or maintenance
// every few days), against a bare net/http handler that writes the same
// bytes, in the same run, at a few concurrency levels. It prints a
// Markdown report for docs/benchmarks.md.
//
//	go run ./bench/statuspage [-c 16,64] [-d 2s] [-warmup 1s] [-reps 3] [-components 50] [-change 1s]
//
// The page changes (its version moves) every -change, as during an
// incident, so the measured rate includes rendering each new version once.
// The load generator runs in the same process and shares the CPUs with
// both servers.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/statuspage"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "statuspage:", err)
		os.Exit(1)
	}
}

func run() error {
	concs := flag.String("c", "16,64", "comma-separated numbers of concurrent connections")
	window := flag.Duration("d", 2*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run")
	reps := flag.Int("reps", 3, "repetitions of each (document, server, concurrency)")
	nComponents := flag.Int("components", 50, "components on the page")
	change := flag.Duration("change", time.Second, "the page changes this often (0: never)")
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

	view := yearOfHistory(*nComponents, clock.Real{}.Now())
	src := &source{view: view, version: 1}
	if *change > 0 {
		go func() {
			t := time.NewTicker(*change)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					src.bump()
				}
			}
		}()
	}

	// The cost of rendering one version, for the report.
	renderTimes := map[string]time.Duration{}
	bodies := map[string][]byte{}
	for _, doc := range []string{"html", statuspage.DocSummary} {
		start := time.Now()
		const n = 20
		var b []byte
		var err error
		for range n {
			if doc == "html" {
				b, err = statuspage.HTML(view, statuspage.RenderOptions{})
			} else {
				b, err = statuspage.JSON(view, doc)
			}
			if err != nil {
				return err
			}
		}
		renderTimes[doc] = time.Since(start) / n
		bodies[doc] = b
	}

	serve := func(h http.Handler) (string, func(), error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
	}
	tocsinURL, stopTocsin, err := serve(statuspage.NewHandler(src))
	if err != nil {
		return err
	}
	defer stopTocsin()
	// The baseline writes the same bytes with the same headers, rendered
	// once before the run: what is left is the handler's own cost.
	bare := http.NewServeMux()
	bare.HandleFunc("GET /status/bench", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(bodies["html"])))
		w.Write(bodies["html"])
	})
	bare.HandleFunc("GET /status/bench/api/v2/summary.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(bodies[statuspage.DocSummary])))
		w.Write(bodies[statuspage.DocSummary])
	})
	bareURL, stopBare, err := serve(bare)
	if err != nil {
		return err
	}
	defer stopBare()

	docs := []struct{ name, path string }{
		{"`/status/bench` (HTML)", "/status/bench"},
		{"`summary.json`", "/status/bench/api/v2/summary.json"},
	}
	incidents, updates := 0, 0
	for _, list := range [][]statuspage.Incident{view.Incidents, view.Maintenances} {
		for _, in := range list {
			incidents++
			updates += len(in.Updates)
		}
	}
	// No database here: the machine's lines without the database's.
	var machine strings.Builder
	for _, line := range strings.SplitAfter(benchkit.Machine(os.TempDir()), "\n") {
		if !strings.HasPrefix(line, "- Database directory") {
			machine.WriteString(line)
		}
	}
	fmt.Printf("## Status page under load\n\n%s", machine.String())
	fmt.Printf("- Page: %d components (5 groups), %d days of uptime each, %d incidents and maintenances with %d updates over the year\n",
		*nComponents, len(view.Components[1].Uptime), incidents, updates)
	fmt.Printf("- Sizes: HTML %d bytes, summary.json %d bytes; one rendering takes %s (HTML) and %s (summary.json)\n",
		len(bodies["html"]), len(bodies[statuspage.DocSummary]), benchkit.Ms(renderTimes["html"]), benchkit.Ms(renderTimes[statuspage.DocSummary]))
	if *change > 0 {
		fmt.Printf("- The page changes every %s: each change is rendered once, by the first request that asks for it\n", *change)
	}
	fmt.Printf("- Each run: %s warm-up, %s measured; %d repetitions, bare and Tocsin alternating\n\n", *warmup, *window, *reps)
	fmt.Println("| document | connections | rep | bare req/s | bare p99 | Tocsin req/s | Tocsin p99 | ratio |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	type key struct {
		doc  string
		conc int
	}
	ratios, bareRPS, tocsinRPS := map[key][]float64{}, map[key][]float64{}, map[key][]float64{}
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
				k := key{d.name, c}
				ratios[k] = append(ratios[k], t.RPS()/b.RPS())
				bareRPS[k], tocsinRPS[k] = append(bareRPS[k], b.RPS()), append(tocsinRPS[k], t.RPS())
				fmt.Printf("| %s | %d | %d | %.0f | %s | %.0f | %s | %.2f |\n", d.name, c, rep, b.RPS(), benchkit.Ms(b.Percentile(99)),
					t.RPS(), benchkit.Ms(t.Percentile(99)), t.RPS()/b.RPS())
			}
		}
	}
	fmt.Printf("\nVersions rendered during the runs: %d\n", src.versions())
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

// source serves one page whose version moves on each bump, as a store's
// would on each change of the page.
type source struct {
	mu      sync.Mutex
	view    *statuspage.View
	version uint64
}

func (s *source) View(_ context.Context, slug string) (*statuspage.View, uint64, error) {
	if slug != s.view.Page.Slug {
		return nil, 0, statuspage.ErrNoPage
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view, s.version, nil
}

func (s *source) bump() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
}

func (s *source) versions() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// yearOfHistory builds the page: n components in groups of ten (each
// group's first line a group), a year of daily uptime with a bad day now
// and then, an incident every three days with three updates, and a
// maintenance every two weeks.
func yearOfHistory(n int, now time.Time) *statuspage.View {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC
	}
	now = now.UTC().Truncate(time.Second)
	v := &statuspage.View{Now: now, Page: statuspage.Page{ID: "bench", Slug: "bench", Name: "Bench Inc. status",
		Description: "Fifty components and a year of history", URL: "https://status.example.com/status/bench",
		Location: loc, UpdatedAt: now}}
	today := now.In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	group := ""
	for i := range n {
		c := statuspage.Component{ID: fmt.Sprintf("c%03d", i+1), Name: fmt.Sprintf("Service %d", i+1),
			Status: statuspage.Operational, Position: i + 1, CreatedAt: now.AddDate(-1, 0, 0), UpdatedAt: now.Add(-time.Hour)}
		if i%10 == 0 {
			c.Group, c.Name, c.Members = true, fmt.Sprintf("Region %d", i/10+1), nil
			group = c.ID
			v.Components = append(v.Components, c)
			continue
		}
		c.GroupID = group
		v.Components[len(v.Components)-(i%10)].Members = append(v.Components[len(v.Components)-(i%10)].Members, c.ID)
		if i%17 == 3 {
			c.Status = statuspage.DegradedPerformance
		}
		for d := range 365 {
			day := statuspage.Day{Date: today.AddDate(0, 0, d-364), Known: true, UptimePercent: 100, Worst: statuspage.Operational}
			if (d*7+i*13)%53 == 0 {
				day.UptimePercent, day.Worst, day.Outage = 98.96, statuspage.MajorOutage, 15*time.Minute
			}
			c.Uptime = append(c.Uptime, day)
		}
		v.Components = append(v.Components, c)
	}
	statuses := []statuspage.IncidentStatus{statuspage.Investigating, statuspage.Identified, statuspage.Resolved}
	for d := 0; d < 365; d += 3 {
		at := now.Add(-time.Duration(d)*24*time.Hour - 5*time.Hour)
		in := statuspage.Incident{ID: fmt.Sprintf("i%03d", d), Name: fmt.Sprintf("Errors on service %d", d%n+1),
			Status: statuspage.Resolved, Impact: statuspage.ImpactMinor, CreatedAt: at, UpdatedAt: at.Add(2 * time.Hour),
			ResolvedAt: at.Add(2 * time.Hour), Components: []string{fmt.Sprintf("c%03d", d%n+1)}}
		if d == 0 {
			in.Status, in.ResolvedAt = statuspage.Identified, time.Time{}
		}
		for u := 2; u >= 0; u-- {
			if d == 0 && u == 2 {
				continue
			}
			in.Updates = append(in.Updates, statuspage.Update{ID: fmt.Sprintf("i%03d-%d", d, u), IncidentID: in.ID,
				Status: statuses[u], Body: "Some requests to this service fail; we are on it and will post again within 30 minutes.",
				CreatedAt: at.Add(time.Duration(u) * time.Hour)})
		}
		v.Incidents = append(v.Incidents, in)
	}
	for d := -7; d < 365; d += 14 {
		at := now.Add(-time.Duration(d) * 24 * time.Hour)
		m := statuspage.Incident{ID: fmt.Sprintf("m%03d", d+7), Name: "Database maintenance", Status: statuspage.Completed,
			Impact: statuspage.ImpactNone, Maintenance: true, CreatedAt: at.Add(-72 * time.Hour), UpdatedAt: at.Add(time.Hour),
			ScheduledFor: at, ScheduledUntil: at.Add(time.Hour), ResolvedAt: at.Add(time.Hour), Components: []string{"c002"},
			Updates: []statuspage.Update{{ID: fmt.Sprintf("m%03d-0", d+7), IncidentID: fmt.Sprintf("m%03d", d+7),
				Status: statuspage.Scheduled, Body: "We will upgrade the database.", CreatedAt: at.Add(-72 * time.Hour)}}}
		if d < 0 {
			m.Status, m.ResolvedAt = statuspage.Scheduled, time.Time{}
		}
		v.Maintenances = append(v.Maintenances, m)
	}
	return v
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

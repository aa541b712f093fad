// Command alertload measures alert ingest: Alertmanager webhook bodies
// (payload version 4) POSTed to /ingest/alertmanager/<key> of a Tocsin
// started in this process (SQLite in a temporary directory, every delivery
// committed before the answer), against a real Alertmanager taking the same
// alerts on its own POST /api/v2/alerts, in the same run, at a few
// concurrency levels. It prints a Markdown report for docs/benchmarks.md.
//
//	go run ./bench/alertload [-alertmanager PATH] [-sync full|normal] [-c 8,32] [-d 3s] [-warmup 1s] [-reps 3]
//	    [-groups 1000] [-alerts 10] [-layouts spread,hot] [-group-wait 30s] [-dir DIR] [-timeout 15m]
//	    [-cpuprofile FILE -profile repeat|first|repeat-hot|first-hot]
//
// Alertmanager is found with -alertmanager or on PATH; install it with
//
//	go install github.com/prometheus/alertmanager/cmd/alertmanager@v0.31.1
//
// Both servers get the same alerts: a pool of groups (alertname and cluster
// in common) of alerts with eight labels and three annotations each. One
// request carries one group: to Tocsin the webhook body Alertmanager would
// send for it, to Alertmanager the array Prometheus would post. Two kinds of
// run are measured:
//
//   - first delivery: a fresh pool (a cluster label of its own) sent once,
//     every alert new to both servers; the time is from the first send to
//     the last answer;
//   - repeat delivery: a pool both servers already hold, sent round and
//     round for a warm-up and a measured window, as Alertmanager repeats a
//     group's notification every group_interval.
//
// and each over two layouts of the groups (-layouts):
//
//   - spread: the requests take the pool's groups in turn;
//   - hot: every request goes to one group. A first delivery sends as many
//     requests as a spread one, each of alerts new to that group; a repeat
//     delivery sends the same request (the group's alerts) again and again.
//
// The load generator runs in the same process as Tocsin and shares the CPUs
// with both servers. Everything listens on 127.0.0.1; Alertmanager is killed
// at the end, and -timeout bounds the whole run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// alertmanagerModule is what to install when no Alertmanager is found; the
// end-to-end tests use the same version.
const alertmanagerModule = "github.com/prometheus/alertmanager/cmd/alertmanager@v0.31.1"

const integrationKey = "bench-integration-key"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "alertload:", err)
		os.Exit(1)
	}
}

func run() error {
	amFlag := flag.String("alertmanager", "", "Alertmanager binary (default: alertmanager on PATH)")
	concs := flag.String("c", "8,32", "comma-separated numbers of concurrent connections")
	window := flag.Duration("d", 3*time.Second, "measured duration of each repeat-delivery run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each repeat-delivery run")
	reps := flag.Int("reps", 3, "repetitions of each (kind, concurrency) pair")
	nGroups := flag.Int("groups", 1000, "alert groups in a pool; one request carries one group")
	perGroup := flag.Int("alerts", 10, "alerts in a group")
	dir := flag.String("dir", "", "directory for the database and Alertmanager's files (default: a new temporary directory)")
	syncMode := flag.String("sync", "full", "SQLite sync mode of Tocsin's database: full (the default) or normal")
	cpuprofile := flag.String("cpuprofile", "", "after the comparison, run Tocsin once more at the highest concurrency with a CPU profile written here")
	profileKind := flag.String("profile", "repeat", "what -cpuprofile profiles: repeat (a repeat-delivery window) or first (fresh pools sent once, about one window's worth) over the groups in turn; repeat-hot or first-hot over one hot group")
	layoutList := flag.String("layouts", "spread,hot", "comma-separated layouts of the groups: spread (requests take the groups in turn), hot (every request to one group)")
	groupWait := flag.Duration("group-wait", 30*time.Second, "group_wait of Tocsin's service and of Alertmanager's route")
	timeout := flag.Duration("timeout", 15*time.Minute, "stop everything after this long")
	flag.Parse()
	var levels []int
	for _, s := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -c %q", *concs)
		}
		levels = append(levels, n)
	}
	switch {
	case *nGroups < 1 || *perGroup < 1 || *reps < 1:
		return errors.New("-groups, -alerts and -reps must be at least 1")
	case !slices.Contains([]string{"repeat", "first", "repeat-hot", "first-hot"}, *profileKind):
		return fmt.Errorf("bad -profile %q: repeat, first, repeat-hot or first-hot", *profileKind)
	}
	var layouts []string
	for _, s := range strings.Split(*layoutList, ",") {
		if s = strings.TrimSpace(s); s != "spread" && s != "hot" || slices.Contains(layouts, s) {
			return fmt.Errorf("bad -layouts %q: spread, hot or both", *layoutList)
		}
		layouts = append(layouts, s)
	}
	amBin := *amFlag
	if amBin == "" {
		p, err := exec.LookPath("alertmanager")
		if err != nil {
			return fmt.Errorf("no Alertmanager: give -alertmanager PATH or put alertmanager on PATH (go install %s)", alertmanagerModule)
		}
		amBin = p
	}
	if _, err := os.Stat(amBin); err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-alertload-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}

	// Tocsin: one service grouping by alertname and cluster, fed by one
	// Alertmanager integration. No channel: incidents note that nobody was
	// notified.
	cfg := fmt.Sprintf(`services:
  - {name: payments, group_by: [alertname, cluster], group_wait: %s}
integrations:
  - {name: prometheus, type: alertmanager, key: %s, service: payments}
`, model(*groupWait), integrationKey)
	cfgPath := filepath.Join(*dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	// Errors only: the service notifies nobody, which the config warns about.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	runCtx, stopTocsin := context.WithCancel(ctx)
	defer stopTocsin()
	a, err := app.New(runCtx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: filepath.Join(*dir, "tocsin.db") + "?sync=" + *syncMode,
		Version: "bench", Clock: clock.Real{}, Log: log})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stopTocsin(); <-done }()
	tocsinURL := "http://" + a.Addr() + "/ingest/alertmanager/" + integrationKey
	metricsURL := "http://" + a.Addr() + "/metrics"

	// Alertmanager, ingesting only: one route to a receiver with nothing
	// configured, grouping like Tocsin's service.
	am, err := startAlertmanager(ctx, amBin, filepath.Join(*dir, "alertmanager"), *groupWait)
	if err != nil {
		return err
	}
	defer am.stop()
	amURL := am.base + "/api/v2/alerts"

	// The alerts. Pool 0 is what repeat deliveries send; pools 1, 2, ... are
	// fresh, one for each first-delivery run.
	now := time.Now().UTC()
	gen := generator{groups: *nGroups, perGroup: *perGroup, startsAt: now.Add(-15 * time.Minute).Truncate(time.Second),
		endsAt: now.Add(time.Hour).Truncate(time.Second), externalURL: am.base}
	steady := gen.pool(0, false)
	nextPool := 1 // pools made so far
	amPools := 1  // pools sent to Alertmanager (the profile's is not)
	requests := func(p *pool) (amReq, tocsinReq func(int64) benchkit.Request) {
		amReq = func(i int64) benchkit.Request {
			return benchkit.Request{Method: http.MethodPost, URL: amURL, ContentType: "application/json", Body: p.am[i%int64(len(p.am))]}
		}
		tocsinReq = func(i int64) benchkit.Request {
			return benchkit.Request{Method: http.MethodPost, URL: tocsinURL, ContentType: "application/json", Body: p.tocsin[i%int64(len(p.tocsin))]}
		}
		return amReq, tocsinReq
	}

	fsync, err := benchkit.FsyncProbe(*dir, time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("## Alert ingest against Alertmanager\n\n%s", benchkit.Machine(*dir))
	fmt.Printf("- Alertmanager: %s, clustering off, one route to a receiver with no integrations, group_by [alertname, cluster], group_wait %s\n",
		am.version, *groupWait)
	fmt.Printf("- Tocsin: SQLite in WAL mode, sync=%s; one service, group_by [alertname, cluster], group_wait %s, no channels\n", *syncMode, *groupWait)
	fmt.Printf("- Alerts: pools of %d groups x %d alerts = %d alerts, 8 labels and 3 annotations each; one request = one group; body %s (Tocsin, webhook v4) and %s (Alertmanager, API v2)\n",
		*nGroups, *perGroup, *nGroups**perGroup, kib(steady.tocsinBytes/len(steady.tocsin)), kib(steady.amBytes/len(steady.am)))
	fmt.Printf("- Layouts: %s\n", strings.Join(layouts, ", "))
	fmt.Printf("- First delivery: a fresh pool sent once per run. Repeat delivery: %s warm-up, %s measured over a pool already held. %d repetitions, Alertmanager and Tocsin alternating\n",
		*warmup, *window, *reps)
	fmt.Printf("- Disk before the runs: 4 KiB write + fdatasync p50 %s, p99 %s (%d in 1 s)\n\n",
		benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)), len(fsync))

	// Both servers take pool 0 once before any run, so that repeat runs
	// find every alert already there.
	amReq, tocsinReq := requests(steady)
	for _, r := range []struct {
		name string
		res  benchkit.Result
	}{
		{"Alertmanager", benchkit.Once(ctx, amReq, len(steady.am), slices.Max(levels))},
		{"Tocsin", benchkit.Once(ctx, tocsinReq, len(steady.tocsin), slices.Max(levels))},
	} {
		if r.res.Failed > 0 || r.res.OK != len(steady.am) {
			return fmt.Errorf("priming %s: %d of %d requests failed: %s", r.name, r.res.Failed, len(steady.am), r.res.FirstError)
		}
	}
	fpCheck, err := checkFingerprints(am.base, steady.tocsin[0])
	if err != nil {
		return err
	}
	sentNew := len(steady.tocsin) * *perGroup // alerts Tocsin should count as new
	sentRepeat := 0                           // and as updated

	// freshPool makes the pool of a first-delivery run: the groups of a
	// spread pool, or, for the hot group, as many requests of new alerts
	// all in one group.
	freshPool := func(hot bool) *pool {
		p := gen.pool(nextPool, hot)
		nextPool++
		return p
	}
	// repeatPool is what a repeat-delivery run sends round and round: pool
	// 0, or, for the hot group, its first group alone.
	repeatPool := func(hot bool) *pool {
		if hot {
			return &pool{am: steady.am[:1], tocsin: steady.tocsin[:1]}
		}
		return steady
	}

	type row struct {
		delivery string // first or repeat
		groups   string // spread or hot
		c, rep   int
		am       benchkit.Result
		tocsin   benchkit.Result
		// Alertmanager's CPU time during its run and during Tocsin's,
		// as a share of one core: it keeps working after it answers.
		amCPU, amCPUTocsin float64
	}
	// timed runs f and returns Alertmanager's CPU share during it.
	timed := func(f func() benchkit.Result) (benchkit.Result, float64) {
		c0, _ := benchkit.ProcCPU(am.pid) // 0 if it cannot be read, as the share then is
		t0 := time.Now()
		r := f()
		c1, _ := benchkit.ProcCPU(am.pid)
		return r, (c1 - c0).Seconds() / time.Since(t0).Seconds()
	}
	var rows []row
	fail := func(kind, server string, r benchkit.Result) {
		if r.Failed > 0 {
			fmt.Fprintf(os.Stderr, "alertload: %s, %s: %d failed requests, first: %s\n", kind, server, r.Failed, r.FirstError)
		}
	}
	for _, c := range levels {
		for rep := 1; rep <= *reps; rep++ {
			for _, g := range layouts {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				hot := g == "hot"
				fresh := freshPool(hot)
				amReq, tocsinReq := requests(fresh)
				amPools++
				am1, cpuA := timed(func() benchkit.Result { return benchkit.Once(ctx, amReq, len(fresh.am), c) })
				t1, cpuT := timed(func() benchkit.Result { return benchkit.Once(ctx, tocsinReq, len(fresh.tocsin), c) })
				sentNew += t1.AllOK * *perGroup
				rows = append(rows, row{"first", g, c, rep, am1, t1, cpuA, cpuT})
				fail("first delivery, "+g, "Alertmanager", am1)
				fail("first delivery, "+g, "Tocsin", t1)

				amReq, tocsinReq = requests(repeatPool(hot))
				am2, cpuA := timed(func() benchkit.Result { return benchkit.LoadRequests(ctx, amReq, c, *warmup, *window) })
				t2, cpuT := timed(func() benchkit.Result { return benchkit.LoadRequests(ctx, tocsinReq, c, *warmup, *window) })
				sentRepeat += t2.AllOK * *perGroup
				rows = append(rows, row{"repeat", g, c, rep, am2, t2, cpuA, cpuT})
				fail("repeat delivery, "+g, "Alertmanager", am2)
				fail("repeat delivery, "+g, "Tocsin", t2)
			}
		}
	}

	ratio := func(r row) float64 { return r.tocsin.RPS() / r.am.RPS() }
	A := float64(*perGroup)
	for _, kind := range []string{"first", "repeat"} {
		for _, g := range layouts {
			fmt.Printf("### %s\n\n", runTitle(kind, g, *nGroups, *perGroup))
			fmt.Println("| connections | rep | AM req/s | AM alerts/s | AM p50 | AM p99 | Tocsin req/s | Tocsin alerts/s | Tocsin p50 | Tocsin p99 | ratio | AM CPU (own run / Tocsin's) | failed (AM / Tocsin) |")
			fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
			for _, r := range rows {
				if r.delivery != kind || r.groups != g {
					continue
				}
				fmt.Printf("| %d | %d | %.0f | %.0f | %s | %s | %.0f | %.0f | %s | %s | %.2f | %s / %s | %d / %d |\n", r.c, r.rep,
					r.am.RPS(), r.am.RPS()*A, benchkit.Ms(r.am.Percentile(50)), benchkit.Ms(r.am.Percentile(99)),
					r.tocsin.RPS(), r.tocsin.RPS()*A, benchkit.Ms(r.tocsin.Percentile(50)), benchkit.Ms(r.tocsin.Percentile(99)),
					ratio(r), pct(r.amCPU), pct(r.amCPUTocsin), r.am.Failed, r.tocsin.Failed)
			}
			fmt.Println()
		}
	}

	fmt.Println("Medians over the repetitions (accepted requests/s and alerts/s; the ratio is the median of the per-repetition ratios):")
	fmt.Println()
	fmt.Println("| delivery | groups | connections | Alertmanager req/s | Alertmanager alerts/s | Tocsin req/s | Tocsin alerts/s | ratio | target | met |")
	fmt.Println("|:---|:---|---:|---:|---:|---:|---:|---:|---:|:---|")
	allMet := true
	for _, kind := range []string{"first", "repeat"} {
		for _, g := range layouts {
			for _, c := range levels {
				var amv, tv, rv []float64
				for _, r := range rows {
					if r.delivery == kind && r.groups == g && r.c == c {
						amv, tv, rv = append(amv, r.am.RPS()), append(tv, r.tocsin.RPS()), append(rv, ratio(r))
					}
				}
				m := median(rv)
				met := "yes"
				if m < 1 {
					met, allMet = "no", false
				}
				fmt.Printf("| %s | %s | %d | %.0f | %.0f | %.0f | %.0f | %.2f | >= 1.00 | %s |\n", kind, groupsName(g, *nGroups),
					c, median(amv), median(amv)*A, median(tv), median(tv)*A, m, met)
			}
		}
	}
	failed := 0
	for _, r := range rows {
		failed += r.am.Failed + r.tocsin.Failed
	}
	fmt.Printf("\nTarget >= 1.00 met: %s. Failed requests over all runs: %d.\n", yesNo(allMet), failed)

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
		kind, g, _ := strings.Cut(*profileKind, "-")
		hot := g == "hot"
		// For first deliveries, enough fresh pools to last about one
		// window at the rate measured above, made before the profile
		// starts.
		var fresh []*pool
		if kind == "first" {
			var took []float64
			for _, r := range rows {
				if r.delivery == kind && r.groups == groupsOf(hot) && r.c == c {
					took = append(took, r.tocsin.Window.Seconds())
				}
			}
			n := 1
			if len(took) > 0 {
				n = min(10, max(1, int(math.Ceil(window.Seconds()/median(took)))))
			}
			for range n {
				fresh = append(fresh, freshPool(hot))
			}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		var t benchkit.Result
		if kind == "repeat" {
			_, tocsinReq := requests(repeatPool(hot))
			t = benchkit.LoadRequests(ctx, tocsinReq, c, 0, *window)
			sentRepeat += t.AllOK * *perGroup
		} else {
			for _, p := range fresh {
				_, tocsinReq := requests(p)
				r := benchkit.Once(ctx, tocsinReq, len(p.tocsin), c)
				sentNew += r.AllOK * *perGroup
				t.OK, t.Failed, t.Window = t.OK+r.OK, t.Failed+r.Failed, t.Window+r.Window
				t.Latencies = append(t.Latencies, r.Latencies...)
			}
		}
		pprof.StopCPUProfile()
		what := kind + " delivery, " + groupsName(groupsOf(hot), *nGroups)
		if len(fresh) > 0 {
			what = fmt.Sprintf("first delivery of %d fresh pools, %s", len(fresh), groupsName(groupsOf(hot), *nGroups))
		}
		fmt.Printf("\nProfiled Tocsin run (%s, %d connections, %s): %.0f req/s, %.0f alerts/s, p99 %s, %d failed; profile in %s\n",
			what, c, secs(t.Window), t.RPS(), t.RPS()*A, benchkit.Ms(t.Percentile(99)), t.Failed, *cpuprofile)
	}

	// Sanity: what Tocsin counted against what it answered 2xx to, and
	// what Alertmanager holds.
	time.Sleep(200 * time.Millisecond) // counters are bumped just after the answers
	fmt.Println("\nSanity check, Tocsin's /metrics at the end:")
	fmt.Println()
	tm, err := benchkit.ScrapePrefix(metricsURL, "tocsin_alert")
	if err != nil {
		return fmt.Errorf("scrape tocsin: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(tm)) {
		fmt.Printf("- `%s` %.0f\n", k, tm[k])
	}
	gotNew, gotUpd := tm[`tocsin_alerts_total{outcome="new"}`], tm[`tocsin_alerts_total{outcome="updated"}`]
	fmt.Printf("- answered 2xx: %d alerts new to Tocsin, %d repeated; counted new %.0f, updated %.0f: consistent: %s\n",
		sentNew, sentRepeat, gotNew, gotUpd, yesNo(gotNew == float64(sentNew) && gotUpd == float64(sentRepeat)))
	fmt.Printf("- %s\n", fpCheck)
	if amm, err := benchkit.ScrapePrefix(am.base+"/metrics", "alertmanager_alerts"); err == nil {
		var held float64
		var states []string
		for _, k := range slices.Sorted(maps.Keys(amm)) {
			if strings.HasPrefix(k, "alertmanager_alerts{") {
				held += amm[k]
				states = append(states, fmt.Sprintf("`%s` %.0f", k, amm[k]))
			}
		}
		fmt.Printf("- Alertmanager's /metrics: %s; %.0f held for %d distinct alerts sent; `alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"}` %.0f\n",
			strings.Join(states, ", "), held, amPools**nGroups**perGroup,
			amm[`alertmanager_alerts_received_total{status="firing",version="v2"}`])
	}
	return nil
}

// amProc is a running Alertmanager.
type amProc struct {
	base, version string
	pid           int
	stop          func()
}

// startAlertmanager runs bin on a free 127.0.0.1 port with clustering off
// and a config that only ingests, and waits until it is ready.
func startAlertmanager(ctx context.Context, bin, dir string, groupWait time.Duration) (*amProc, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`route:
  receiver: blackhole
  group_by: [alertname, cluster]
  group_wait: %s
receivers:
  - name: blackhole
`, model(groupWait))
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(dir, "alertmanager.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with this process
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	tail := func() string {
		b, _ := os.ReadFile(logPath)
		if len(b) > 4<<10 {
			b = b[len(b)-4<<10:]
		}
		return string(b)
	}
	base := "http://" + addr
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			return nil, fmt.Errorf("alertmanager exited before it was ready; its log:\n%s", tail())
		default:
		}
		if resp, err := client.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &amProc{base: base, version: binaryVersion(bin), pid: cmd.Process.Pid, stop: stop}, nil
			}
		}
	}
	stop()
	return nil, fmt.Errorf("alertmanager not ready within 30 s; its log:\n%s", tail())
}

// checkFingerprints asks Alertmanager for the alerts of one group it was
// sent and compares its fingerprints with those of the webhook body made
// for the same group.
func checkFingerprints(base string, body []byte) (string, error) {
	var w webhook
	if err := json.Unmarshal(body, &w); err != nil {
		return "", err
	}
	q := url.Values{}
	q.Add("filter", fmt.Sprintf("alertname=%q", w.GroupLabels["alertname"]))
	q.Add("filter", fmt.Sprintf("cluster=%q", w.GroupLabels["cluster"]))
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var got []struct {
		Fingerprint string            `json:"fingerprint"`
		Labels      map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return "", fmt.Errorf("alertmanager GET /api/v2/alerts: %w", err)
	}
	want := map[string]bool{}
	for _, a := range w.Alerts {
		want[a.Fingerprint] = true
	}
	same := 0
	for _, a := range got {
		if want[a.Fingerprint] {
			same++
		}
	}
	if same != len(w.Alerts) || len(got) != len(w.Alerts) {
		return "", fmt.Errorf("fingerprints differ from Alertmanager's: %d of %d alerts of group %s match (%d returned)",
			same, len(w.Alerts), w.GroupKey, len(got))
	}
	return fmt.Sprintf("fingerprints in the webhook bodies equal Alertmanager's own for the %d alerts of group `%s`", same, w.GroupKey), nil
}

// binaryVersion reads the module version a Go binary was built from
// (go install records it); Alertmanager's --version is empty then.
func binaryVersion(bin string) string {
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		return "Alertmanager (version unknown)"
	}
	goVersion := ""
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && strings.HasSuffix(f[0], ":"):
			goVersion = f[1]
		case len(f) >= 3 && f[0] == "mod" && f[1] == "github.com/prometheus/alertmanager":
			return fmt.Sprintf("Alertmanager %s (built with %s)", f[2], goVersion)
		}
	}
	return "Alertmanager (version unknown)"
}

// The alert pools.

// rule is an alerting rule the pool's alerts come from.
type rule struct {
	name, job, severity, team, expr, summary, description string
}

// rules are typical Kubernetes alerts; {ns}, {pod}, {cluster} and
// {instance} are filled in per alert.
var rules = []rule{
	{"KubePodCrashLooping", "kube-state-metrics", "warning", "platform",
		`max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff",job="kube-state-metrics"}[5m]) >= 1`,
		"Pod {ns}/{pod} is crash looping.",
		`Pod {ns}/{pod} (container app) is in waiting state (reason: "CrashLoopBackOff") on cluster {cluster}.`},
	{"KubePodNotReady", "kube-state-metrics", "warning", "platform",
		`sum by (namespace, pod, cluster) (max by (namespace, pod, cluster) (kube_pod_status_phase{job="kube-state-metrics",phase=~"Pending|Unknown|Failed"})) > 0`,
		"Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes.",
		"Pod {ns}/{pod} has been in a non-ready state for longer than 15 minutes on cluster {cluster}."},
	{"KubeContainerWaiting", "kube-state-metrics", "warning", "platform",
		`sum by (namespace, pod, container, cluster) (kube_pod_container_status_waiting_reason{job="kube-state-metrics"}) > 0`,
		"Pod container {ns}/{pod} waiting longer than 1 hour.",
		"Pod/container {ns}/{pod} on cluster {cluster} has been in waiting state for longer than 1 hour."},
	{"CPUThrottlingHigh", "kubelet", "info", "platform",
		`sum(increase(container_cpu_cfs_throttled_periods_total{container!=""}[5m])) by (cluster, container, pod, namespace) / sum(increase(container_cpu_cfs_periods_total{}[5m])) by (cluster, container, pod, namespace) > (25 / 100)`,
		"Processes experience elevated CPU throttling.",
		"41.7% throttling of CPU in namespace {ns} for container app in pod {pod} on cluster {cluster}."},
	{"HighErrorRate", "api", "critical", "payments",
		`sum by (cluster, namespace, pod, instance) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (cluster, namespace, pod, instance) (rate(http_requests_total[5m])) > 0.05`,
		"{pod}: more than 5% of requests fail.",
		"{instance} in {ns} on {cluster} answered 7.3% of requests with a 5xx over the last 5 minutes."},
	{"HighLatency", "api", "warning", "payments",
		`histogram_quantile(0.99, sum by (le, cluster, namespace, pod, instance) (rate(http_request_duration_seconds_bucket[5m]))) > 2`,
		"{pod}: p99 latency over 2s.",
		"p99 request latency of {instance} in {ns} on {cluster} is 2.73s (threshold 2s)."},
	{"NodeFilesystemSpaceFillingUp", "node-exporter", "warning", "infra",
		`(node_filesystem_avail_bytes{job="node-exporter",fstype!=""} / node_filesystem_size_bytes{job="node-exporter",fstype!=""} * 100 < 15 and predict_linear(node_filesystem_avail_bytes{job="node-exporter",fstype!=""}[6h], 24*60*60) < 0)`,
		"Filesystem is predicted to run out of space within the next 24 hours.",
		"Filesystem on /dev/nvme0n1p1 at {instance} has only 12.41% available space left and is filling up."},
	{"TargetDown", "prometheus", "warning", "observability",
		`100 * (count(up == 0) BY (cluster, job, namespace, service) / count(up) BY (cluster, job, namespace, service)) > 10`,
		"One or more targets are unreachable.",
		"12.5% of the {pod} targets in {ns} namespace on cluster {cluster} are down."},
	{"KubeDeploymentReplicasMismatch", "kube-state-metrics", "warning", "platform",
		`(kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_available{job="kube-state-metrics"}) and (changes(kube_deployment_status_replicas_updated{job="kube-state-metrics"}[10m]) == 0)`,
		"Deployment has not matched the expected number of replicas.",
		"Deployment {ns}/{pod} has not matched the expected number of replicas for longer than 15 minutes on cluster {cluster}."},
	{"PostgresReplicationLag", "postgres-exporter", "critical", "database",
		`pg_replication_lag_seconds > 30`,
		"Replica {pod} lags its primary by more than 30s.",
		"Postgres replica {pod} ({instance}) in {ns} on {cluster} is 94s behind its primary."},
}

var (
	regions    = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"}
	namespaces = []string{"checkout", "payments", "search", "catalog", "auth", "billing", "ingest", "monitoring"}
)

// generator makes pools of alert groups. Pool p's clusters carry p in
// their name, so every pool holds alerts neither server has seen.
type generator struct {
	groups, perGroup int
	startsAt, endsAt time.Time
	externalURL      string
}

// pool is the request bodies for one pool, group by group.
type pool struct {
	am, tocsin           [][]byte
	amBytes, tocsinBytes int
}

// amAlert is an alert as Alertmanager's POST /api/v2/alerts takes it.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// webhookAlert and webhook are Alertmanager's webhook body, version 4.
type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type webhook struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []webhookAlert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
}

// pool makes pool p. A hot pool's requests are all of one group (the
// first rule on one cluster), each with alerts of its own.
func (g generator) pool(p int, hot bool) *pool {
	out := &pool{}
	seen := map[string]bool{}
	for gi := range g.groups {
		r := rules[gi%len(rules)]
		ci := gi / len(rules)
		subnet := 16 + ci%16
		if hot {
			r, ci, subnet = rules[0], 0, 16+gi/256%16
		}
		cluster := fmt.Sprintf("prod-%s-%03d-g%d", regions[ci%len(regions)], ci, p)
		var posted []amAlert
		var sent []webhookAlert
		for ai := range g.perGroup {
			ns := namespaces[(gi+ai)%len(namespaces)]
			pod := fmt.Sprintf("%s-%s-%s", ns, hexOf(fmt.Sprint(cluster, ns), 10), hexOf(fmt.Sprint(cluster, gi, ai), 5))
			instance := fmt.Sprintf("10.%d.%d.%d:8080", subnet, gi%256, 10+ai)
			fill := strings.NewReplacer("{ns}", ns, "{pod}", pod, "{cluster}", cluster, "{instance}", instance)
			labels := map[string]string{"alertname": r.name, "cluster": cluster, "namespace": ns, "pod": pod,
				"instance": instance, "job": r.job, "severity": r.severity, "team": r.team}
			annotations := map[string]string{"summary": fill.Replace(r.summary), "description": fill.Replace(r.description),
				"runbook_url": "https://runbooks.example.com/alerts/" + strings.ToLower(r.name)}
			startsAt := g.startsAt.Add(time.Duration(gi*g.perGroup+ai) * 137 * time.Millisecond)
			gen := "http://prometheus-k8s-0.monitoring.svc:9090/graph?g0.expr=" + url.QueryEscape(r.expr) + "&g0.tab=1"
			posted = append(posted, amAlert{Labels: labels, Annotations: annotations, StartsAt: startsAt, EndsAt: g.endsAt, GeneratorURL: gen})
			// What Alertmanager's webhook carries for a firing alert: the
			// zero time as endsAt, and the fingerprint of its labels.
			fp := fingerprint(labels)
			if seen[fp] {
				panic("alertload: two alerts of pool " + strconv.Itoa(p) + " have fingerprint " + fp)
			}
			seen[fp] = true
			sent = append(sent, webhookAlert{Status: "firing", Labels: labels, Annotations: annotations, StartsAt: startsAt,
				GeneratorURL: gen, Fingerprint: fp})
		}
		body := webhook{Receiver: "tocsin", Status: "firing", Alerts: sent,
			GroupLabels:       map[string]string{"alertname": r.name, "cluster": cluster},
			CommonLabels:      common(len(sent), func(i int) map[string]string { return sent[i].Labels }),
			CommonAnnotations: common(len(sent), func(i int) map[string]string { return sent[i].Annotations }),
			ExternalURL:       g.externalURL, Version: "4",
			GroupKey: fmt.Sprintf(`{}:{alertname=%q, cluster=%q}`, r.name, cluster)}
		amBody, err := json.Marshal(posted)
		if err != nil {
			panic(err)
		}
		tBody, err := json.Marshal(body)
		if err != nil {
			panic(err)
		}
		out.am, out.tocsin = append(out.am, amBody), append(out.tocsin, tBody)
		out.amBytes, out.tocsinBytes = out.amBytes+len(amBody), out.tocsinBytes+len(tBody)
	}
	return out
}

// runTitle heads the table of one kind of run.
func runTitle(delivery, layout string, groups, perGroup int) string {
	if delivery == "first" {
		return fmt.Sprintf("First delivery, %s: a fresh pool of %d alerts sent once", groupsName(layout, groups), groups*perGroup)
	}
	if layout == "hot" {
		return "Repeat delivery, one hot group: the same group's alerts, which both already hold, sent again and again"
	}
	return fmt.Sprintf("Repeat delivery, %s: the pool both already hold, sent round and round", groupsName(layout, groups))
}

// groupsName says how a layout spreads the requests.
func groupsName(layout string, groups int) string {
	if layout == "hot" {
		return "one hot group"
	}
	return fmt.Sprintf("%d groups in turn", groups)
}

func groupsOf(hot bool) string {
	if hot {
		return "hot"
	}
	return "spread"
}

// common returns the pairs that all n maps share, as Alertmanager computes
// commonLabels and commonAnnotations.
func common(n int, m func(int) map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m(0) {
		all := true
		for i := 1; i < n && all; i++ {
			all = m(i)[k] == v
		}
		if all {
			out[k] = v
		}
	}
	return out
}

// fingerprint is Alertmanager's: FNV-1a 64 over the label names in order,
// each name and value followed by the byte 0xff, as 16 hex digits.
func fingerprint(labels map[string]string) string {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte(k))
		h.Write([]byte{0xff})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0xff})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// hexOf is n lowercase hex digits derived from s, for pod name suffixes.
func hexOf(s string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())[:n]
}

// model writes a duration as Alertmanager's config wants it (no "m0s").
func model(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func kib(n int) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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

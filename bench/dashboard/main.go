// Command dashboard measures the responder's dashboard (GET /) of a
// Tocsin with 1,000 checks (800 heartbeat checks, 200 HTTP probes) and 50
// open incidents: the server's time per request and the page's bytes, its
// requests/s against a bare net/http handler that writes the same bytes
// (same run, same connections, same session cookie sent), and the first
// contentful paint of the page at 375 px in Chromium (through chromedp,
// read from the Performance API). It prints a Markdown report for
// docs/benchmarks.md.
//
//	go run ./bench/dashboard [-c 1,8,32] [-d 2s] [-warmup 1s] [-reps 3] [-paints 5] [-cpuprofile FILE]
//
// Tocsin runs in this process on a real SQLite store and a fake clock
// that starts a day ago and walks to now an hour at a time; all data come
// in through Tocsin's own paths: every hour each heartbeat check is
// pinged over HTTP (a few fail, open an incident and recover an hour
// later), and the probe runner probes a local HTTP server; at the end 50
// checks report a failure, which opens their incidents. A viewer logs in
// through the login page; the load and the browser send that session.
// The load generator runs in the same process and shares the CPUs with
// both servers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

const (
	heartbeats   = 800
	probes       = 200
	openFailures = 50
	adminToken   = "bench-admin-token"
	password     = "correct horse battery staple"
)

func run() error {
	concs := flag.String("c", "1,8,32", "comma-separated numbers of concurrent connections")
	window := flag.Duration("d", 2*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run")
	reps := flag.Int("reps", 3, "repetitions of each (server, concurrency)")
	paints := flag.Int("paints", 5, "page loads in Chromium whose first contentful paint is measured")
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
	dir, err := os.MkdirTemp("", "tocsin-dashboard-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The probes' target answers in 5 to 40 ms, so that latencies differ.
	target, stopTarget, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(5+rand.IntN(35)) * time.Millisecond)
	}))
	if err != nil {
		return err
	}
	defer stopTarget()
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML(target)), 0o600); err != nil {
		return err
	}
	now := clock.Real{}.Now()
	clk := clock.NewFake(now.Add(-24 * time.Hour).Truncate(time.Hour))
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "tocsin.db"),
		AdminToken: adminToken, Version: "bench", Clock: clk, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	appCtx, stopApp := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(appCtx) }()
	defer func() { stopApp(); <-done }()
	base := "http://" + a.Addr()

	seedStart := time.Now()
	hist, err := seed(ctx, a, clk, base)
	if err != nil {
		return err
	}
	seedTime := time.Since(seedStart)

	cookie, err := login(ctx, base)
	if err != nil {
		return err
	}
	page, err := get(ctx, http.DefaultClient, base+"/", cookie)
	if err != nil {
		return err
	}
	rows := strings.Count(string(page), `<tr><td><a href="/checks/`)
	open := strings.Count(string(page), `<li><span class="badge s-triggered">`)
	if rows != heartbeats+probes || open < openFailures {
		return fmt.Errorf("the dashboard shows %d checks and %d open incidents", rows, open)
	}

	// The server's time: requests one after another on one connection.
	var serverTimes []time.Duration
	client := benchkit.NewClient(1)
	for range 50 {
		start := time.Now()
		if _, err := get(ctx, client, base+"/", cookie); err != nil {
			return err
		}
		serverTimes = append(serverTimes, time.Since(start))
	}
	slices.Sort(serverTimes)
	// Cold: the content built anew from the store (it is reused for two
	// seconds), a request every 2.5 s.
	var coldTimes []time.Duration
	for range 5 {
		time.Sleep(2500 * time.Millisecond)
		start := time.Now()
		if _, err := get(ctx, client, base+"/", cookie); err != nil {
			return err
		}
		coldTimes = append(coldTimes, time.Since(start))
	}
	slices.Sort(coldTimes)

	// The baseline writes the bytes Tocsin served, with its headers.
	bare, stopBare, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	}))
	if err != nil {
		return err
	}
	defer stopBare()

	fcp, err := firstPaints(ctx, base, cookie, *paints)
	if err != nil {
		return err
	}

	fmt.Printf("## Dashboard\n\n%s", benchkit.Machine(dir))
	fmt.Printf("- Store: SQLite; %d heartbeat checks (every hour) and %d HTTP probes (every hour, to a local server answering in 5 to 40 ms)\n",
		heartbeats, probes)
	fmt.Printf("- History: a day on a fake clock walked an hour at a time, written in %s through Tocsin's own paths: %d pings over HTTP (%d failures), %d probe runs by the probe runner; %d incidents opened, %d of them open at the end\n",
		seedTime.Round(time.Second), hist.pings, hist.failures, hist.probeRuns, hist.incidents, open)
	fmt.Printf("- The page: %d checks, %d open incidents; %d bytes of HTML (%.0f per check), no compression\n",
		rows, open, len(page), float64(len(page))/float64(rows))
	fmt.Printf("- Server time (one connection, requests one after another, 127.0.0.1; the content reused, as within two seconds of the last build): median %s, p90 %s, max %s over %d requests\n",
		benchkit.Ms(serverTimes[len(serverTimes)/2]), benchkit.Ms(benchkit.Percentile(serverTimes, 90)),
		benchkit.Ms(serverTimes[len(serverTimes)-1]), len(serverTimes))
	fmt.Printf("- Server time with the content built anew (the open incidents, every check, a day of pings and of probe runs by hour, 1,000 rows rendered; a request every 2.5 s): median %s, max %s over %d requests\n",
		benchkit.Ms(coldTimes[len(coldTimes)/2]), benchkit.Ms(coldTimes[len(coldTimes)-1]), len(coldTimes))
	fmt.Printf("- First contentful paint at 375 px in Chromium (%s): median %s, max %s over %d loads (logged in, page, CSS and script from 127.0.0.1)\n",
		chromiumVersion(), benchkit.Ms(fcp[len(fcp)/2]), benchkit.Ms(fcp[len(fcp)-1]), len(fcp))
	fmt.Printf("- Each run: %s warm-up, %s measured; %d repetitions, bare and Tocsin alternating\n\n", *warmup, *window, *reps)

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
	fmt.Println("| connections | rep | bare req/s | bare p99 | Tocsin req/s | Tocsin p50 | Tocsin p99 | ratio |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	ratios, bareRPS, tocsinRPS := map[int][]float64{}, map[int][]float64{}, map[int][]float64{}
	for _, c := range levels {
		for rep := 1; rep <= *reps; rep++ {
			b := load(ctx, bare+"/", cookie, c, *warmup, *window)
			t := load(ctx, base+"/", cookie, c, *warmup, *window)
			for _, r := range []result{b, t} {
				if r.failed > 0 {
					fmt.Fprintf(os.Stderr, "dashboard: %d failed requests, first: %s\n", r.failed, r.firstError)
				}
			}
			ratios[c] = append(ratios[c], t.rps()/b.rps())
			bareRPS[c], tocsinRPS[c] = append(bareRPS[c], b.rps()), append(tocsinRPS[c], t.rps())
			fmt.Printf("| %d | %d | %.0f | %s | %.0f | %s | %s | %.2f |\n", c, rep, b.rps(), benchkit.Ms(benchkit.Percentile(b.lat, 99)),
				t.rps(), benchkit.Ms(benchkit.Percentile(t.lat, 50)), benchkit.Ms(benchkit.Percentile(t.lat, 99)), t.rps()/b.rps())
		}
	}
	fmt.Println("\nMedians over the repetitions:")
	fmt.Println()
	fmt.Println("| connections | bare req/s | Tocsin req/s | ratio | target | met |")
	fmt.Println("|---:|---:|---:|---:|---:|:---|")
	for _, c := range levels {
		r := median(ratios[c])
		met := "yes"
		if r < 0.3 {
			met = "no"
		}
		fmt.Printf("| %d | %.0f | %.0f | %.2f | >= 0.30 | %s |\n", c, median(bareRPS[c]), median(tocsinRPS[c]), r, met)
	}
	met := "yes"
	if fcp[len(fcp)/2] >= time.Second {
		met = "no"
	}
	fmt.Printf("\nFirst contentful paint at 375 px: median %s (target < 1 s: %s)\n", benchkit.Ms(fcp[len(fcp)/2]), met)
	return nil
}

// configYAML is the checks, a viewer, and nothing that pages.
func configYAML(target string) string {
	var b strings.Builder
	b.WriteString("checks:\n")
	for i := range heartbeats {
		fmt.Fprintf(&b, "  - {name: job-%03d, schedule: {every: 1h}, grace: 30m}\n", i)
	}
	for i := range probes {
		fmt.Fprintf(&b, "  - {name: site-%03d, probe: {type: http, url: \"%s/p/%d\", timeout: 5s}, interval: 1h}\n", i, target, i)
	}
	b.WriteString("users:\n  - {name: vera, role: viewer}\n")
	return b.String()
}

// history counts what seed did.
type history struct{ pings, failures, probeRuns, incidents int }

// seed walks the fake clock through the day an hour at a time: each
// hour every heartbeat check is pinged (one in 40 fails, at hours
// divisible by 6; the next hour's success resolves its incident) and the
// probe runner runs every probe. At the end openFailures checks fail.
func seed(ctx context.Context, a *app.App, clk *clock.Fake, base string) (history, error) {
	var h history
	db := a.DB()
	uuids := make([]string, 0, heartbeats)
	checks, err := db.Checks(ctx)
	if err != nil {
		return h, err
	}
	for _, c := range checks {
		if !c.IsProbe() {
			uuids = append(uuids, c.UUID)
		}
	}
	pingAll := func(fail func(i int) bool) error {
		urls := make([]string, len(uuids))
		for i, id := range uuids {
			urls[i] = base + "/ping/" + id
			if fail(i) {
				urls[i] += "/fail"
				h.failures++
			}
		}
		if err := benchkit.PingAll(ctx, urls, 16); err != nil {
			return err
		}
		h.pings += len(urls)
		// The recorder commits on the clock: nudge it until every ping is stored.
		return settle(clk, func() (bool, error) {
			n, err := db.PingCount(ctx, 0)
			return n >= int64(h.pings), err
		})
	}
	for hour := range 24 {
		if err := pingAll(func(i int) bool { return hour%6 == 0 && i%40 == hour%40 }); err != nil {
			return h, err
		}
		clk.Advance(time.Hour)
	}
	if err := pingAll(func(i int) bool { return i < openFailures }); err != nil {
		return h, err
	}
	if err := settle(clk, func() (bool, error) {
		open, err := db.Incidents(ctx, store.IncidentFilter{Open: true, Limit: 1000})
		return len(open) >= openFailures, err
	}); err != nil {
		return h, err
	}
	all, err := db.Incidents(ctx, store.IncidentFilter{Limit: 1000})
	if err != nil {
		return h, err
	}
	h.incidents = len(all)
	var probeIDs []int64
	for _, c := range checks {
		if c.IsProbe() {
			probeIDs = append(probeIDs, c.ID)
		}
	}
	rollups, err := db.ProbeRollupsOf(ctx, probeIDs, "hour", clk.Now().Add(-25*time.Hour))
	if err != nil {
		return h, err
	}
	for _, rs := range rollups {
		for _, r := range rs {
			h.probeRuns += int(r.Runs)
		}
	}
	return h, nil
}

// settle advances the fake clock by 10 ms steps until cond holds, for at
// most a minute of real time.
func settle(clk *clock.Fake, cond func() (bool, error)) error {
	deadline := time.Now().Add(time.Minute)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out waiting for Tocsin to store what it was sent")
		}
		clk.Advance(10 * time.Millisecond)
		time.Sleep(20 * time.Millisecond)
	}
}

// login sets the viewer's password through the API and logs in through
// the login page, as a person does; it returns the session's cookie.
func login(ctx context.Context, base string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "PUT", base+"/api/v1/users/vera/password",
		strings.NewReader(`{"password": "`+password+`"}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("set password: HTTP %d", resp.StatusCode)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = c.Get(base + "/login")
	if err != nil {
		return "", err
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="login_csrf" value="([^"]+)"`).FindSubmatch(form)
	if m == nil {
		return "", errors.New("no login_csrf on the login page")
	}
	resp, err = c.PostForm(base+"/login", url.Values{"user": {"vera"}, "password": {password}, "login_csrf": {string(m[1])}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("log in: HTTP %d", resp.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// get fetches u with the session's cookie; only 200 OK is an answer.
func get(ctx context.Context, c *http.Client, u, cookie string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", cookie)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return body, nil
}

// result is one load run.
type result struct {
	ok, failed int
	window     time.Duration
	lat        []time.Duration
	firstError string
}

func (r result) rps() float64 { return float64(r.ok) / r.window.Seconds() }

// load sends GET u with the cookie from conc workers, each on its own
// keep-alive connection, for warmup plus window; only requests that start
// and finish inside the window count.
func load(ctx context.Context, u, cookie string, conc int, warmup, window time.Duration) result {
	client := benchkit.NewClient(conc)
	defer client.CloseIdleConnections()
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+window)
	var mu sync.Mutex
	var res result
	res.window = window
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok := 0
			for {
				t0 := time.Now()
				if !t0.Before(to) {
					break
				}
				_, err := get(ctx, client, u, cookie)
				t1 := time.Now()
				if err != nil {
					if failed.Add(1) == 1 {
						mu.Lock()
						res.firstError = err.Error()
						mu.Unlock()
					}
					continue
				}
				if !t0.Before(from) && !t1.After(to) {
					ok++
					lat = append(lat, t1.Sub(t0))
				}
			}
			mu.Lock()
			res.ok += ok
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.failed = int(failed.Load())
	return res
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// firstPaints loads the dashboard n times at 375 px in a headless
// Chromium, each in a new tab with the cache off, and reads the first
// contentful paint from the Performance API.
func firstPaints(ctx context.Context, base, cookie string, n int) ([]time.Duration, error) {
	path, err := chromium()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "tocsin-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	u, _ := url.Parse(base)
	var setCookies []chromedp.Action
	for _, kv := range strings.Split(cookie, "; ") {
		name, value, _ := strings.Cut(kv, "=")
		setCookies = append(setCookies, network.SetCookie(name, value).WithDomain(u.Hostname()).WithPath("/"))
	}
	if err := chromedp.Run(bctx, setCookies...); err != nil {
		return nil, fmt.Errorf("chromium %s: %w", path, err)
	}
	var out []time.Duration
	for range n {
		tctx, cancelTab := chromedp.NewContext(bctx)
		var ms float64
		err := chromedp.Run(tctx,
			network.Enable(),
			network.SetCacheDisabled(true),
			chromedp.EmulateViewport(375, 800),
			chromedp.Navigate(base+"/"),
			chromedp.Poll(`(performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime`, &ms,
				chromedp.WithPollingTimeout(30*time.Second)),
		)
		cancelTab()
		if err != nil {
			return nil, fmt.Errorf("first paint: %w", err)
		}
		out = append(out, time.Duration(ms*float64(time.Millisecond)))
	}
	slices.Sort(out)
	return out, nil
}

func chromium() (string, error) {
	if p := os.Getenv("TOCSIN_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is not installed (Debian package chromium; or set TOCSIN_CHROMIUM)")
}

// chromiumVersion is what `chromium --version` says, for the report.
func chromiumVersion() string {
	p, err := chromium()
	if err != nil {
		return "unknown"
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

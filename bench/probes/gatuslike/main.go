// Command gatuslike is the baseline of bench/probes: a small prober that
// does for each endpoint what Gatus does for an HTTP endpoint whose only
// condition is "[STATUS] == 200", and keeps its results in memory as
// Gatus's default (memory) store does. Gatus itself is not served by the Go
// module proxy, so the benchmark measures this stand-in in the same run as
// Tocsin. Per endpoint, as Gatus:
//
//   - a goroutine of its own with a ticker of the interval, running the
//     endpoint under a global limit of concurrent evaluations (Gatus's
//     "concurrency", 3 by default);
//   - an http.Client of its own (timeout 10 s; a transport with keep-alive,
//     100 idle connections, 20 a host), one GET a run whose body is closed
//     unread (no condition needs it);
//   - the URL parsed for the result's host name, the condition parsed and
//     evaluated from its text, the result (status, duration, errors,
//     condition results, time) kept in memory: the last 100 results of the
//     endpoint, its last 50 events (a change of success), and hourly uptime
//     counters;
//   - one log line a run ("Monitored group=...; endpoint=...; success=...").
//
// The first runs are spread over one interval, as Tocsin spreads its own,
// so both send the same steady load.
//
//	gatuslike -n 1000 -interval 30s -url 'http://127.0.0.1:PORT/health?by=g&i=' [-concurrency 3]
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 1000, "endpoints")
	interval := flag.Duration("interval", 30*time.Second, "interval of every endpoint")
	prefix := flag.String("url", "", "URL prefix; endpoint i probes prefix+i")
	concurrency := flag.Int("concurrency", 3, "endpoints evaluated at once (Gatus's default is 3)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile from the first SIGUSR1 to the stop here")
	flag.Parse()
	if *prefix == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "gatuslike: need -url and -n >= 1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *cpuprofile != "" {
		stopProfile, err := profileOnSignal(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gatuslike:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	logger := log.New(os.Stdout, "", log.LstdFlags)
	sem := make(chan struct{}, max(1, *concurrency))
	var wg sync.WaitGroup
	for i := 1; i <= *n; i++ {
		ep := newEndpoint(fmt.Sprintf("web-%d", i), *prefix+strconv.Itoa(i), "[STATUS] == 200")
		first := time.Duration(rand.Int64N(int64(*interval)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep.monitor(ctx, first, *interval, sem, logger)
		}()
	}
	wg.Wait()
}

// profileOnSignal starts a CPU profile into path at the first SIGUSR1 (the
// start of the measured windows); the returned function stops it.
func profileOnSignal(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	var once sync.Once
	go func() {
		<-usr1
		once.Do(func() { pprof.StartCPUProfile(f) })
	}()
	return func() {
		once.Do(func() {})
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

type endpoint struct {
	name, group, url string
	conditions       []string
	client           *http.Client
	store            memoryStore
}

func newEndpoint(name, u, condition string) *endpoint {
	return &endpoint{name: name, url: u, conditions: []string{condition}, client: &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        100,
			MaxIdleConnsPerHost: 20,
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
	}}
}

// monitor runs the endpoint after first, then on every tick.
func (e *endpoint) monitor(ctx context.Context, first, interval time.Duration, sem chan struct{}, logger *log.Logger) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(first):
	}
	e.execute(sem, logger)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			e.execute(sem, logger)
		}
	}
}

func (e *endpoint) execute(sem chan struct{}, logger *log.Logger) {
	sem <- struct{}{}
	defer func() { <-sem }()
	r := e.evaluate()
	e.store.insert(r)
	logger.Printf("[watchdog.executeEndpoint] Monitored group=%s; endpoint=%s; success=%v; errors=%d; duration=%s",
		e.group, e.name, r.success, len(r.errors), r.duration.Round(time.Millisecond))
}

type conditionResult struct {
	condition string
	success   bool
}

type result struct {
	status     int
	hostname   string
	duration   time.Duration
	errors     []string
	conditions []conditionResult
	success    bool
	at         time.Time
}

func (e *endpoint) evaluate() *result {
	r := &result{success: true, errors: []string{}}
	if u, err := url.Parse(e.url); err != nil {
		r.errors = append(r.errors, err.Error())
	} else {
		r.hostname = u.Hostname()
	}
	if len(r.errors) == 0 {
		e.call(r)
	} else {
		r.success = false
	}
	for _, c := range e.conditions {
		ok := evaluateCondition(c, r)
		r.conditions = append(r.conditions, conditionResult{condition: c, success: ok})
		if !ok {
			r.success = false
		}
	}
	r.at = time.Now()
	return r
}

func (e *endpoint) call(r *result) {
	req, err := http.NewRequest(http.MethodGet, e.url, bytes.NewBuffer(nil))
	if err != nil {
		r.errors = append(r.errors, err.Error())
		return
	}
	start := time.Now()
	resp, err := e.client.Do(req)
	r.duration = time.Since(start)
	if err != nil {
		r.errors = append(r.errors, err.Error())
		return
	}
	defer resp.Body.Close()
	r.status = resp.StatusCode
}

// evaluateCondition parses "[PLACEHOLDER] == value" from its text on every
// run and compares, as Gatus does for its conditions.
func evaluateCondition(c string, r *result) bool {
	left, right, ok := strings.Cut(c, " == ")
	if !ok {
		r.errors = append(r.errors, "invalid condition: "+c)
		return false
	}
	resolve := func(s string) string {
		switch strings.ToUpper(strings.TrimSpace(s)) {
		case "[STATUS]":
			return strconv.Itoa(r.status)
		case "[RESPONSE_TIME]":
			return strconv.FormatInt(r.duration.Milliseconds(), 10)
		}
		return strings.TrimSpace(s)
	}
	return resolve(left) == resolve(right)
}

// memoryStore is what Gatus's memory store keeps of an endpoint.
type memoryStore struct {
	mu      sync.Mutex
	results []*result // the last maxResults, oldest first
	events  []event   // the last maxEvents
	uptime  map[int64]*hourly
}

type event struct {
	healthy bool
	at      time.Time
}

type hourly struct{ total, successful, responseTime int64 }

const (
	maxResults = 100
	maxEvents  = 50
	uptimeKept = 30 * 24 * time.Hour
)

func (s *memoryStore) insert(r *result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.results); n == 0 || s.results[n-1].success != r.success {
		s.events = append(s.events, event{healthy: r.success, at: r.at})
		if len(s.events) > maxEvents {
			s.events = s.events[len(s.events)-maxEvents:]
		}
	}
	s.results = append(s.results, r)
	if len(s.results) > maxResults {
		s.results = append(s.results[:0], s.results[len(s.results)-maxResults:]...)
	}
	if s.uptime == nil {
		s.uptime = map[int64]*hourly{}
	}
	hour := r.at.Truncate(time.Hour).Unix()
	h := s.uptime[hour]
	if h == nil {
		h = &hourly{}
		s.uptime[hour] = h
		for k := range s.uptime {
			if time.Unix(k, 0).Before(r.at.Add(-uptimeKept)) {
				delete(s.uptime, k)
			}
		}
	}
	h.total++
	if r.success {
		h.successful++
	}
	h.responseTime += r.duration.Milliseconds()
}

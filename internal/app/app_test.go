package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

type running struct {
	app  *App
	base string
	done chan error
}

func start(t *testing.T, configPath string, tweak func(*App)) *running {
	t.Helper()
	return startWith(t, configPath, clock.Real{}, testkit.Logger(), tweak)
}

// startWith runs Tocsin with the config at configPath on clk, logging to
// log, with tweak (if not nil) applied before it runs; it stops with the
// test.
func startWith(t *testing.T, configPath string, clk clock.Clock, log *slog.Logger, tweak func(*App)) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, Options{ConfigPath: configPath, Listen: "127.0.0.1:0", Database: filepath.Join(t.TempDir(), "t.db"),
		AdminToken: "tok", Version: "test", Clock: clk, Log: log})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(a)
	}
	r := &running{app: a, base: "http://" + a.Addr(), done: make(chan error, 1)}
	go func() { r.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Error("app did not stop")
		}
	})
	return r
}

// timeline is incident id's timeline through the API, one "kind | actor |
// message" line per entry.
func (r *running) timeline(t *testing.T, id int64) string {
	t.Helper()
	var full struct {
		Timeline []struct{ Kind, Actor, Message string } `json:"timeline"`
	}
	r.get(t, fmt.Sprintf("/api/v1/incidents/%d", id), &full)
	var lines []string
	for _, e := range full.Timeline {
		lines = append(lines, e.Kind+" | "+e.Actor+" | "+e.Message)
	}
	return strings.Join(lines, "\n")
}

func (r *running) get(t *testing.T, path string, out any) int {
	t.Helper()
	return r.do(t, "GET", path, out)
}

func (r *running) do(t *testing.T, method, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, r.base+path, nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func checkNames(t *testing.T, r *running) string {
	var body struct {
		Checks []struct{ Name string } `json:"checks"`
	}
	r.get(t, "/api/v1/checks", &body)
	var names []string
	for _, c := range body.Checks {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

func TestCronCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "checks:\n  - {name: nightly, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {cron: \"30 2 * * *\", tz: Europe/Berlin}, grace: 1h}\n")
	r := start(t, path, nil)
	var c struct {
		Schedule          struct{ Cron, TZ string }
		ScheduleExplained string     `json:"schedule_explained"`
		NextExpectedAt    *time.Time `json:"next_expected_at"`
	}
	r.get(t, "/api/v1/checks/0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70", &c)
	if c.ScheduleExplained != "at 02:30 every day, Europe/Berlin" || c.Schedule.Cron != "30 2 * * *" || c.Schedule.TZ != "Europe/Berlin" {
		t.Fatalf("check %+v", c)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if hm := c.NextExpectedAt.In(berlin).Format("15:04"); hm != "02:30" && hm != "03:00" { // 03:00 on a spring-forward night
		t.Fatalf("next_expected_at %v", c.NextExpectedAt)
	}
}

func TestConfigReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "checks:\n  - {name: alpha, schedule: {every: 1h}}\n")
	r := start(t, path, nil)
	if got := checkNames(t, r); got != "alpha" {
		t.Fatalf("checks %q", got)
	}
	var alpha struct{ UUID string }
	var list struct{ Checks []struct{ UUID string } }
	r.get(t, "/api/v1/checks", &list)
	alpha.UUID = list.Checks[0].UUID

	// A half-written file is rejected with file:line, and nothing changes.
	writeFile(t, path, "checks:\n  - {name: alpha, schedule: {every: 1h}}\n  - {name: beta, schedule: {every: soon}}\n")
	var rejected map[string]string
	if code := r.do(t, "POST", "/api/v1/config/reload", &rejected); code != 400 {
		t.Fatalf("reload of a bad file: %d", code)
	}
	if !strings.Contains(rejected["error"], "tocsin.yaml:3: checks[1].schedule.every") {
		t.Fatalf("error without file:line and path: %q", rejected["error"])
	}
	if got := checkNames(t, r); got != "alpha" {
		t.Fatalf("checks after a rejected reload: %q", got)
	}

	writeFile(t, path, "checks:\n  - {name: beta, schedule: {every: 1h}}\n  - {name: alpha, schedule: {every: 2h}}\n")
	if code := r.do(t, "POST", "/api/v1/config/reload", nil); code != 200 {
		t.Fatalf("reload: %d", code)
	}
	if got := checkNames(t, r); got != "alpha,beta" {
		t.Fatalf("checks after reload: %q", got)
	}
	var c struct {
		UUID              string
		ScheduleExplained string `json:"schedule_explained"`
	}
	r.get(t, "/api/v1/checks/"+alpha.UUID, &c)
	if c.ScheduleExplained != "every 2h" {
		t.Fatalf("alpha kept its uuid but not its new schedule: %+v", c)
	}

	// Removing one of two checks is more than the reload guard's 20%: it
	// is refused, naming the check, unless forced.
	writeFile(t, path, "checks:\n  - {name: beta, schedule: {every: 1h}}\n")
	var refused struct{ Error string }
	if code := r.do(t, "POST", "/api/v1/config/reload", &refused); code != 409 ||
		!strings.Contains(refused.Error, "remove 1 of 2 checks (50%, more than reload_guard.share_percent 20%): alpha") {
		t.Fatalf("reload removing half the checks: %d %q", code, refused.Error)
	}
	if got := checkNames(t, r); got != "alpha,beta" {
		t.Fatalf("checks after a refused reload: %q", got)
	}
	// A check removed from the file is gone; defined again, it has its UUID back.
	if code := r.do(t, "POST", "/api/v1/config/reload?force=true", nil); code != 200 {
		t.Fatalf("forced reload: %d", code)
	}
	if got := checkNames(t, r); got != "beta" {
		t.Fatalf("checks after removal: %q", got)
	}
	writeFile(t, path, "checks:\n  - {name: beta, schedule: {every: 1h}}\n  - {name: alpha, schedule: {every: 1h}}\n")
	r.do(t, "POST", "/api/v1/config/reload", nil)
	if code := r.get(t, "/api/v1/checks/"+alpha.UUID, nil); code != 200 {
		t.Fatalf("alpha did not come back with its uuid: %d", code)
	}
}

// TestWatchdogReportsStalledLoop stalls the engine loop and sees the stall
// fail /readyz and reach the operator channel, then the recovery.
func TestWatchdogReportsStalledLoop(t *testing.T) {
	var mu sync.Mutex
	var events []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Event, Loop string }
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		events = append(events, body.Event+":"+body.Loop)
		mu.Unlock()
	}))
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "channels:\n  - {name: ops, type: webhook, url: \""+hook.URL+"\"}\n"+
		"operator: {notify: [ops]}\nwatchdog: {stall_after: 3s, min_episode: 1s}\n")
	var stall atomic.Bool
	release := make(chan struct{})
	r := start(t, path, func(a *App) {
		a.Engine().BeforeRound = func() {
			if stall.Load() {
				<-release
			}
		}
	})
	testkit.Eventually(t, "ready", func() bool { return r.get(t, "/readyz", nil) == 200 })
	stall.Store(true)
	// The engine runs a round when a deadline falls due: one for a check
	// that does not exist is dropped once the round goes on.
	r.app.Engine().Schedule(-1, r.app.clock.Now())
	var ready struct{ Problems []string }
	testkit.Eventually(t, "readyz failing", func() bool {
		return r.get(t, "/readyz", &ready) == 503 && len(ready.Problems) == 1 && ready.Problems[0] == "loop stalled: engine"
	})
	has := func(ev string) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range events {
				if e == ev {
					return true
				}
			}
			return false
		}
	}
	testkit.Eventually(t, "stall reported to the operator channel", has("tocsin.loop_stalled:engine"))
	stall.Store(false)
	close(release)
	testkit.Eventually(t, "ready again", func() bool { return r.get(t, "/readyz", nil) == 200 })
	testkit.Eventually(t, "recovery reported", has("tocsin.loop_recovered:engine"))
}

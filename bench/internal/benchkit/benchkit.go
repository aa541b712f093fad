// Package benchkit holds what the benchmark programs under bench/ share: a
// description of the machine they ran on, an HTTP load generator, a seeder
// that writes checks straight into a store, and small statistics functions.
package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Machine describes the computer a benchmark runs on, as a few lines of
// Markdown for docs/benchmarks.md.
func Machine(dir string) string {
	cpu := firstField("/proc/cpuinfo", "model name")
	mem := firstField("/proc/meminfo", "MemTotal")
	osName := strings.Trim(firstFieldSep("/etc/os-release", "PRETTY_NAME", "="), `"`)
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	fs := "unknown"
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err == nil {
		switch st.Type {
		case 0xEF53:
			fs = "ext4"
		case 0x01021994:
			fs = "tmpfs"
		case 0x58465342:
			fs = "xfs"
		case 0x9123683E:
			fs = "btrfs"
		case 0x794c7630:
			fs = "overlayfs"
		default:
			fs = fmt.Sprintf("type %#x", st.Type)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	loadFields := strings.Fields(string(load))
	if len(loadFields) > 3 {
		loadFields = loadFields[:3]
	}
	return fmt.Sprintf("- CPU: %s, %d logical cores (GOMAXPROCS %d)\n- RAM: %s\n- OS: %s, Linux %s\n- Go: %s %s/%s\n- Database directory on: %s\n- Load average at start (1, 5, 15 min): %s\n",
		cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), mem, osName, strings.TrimSpace(string(kernel)),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, fs, strings.Join(loadFields, " "))
}

func firstField(path, key string) string { return firstFieldSep(path, key, ":") }

func firstFieldSep(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Result is what one load run measured.
type Result struct {
	OK, Failed int           // responses in the window: success (200 for GET, any 2xx for Request), anything else or a transport error
	Window     time.Duration // length of the measured window
	Latencies  []time.Duration
	FirstError string
	AllOK      int // successful responses in total, warm-up and requests that ended after the window included
}

// RPS is successful requests per second over the window.
func (r Result) RPS() float64 { return float64(r.OK) / r.Window.Seconds() }

// Percentile returns the p-th percentile (0..100) of the latencies.
func (r Result) Percentile(p float64) time.Duration { return Percentile(r.Latencies, p) }

// Percentile returns the p-th percentile (0..100) of ds, nearest rank; ds
// is sorted in place.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.5) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// NewClient returns a keep-alive HTTP/1.1 client that holds up to conns
// connections to one host.
func NewClient(conns int) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// Load sends GET requests from conc workers, each on its own keep-alive
// connection, for warmup plus window. Request i goes to url(i). Only
// requests that start and finish inside the window are counted, and only
// 200 OK is a success.
func Load(ctx context.Context, url func(i int64) string, conc int, warmup, window time.Duration) Result {
	return load(ctx, conc, warmup, window, func(c *http.Client, i int64) (bool, error) { return get(ctx, c, url(i)) })
}

// Request is one HTTP request of LoadRequests or Once. The body is sent
// as it is, from a new reader each time, so one Request may be reused.
type Request struct {
	Method, URL, ContentType string
	Header                   http.Header // more headers, if any
	Body                     []byte
}

// LoadRequests is Load for any request: request i is req(i), and any 2xx
// answer is a success.
func LoadRequests(ctx context.Context, req func(i int64) Request, conc int, warmup, window time.Duration) Result {
	return load(ctx, conc, warmup, window, func(c *http.Client, i int64) (bool, error) { return send(ctx, c, req(i)) })
}

// load runs do from conc workers for warmup plus window, counting the calls
// that start and finish inside the window.
func load(ctx context.Context, conc int, warmup, window time.Duration, do func(c *http.Client, i int64) (bool, error)) Result {
	client := NewClient(conc)
	defer client.CloseIdleConnections()
	start := time.Now()
	from, to := start.Add(warmup), start.Add(warmup+window)
	var next atomic.Int64
	type part struct {
		ok, failed, allOK int
		lat               []time.Duration
		err               string
	}
	parts := make([]part, conc)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(to) {
					return
				}
				ok, err := do(client, next.Add(1)-1)
				t1 := time.Now()
				if ok {
					p.allOK++
				}
				if t0.Before(from) || t1.After(to) {
					continue
				}
				if ok {
					p.ok++
					p.lat = append(p.lat, t1.Sub(t0))
				} else {
					p.failed++
					if p.err == "" && err != nil {
						p.err = err.Error()
					}
				}
			}
		}()
	}
	wg.Wait()
	res := Result{Window: window}
	for _, p := range parts {
		res.OK += p.ok
		res.AllOK += p.allOK
		res.Failed += p.failed
		res.Latencies = append(res.Latencies, p.lat...)
		if res.FirstError == "" {
			res.FirstError = p.err
		}
	}
	return res
}

// Once sends req(0) to req(n-1), each once, from conc workers on keep-alive
// connections, and returns when all are answered (or ctx ends). Every
// request counts; Window is the time from the first send to the last
// answer, so RPS is the rate of this fixed amount of work.
func Once(ctx context.Context, req func(i int64) Request, n, conc int) Result {
	client := NewClient(conc)
	defer client.CloseIdleConnections()
	var next atomic.Int64
	type part struct {
		ok, failed int
		lat        []time.Duration
		err        string
	}
	parts := make([]part, conc)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[w]
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t0 := time.Now()
				ok, err := send(ctx, client, req(i))
				if ok {
					p.ok++
					p.lat = append(p.lat, time.Since(t0))
				} else {
					p.failed++
					if p.err == "" && err != nil {
						p.err = err.Error()
					}
				}
			}
		}()
	}
	wg.Wait()
	res := Result{Window: time.Since(start)}
	for _, p := range parts {
		res.OK += p.ok
		res.Failed += p.failed
		res.Latencies = append(res.Latencies, p.lat...)
		if res.FirstError == "" {
			res.FirstError = p.err
		}
	}
	res.AllOK = res.OK
	return res
}

func get(ctx context.Context, c *http.Client, url string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return true, nil
}

// send does r and reports whether the answer was 2xx; a failure's error
// holds the start of the answer.
func send(ctx context.Context, c *http.Client, r Request) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return false, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		io.Copy(io.Discard, resp.Body)
		return false, fmt.Errorf("%s %s: HTTP %d: %s", r.Method, r.URL, resp.StatusCode, strings.TrimSpace(string(head)))
	}
	io.Copy(io.Discard, resp.Body)
	return true, nil
}

// PingAll pings every URL once from conc workers and returns when all are
// answered, or the first failure.
func PingAll(ctx context.Context, urls []string, conc int) error {
	client := NewClient(conc)
	defer client.CloseIdleConnections()
	var next atomic.Int64
	errc := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(urls) {
					return
				}
				if ok, err := get(ctx, client, urls[i]); !ok {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// Seed writes checks straight into the store at path, in transactions of
// at most 10,000, and returns their UUIDs in order. They are created as API
// checks, which a config file does not remove.
func Seed(ctx context.Context, path string, defs []store.CheckDef) ([]string, error) {
	db, err := store.Open(ctx, path, store.Options{Clock: clock.Real{}})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	uuids := make([]string, 0, len(defs))
	for len(defs) > 0 {
		n := min(len(defs), 10_000)
		err := db.Write(ctx, func(tx *store.Tx) error {
			for _, d := range defs[:n] {
				id, err := tx.CreateCheck(ctx, d)
				if err != nil {
					return err
				}
				uuids = append(uuids, id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed checks: %w", err)
		}
		defs = defs[n:]
	}
	return uuids, nil
}

// Checks returns n check definitions named prefix-000001..., each with a
// fresh UUID, period every and the given grace and channels.
func Checks(prefix string, n int, every, grace time.Duration, notify []string) []store.CheckDef {
	defs := make([]store.CheckDef, n)
	for i := range defs {
		name := fmt.Sprintf("%s-%06d", prefix, i+1)
		defs[i] = store.CheckDef{UUID: store.NewUUID(), Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: every},
			Grace: grace, Notify: notify, AutoResolve: true}
	}
	return defs
}

// ModuleRoot is the directory of the Tocsin module, for building the binary.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run this from inside the tocsin module")
	}
	return strings.TrimSuffix(mod, "/go.mod"), nil
}

// Ms formats a duration in milliseconds with one decimal.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// FsyncProbe writes 4 KiB and fdatasyncs it, over and over for d, in a file
// in dir: the floor under any durable commit on that disk. It returns the
// number of syncs and their latencies.
func FsyncProbe(dir string, d time.Duration) ([]time.Duration, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	var lat []time.Duration
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		t0 := time.Now()
		if _, err := f.WriteAt(buf, int64(i%256)*4096); err != nil {
			return nil, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

// Scrape reads the value of every metric sample whose line starts with one
// of names from a Prometheus text exposition at url.
func Scrape(url string, names ...string) (map[string]float64, error) {
	all, err := ScrapePrefix(url, "")
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

// ScrapePrefix reads every sample whose series starts with prefix from a
// Prometheus text exposition, keyed by the series as written (with labels).
func ScrapePrefix(url, prefix string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// Proc is a running tocsin process.
type Proc struct {
	PID     int
	Addr    string
	Startup time.Duration // from start to the first good /healthz
	Stop    func()        // SIGTERM, then SIGKILL after 20 s
}

// StartTocsin runs the binary on a free port and waits for /healthz.
func StartTocsin(bin, cfgPath, dbPath string) (*Proc, error) {
	return StartTocsinOn(bin, cfgPath, dbPath, dbPath+".log")
}

// StartTocsinOn is StartTocsin on any --database (a PostgreSQL URL too),
// logging to logPath.
func StartTocsinOn(bin, cfgPath, database, logPath string) (*Proc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", addr, "--database", database)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &Proc{PID: cmd.Process.Pid, Addr: addr, Startup: time.Since(t0), Stop: stop}, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("tocsin exited before serving (log: %s): %v", logPath, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(t0) > 5*time.Minute {
			stop()
			return nil, errors.New("tocsin did not answer /healthz within 5 minutes")
		}
	}
}

// Mem is a process's resident memory, in bytes.
type Mem struct{ RSS, HWM int64 }

// ReadMem reads VmRSS and VmHWM from /proc/<pid>/status.
func ReadMem(pid int) (Mem, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	var m Mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.HWM = kb << 10
		}
	}
	return m, sc.Err()
}

// ProcCPU is the CPU time, user and system, that process pid has used so
// far, from /proc/<pid>/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// The times are in USER_HZ ticks: 100 a second on Linux for every
	// architecture Go supports.
	return time.Duration(utime+stime) * (time.Second / 100), nil
}

// LaunchPostgres starts a throwaway PostgreSQL server under dir, in
// dir/postgres, syncing every commit to disk as a production server does.
// The caller stops it.
func LaunchPostgres(dir string) (*pgtest.Server, error) {
	// The server runs as the postgres user when this runs as root: let it
	// pass through the directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	pgDir := filepath.Join(dir, "postgres")
	if err := os.Mkdir(pgDir, 0o700); err != nil {
		return nil, err
	}
	srv, err := pgtest.Launch(pgDir, true)
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	return srv, nil
}

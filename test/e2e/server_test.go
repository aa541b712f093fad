package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adminToken is the plain API token every server gets through
// TOCSIN_ADMIN_TOKEN.
const adminToken = "e2e-admin-token"

// instance is the files one Tocsin installation keeps across restarts.
type instance struct {
	t        *testing.T
	config   string   // config file path
	database string   // SQLite file path or PostgreSQL DSN
	log      string   // stderr of every run, appended
	env      []string // extra environment of the server, NAME=value
	runs     int
}

// newInstance writes config to a temp dir and arranges for the server log
// to be printed if the test fails.
func newInstance(t *testing.T, config string) *instance {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/tocsin.yaml", []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return newReplica(t, dir+"/tocsin.yaml", dir+"/tocsin.db", dir+"/tocsin.log")
}

// newReplica is an installation reading the config file at config and
// using database, logging to log: several replicas share a config and a
// PostgreSQL database.
func newReplica(t *testing.T, config, database, log string) *instance {
	t.Helper()
	in := &instance{t: t, config: config, database: database, log: log}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(in.log)
		if err != nil {
			t.Logf("server log: %v", err)
			return
		}
		const max = 64 << 10
		if len(b) > max {
			b = append([]byte("...\n"), b[len(b)-max:]...)
		}
		t.Logf("server log (%s):\n%s", in.log, b)
	})
	return in
}

// server is one running tocsin process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	done chan struct{}
	err  error // from Wait, valid once done is closed
}

// start runs the binary on a free port and waits until /healthz answers.
// A port taken between choosing and binding it is retried on another.
func (in *instance) start() *server {
	in.t.Helper()
	var lastErr error
	for range 3 {
		s, err := in.try()
		if err == nil {
			return s
		}
		lastErr = err
	}
	in.t.Fatalf("start tocsin: %v", lastErr)
	return nil
}

func (in *instance) try() (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	in.runs++
	logf, err := os.OpenFile(in.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own descriptor
	fmt.Fprintf(logf, "==== run %d on port %d at %s ====\n", in.runs, port, time.Now().Format(time.RFC3339Nano))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(binary, "serve", "--config", in.config, "--listen", addr, "--database", in.database)
	cmd.Env = append(append(os.Environ(), "TOCSIN_ADMIN_TOKEN="+adminToken), in.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	s := &server{t: in.t, cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	in.t.Cleanup(s.kill)

	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("tocsin exited before serving: %v", s.err)
		default:
		}
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	return nil, errors.New("tocsin did not answer /healthz within 30s")
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// kill ends the process at once (SIGKILL) and waits for it; it does
// nothing if the process has exited.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Errorf("tocsin (pid %d) still running 10s after SIGKILL", s.cmd.Process.Pid)
	}
}

// terminate sends SIGTERM and returns the exit status once the process
// has shut down; it fails the test if that takes more than 30s.
func (s *server) terminate() int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
		s.t.Fatal("tocsin did not stop within 30s of SIGTERM")
	}
	return s.cmd.ProcessState.ExitCode()
}

// apiClient calls the management API.
var apiClient = &http.Client{Timeout: 10 * time.Second}

// api sends a request with the admin token and decodes a JSON answer into
// out (if not nil). It returns the HTTP status.
func (s *server) api(method, path string, out any) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// mustAPI is api that fails the test on any error.
func (s *server) mustAPI(method, path string, out any) {
	s.t.Helper()
	if _, err := s.api(method, path, out); err != nil {
		s.t.Fatal(err)
	}
}

// metric reads one unlabelled sample from /metrics.
func (s *server) metric(name string) (float64, error) {
	resp, err := apiClient.Get(s.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			return f, err
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// The API documents as the tests read them.
type (
	apiCheck struct {
		UUID       string     `json:"uuid"`
		Name       string     `json:"name"`
		State      string     `json:"state"`
		LastPingAt *time.Time `json:"last_ping_at"`
		Pings      int64      `json:"pings"`
		PingURL    string     `json:"ping_url"`
	}
	apiIncident struct {
		ID             int64          `json:"id"`
		Title          string         `json:"title"`
		Status         string         `json:"status"`
		CheckUUID      string         `json:"check_uuid"`
		URL            string         `json:"url"`
		AcknowledgedBy string         `json:"acknowledged_by"`
		ResolvedBy     string         `json:"resolved_by"`
		Timeline       []apiTimeEntry `json:"timeline"`
	}
	apiTimeEntry struct {
		Kind    string          `json:"kind"`
		Actor   string          `json:"actor"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
)

func (s *server) check(uuid string) apiCheck {
	s.t.Helper()
	var c apiCheck
	s.mustAPI("GET", "/api/v1/checks/"+uuid, &c)
	return c
}

func (s *server) incident(id int64) apiIncident {
	s.t.Helper()
	var in apiIncident
	s.mustAPI("GET", fmt.Sprintf("/api/v1/incidents/%d", id), &in)
	return in
}

func (s *server) incidents(query string) []apiIncident {
	s.t.Helper()
	var out struct {
		Incidents []apiIncident `json:"incidents"`
	}
	s.mustAPI("GET", "/api/v1/incidents?"+query, &out)
	return out.Incidents
}

// kinds lists the kinds of an incident's timeline entries in order.
func (in apiIncident) kinds() []string {
	var out []string
	for _, e := range in.Timeline {
		out = append(out, e.Kind)
	}
	return out
}

// hasKinds reports whether the timeline holds an entry of every kind.
func (in apiIncident) hasKinds(kinds ...string) bool {
	have := map[string]bool{}
	for _, e := range in.Timeline {
		have[e.Kind] = true
	}
	for _, k := range kinds {
		if !have[k] {
			return false
		}
	}
	return true
}

// eventually polls cond every interval until it reports true, and fails
// the test with cond's last description if timeout passes first.
func eventually(t *testing.T, timeout, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s; last seen: %s", what, timeout, last)
		}
		time.Sleep(interval)
	}
}

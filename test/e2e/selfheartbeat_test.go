package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// deadMansSwitch stands in for the outside monitor Tocsin's self-heartbeat
// pings (Healthchecks and the like): it records every request to
// /hb/<uuid> and /hb/<uuid>/fail.
type deadMansSwitch struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []selfPing
}

type selfPing struct {
	Fail bool
	Body string
	At   time.Time
}

const selfUUID = "5f2a1c0e-3b7d-4e8f-9a6b-1c2d3e4f5a6b"

func newDeadMansSwitch(t *testing.T) *deadMansSwitch {
	d := &deadMansSwitch{}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		p := selfPing{Body: string(body), At: time.Now()}
		switch r.URL.Path {
		case "/hb/" + selfUUID:
		case "/hb/" + selfUUID + "/fail":
			p.Fail = true
		default:
			http.NotFound(w, r)
			return
		}
		d.mu.Lock()
		d.got = append(d.got, p)
		d.mu.Unlock()
		io.WriteString(w, "OK")
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *deadMansSwitch) url() string { return d.srv.URL + "/hb/" + selfUUID }

// since returns the pings received from index i on, and the next index.
func (d *deadMansSwitch) since(i int) ([]selfPing, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]selfPing(nil), d.got[i:]...), len(d.got)
}

// lockStore takes the SQLite write lock of database from a connection of
// its own, as a backup tool or a person with the sqlite3 shell would, and
// holds it until the returned function is called.
func lockStore(t *testing.T, database string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+database+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("take the write lock: %v", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// readyz returns /readyz's status and problems.
func (s *server) readyz() (int, []string, error) {
	resp, err := apiClient.Get(s.base + "/readyz")
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var body struct{ Problems []string }
	err = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Problems, err
}

// TestSelfHeartbeatWhileStoreLocked (issue 13, must show c): with the
// database write-locked by a second connection, Tocsin cannot record pings
// or page, so its self-heartbeat must stop saying it is fine: the outside
// monitor gets <url>/fail with the reason within the interval, and no
// success ping, until the lock is gone; then success pings resume.
func TestSelfHeartbeatWhileStoreLocked(t *testing.T) {
	dms := newDeadMansSwitch(t)
	in := newInstance(t, fmt.Sprintf(`
self_heartbeat: {url: %q, every: 2s, timeout: 1s}
watchdog: {write_timeout: 1s}
`, dms.url()))
	in.start()
	eventually(t, 15*time.Second, 50*time.Millisecond, "a success ping while healthy", func() (bool, string) {
		got, _ := dms.since(0)
		for _, p := range got {
			if p.Fail {
				return false, "a /fail ping while healthy: " + p.Body
			}
		}
		return len(got) > 0, fmt.Sprintf("%d pings", len(got))
	})

	_, mark := dms.since(0)
	release := lockStore(t, in.database)
	locked := time.Now()
	var fail selfPing
	var failAt int
	// Within one interval (2s) plus the write timeout (1s), and a margin.
	eventually(t, 10*time.Second, 50*time.Millisecond, "a /fail ping while the store is locked", func() (bool, string) {
		got, _ := dms.since(mark)
		for i, p := range got {
			if p.Fail {
				fail, failAt = p, mark+i
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d success pings since the lock", len(got))
	})
	t.Logf("first /fail %s after the lock: %q", fail.At.Sub(locked).Round(time.Millisecond), fail.Body)
	if !strings.Contains(fail.Body, "store not writable") {
		t.Errorf("the /fail ping does not say why: %q", fail.Body)
	}
	// Two more intervals locked: failures only.
	time.Sleep(4 * time.Second)
	after, next := dms.since(failAt)
	for _, p := range after {
		if !p.Fail {
			t.Fatalf("a success ping while the store was locked, after a /fail: %+v", p)
		}
	}
	if len(after) < 2 {
		t.Errorf("%d pings in 4s of lock after the first /fail; want the monitor to keep hearing /fail", len(after))
	}

	release()
	released := time.Now()
	eventually(t, 10*time.Second, 50*time.Millisecond, "success pings again after the lock", func() (bool, string) {
		got, _ := dms.since(next)
		if n := len(got); n > 0 && !got[n-1].Fail {
			t.Logf("first success ping %s after the release", got[n-1].At.Sub(released).Round(time.Millisecond))
			return true, ""
		}
		return false, fmt.Sprintf("%d pings since the release", len(got))
	})
}

// TestReadyzWhileStoreLocked (issue 13, must show f): the store
// write-locked makes /readyz answer 503, within seconds, naming the
// problem; a ping sent meanwhile waits for the lock and is answered OK
// only once stored; once the lock is gone /readyz answers 200, the single
// node still leads, and deadlines run again (a check late during the lock
// goes down).
func TestReadyzWhileStoreLocked(t *testing.T) {
	in := newInstance(t, fmt.Sprintf(`
watchdog: {write_timeout: 1s}
checks:
  - {name: %s, uuid: %s, schedule: {every: 3s}, grace: 1s}
`, backupName, backupUUID))
	srv := in.start()
	eventually(t, 15*time.Second, 50*time.Millisecond, "ready", func() (bool, string) {
		code, problems, err := srv.readyz()
		return code == 200, fmt.Sprint(code, problems, err)
	})
	var replicas struct {
		This   string
		Leader struct {
			Replica string
			Held    bool
		}
	}
	srv.mustAPI("GET", "/api/v1/replicas", &replicas)
	if replicas.Leader.Replica != replicas.This || !replicas.Leader.Held {
		t.Fatalf("the single node does not lead: %+v", replicas)
	}
	pingURL := srv.base + "/ping/" + backupUUID
	if resp, err := apiClient.Get(pingURL); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ping: %v %v", resp, err)
	}

	release := lockStore(t, in.database)
	locked := time.Now()
	var problems []string
	eventually(t, 10*time.Second, 50*time.Millisecond, "/readyz 503 while the store is locked", func() (bool, string) {
		code, p, err := srv.readyz()
		problems = p
		return code == 503 && len(p) > 0, fmt.Sprint(code, p, err)
	})
	t.Logf("/readyz 503 %s after the lock: %q", time.Since(locked).Round(time.Millisecond), problems)
	if !strings.Contains(strings.Join(problems, "; "), "store not writable") {
		t.Errorf("/readyz problems do not name the store: %q", problems)
	}

	// A ping now waits for the lock, and is answered once it is stored.
	type answer struct {
		code int
		err  error
	}
	pinged := make(chan answer, 1)
	go func() {
		client := &http.Client{Timeout: 40 * time.Second}
		resp, err := client.Get(pingURL)
		if err != nil {
			pinged <- answer{0, err}
			return
		}
		resp.Body.Close()
		pinged <- answer{resp.StatusCode, nil}
	}()
	time.Sleep(4 * time.Second) // the check falls due (every 3s, grace 1s) while locked
	select {
	case a := <-pinged:
		t.Fatalf("a ping was answered while the store was locked: %+v", a)
	default:
	}
	release()
	released := time.Now()
	select {
	case a := <-pinged:
		if a.err != nil || a.code != 200 {
			t.Fatalf("the ping that waited for the lock: %+v", a)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the ping that waited for the lock was not answered")
	}
	if c := srv.check(backupUUID); c.Pings != 2 {
		t.Fatalf("%d pings stored, want 2 (the one that waited is stored once)", c.Pings)
	}
	eventually(t, 15*time.Second, 50*time.Millisecond, "/readyz 200 after the lock", func() (bool, string) {
		code, p, err := srv.readyz()
		return code == 200, fmt.Sprint(code, p, err)
	})
	t.Logf("/readyz 200 %s after the release", time.Since(released).Round(time.Millisecond))
	srv.mustAPI("GET", "/api/v1/replicas", &replicas)
	if replicas.Leader.Replica != replicas.This {
		t.Fatalf("after the lock another leads, or none: %+v", replicas)
	}
	// Deadlines run: with no further ping the check goes down.
	eventually(t, 15*time.Second, 100*time.Millisecond, "the check goes down when late after the lock", func() (bool, string) {
		c := srv.check(backupUUID)
		return c.State == "down", c.State
	})
}

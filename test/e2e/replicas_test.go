package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // reads the shared database

	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// The shape of the replica chaos test.
const (
	replicaCount    = 3
	replicaKills    = 4
	replicaSteady   = 120 // every 1h: they only take pings
	replicaFlaky    = 10  // every 1s, grace 1s: incidents from the engine
	replicaPings    = 80  // per check: under the 100 kept
	alertEvery      = 400 * time.Millisecond
	maxTakeover     = 15 * time.Second
	minLeaderUptime = 1 * time.Second
	maxLeaderUptime = 5 * time.Second
)

// replicaConfig has heartbeat checks that notify channels, and an alert
// integration whose incidents page ana at once (after a short group wait)
// and escalate to cy a minute later: first pages and escalations are the
// leader's timed work, due across the kills.
func replicaConfig(rcv *receiver, checks []crashCheck) string {
	return "links_secret: \"replica-test-links-secret-0123456789abcdef\"\n" +
		webhookChannels(rcv, "ops", "pager", "ana-hook", "cy-hook") + `users:
  - {name: ana, contacts: [{type: webhook, to: ana-hook}]}
  - {name: cy, contacts: [{type: webhook, to: cy-hook}]}
escalation_policies:
  - {name: default, levels: [{targets: ["user:ana"], timeout: 1m}, {targets: ["user:cy"], timeout: 1m}]}
services:
  - {name: payments, escalation_policy: default, group_wait: 2s}
integrations:
  - {name: scripts, type: generic, key: "k-replicas-abcdefg", service: payments}
` + checksConfig(checks)
}

// cluster is three replicas of one installation on one PostgreSQL.
type cluster struct {
	replicas []*instance
	mu       sync.Mutex
	running  []*server // by replica; nil while down
}

// base picks a live replica for a request, as a load balancer does.
func (c *cluster) base() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var live []string
	for _, s := range c.running {
		if s != nil {
			live = append(live, s.base)
		}
	}
	if len(live) == 0 {
		return "http://127.0.0.1:1"
	}
	return live[rand.IntN(len(live))]
}

func (c *cluster) start(i int) {
	s := c.replicas[i].start()
	c.mu.Lock()
	c.running[i] = s
	c.mu.Unlock()
}

// byPID finds the running replica with process id pid.
func (c *cluster) byPID(pid int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.running {
		if s != nil && s.cmd.Process.Pid == pid {
			return i
		}
	}
	return -1
}

// engineLease reads the engine lease: its holder's process id (holders are
// "host-pid-random") and its token.
func engineLease(db *sql.DB) (pid int, token int64, expires time.Time, err error) {
	var holder string
	var exp int64
	if err = db.QueryRow("SELECT holder, token, expires_at FROM leases WHERE name = 'engine'").Scan(&holder, &token, &exp); err != nil {
		return 0, 0, time.Time{}, err
	}
	parts := strings.Split(holder, "-")
	if len(parts) < 3 {
		return 0, 0, time.Time{}, fmt.Errorf("holder %q", holder)
	}
	pid, err = strconv.Atoi(parts[len(parts)-2])
	return pid, token, time.UnixMilli(exp), err
}

// alertLoad posts one new alert at a time to the generic integration of a
// live replica, and remembers the keys answered 202 Accepted.
type alertLoad struct {
	sent, accepted atomic.Int64
	mu             sync.Mutex
	keys           []string
}

func (l *alertLoad) run(ctx context.Context, base func() string) <-chan struct{} {
	done := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	go func() {
		defer close(done)
		tick := time.NewTicker(alertEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			key := fmt.Sprintf("alert-%04d", l.sent.Add(1))
			body := fmt.Sprintf(`{"key":%q,"summary":"replica test %s","severity":"critical"}`, key, key)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, base()+"/ingest/generic/k-replicas-abcdefg", strings.NewReader(body))
			if err != nil {
				continue
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				l.accepted.Add(1)
				l.mu.Lock()
				l.keys = append(l.keys, key)
				l.mu.Unlock()
			}
		}
	}()
	return done
}

// TestReplicasSurviveLeaderKills runs three replicas on one PostgreSQL
// with pings and alerts flowing through all of them, and kills the leader
// with SIGKILL at random moments, restarting it each time. Another replica
// must take the engine over within 15 s, every ping and alert answered OK
// must be stored, every first page and escalation that fell due must be
// delivered, and no notification may be sent twice under two idempotency
// keys, or not at all.
func TestReplicasSurviveLeaderKills(t *testing.T) {
	if testing.Short() {
		t.Skip("replica chaos test: about two minutes")
	}
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	t.Logf("seed of the kill moments: %d", seed)

	rcv := newReceiver(t, map[string]string{"ops": "ops-secret", "pager": "pager-secret", "ana-hook": "ana-secret", "cy-hook": "cy-secret"},
		func() time.Duration { return time.Duration(5+rand.IntN(20)) * time.Millisecond })
	checks := crashChecks(replicaSteady, replicaFlaky)
	dir := t.TempDir()
	config := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(config, []byte(replicaConfig(rcv, checks)), 0o600); err != nil {
		t.Fatal(err)
	}
	cl := &cluster{running: make([]*server, replicaCount)}
	for i := range replicaCount {
		cl.replicas = append(cl.replicas, newReplica(t, config, dsn, filepath.Join(dir, fmt.Sprintf("replica-%d.log", i))))
		cl.start(i)
	}

	// The ping budget lasts through the kills; then the flaky checks go
	// quiet and down.
	total := int64(len(checks) * replicaPings)
	pings := &pingLoad{checks: checks, total: total,
		interval: time.Duration(float64(workers) / (float64(total) / 45.0) * float64(time.Second))}
	alerts := &alertLoad{}
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	pingsDone := pings.runOn(ctx, cl.base)
	alertsDone := alerts.run(ctx, cl.base)

	leader := func() (int, int64) {
		var idx int
		var token int64
		eventually(t, maxTakeover, 50*time.Millisecond, "a live replica holds the engine lease", func() (bool, string) {
			pid, tok, exp, err := engineLease(db)
			if err != nil {
				return false, err.Error()
			}
			idx, token = cl.byPID(pid), tok
			return idx >= 0 && time.Until(exp) > 0, fmt.Sprintf("holder pid %d (replica %d), token %d, expires in %s",
				pid, idx, tok, time.Until(exp).Round(time.Millisecond))
		})
		return idx, token
	}
	var worst time.Duration
	for round := 1; round <= replicaKills; round++ {
		victim, token := leader()
		up := minLeaderUptime + time.Duration(rng.Int64N(int64(maxLeaderUptime-minLeaderUptime)))
		time.Sleep(up)
		if pid, tok, _, err := engineLease(db); err != nil || tok != token || cl.byPID(pid) != victim {
			t.Fatalf("round %d: the lease moved without a kill: pid %d token %d (was %d), %v", round, pid, tok, token, err)
		}
		cl.mu.Lock()
		s := cl.running[victim]
		cl.running[victim] = nil // the load balancer sees it fail
		cl.mu.Unlock()
		s.kill()
		killed := time.Now()
		var took time.Duration
		eventually(t, maxTakeover, 50*time.Millisecond, "another replica takes the engine lease", func() (bool, string) {
			pid, tok, _, err := engineLease(db)
			if err != nil {
				return false, err.Error()
			}
			took = time.Since(killed)
			return tok > token && cl.byPID(pid) >= 0, fmt.Sprintf("token %d, holder pid %d", tok, pid)
		})
		worst = max(worst, took)
		t.Logf("round %d: killed the leader (replica %d, token %d) after %s; taken over in %s; pings OK %d, alerts accepted %d",
			round, victim, token, up.Round(time.Millisecond), took.Round(time.Millisecond), pings.ok.Load(), alerts.accepted.Load())
		cl.start(victim)
	}
	// The alerts stop now; the pings stopped when their budget was spent.
	stopLoad()
	<-pingsDone
	<-alertsDone

	// Every alert incident is paged and then escalated, a minute after its
	// first page; every flaky check goes down; the outbox drains.
	flaky := map[string]bool{}
	for _, c := range checks {
		flaky[c.uuid] = c.flaky
	}
	eventually(t, 3*time.Minute, time.Second, "pages and escalations delivered, flaky checks down, outbox drained", func() (bool, string) {
		var alertIncidents, escalated, unsent int
		if err := db.QueryRow(`SELECT COUNT(*) FROM incidents WHERE service = 'payments'`).Scan(&alertIncidents); err != nil {
			return false, err.Error()
		}
		ds, _ := rcv.snapshot()
		cyPaged := map[int64]bool{}
		for _, d := range ds {
			if d.Channel == "cy-hook" {
				cyPaged[d.Event.Incident.ID] = true
			}
		}
		escalated = len(cyPaged)
		if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`).Scan(&unsent); err != nil {
			return false, err.Error()
		}
		down := 0
		rows, err := db.Query(`SELECT c.uuid FROM incidents i JOIN checks c ON c.id = i.check_id WHERE i.status <> 'resolved'`)
		if err != nil {
			return false, err.Error()
		}
		for rows.Next() {
			var uuid string
			rows.Scan(&uuid)
			if flaky[uuid] {
				down++
			}
		}
		rows.Close()
		return alertIncidents > 0 && escalated == alertIncidents && down == replicaFlaky && unsent == 0,
			fmt.Sprintf("%d of %d alert incidents escalated to cy, %d of %d flaky checks down, %d outbox rows unsent",
				escalated, alertIncidents, down, replicaFlaky, unsent)
	})

	// Exactly one replica says it leads, the one holding the lease.
	pid, _, _, err := engineLease(db)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range cl.running {
		v, err := s.metric("tocsin_leader")
		if err != nil {
			t.Fatal(err)
		}
		if want := cl.byPID(pid) == i; (v == 1) != want {
			t.Errorf("replica %d: tocsin_leader %v; it holds the lease: %v", i, v, want)
		}
	}

	// The API of any replica shows the same: the leader, and three live
	// replicas beside the killed ones, whose member leases lapsed.
	var view struct {
		This   string `json:"this"`
		Leader struct {
			Replica string `json:"replica"`
			Held    bool   `json:"held"`
		} `json:"leader"`
		Replicas []struct {
			Name   string `json:"name"`
			Alive  bool   `json:"alive"`
			Leader bool   `json:"leader"`
		} `json:"replicas"`
	}
	cl.running[0].mustAPI("GET", "/api/v1/replicas", &view)
	alive, leaders := 0, 0
	for _, r := range view.Replicas {
		if r.Alive {
			alive++
		}
		if r.Leader {
			leaders++
			if r.Name != view.Leader.Replica {
				t.Errorf("replica %s marked leader; the lease is %s's", r.Name, view.Leader.Replica)
			}
		}
	}
	if !view.Leader.Held || leaders != 1 || alive != replicaCount || len(view.Replicas) != replicaCount+replicaKills ||
		!strings.Contains(view.This, fmt.Sprintf("-%d-", cl.running[0].cmd.Process.Pid)) {
		t.Errorf("GET /api/v1/replicas: %+v; want one held leader, %d alive of %d", view, replicaCount, replicaCount+replicaKills)
	}

	verifyAlerts(t, db, alerts)
	verifyPages(t, db, rcv)
	verifyPings(t, db, pings, false)
	verifyOutbox(t, db, rcv, map[string]string{"contact:ana:0": "ana-hook", "contact:cy:0": "cy-hook"})
	rcv.checkNoProblems(t)
	t.Logf("kills %d, worst takeover %s (limit %s)", replicaKills, worst.Round(time.Millisecond), maxTakeover)
}

// verifyAlerts checks that every alert answered 202 is stored.
func verifyAlerts(t *testing.T, db *sql.DB, l *alertLoad) {
	t.Helper()
	stored := map[string]bool{}
	rows, err := db.Query("SELECT key FROM alerts WHERE integration = 'scripts'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			t.Fatal(err)
		}
		stored[key] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var missing []string
	for _, k := range l.keys {
		if !stored[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d alerts answered 202 are not stored, first: %q", len(missing), len(l.keys), missing[:min(5, len(missing))])
	}
	t.Logf("alerts: sent %d, accepted %d, stored %d", l.sent.Load(), len(l.keys), len(stored))
}

// verifyPages checks that each alert incident paged ana once and cy once
// (its escalation), each page in its own notification, and that cy's
// came a minute or more after ana's.
func verifyPages(t *testing.T, db *sql.DB, rcv *receiver) {
	t.Helper()
	ds, _ := rcv.snapshot()
	type pages struct{ ana, cy []delivery }
	byIncident := map[int64]*pages{}
	for _, d := range ds {
		if d.Channel != "ana-hook" && d.Channel != "cy-hook" {
			continue
		}
		p := byIncident[d.Event.Incident.ID]
		if p == nil {
			p = &pages{}
			byIncident[d.Event.Incident.ID] = p
		}
		if d.Channel == "ana-hook" {
			p.ana = append(p.ana, d)
		} else {
			p.cy = append(p.cy, d)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM incidents WHERE service = 'payments'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if len(byIncident) != n {
		t.Errorf("%d alert incidents, pages for %d", n, len(byIncident))
	}
	for id, p := range byIncident {
		if len(p.ana) == 0 || len(p.cy) == 0 {
			t.Errorf("incident %d: %d pages to ana, %d to cy; want both", id, len(p.ana), len(p.cy))
			continue
		}
		// Copies of one page (a send cut off by a kill, sent again) carry
		// one key and the same bytes; verifyOutbox checks that.
		for _, list := range [][]delivery{p.ana, p.cy} {
			for _, d := range list[1:] {
				if d.Event.IdempotencyKey != list[0].Event.IdempotencyKey || !bytes.Equal(d.Body, list[0].Body) {
					t.Errorf("incident %d: two different pages on %s: %q and %q", id, d.Channel,
						list[0].Event.IdempotencyKey, d.Event.IdempotencyKey)
				}
			}
		}
		if gap := p.cy[0].Event.OccurredAt.Sub(p.ana[0].Event.OccurredAt); gap < time.Minute-time.Second {
			t.Errorf("incident %d: escalated %s after the first page; the level timeout is 1m", id, gap)
		}
	}
	t.Logf("alert incidents %d, each paged to ana and escalated to cy", len(byIncident))
}

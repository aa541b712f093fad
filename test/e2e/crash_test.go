package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads the database after the server stopped
)

// The shape of the crash test.
const (
	steadyChecks = 300 // every 1h: they stay up and only take pings
	flakyChecks  = 20  // every 1s, grace 1s, and some /fail pings: incidents during the load
	workers      = 16
	rounds       = 4
	// pingsPerCheck stays under the 100 pings kept per check, so nothing
	// the test checks for is pruned.
	pingsPerCheck = 90
	failEvery     = 5 // one ping in 5 of a flaky check is a /fail, from its second on

	minKillAfter = 300 * time.Millisecond
	maxKillAfter = 3 * time.Second
)

// crashCheck is a check of the crash test.
type crashCheck struct {
	name, uuid string
	flaky      bool
}

// crashChecks are steady checks, then flaky ones.
func crashChecks(steady, flaky int) []crashCheck {
	var out []crashCheck
	for i := range steady + flaky {
		c := crashCheck{name: fmt.Sprintf("steady-%03d", i), uuid: fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1)}
		if i >= steady {
			c.name, c.flaky = fmt.Sprintf("flaky-%02d", i-steady), true
		}
		out = append(out, c)
	}
	return out
}

func crashConfig(rcv *receiver, checks []crashCheck) string {
	return webhookChannels(rcv, "ops", "pager") + checksConfig(checks)
}

// webhookChannels is the channels section: one webhook channel of rcv for
// each name.
func webhookChannels(rcv *receiver, names ...string) string {
	var b strings.Builder
	b.WriteString("channels:\n")
	for _, ch := range names {
		fmt.Fprintf(&b, "  - {name: %s, type: webhook, url: %q, secret: %q, timeout: 5s}\n", ch, rcv.url(ch), rcv.secrets[ch])
	}
	return b.String()
}

// checksConfig is a fast-retrying outbox and the checks: the steady ones
// notify ops, the flaky ones ops and pager. Flap damping is off: the flaky
// checks flap by design, and these tests count one page per incident,
// event and channel, which a re-opened incident would page again.
func checksConfig(checks []crashCheck) string {
	var b strings.Builder
	b.WriteString("outbox: {backoff_base: 1s, backoff_max: 2s}\ncheck_defaults: {flap: {changes: 0}}\nchecks:\n")
	for _, c := range checks {
		if c.flaky {
			fmt.Fprintf(&b, "  - {name: %s, uuid: %s, schedule: {every: 1s}, grace: 1s, notify: [ops, pager]}\n", c.name, c.uuid)
		} else {
			fmt.Fprintf(&b, "  - {name: %s, uuid: %s, schedule: {every: 1h}, grace: 1h, notify: [ops]}\n", c.name, c.uuid)
		}
	}
	return b.String()
}

// TestCrashSafety sends pings under load, kills the server with SIGKILL at
// a random moment, restarts it on the same database and goes on, for
// several rounds. Then it proves that every ping answered OK is stored and
// that every queued notification was delivered, duplicates only ever
// carrying the same idempotency key and the same bytes.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: kills and restarts the server under load for about ten seconds")
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	t.Logf("seed of the kill moments: %d", seed)

	// A slow receiver keeps notifications in flight when the kill lands.
	rcv := newReceiver(t, map[string]string{"ops": "ops-secret", "pager": "pager-secret"},
		func() time.Duration { return time.Duration(20+rand.IntN(31)) * time.Millisecond })
	checks := crashChecks(steadyChecks, flakyChecks)
	in := newInstance(t, crashConfig(rcv, checks))

	// Pace the load so the budget of pings lasts through every round even
	// when each kill comes late.
	total := int64(len(checks) * pingsPerCheck)
	rate := float64(total) * 0.8 / (rounds * maxKillAfter.Seconds())
	load := &pingLoad{checks: checks, total: total, interval: time.Duration(float64(workers) / rate * float64(time.Second))}

	var prevOK int64
	for round := 1; round <= rounds; round++ {
		srv := in.start()
		ctx, stop := context.WithCancel(context.Background())
		done := load.run(ctx, srv.base)
		after := minKillAfter + time.Duration(rng.Int64N(int64(maxKillAfter-minKillAfter)))
		time.Sleep(after)
		srv.kill()
		stop()
		<-done
		ds, _ := rcv.snapshot()
		ok := load.ok.Load()
		t.Logf("round %d: killed after %s; pings answered OK %d (%d so far), not OK %d so far; webhooks received so far %d",
			round, after.Round(time.Millisecond), ok-prevOK, ok, load.failed.Load(), len(ds))
		prevOK = ok
	}

	// After the last restart, the flaky checks go down (their pings have
	// stopped), each with an open incident, and the outbox drains. An
	// incident and its notifications are written together, so once all
	// are open nothing more is queued.
	srv := in.start()
	flaky := map[string]bool{}
	for _, c := range checks {
		flaky[c.uuid] = c.flaky
	}
	eventually(t, 30*time.Second, 200*time.Millisecond, "flaky checks down and outbox drained", func() (bool, string) {
		var list struct {
			Incidents []apiIncident `json:"incidents"`
		}
		if _, err := srv.api("GET", "/api/v1/incidents?status=open&limit=1000", &list); err != nil {
			return false, err.Error()
		}
		open := 0
		for _, in := range list.Incidents {
			if flaky[in.CheckUUID] {
				open++
			}
		}
		depth, err := srv.metric("tocsin_outbox_depth")
		if err != nil {
			return false, err.Error()
		}
		return open == flakyChecks && depth == 0, fmt.Sprintf("%d of %d flaky checks with an open incident, outbox depth %v",
			open, flakyChecks, depth)
	})

	// A graceful stop under load: pings in flight are answered only once
	// stored, and the exit status is 0. Only the steady checks are pinged
	// now, so no incident changes and nothing more is queued.
	load.steadyOnly = true
	ctx, stop := context.WithCancel(context.Background())
	done := load.run(ctx, srv.base)
	time.Sleep(200*time.Millisecond + time.Duration(rng.Int64N(int64(600*time.Millisecond))))
	okBefore := load.ok.Load()
	code := srv.terminate()
	stop()
	<-done
	if code != 0 {
		t.Errorf("exit status after SIGTERM under load: %d; want 0", code)
	}
	t.Logf("graceful stop under load: pings answered OK %d (%d before the SIGTERM)", load.ok.Load()-prevOK, okBefore-prevOK)

	db, err := sql.Open("sqlite", "file:"+in.database+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	verifyPings(t, db, load, true)
	verifyOutbox(t, db, rcv, nil)
	rcv.checkNoProblems(t)
	t.Logf("kills %d, restarts %d, graceful stops 1", rounds, rounds)
}

// pingLoad sends pings from several workers, round-robin over the checks,
// each with a unique body, and remembers which were answered OK.
type pingLoad struct {
	checks   []crashCheck
	total    int64         // pings to send in the whole test
	interval time.Duration // between two pings of one worker
	sent     atomic.Int64  // pings handed out so far (the next sequence number)
	ok       atomic.Int64
	failed   atomic.Int64
	rounds   int
	// steadyOnly skips the flaky checks; set it only between runs.
	steadyOnly bool

	mu     sync.Mutex
	acked  map[string][]string // check uuid -> body ids answered OK
	failOK int64               // /fail pings answered OK
}

// run starts the workers against base; the channel closes once they all
// returned after ctx ended.
func (l *pingLoad) run(ctx context.Context, base string) <-chan struct{} {
	return l.runOn(ctx, func() string { return base })
}

// runOn is run with each ping sent to the server base returns, as a load
// balancer picks one for each request.
func (l *pingLoad) runOn(ctx context.Context, base func() string) <-chan struct{} {
	l.rounds++
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { l.work(ctx, client, base, w) })
	}
	go func() {
		wg.Wait()
		client.CloseIdleConnections()
		close(done)
	}()
	return done
}

func (l *pingLoad) work(ctx context.Context, client *http.Client, base func() string, worker int) {
	next := time.Now()
	for n := 0; ; n++ {
		next = next.Add(l.interval)
		if wait := time.Until(next); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		} else if wait < -l.interval {
			next = time.Now() // behind: do not catch up in a burst
		}
		seq := l.sent.Add(1) - 1
		if seq >= l.total {
			<-ctx.Done() // budget spent: idle until the kill
			return
		}
		c := l.checks[seq%int64(len(l.checks))]
		if l.steadyOnly && c.flaky {
			continue
		}
		url := base() + "/ping/" + c.uuid
		fail := c.flaky && (seq/int64(len(l.checks)))%failEvery == 1
		if fail {
			url += "/fail"
		}
		id := fmt.Sprintf("r%d-w%d-%d", l.rounds, worker, n)
		if ping(ctx, client, url, id) {
			l.ok.Add(1)
			l.mu.Lock()
			if l.acked == nil {
				l.acked = map[string][]string{}
			}
			l.acked[c.uuid] = append(l.acked[c.uuid], id)
			if fail {
				l.failOK++
			}
			l.mu.Unlock()
		} else {
			l.failed.Add(1)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// ping POSTs body to url and reports whether the answer was 200 "OK".
func ping(ctx context.Context, client *http.Client, url, body string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return err == nil && resp.StatusCode == http.StatusOK && string(b) == "OK"
}

// verifyPings checks that every ping answered OK is stored once, with its
// body, under its check; gracefulLast says the last run ended with a
// graceful stop, which answers every ping it stores.
func verifyPings(t *testing.T, db *sql.DB, l *pingLoad, gracefulLast bool) {
	t.Helper()
	rows, err := db.Query("SELECT c.uuid, p.n, p.body FROM pings p JOIN checks c ON c.id = p.check_id")
	if err != nil {
		t.Fatalf("read pings: %v", err)
	}
	defer rows.Close()
	stored := map[string]int{} // uuid + " " + body -> copies
	var total, maxN int64
	for rows.Next() {
		var uuid string
		var n int64
		var body []byte
		if err := rows.Scan(&uuid, &n, &body); err != nil {
			t.Fatal(err)
		}
		stored[uuid+" "+string(body)]++
		total++
		maxN = max(maxN, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if maxN >= 100 {
		t.Fatalf("a check reached ping #%d: pruning may have removed pings; lower pingsPerCheck", maxN)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var missing []string
	var acked int
	for uuid, ids := range l.acked {
		for _, id := range ids {
			acked++
			if stored[uuid+" "+id] == 0 {
				missing = append(missing, uuid+" "+id)
			}
		}
	}
	ackedSet := map[string]bool{}
	for uuid, ids := range l.acked {
		for _, id := range ids {
			ackedSet[uuid+" "+id] = true
		}
	}
	unanswered := map[string]int{} // run ("r3") -> pings stored whose OK never arrived
	for k, n := range stored {
		if n > 1 {
			t.Errorf("ping %q stored %d times", k, n)
		}
		if !ackedSet[k] {
			_, id, _ := strings.Cut(k, " ")
			run, _, _ := strings.Cut(id, "-")
			unanswered[run]++
		}
	}
	t.Logf("stored without an OK reaching the sender, by run: %v", unanswered)
	// A kill may cut off the answer to a stored ping; a graceful stop
	// answers every ping it stores.
	if n := unanswered[fmt.Sprintf("r%d", l.rounds)]; gracefulLast && n > 0 {
		t.Errorf("graceful stop: %d pings stored but not answered OK", n)
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d of %d pings answered OK are not stored, first: %q", len(missing), acked, missing[:min(5, len(missing))])
	}
	t.Logf("pings: sent %d, answered OK %d (%d of them /fail), not answered OK %d, stored %d (%d stored without an OK reaching the sender)",
		min(l.sent.Load(), l.total), acked, l.failOK, l.failed.Load(), total, total-int64(acked-len(missing)))
}

// verifyOutbox checks that every queued notification was sent and
// received, and that the receiver saw nothing that was not queued. routes
// maps the outbox channels that are not receiver paths (a person's
// contact, "contact:ana:0") to the path they post to.
func verifyOutbox(t *testing.T, db *sql.DB, rcv *receiver, routes map[string]string) {
	t.Helper()
	type row struct {
		channel, event, status string
		incident               int64
		payload                []byte
	}
	outbox := map[string]row{}
	rows, err := db.Query("SELECT idempotency_key, channel, event, incident_id, status, payload FROM outbox")
	if err != nil {
		t.Fatalf("read outbox: %v", err)
	}
	defer rows.Close()
	statuses := map[string]int{}
	for rows.Next() {
		var key string
		var r row
		if err := rows.Scan(&key, &r.channel, &r.event, &r.incident, &r.status, &r.payload); err != nil {
			t.Fatal(err)
		}
		outbox[key] = r
		statuses[r.status]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(outbox) == 0 {
		t.Fatal("the outbox is empty: the load opened no incident")
	}

	deliveries, _ := rcv.snapshot()
	received := map[string]int{}
	type triple struct {
		incident       int64
		event, channel string
	}
	keyOf := map[triple]string{}
	for _, d := range deliveries {
		key := d.Event.IdempotencyKey
		received[key]++
		r, ok := outbox[key]
		switch {
		case !ok:
			t.Errorf("received %s %s for incident %d with key %q, which is not in the outbox",
				d.Channel, d.Event.Event, d.Event.Incident.ID, key)
			continue
		case (r.channel != d.Channel && routes[r.channel] != d.Channel) || r.event != d.Event.Event || r.incident != d.Event.Incident.ID:
			t.Errorf("key %q: outbox has %s %s incident %d, received on %s: %s %d",
				key, r.channel, r.event, r.incident, d.Channel, d.Event.Event, d.Event.Incident.ID)
		case !bytes.Equal(r.payload, d.Body):
			t.Errorf("key %q: received body differs from the queued payload:\n got %s\nwant %s", key, d.Body, r.payload)
		}
		tr := triple{d.Event.Incident.ID, d.Event.Event, d.Channel}
		if prev, ok := keyOf[tr]; ok && prev != key {
			t.Errorf("%s of incident %d on %s received with two keys: %q and %q", tr.event, tr.incident, tr.channel, prev, key)
		}
		keyOf[tr] = key
	}
	var unsent, undelivered []string
	for key, r := range outbox {
		if r.status != "sent" {
			unsent = append(unsent, key+" ("+r.status+")")
		}
		if received[key] == 0 {
			undelivered = append(undelivered, key)
		}
	}
	sort.Strings(unsent)
	sort.Strings(undelivered)
	if len(unsent) > 0 {
		t.Errorf("%d of %d outbox rows not sent, first: %q", len(unsent), len(outbox), unsent[:min(5, len(unsent))])
	}
	if len(undelivered) > 0 {
		t.Errorf("%d of %d queued notifications never reached the receiver, first: %q",
			len(undelivered), len(outbox), undelivered[:min(5, len(undelivered))])
	}
	dups := 0
	for _, n := range received {
		dups += n - 1
	}
	events := map[string]int{}
	for _, r := range outbox {
		events[r.event]++
	}
	rcv.mu.Lock()
	aborted := rcv.aborted
	rcv.mu.Unlock()
	t.Logf("notifications: queued %d %v, statuses %v; webhooks received %d (%d distinct keys, %d duplicates, %d cut off by a kill)",
		len(outbox), events, statuses, len(deliveries), len(received), dups, aborted)
}

// Command shards simulates Tocsin's engine split into shards, the design of
// docs/scaling.md, against one PostgreSQL. Checks are hashed into S shards
// (FNV-1a of the UUID, mod S); each shard has its own lease, "engine:<k>",
// with a fencing token, in Tocsin's leases table, taken and renewed through
// Tocsin's store (store.DB.AcquireLease). N shard leaders share the shards,
// each on its own connection: a leader writes only to the shards it leads,
// and every write checks, in its transaction, that the shard's lease is
// still held with the token it was taken under.
//
// A leader's work is the write path of pings: one transaction per shard in
// turn that records a ping for each of a batch of the shard's checks and
// moves their deadlines (one UPDATE of the checks, one INSERT of the pings,
// as the recorder's batch on PostgreSQL does). The program starts a
// throwaway PostgreSQL (as bench/pingload -postgres does: 127.0.0.1 only,
// every commit synced to disk), creates the checks through the store, and
// for N = 1, 2, 4, 8 leaders measures pings committed per second in two
// modes, one right after the other:
//
//   - global: each transaction takes the one advisory lock that serializes
//     every write transaction of Tocsin on PostgreSQL today;
//   - shard: each transaction takes its shard's advisory lock instead.
//
// It reports, for each run, where the time went: the CPU of PostgreSQL's
// processes and of this program, WAL syncs per commit (pg_stat_wal), and
// what the leaders' server processes were doing (pg_stat_activity, sampled
// every 25 ms). Last, a fencing check: a leader stalls past its leases,
// another takes its shards, and the stalled one's writes under its old
// tokens are counted: all must be refused, none committed. At the end it
// times the leader's once-a-second deadline read (the moved deadlines it
// takes, against the scan it made before) with the run's checks and with
// 1,000,000 more written into the table.
//
//	go run ./bench/shards [-leaders 1,2,4,8] [-shards 8] [-checks 8000] [-batch 32] [-d 3s] [-warmup 1s] [-reps 3] [-ttl 8s] [-every 2s] [-scan 1000000] [-cpuprofile FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tocsinhq/tocsin/bench/internal/benchkit"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shards:", err)
		os.Exit(1)
	}
}

// Advisory lock keys. globalLockKey is the key of Tocsin's write lock
// (store's writeLockKey, "tocsin" in ASCII); shard locks use the two-key
// form, (shardLockClass, shard), whose key space is apart from it.
const (
	globalLockKey  = 0x746f6373696e
	shardLockClass = 0x746f6373 // "tocs"
)

// appName marks the leaders' writer connections in pg_stat_activity.
const appName = "tocsin-shard-leader"

// recordSQL records a ping for each check of $1 at $2 and moves its
// deadline: the ping path's two statements, as one.
const recordSQL = `WITH up AS (
	UPDATE checks SET pings = pings + 1, last_ping_at = $2, alert_after = $2 + schedule_every + grace,
		status = 'up', version = version + 1
	WHERE id = ANY($1) RETURNING id, pings)
INSERT INTO pings (check_id, n, at, kind, method, user_agent)
SELECT id, pings, $2, 'success', 'GET', $3 FROM up`

// fenceSQL is the fence of a shard write. FOR SHARE locks the lease row
// until the transaction ends: a takeover's UPDATE of the lease waits for
// the write to commit, and a write that starts after a takeover sees the
// new holder and finds no row.
const fenceSQL = "SELECT token FROM leases WHERE name = $1 AND holder = $2 FOR SHARE"

var errFenced = errors.New("fenced: the shard's lease is held by another leader")

func leaseName(shard int) string { return "engine:" + strconv.Itoa(shard) }

// shardOf is the shard of a check: FNV-1a of its UUID, mod shards.
func shardOf(uuid string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(uuid))
	return int(h.Sum32() % uint32(shards))
}

// sim is what every leader of a run shares.
type sim struct {
	db     *store.DB // leases, through Tocsin's store
	dsn    string
	shards [][]int64 // check ids by shard
	global bool      // take the global write lock instead of the shard's
	batch  int
	ttl    time.Duration
	every  time.Duration
}

// leader leads the shards whose leases it holds. It takes a shard when
// the shard is free and one of its own (k mod n == index), or when the
// shard's lease lapsed (its leader is gone); it renews what it holds.
type leader struct {
	sim   *sim
	name  string
	index int
	of    int // leaders in the run
	conn  *pgx.Conn

	mu   sync.Mutex
	held map[int]store.Lease // by shard: the leases it holds

	next []int // by shard: where its next batch starts; the writer's only

	// What the writer did, read by the measurements.
	pings, commits  atomic.Int64
	fenced, failed  atomic.Int64
	commitsOnShards []atomic.Int64
	lastErr         atomic.Value // string

	loops     sync.WaitGroup
	stopLoops context.CancelFunc
}

func newLeader(ctx context.Context, s *sim, index, of int) (*leader, error) {
	l := &leader{sim: s, name: fmt.Sprintf("leader-%d", index+1), index: index, of: of,
		held: map[int]store.Lease{}, next: make([]int, len(s.shards)), commitsOnShards: make([]atomic.Int64, len(s.shards))}
	return l, l.connect(ctx)
}

// connect opens the leader's writer connection. (Ending a query's context
// closes its connection: a leader stopped mid-write connects again.)
func (l *leader) connect(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, l.sim.dsn+"&application_name="+appName)
	if err != nil {
		return fmt.Errorf("connect leader: %w", err)
	}
	l.conn = conn
	return nil
}

// start runs the leader's election and writer loops until stop.
func (l *leader) start(ctx context.Context) {
	ctx, l.stopLoops = context.WithCancel(ctx)
	l.loops.Add(2)
	go func() { defer l.loops.Done(); l.elect(ctx) }()
	go func() { defer l.loops.Done(); l.work(ctx) }()
}

// stop ends the loops without giving the leases up, as a killed or frozen
// process would.
func (l *leader) stop() {
	l.stopLoops()
	l.loops.Wait()
}

func (l *leader) close() { l.conn.Close(context.Background()) }

// heldNow is a copy of the leases the leader holds, by shard.
func (l *leader) heldNow() map[int]store.Lease {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[int]store.Lease, len(l.held))
	for k, v := range l.held {
		m[k] = v
	}
	return m
}

func (l *leader) elect(ctx context.Context) {
	for {
		l.electRound(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.sim.every):
		}
	}
}

func (l *leader) electRound(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, l.sim.every)
	defer cancel()
	all, err := l.sim.db.Leases(rctx)
	if err != nil {
		return
	}
	stored := map[string]store.Lease{}
	for _, le := range all {
		stored[le.Name] = le
	}
	now := time.Now()
	for k := range l.sim.shards {
		cur, exists := stored[leaseName(k)]
		mine := cur.Holder == l.name
		lapsed := exists && !now.Before(cur.ExpiresAt)
		preferred := k%l.of == l.index
		if !mine && !lapsed && !(preferred && !exists) {
			continue
		}
		got, err := l.sim.db.AcquireLease(rctx, leaseName(k), l.name, l.sim.ttl, false)
		l.mu.Lock()
		switch {
		case err != nil:
			// Step down before the lease can lapse, as the engine's
			// elector does: past that, another leader may hold it.
			if h, ok := l.held[k]; ok && !time.Now().Before(h.ExpiresAt.Add(-l.sim.every)) {
				delete(l.held, k)
			}
		case got.Holder == l.name:
			l.held[k] = got
		default:
			delete(l.held, k)
		}
		l.mu.Unlock()
	}
}

// work writes to the leader's shards in turn, one transaction each.
func (l *leader) work(ctx context.Context) {
	for ctx.Err() == nil {
		held := l.heldNow()
		if len(held) == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(l.sim.every / 5):
			}
			continue
		}
		shards := make([]int, 0, len(held))
		for k := range held {
			shards = append(shards, k)
		}
		sort.Ints(shards)
		for _, k := range shards {
			if _, err := l.write(ctx, k, held[k]); err != nil && ctx.Err() == nil && !errors.Is(err, errFenced) {
				l.lastErr.Store(err.Error())
			}
		}
	}
}

// write records one batch of pings for shard k in one transaction, fenced
// by f: it commits only while f is still the shard's lease. It returns the
// pings committed.
func (l *leader) write(ctx context.Context, k int, f store.Lease) (int64, error) {
	ids := l.batchOf(k)
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tx, err := l.conn.Begin(wctx)
	if err != nil {
		l.failed.Add(1)
		return 0, err
	}
	defer tx.Rollback(context.Background())
	if l.sim.global {
		_, err = tx.Exec(wctx, "SELECT pg_advisory_xact_lock($1)", int64(globalLockKey))
	} else {
		_, err = tx.Exec(wctx, "SELECT pg_advisory_xact_lock($1, $2)", int32(shardLockClass), int32(k))
	}
	if err != nil {
		l.failed.Add(1)
		return 0, fmt.Errorf("write lock: %w", err)
	}
	var token int64
	err = tx.QueryRow(wctx, fenceSQL, f.Name, f.Holder).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && token != f.Token) {
		l.fenced.Add(1)
		return 0, errFenced
	}
	if err != nil {
		l.failed.Add(1)
		return 0, fmt.Errorf("check fence: %w", err)
	}
	tag, err := tx.Exec(wctx, recordSQL, ids, time.Now().UnixMilli(), marker(f))
	if err != nil {
		l.failed.Add(1)
		return 0, fmt.Errorf("record pings: %w", err)
	}
	if err := tx.Commit(wctx); err != nil {
		l.failed.Add(1)
		return 0, fmt.Errorf("commit: %w", err)
	}
	l.pings.Add(tag.RowsAffected())
	l.commits.Add(1)
	l.commitsOnShards[k].Add(1)
	return tag.RowsAffected(), nil
}

// marker is stored in each ping's user_agent: which leader wrote it, for
// which shard, under which token. The fencing check counts by it.
func marker(f store.Lease) string { return fmt.Sprintf("%s %s token %d", f.Holder, f.Name, f.Token) }

// batchOf returns the next batch of shard k's checks, taken in turn.
func (l *leader) batchOf(k int) []int64 {
	ids := l.sim.shards[k]
	n := min(l.sim.batch, len(ids))
	out := make([]int64, n)
	for i := range out {
		out[i] = ids[(l.next[k]+i)%len(ids)]
	}
	l.next[k] = (l.next[k] + n) % len(ids)
	return out
}

// sample is what one measured run saw.
type sample struct {
	global              bool
	leaders, rep        int
	pings, commits      int64
	fenced, failed      int64
	window              time.Duration
	pgCPU, simCPU       time.Duration
	machineCPU          time.Duration // every process's, others' included
	walSyncs, allCommit int64         // over the whole run, warm-up included
	walBytes, allPings  int64
	waits               map[string]int
	waitSamples         int
	lastErr             string
}

func (s sample) pingsPerSec() float64   { return float64(s.pings) / s.window.Seconds() }
func (s sample) commitsPerSec() float64 { return float64(s.commits) / s.window.Seconds() }

func run() error {
	leadersFlag := flag.String("leaders", "1,2,4,8", "comma-separated numbers of shard leaders")
	modesFlag := flag.String("modes", "global,shard", "write locks to measure, in this order: global (today's one lock), shard (a lock per shard)")
	nShards := flag.Int("shards", 8, "shards the checks are hashed into")
	nChecks := flag.Int("checks", 8000, "checks, spread over the shards")
	batch := flag.Int("batch", 32, "pings a transaction records (checks of one shard)")
	window := flag.Duration("d", 3*time.Second, "measured duration of each run")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before each run, once every shard has a leader")
	reps := flag.Int("reps", 3, "repetitions of each (mode, leaders) pair")
	ttl := flag.Duration("ttl", 8*time.Second, "how long a shard lease lasts unrenewed (the engine lease's 8 s)")
	every := flag.Duration("every", 2*time.Second, "how often leaders renew and look for lapsed shards (the engine lease's 2 s)")
	stale := flag.Int("stale", 200, "writes the stalled leader attempts under its old tokens in the fencing check")
	scan := flag.Int("scan", 1_000_000, "at the end, add this many checks and time the leader's once-a-second deadline read (0: skip)")
	dir := flag.String("dir", "", "directory for PostgreSQL's data (default: a new temporary directory)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of this program over the measured runs")
	flag.Parse()
	var levels []int
	for _, s := range strings.Split(*leadersFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > *nShards {
			return fmt.Errorf("bad -leaders %q: each from 1 to -shards", *leadersFlag)
		}
		levels = append(levels, n)
	}
	var modes []bool // global?
	for _, m := range strings.Split(*modesFlag, ",") {
		switch strings.TrimSpace(m) {
		case "global":
			modes = append(modes, true)
		case "shard":
			modes = append(modes, false)
		default:
			return fmt.Errorf("bad -modes %q", *modesFlag)
		}
	}
	if *nChecks < *nShards || *batch < 1 {
		return errors.New("need at least one check per shard and a batch of at least 1")
	}

	// Every wait of the program ends with this: a hung server ends the run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-shards-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	fmt.Println("## Shard leaders against one PostgreSQL")
	fmt.Println()
	fmt.Print(benchkit.Machine(*dir))

	srv, err := benchkit.LaunchPostgres(*dir)
	if err != nil {
		return err
	}
	defer srv.Stop()

	t0 := time.Now()
	if _, err := benchkit.Seed(ctx, srv.DSN, benchkit.Checks("shard", *nChecks, time.Hour, time.Hour, nil)); err != nil {
		return err
	}
	seeded := time.Since(t0)
	db, err := store.Open(ctx, srv.DSN, store.Options{Clock: clock.Real{}})
	if err != nil {
		return err
	}
	defer db.Close()
	admin, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	var pgVersion string
	if err := admin.QueryRow(ctx, "SHOW server_version").Scan(&pgVersion); err != nil {
		return err
	}
	s := &sim{db: db, dsn: srv.DSN, batch: *batch, ttl: *ttl, every: *every, shards: make([][]int64, *nShards)}
	rows, err := admin.Query(ctx, "SELECT id, uuid FROM checks ORDER BY id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var uuid string
		if err := rows.Scan(&id, &uuid); err != nil {
			return err
		}
		k := shardOf(uuid, *nShards)
		s.shards[k] = append(s.shards[k], id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sizes := make([]string, *nShards)
	for k, ids := range s.shards {
		if len(ids) == 0 {
			return fmt.Errorf("shard %d has no checks: use more checks", k)
		}
		sizes[k] = strconv.Itoa(len(ids))
	}
	fmt.Printf("- PostgreSQL %s, 127.0.0.1, fsync and synchronous_commit on\n", pgVersion)
	fmt.Printf("- %d checks seeded through the store in %.1f s, hashed into %d shards of %s checks\n",
		*nChecks, seeded.Seconds(), *nShards, strings.Join(sizes, ", "))
	fmt.Printf("- %d pings a transaction; shard leases last %s, renewed every %s\n", *batch, *ttl, *every)
	fsync, err := benchkit.FsyncProbe(*dir, time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("- Disk: 4 KiB write + fdatasync p50 %s, p99 %s\n\n", benchkit.Ms(benchkit.Percentile(fsync, 50)), benchkit.Ms(benchkit.Percentile(fsync, 99)))

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

	var samples []sample
	for rep := 1; rep <= *reps; rep++ {
		for _, n := range levels {
			for _, global := range modes {
				s.global = global
				smp, err := measure(ctx, s, admin, n, *warmup, *window)
				if err != nil {
					return err
				}
				smp.rep = rep
				samples = append(samples, smp)
				fmt.Fprintf(os.Stderr, "rep %d, %d leaders, %s: %.0f pings/s\n", rep, n, modeName(global), smp.pingsPerSec())
			}
		}
	}
	printSamples(samples, levels)

	s.global = false
	fr, err := fenceCheck(ctx, s, admin, *stale)
	if err != nil {
		return err
	}
	fr.print(*ttl, *every)
	if *scan > 0 {
		return timeDeadlineRead(ctx, db, admin, *scan)
	}
	return nil
}

// scanDeadlinesSQL is the read that follow_deadlines made every second
// before deadline_moves: every deadline due within 2 s, with no index to
// find them, so a scan of the table.
const scanDeadlinesSQL = `SELECT id, alert_after, wake_at FROM checks WHERE (alert_after > 0 OR wake_at > 0) AND deleted_at = 0
	AND (alert_after > 0 AND alert_after <= $1 OR wake_at > 0 AND wake_at <= $1)`

// movesPerRead is how many checks have their deadline moved earlier before
// each timed take of the moves, as /start pings served by other replicas
// would.
const movesPerRead = 50

// timeDeadlineRead times what the leader runs every second on a shared
// database (follow_deadlines), with the checks of the runs and again with
// n more, written straight into the table, their deadlines spread over the
// next hour: taking the moved deadlines (store.Tx.TakeDeadlineMoves, a
// fenceless write here), after movesPerRead checks moved theirs earlier,
// and, as the baseline in the same run, the scan it made before.
func timeDeadlineRead(ctx context.Context, db *store.DB, admin *pgx.Conn, n int) error {
	read := func() (scan, take []time.Duration, taken int, err error) {
		for i := range 7 {
			t0 := time.Now()
			rows, err := admin.Query(ctx, scanDeadlinesSQL, time.Now().Add(2*time.Second).UnixMilli())
			if err != nil {
				return nil, nil, 0, err
			}
			rows.Close()
			scan = append(scan, time.Since(t0))
			if _, err := admin.Exec(ctx, `UPDATE checks SET alert_after = alert_after - 1000
				WHERE id IN (SELECT id FROM checks WHERE alert_after > 0 ORDER BY id OFFSET $1 LIMIT $2)`,
				i*movesPerRead, movesPerRead); err != nil {
				return nil, nil, 0, err
			}
			t0 = time.Now()
			err = db.Write(ctx, func(tx *store.Tx) error {
				ds, err := tx.TakeDeadlineMoves(ctx, 10000)
				taken = len(ds)
				return err
			})
			if err != nil {
				return nil, nil, 0, err
			}
			take = append(take, time.Since(t0))
		}
		return scan, take, taken, nil
	}
	row := func(checks int) error {
		// The runs left dead row versions behind, and the inserts below
		// moves: vacuum and clear them, so that every read starts clean.
		if _, err := admin.Exec(ctx, "DELETE FROM deadline_moves"); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, "VACUUM ANALYZE checks"); err != nil {
			return err
		}
		scan, take, taken, err := read()
		if err != nil {
			return err
		}
		fmt.Printf("| %d | %s | %s | %s | %s | %d |\n", checks, benchkit.Ms(benchkit.Percentile(scan, 50)), benchkit.Ms(slices.Max(scan)),
			benchkit.Ms(benchkit.Percentile(take, 50)), benchkit.Ms(slices.Max(take)), taken)
		return nil
	}
	fmt.Println("\n### The leader's deadline read, every second on a shared database")
	fmt.Println()
	fmt.Println("| checks in the table | scan before deadline_moves (median of 7) | slowest | take the moves (median of 7) | slowest | moves a take |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	var before int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM checks").Scan(&before); err != nil {
		return err
	}
	if err := row(before); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	if _, err := admin.Exec(ctx, `INSERT INTO checks (uuid, name, slug, schedule_every, grace, status, created_at, alert_after)
		SELECT 'scan-' || g, 'scan-' || g, 'scan-' || g, 3600000, 3600000, 'up', $1::bigint, $1::bigint + g * 3600000 / $2::bigint
		FROM generate_series(1, $2::bigint) g`, now, n); err != nil {
		return fmt.Errorf("add checks: %w", err)
	}
	return row(before + n)
}

func modeName(global bool) string {
	if global {
		return "global"
	}
	return "shard"
}

// clearLeases removes the shard leases of the run before, so that each
// run starts with every shard free.
func clearLeases(ctx context.Context, admin *pgx.Conn) error {
	_, err := admin.Exec(ctx, "DELETE FROM leases WHERE name LIKE 'engine:%'")
	return err
}

// startLeaders starts n leaders and waits until every shard has one.
func startLeaders(ctx context.Context, s *sim, admin *pgx.Conn, n int) ([]*leader, error) {
	if err := clearLeases(ctx, admin); err != nil {
		return nil, err
	}
	var ls []*leader
	for i := range n {
		l, err := newLeader(ctx, s, i, n)
		if err != nil {
			stopLeaders(ls)
			return nil, err
		}
		ls = append(ls, l)
		l.start(ctx)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		held := 0
		for _, l := range ls {
			held += len(l.heldNow())
		}
		if held == len(s.shards) {
			return ls, nil
		}
		if time.Now().After(deadline) {
			stopLeaders(ls)
			return nil, fmt.Errorf("%d leaders hold %d of %d shards after 10 s", n, held, len(s.shards))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stopLeaders(ls []*leader) {
	for _, l := range ls {
		l.stop()
	}
	for _, l := range ls {
		l.close()
	}
}

// measure runs n leaders for warmup plus window and says what they did in
// the window, and what PostgreSQL did.
func measure(ctx context.Context, s *sim, admin *pgx.Conn, n int, warmup, window time.Duration) (sample, error) {
	smp := sample{global: s.global, leaders: n, waits: map[string]int{}}
	walBefore, err := walStats(ctx, admin)
	if err != nil {
		return smp, err
	}
	ls, err := startLeaders(ctx, s, admin, n)
	if err != nil {
		return smp, err
	}
	time.Sleep(warmup)
	pids, err := serverPIDs(ctx, admin)
	if err != nil {
		stopLeaders(ls)
		return smp, err
	}
	total := func() (p, c, f, e int64) {
		for _, l := range ls {
			p, c, f, e = p+l.pings.Load(), c+l.commits.Load(), f+l.fenced.Load(), e+l.failed.Load()
		}
		return
	}
	p0, c0, f0, e0 := total()
	pg0, sim0, all0 := cpuOf(pids), cpuOf([]int{os.Getpid()}), machineCPU()
	start := time.Now()
	for time.Since(start) < window {
		smp.waitSamples++
		if err := sampleWaits(ctx, admin, smp.waits); err != nil {
			stopLeaders(ls)
			return smp, err
		}
		time.Sleep(25 * time.Millisecond)
	}
	p1, c1, f1, e1 := total()
	smp.window = time.Since(start)
	smp.pgCPU, smp.simCPU, smp.machineCPU = cpuOf(pids)-pg0, cpuOf([]int{os.Getpid()})-sim0, machineCPU()-all0
	smp.pings, smp.commits, smp.fenced, smp.failed = p1-p0, c1-c0, f1-f0, e1-e0
	for _, l := range ls {
		if e, ok := l.lastErr.Load().(string); ok {
			smp.lastErr = e
		}
	}
	stopLeaders(ls)
	smp.allPings, smp.allCommit, _, _ = total()
	// A server process adds its WAL counters to pg_stat_wal when it exits
	// or at most once a second: give them that second.
	time.Sleep(1100 * time.Millisecond)
	walAfter, err := walStats(ctx, admin)
	if err != nil {
		return smp, err
	}
	smp.walSyncs, smp.walBytes = walAfter.syncs-walBefore.syncs, walAfter.bytes-walBefore.bytes
	return smp, nil
}

// wal is what pg_stat_wal counts: WAL syncs to disk and bytes of WAL.
type wal struct{ syncs, bytes int64 }

func walStats(ctx context.Context, admin *pgx.Conn) (wal, error) {
	var w wal
	err := admin.QueryRow(ctx, "SELECT wal_sync, wal_bytes::bigint FROM pg_stat_wal").Scan(&w.syncs, &w.bytes)
	return w, err
}

// serverPIDs lists PostgreSQL's processes: the server processes of every
// connection and the background ones (WAL writer, checkpointer, ...).
func serverPIDs(ctx context.Context, admin *pgx.Conn) ([]int, error) {
	rows, err := admin.Query(ctx, "SELECT pid FROM pg_stat_activity")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// cpuOf is the CPU time the processes used so far; gone ones count zero.
func cpuOf(pids []int) time.Duration {
	var sum time.Duration
	for _, pid := range pids {
		if d, err := benchkit.ProcCPU(pid); err == nil {
			sum += d
		}
	}
	return sum
}

// machineCPU is the CPU time every core of the machine has spent busy so
// far, from the first line of /proc/stat (in USER_HZ ticks, 100 a second).
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * (time.Second / 100)
}

// sampleWaits counts what each leader's server process is doing now: on
// the CPU, waiting for a lock or for the WAL, or waiting for the leader
// (its next statement).
func sampleWaits(ctx context.Context, admin *pgx.Conn, into map[string]int) error {
	rows, err := admin.Query(ctx, `SELECT CASE WHEN state = 'active' THEN COALESCE(wait_event_type || ':' || wait_event, 'CPU')
		ELSE 'waiting for the leader' END FROM pg_stat_activity WHERE application_name = $1`, appName)
	if err != nil {
		return err
	}
	what, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, w := range what {
		into[w]++
	}
	return nil
}

func printSamples(samples []sample, levels []int) {
	fmt.Println("### Every run")
	fmt.Println()
	fmt.Println("CPU is a share of one core over the measured window; the machine has 2. Commits per WAL sync and WAL bytes per ping cover the whole run, warm-up included.")
	fmt.Println()
	fmt.Println("| mode | leaders | rep | pings/s | commits/s | PostgreSQL CPU | this program's CPU | other processes' CPU | commits per WAL sync | WAL bytes per ping | leaders' server processes (share of samples) | fenced | failed |")
	fmt.Println("|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|")
	for _, smp := range samples {
		other := max(0, smp.machineCPU-smp.pgCPU-smp.simCPU)
		fmt.Printf("| %s | %d | %d | %.0f | %.0f | %.0f%% | %.0f%% | %.0f%% | %s | %s | %s | %d | %d |\n", modeName(smp.global), smp.leaders, smp.rep,
			smp.pingsPerSec(), smp.commitsPerSec(), pct(smp.pgCPU, smp.window), pct(smp.simCPU, smp.window), pct(other, smp.window),
			perSync(smp), walPerPing(smp), waitShares(smp), smp.fenced, smp.failed)
	}
	for _, smp := range samples {
		if smp.lastErr != "" {
			fmt.Printf("\n%s, %d leaders, rep %d, last error: %s\n", modeName(smp.global), smp.leaders, smp.rep, smp.lastErr)
		}
	}
	fmt.Println()
	fmt.Println("### Medians over the repetitions")
	fmt.Println()
	fmt.Println("| leaders | global lock pings/s | against 1 leader | shard locks pings/s | against 1 leader | shard / global |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|")
	med := func(global bool, n int) float64 {
		var xs []float64
		for _, smp := range samples {
			if smp.global == global && smp.leaders == n {
				xs = append(xs, smp.pingsPerSec())
			}
		}
		return middle(xs)
	}
	g1, s1 := med(true, levels[0]), med(false, levels[0])
	for _, n := range levels {
		g, sh := med(true, n), med(false, n)
		fmt.Printf("| %d | %.0f | %s | %.0f | %s | %s |\n", n, g, ratio(g, g1), sh, ratio(sh, s1), ratio(sh, g))
	}
	fmt.Println()
}

// ratio is a/b, or "-" when b was not measured.
func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// middle is the median of xs.
func middle(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func pct(d, of time.Duration) float64 { return 100 * d.Seconds() / of.Seconds() }

func perSync(smp sample) string {
	if smp.walSyncs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(smp.allCommit)/float64(smp.walSyncs))
}

func walPerPing(smp sample) string {
	if smp.allPings == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(smp.walBytes)/float64(smp.allPings))
}

// waitShares lists the three commonest states of the sampled server
// processes, with their shares.
func waitShares(smp sample) string {
	total := 0
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range smp.waits {
		all = append(all, kv{k, v})
		total += v
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	var parts []string
	for i, e := range all {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f%%", e.k, 100*float64(e.v)/float64(total)))
	}
	return strings.Join(parts, ", ")
}

// fenceResult is what the fencing check saw.
type fenceResult struct {
	stalled, taker string
	shards         []int // the stalled leader's
	takeover       time.Duration
	takerCommits   int64 // the taker's commits on those shards before the stale writes
	attempts       int
	refused        int
	committed      int
	otherErrs      int
	storedAfter    int64 // pings stored under the stale tokens after the wake
	lastErr        string
	before, after  []store.Lease
}

// fenceCheck runs two leaders, stalls the first past its leases (its loops
// stop without giving the leases up, as a frozen process's would), waits
// until the second has taken its shards and written to them, then has the
// first wake and write under the tokens it still believes in.
func fenceCheck(ctx context.Context, s *sim, admin *pgx.Conn, stale int) (fenceResult, error) {
	var fr fenceResult
	ls, err := startLeaders(ctx, s, admin, 2)
	if err != nil {
		return fr, err
	}
	defer stopLeaders(ls)
	a, b := ls[0], ls[1]
	fr.stalled, fr.taker = a.name, b.name
	time.Sleep(time.Second)
	if a.commits.Load() == 0 || b.commits.Load() == 0 {
		return fr, fmt.Errorf("fencing check: the leaders did not write (%d, %d commits)", a.commits.Load(), b.commits.Load())
	}
	if fr.before, err = s.db.Leases(ctx); err != nil {
		return fr, err
	}
	a.stop()
	stalledAt := time.Now()
	old := a.heldNow()
	for k := range old {
		fr.shards = append(fr.shards, k)
	}
	sort.Ints(fr.shards)
	takerCommits := func() int64 {
		var n int64
		for _, k := range fr.shards {
			n += b.commitsOnShards[k].Load()
		}
		return n
	}
	before := takerCommits()
	deadline := time.Now().Add(10 * s.ttl)
	for len(b.heldNow()) < len(s.shards) {
		if time.Now().After(deadline) {
			return fr, fmt.Errorf("fencing check: %s took %d of %d shards", b.name, len(b.heldNow()), len(s.shards))
		}
		time.Sleep(5 * time.Millisecond)
	}
	fr.takeover = time.Since(stalledAt)
	for takerCommits() == before {
		if time.Now().After(deadline) {
			return fr, errors.New("fencing check: the taker did not write to the shards it took")
		}
		time.Sleep(5 * time.Millisecond)
	}
	fr.takerCommits = takerCommits() - before
	a.close()
	if err := a.connect(ctx); err != nil {
		return fr, err
	}
	woke := time.Now().UnixMilli()
	for i := range stale {
		k := fr.shards[i%len(fr.shards)]
		fr.attempts++
		n, err := a.write(ctx, k, old[k])
		switch {
		case errors.Is(err, errFenced):
			fr.refused++
		case err != nil:
			fr.otherErrs++
			fr.lastErr = err.Error()
		case n > 0:
			fr.committed++
		}
	}
	var markers []string
	for _, f := range old {
		markers = append(markers, marker(f))
	}
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pings WHERE user_agent = ANY($1) AND at >= $2", markers, woke).
		Scan(&fr.storedAfter); err != nil {
		return fr, err
	}
	fr.after, err = s.db.Leases(ctx)
	return fr, err
}

func (fr fenceResult) print(ttl, every time.Duration) {
	fmt.Println("### Fencing: a leader stalls past its leases")
	fmt.Println()
	fmt.Printf("%s stopped renewing and writing (without giving its leases up) while leading shards %v. %s held every shard %.0f ms later (lease %s, renewals every %s) and committed %d transactions on the taken shards. Then %s woke and tried %d writes under the leases it held before:\n\n",
		fr.stalled, fr.shards, fr.taker, float64(fr.takeover)/float64(time.Millisecond), ttl, every, fr.takerCommits, fr.stalled, fr.attempts)
	fmt.Println("| stale writes tried | refused by the fence | committed | other errors | pings stored under the old tokens since the wake |")
	fmt.Println("|---:|---:|---:|---:|---:|")
	fmt.Printf("| %d | %d | %d | %d | %d |\n\n", fr.attempts, fr.refused, fr.committed, fr.otherErrs, fr.storedAfter)
	fmt.Println("| lease | holder, token before | holder, token after |")
	fmt.Println("|:---|:---|:---|")
	after := map[string]store.Lease{}
	for _, l := range fr.after {
		after[l.Name] = l
	}
	for _, l := range fr.before {
		if !strings.HasPrefix(l.Name, "engine:") {
			continue
		}
		fmt.Printf("| %s | %s, %d | %s, %d |\n", l.Name, l.Holder, l.Token, after[l.Name].Holder, after[l.Name].Token)
	}
	if fr.lastErr != "" {
		fmt.Printf("\nLast other error: %s\n", fr.lastErr)
	}
	if fr.committed == 0 && fr.storedAfter == 0 && fr.refused == fr.attempts {
		fmt.Println("\nFencing held: every stale write was refused, none stored.")
	} else {
		fmt.Println("\nFENCING FAILED: a stale write was not refused.")
	}
}

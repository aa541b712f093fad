package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// contract is what the rest of Tocsin relies on from a store. Every case
// runs against SQLite and against PostgreSQL, each on a fresh database.
var contract = []struct {
	name string
	run  func(t *testing.T, db *DB, clk *clock.Fake)
}{
	{"SyncChecks", testSyncChecks},
	{"CheckStateAndPings", testCheckStateAndPings},
	{"WritesAreSerialized", testWritesAreSerialized},
	{"PanicInWriteRollsBack", testPanicInWriteRollsBack},
	{"IncidentsAndTimeline", testIncidentsAndTimeline},
	{"ProbeRollups", testProbeRollups},
	{"AlertRoundTrip", testAlertRoundTrip},
	{"SyncSilences", testSyncSilences},
	{"ClaimsAreExclusive", testClaimsAreExclusive},
	{"ConcurrentClaimsAreDisjoint", testConcurrentClaimsAreDisjoint},
	{"DeadMembersClaimsAreTaken", testDeadMembersClaimsAreTaken},
	{"LeasesAndFencing", testLeasesAndFencing},
	{"ManyPingsInOneBatch", testManyPingsInOneBatch},
	{"PruneMemberLeases", testPruneMemberLeases},
	{"SaveCheckStates", testSaveCheckStates},
	{"ProbeWrite", testProbeWrite},
	{"ConfigStateAndAuditLog", testConfigStateAndAuditLog},
	{"AlertsByKeys", testAlertsByKeys},
	{"UnresolvedAlerts", testUnresolvedAlerts},
	{"NextDue", testNextDue},
	{"EscalationQueries", testEscalationQueries},
	{"CheckIncidentQueries", testCheckIncidentQueries},
	{"AlertGroupQueries", testAlertGroupQueries},
	{"AlertSuppressionQueries", testAlertSuppressionQueries},
	{"SilenceLifecycle", testSilenceLifecycle},
	{"APITokens", testAPITokens},
	{"AuditEvents", testAuditEvents},
	{"LoginsAndSessions", testLoginsAndSessions},
	{"StatusPages", testStatusPages},
	{"StatusHistory", testStatusHistory},
	{"ScheduleOverrides", testScheduleOverrides},
	{"CheckTags", testCheckTags},
	{"APIChecks", testAPIChecks},
	{"CreateChecks", testCreateChecks},
	{"ReportRows", testReportRows},
	{"DeadlineMoves", testDeadlineMoves},
	{"RoundBatches", testRoundBatches},
}

var contractStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestContract(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		for _, c := range contract {
			t.Run(c.name, func(t *testing.T) {
				clk := clock.NewFake(contractStart)
				db, err := Open(context.Background(), t.TempDir()+"/t.db", Options{Clock: clk})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				c.run(t, db, clk)
			})
		}
	})
	t.Run("postgres", func(t *testing.T) {
		srv := pgtest.Start(t)
		for _, c := range contract {
			t.Run(c.name, func(t *testing.T) {
				clk := clock.NewFake(contractStart)
				db, err := Open(context.Background(), srv.NewDatabase(t), Options{Clock: clk})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if !db.Shared() {
					t.Fatal("a PostgreSQL store says it is not shared")
				}
				c.run(t, db, clk)
			})
		}
	})
}

// members makes each name a live member (it holds its member lease for an
// hour), as every running process is: its claims are its own.
func members(t *testing.T, db *DB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := db.AcquireLease(context.Background(), "member:"+n, n, time.Hour, false); err != nil {
			t.Fatal(err)
		}
	}
}

func createCheck(t *testing.T, db *DB, name string) *tocsin.Check {
	t.Helper()
	ctx := context.Background()
	var uuid string
	if err := db.Write(ctx, func(tx *Tx) error {
		var err error
		uuid, err = tx.CreateCheck(ctx, CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Minute})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c, err := db.CheckByUUID(ctx, uuid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCheckStateAndPings(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	c := createCheck(t, db, "backup")
	stale := *c
	now := clk.Now()
	c.Status, c.LastPingAt, c.AlertAfter, c.Pings = tocsin.StateUp, now, now.Add(time.Hour+time.Minute), 1
	exit := 3
	pings := []*tocsin.Ping{
		{CheckID: c.ID, N: 1, At: now, Kind: tocsin.PingSuccess, Method: "GET", RemoteAddr: "10.0.0.1", Scheme: "https", UserAgent: "curl/8"},
		{CheckID: c.ID, N: 2, At: now.Add(time.Second), Kind: tocsin.PingFail, ExitStatus: &exit, Body: []byte("disk full\x00\xff"), Truncated: true,
			Duration: 1500 * time.Millisecond},
	}
	if err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.SaveCheckState(ctx, c); err != nil {
			return err
		}
		return tx.InsertPings(ctx, pings)
	}); err != nil {
		t.Fatal(err)
	}
	// A copy read before that write is refused, and changes nothing.
	stale.Status = tocsin.StateDown
	err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckState(ctx, &stale) })
	if !errors.Is(err, ErrStale) {
		t.Fatalf("stale save: %v", err)
	}
	got, err := db.CheckByUUID(ctx, c.UUID)
	if err != nil || got.Status != tocsin.StateUp || !got.LastPingAt.Equal(now) || got.Pings != 1 {
		t.Fatalf("stored check %+v, %v", got, err)
	}
	stored, err := db.Pings(ctx, c.ID, 10)
	if err != nil || len(stored) != 2 {
		t.Fatalf("pings %d, %v", len(stored), err)
	}
	p := stored[0] // newest first
	if p.N != 2 || p.Kind != tocsin.PingFail || p.ExitStatus == nil || *p.ExitStatus != 3 || string(p.Body) != "disk full\x00\xff" ||
		!p.Truncated || p.Duration != 1500*time.Millisecond || stored[1].ExitStatus != nil || stored[1].UserAgent != "curl/8" {
		t.Fatalf("pings read back %+v / %+v", p, stored[1])
	}
	ds, err := db.Deadlines(ctx)
	if err != nil || len(ds) != 1 || ds[0].CheckID != c.ID || !ds[0].At.Equal(c.AlertAfter) {
		t.Fatalf("deadlines %+v, %v", ds, err)
	}
	if n, err := db.PingCount(ctx, c.ID); err != nil || n != 2 {
		t.Fatalf("ping count %d, %v", n, err)
	}
}

// testWritesAreSerialized runs read-modify-write transactions from many
// goroutines: none may see a row another has changed since (ErrStale), and
// none of the increments is lost.
func testWritesAreSerialized(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	c := createCheck(t, db, "counter")
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errs <- db.Write(ctx, func(tx *Tx) error {
					cur, err := tx.CheckByID(ctx, c.ID)
					if err != nil {
						return err
					}
					cur.Pings++
					return tx.SaveCheckState(ctx, cur)
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.CheckByUUID(ctx, c.UUID)
	if err != nil || got.Pings != workers*each {
		t.Fatalf("pings %d after %d increments, %v", got.Pings, workers*each, err)
	}
}

func testIncidentsAndTimeline(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	var id, entryID int64
	if err := db.Write(ctx, func(tx *Tx) error {
		in := &tocsin.Incident{Title: "Latency", Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "api", GroupKey: "g1",
			Priority: tocsin.P2, PageAt: now.Add(30 * time.Second)}
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		id = in.ID
		e := &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: "opened", Actor: "system",
			Message: "opened", Data: []byte(`{"n":1}`)}
		err := tx.AppendTimeline(ctx, e)
		entryID = e.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A second open incident of the same group is a conflict, and the
	// transaction that tried it leaves nothing behind.
	err := db.Write(ctx, func(tx *Tx) error {
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: id, At: now, Kind: "note", Actor: "x", Message: "lost"}); err != nil {
			return err
		}
		return tx.CreateIncident(ctx, &tocsin.Incident{Title: "again", Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "api", GroupKey: "g1"})
	})
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("second open incident of a group: %v", err)
	}
	in, err := db.Incident(ctx, id)
	if err != nil || in.Title != "Latency" || in.Priority != tocsin.P2 || !in.PageAt.Equal(now.Add(30*time.Second)) ||
		len(in.Timeline) != 1 || string(in.Timeline[0].Data) != `{"n":1}` || id == 0 || in.Timeline[0].ID != entryID {
		t.Fatalf("incident %+v, %v", in, err)
	}
	if at, err := db.NextPageAt(ctx); err != nil || !at.Equal(now.Add(30*time.Second)) {
		t.Fatalf("next page at %v, %v", at, err)
	}
	if err := db.Write(ctx, func(tx *Tx) error {
		due, err := tx.IncidentsToPage(ctx, now.Add(time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].ID != id {
			return fmt.Errorf("due pages %d, %v", len(due), err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testProbeRollups(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	c := createCheck(t, db, "probe")
	now := clk.Now()
	if err := db.Write(ctx, func(tx *Tx) error {
		for i, ok := range []bool{true, false, true} {
			r := ProbeResult{At: now.Add(time.Duration(i) * time.Minute), OK: ok, Latency: 20 * time.Millisecond, Class: "http"}
			if err := tx.InsertProbeResult(ctx, c.ID, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Rollups(ctx, c.ID, "hour", now.Add(-time.Hour))
	if err != nil || len(rs) != 1 {
		t.Fatalf("rollups %+v, %v", rs, err)
	}
	if rs[0].Runs != 3 || rs[0].OKRuns != 2 {
		t.Fatalf("rollup %+v", rs[0])
	}
}

func enqueue(t *testing.T, db *DB, n int, channels ...string) {
	t.Helper()
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *Tx) error {
		for i := range n {
			ch := channels[i%len(channels)]
			if _, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: fmt.Sprintf("k%d", i), Channel: ch, Event: "e",
				Payload: []byte(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// testConcurrentClaimsAreDisjoint has four claimers take rows at once, as
// four replicas' dispatchers do: each row is claimed exactly once. Each
// claimer is a live member (holds its member lease), as replicas are; the
// rows of a claimer without one would be fair game.
func testConcurrentClaimsAreDisjoint(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	enqueue(t, db, 200, "a", "b", "c", "d")
	members(t, db, "replica-0", "replica-1", "replica-2", "replica-3")
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		owner := fmt.Sprintf("replica-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := db.ClaimDue(ctx, owner, time.Minute, 7, 100, nil)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, n := range got {
					if prev, ok := seen[n.ID]; ok {
						errs <- fmt.Errorf("row %d claimed by %s and %s", n.ID, prev, owner)
					}
					seen[n.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 200 {
		t.Fatalf("%d of 200 rows claimed", len(seen))
	}
}

// testDeadMembersClaimsAreTaken: the claims of a process whose member
// lease lapsed go to another at once, not when the claim itself lapses.
func testDeadMembersClaimsAreTaken(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	enqueue(t, db, 3, "a")
	if _, err := db.AcquireLease(ctx, "member:one", "one", 10*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcquireLease(ctx, "member:two", "two", 10*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ClaimDue(ctx, "one", 10*time.Minute, 10, 10, nil); err != nil || len(got) != 3 {
		t.Fatalf("one claimed %d, %v", len(got), err)
	}
	if got, _ := db.ClaimDue(ctx, "two", 10*time.Minute, 10, 10, nil); len(got) != 0 {
		t.Fatalf("two took %d rows of a live process", len(got))
	}
	clk.Advance(11 * time.Second)
	if _, err := db.AcquireLease(ctx, "member:two", "two", 10*time.Second, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.ClaimDue(ctx, "one", 10*time.Minute, 10, 10, nil); len(got) != 0 {
		t.Fatalf("one claimed its own claimed rows again")
	}
	if got, err := db.ClaimDue(ctx, "two", 10*time.Minute, 10, 10, nil); err != nil || len(got) != 3 {
		t.Fatalf("two took %d rows of a dead process, %v", len(got), err)
	}
}

// testPruneMemberLeases: member leases lapsed long ago go, live ones and
// the engine lease stay.
func testPruneMemberLeases(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	members(t, db, "gone")
	if _, err := db.AcquireLease(ctx, "engine", "gone", time.Hour, false); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Hour)
	members(t, db, "live")
	n, err := db.PruneMemberLeases(ctx, clk.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	ls, err := db.Leases(ctx)
	if err != nil || len(ls) != 2 || ls[0].Name != "engine" || ls[1].Name != "member:live" {
		t.Fatalf("leases after pruning: %+v, %v", ls, err)
	}
}

func testLeasesAndFencing(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	const ttl = 10 * time.Second
	a, err := db.AcquireLease(ctx, "engine", "a", ttl, false)
	if err != nil || a.Holder != "a" || a.Token != 1 {
		t.Fatalf("first acquire %+v, %v", a, err)
	}
	if b, err := db.AcquireLease(ctx, "engine", "b", ttl, false); err != nil || b.Holder != "a" {
		t.Fatalf("b took a live lease: %+v, %v", b, err)
	}
	fencedA := WithFence(ctx, a)
	write := func(ctx context.Context, name string) error {
		return db.Write(ctx, func(tx *Tx) error {
			_, err := tx.CreateCheck(ctx, CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour}})
			return err
		})
	}
	if err := write(fencedA, "by-a"); err != nil {
		t.Fatalf("the holder's fenced write: %v", err)
	}
	clk.Advance(5 * time.Second)
	if r, err := db.AcquireLease(ctx, "engine", "a", ttl, false); err != nil || r.Token != 1 || !r.ExpiresAt.Equal(clk.Now().Add(ttl)) {
		t.Fatalf("renewal %+v, %v", r, err)
	}
	clk.Advance(ttl + time.Second)
	b, err := db.AcquireLease(ctx, "engine", "b", ttl, false)
	if err != nil || b.Holder != "b" || b.Token != 2 {
		t.Fatalf("takeover after the lease lapsed: %+v, %v", b, err)
	}
	// a, late, still believes it leads: its writes are refused and change nothing.
	if err := write(fencedA, "stale"); !errors.Is(err, ErrFenced) {
		t.Fatalf("stale leader's write: %v", err)
	}
	checks, _ := db.Checks(ctx)
	if len(checks) != 1 {
		t.Fatalf("%d checks: the fenced write left something", len(checks))
	}
	if r, _ := db.AcquireLease(ctx, "engine", "a", ttl, false); r.Holder != "b" {
		t.Fatalf("a renewed b's lease: %+v", r)
	}
	if err := write(WithFence(ctx, b), "by-b"); err != nil {
		t.Fatalf("new holder's write: %v", err)
	}
	// A clean shutdown hands over at once; force takes a live lease.
	if err := db.ReleaseLease(ctx, "engine", "b"); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.AcquireLease(ctx, "engine", "c", ttl, false); c.Holder != "c" || c.Token != 3 {
		t.Fatalf("after release: %+v", c)
	}
	if d, _ := db.AcquireLease(ctx, "engine", "d", ttl, true); d.Holder != "d" || d.Token != 4 {
		t.Fatalf("forced: %+v", d)
	}
	ls, err := db.Leases(ctx)
	if err != nil || len(ls) != 1 || ls[0].Holder != "d" {
		t.Fatalf("leases %+v, %v", ls, err)
	}
}

// testManyPingsInOneBatch stores a large batch of pings in one
// transaction, as a busy group commit does, with and without exit status.
func testManyPingsInOneBatch(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	c := createCheck(t, db, "busy")
	const n = 300
	var pings []*tocsin.Ping
	for i := range n {
		p := &tocsin.Ping{CheckID: c.ID, N: int64(i + 1), At: clk.Now().Add(time.Duration(i) * time.Millisecond),
			Kind: tocsin.PingSuccess, Body: []byte(fmt.Sprintf("ping %d", i+1)), Method: "POST"}
		if i%3 > 0 { // and no exit status for every third
			exit := i % 7
			p.ExitStatus = &exit
		}
		pings = append(pings, p)
	}
	if err := db.Write(ctx, func(tx *Tx) error { return tx.InsertPings(ctx, pings) }); err != nil {
		t.Fatal(err)
	}
	got, err := db.Pings(ctx, c.ID, 1000)
	if err != nil || len(got) != n {
		t.Fatalf("%d pings read back, want %d: %v", len(got), n, err)
	}
	for _, p := range got { // newest first
		i := int(p.N - 1)
		if want := fmt.Sprintf("ping %d", p.N); string(p.Body) != want || (p.ExitStatus == nil) != (i%3 == 0) ||
			(p.ExitStatus != nil && *p.ExitStatus != i%7) {
			t.Fatalf("ping %d: body %q, exit %v", p.N, p.Body, p.ExitStatus)
		}
	}
}

// testSaveCheckStates saves several checks read in one query, and refuses
// the whole save when one of them changed since.
func testSaveCheckStates(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	a, b := createCheck(t, db, "a"), createCheck(t, db, "b")
	var read []*tocsin.Check
	if err := db.Write(ctx, func(tx *Tx) error {
		var err error
		read, err = tx.ChecksByUUIDs(ctx, []string{a.UUID, b.UUID, "00000000-0000-4000-8000-000000000000"})
		if err != nil || len(read) != 2 {
			return fmt.Errorf("read %d checks: %v", len(read), err)
		}
		for _, c := range read {
			c.Status, c.Pings, c.LastPingAt, c.AlertAfter = tocsin.StateUp, 7, clk.Now(), clk.Now().Add(time.Hour)
		}
		return tx.SaveCheckStates(ctx, read)
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*tocsin.Check{a, b} {
		got, err := db.CheckByUUID(ctx, c.UUID)
		if err != nil || got.Status != tocsin.StateUp || got.Pings != 7 || got.Version != c.Version+1 {
			t.Fatalf("%s after the save: %+v, %v", c.Name, got, err)
		}
	}
	// The copy of b read above is current (its version advanced with the
	// save); the copy of a made before it is not.
	fresh := read[0]
	if fresh.UUID != b.UUID {
		fresh = read[1]
	}
	version := fresh.Version
	a.Pings = 99
	err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckStates(ctx, []*tocsin.Check{fresh, a}) })
	if !errors.Is(err, ErrStale) {
		t.Fatalf("saving a stale copy: %v, want ErrStale", err)
	}
	if got, _ := db.CheckByUUID(ctx, b.UUID); got.Version != version || fresh.Version != version {
		t.Fatalf("a refused save moved b: stored version %d, copy %d, want %d", got.Version, fresh.Version, version)
	}

	// More checks than one statement saves on SQLite (64+4+2), the stale
	// one last: the whole save is refused, and no copy's version moves.
	var many []*tocsin.Check
	for i := range 70 {
		c := createCheck(t, db, fmt.Sprintf("many-%02d", i))
		c.Pings = int64(i + 1)
		many = append(many, c)
	}
	created := many[0].Version // every check's, as each was made by one insert
	many = append(many, a)
	err = db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckStates(ctx, many) })
	if !errors.Is(err, ErrStale) || many[0].Version != created || many[69].Version != created {
		t.Fatalf("saving 70 checks and a stale copy: %v, copies at versions %d and %d, want ErrStale and %d", err,
			many[0].Version, many[69].Version, created)
	}
	many = many[:70]
	if err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckStates(ctx, many) }); err != nil {
		t.Fatal(err)
	}
	for i, c := range many {
		got, err := db.CheckByUUID(ctx, c.UUID)
		if err != nil || got.Pings != int64(i+1) || got.Version != created+1 || c.Version != created+1 {
			t.Fatalf("%s after the save: %d pings, version %d (copy %d), %v", c.Name, got.Pings, got.Version, c.Version, err)
		}
	}
}

// testDeadlineMoves: on PostgreSQL a write that sets a check's deadline
// where it had none, or moves it earlier, leaves a move for the engine's
// leader to take, once; a move later leaves none. SQLite has no moves.
func testDeadlineMoves(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	take := func(limit int) []Deadline {
		t.Helper()
		var ds []Deadline
		if err := db.Write(ctx, func(tx *Tx) error {
			var err error
			ds, err = tx.TakeDeadlineMoves(ctx, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return ds
	}
	save := func(c *tocsin.Check) {
		t.Helper()
		if err := db.Write(ctx, func(tx *Tx) error { return tx.SaveCheckState(ctx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	want := func(ds []Deadline, c *tocsin.Check, at time.Time) {
		t.Helper()
		if !db.Shared() {
			if len(ds) != 0 {
				t.Fatalf("SQLite took moves %+v", ds)
			}
			return
		}
		if len(ds) != 1 || ds[0].CheckID != c.ID || !ds[0].At.Equal(at) {
			t.Fatalf("moves %+v, want check %d at %s", ds, c.ID, at)
		}
	}
	now := clk.Now()
	a := createCheck(t, db, "a") // no deadline until its first ping
	if ds := take(10); len(ds) != 0 {
		t.Fatalf("a check without a deadline left moves %+v", ds)
	}
	a.Status, a.AlertAfter = tocsin.StateUp, now.Add(10*time.Minute)
	save(a)
	want(take(10), a, now.Add(10*time.Minute))
	if ds := take(10); len(ds) != 0 {
		t.Fatalf("moves taken twice: %+v", ds)
	}
	a.AlertAfter = now.Add(20 * time.Minute) // a ping: later
	save(a)
	if ds := take(10); len(ds) != 0 {
		t.Fatalf("a deadline moved later left moves %+v", ds)
	}
	a.AlertAfter = now.Add(5 * time.Minute) // a start, or a shorter schedule: earlier
	save(a)
	want(take(10), a, now.Add(5*time.Minute))
	a.ReopenAt = now.Add(time.Minute) // the other deadline, earlier still
	save(a)
	want(take(10), a, now.Add(time.Minute))

	// Taken a limit at a time.
	var moved []*tocsin.Check
	for _, name := range []string{"b", "c", "d"} {
		c := createCheck(t, db, name)
		c.Status, c.AlertAfter = tocsin.StateUp, now.Add(time.Hour)
		save(c)
		moved = append(moved, c)
	}
	first, second := take(2), take(2)
	if db.Shared() && (len(first) != 2 || len(second) != 1 || first[0].CheckID == second[0].CheckID || first[1].CheckID == second[0].CheckID) {
		t.Fatalf("taken 2 at a time: %+v then %+v, want the 3 moves of %d checks", first, second, len(moved))
	}
}

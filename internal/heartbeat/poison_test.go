package heartbeat

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/sanitize"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestPoisonedPingsLeaveGoodOnesStored sends 400 concurrent pings of which
// 1 in 10 carries a User-Agent and a client address that are not UTF-8
// (legal in HTTP, refused by PostgreSQL's text type): every ping is
// stored, the poisoned ones with U+FFFD where the bad bytes were, and
// none fails its batch. It calls the recorder directly, so it holds
// whatever the HTTP handler does to headers.
func TestPoisonedPingsLeaveGoodOnesStored(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPoisonedPings(t, t.TempDir()+"/t.db") })
	t.Run("postgres", func(t *testing.T) { testPoisonedPings(t, pgtest.Start(t).NewDatabase(t)) })
}

func testPoisonedPings(t *testing.T, dsn string) {
	db, rec, uuids := poisonRig(t, dsn, 40)
	ua, addr := "curl\xff\xfe/8", "10.0.0.1\x00\xc3"
	errs := pingAll(t, rec, uuids, 10, func(i int) tocsin.Ping {
		if i%10 == 9 {
			return tocsin.Ping{Kind: tocsin.PingSuccess, UserAgent: ua, RemoteAddr: addr, Method: "GET\xff"}
		}
		return tocsin.Ping{Kind: tocsin.PingSuccess, UserAgent: "curl/8", RemoteAddr: "10.0.0.2", Method: "GET"}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("ping %d: %v", i, err)
		}
	}
	ctx := context.Background()
	poisoned := 0
	for _, u := range uuids {
		c, err := db.CheckByUUID(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		pings, err := db.Pings(ctx, c.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(pings) != 10 {
			t.Fatalf("check %s: %d pings stored, want 10", u, len(pings))
		}
		for _, p := range pings {
			if p.UserAgent == sanitize.Text(ua) {
				poisoned++
				if p.RemoteAddr != sanitize.Text(addr) || p.Method != "GET\uFFFD" {
					t.Errorf("poisoned ping read back as %q %q", p.RemoteAddr, p.Method)
				}
			} else if p.UserAgent != "curl/8" {
				t.Errorf("user agent read back as %q", p.UserAgent)
			}
		}
	}
	if poisoned != 40 {
		t.Errorf("%d poisoned pings stored, want 40", poisoned)
	}
}

// TestRefusedPingFailsAlone makes the database refuse some pings whatever
// their text (a constraint added for the test, standing for any
// deterministic refusal): with 1 in 10 of 400 concurrent pings refused,
// every other ping is stored and answered OK, and each refused one hears
// an EInvalid error of its own rather than a retry.
func TestRefusedPingFailsAlone(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dsn := t.TempDir() + "/t.db"
		testRefusedPing(t, dsn, "sqlite", dsn, `CREATE TRIGGER refuse BEFORE INSERT ON pings
			WHEN NEW.user_agent = 'refused' BEGIN SELECT RAISE(ABORT, 'refused user agent'); END`)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Start(t).NewDatabase(t)
		testRefusedPing(t, dsn, "pgx", dsn, `ALTER TABLE pings ADD CONSTRAINT refuse CHECK (user_agent <> 'refused')`)
	})
}

func testRefusedPing(t *testing.T, dsn, driver, source, refuse string) {
	db, rec, uuids := poisonRig(t, dsn, 40)
	raw, err := sql.Open(driver, source)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(refuse); err != nil {
		t.Fatal(err)
	}
	errs := pingAll(t, rec, uuids, 10, func(i int) tocsin.Ping {
		if i%10 == 9 {
			return tocsin.Ping{Kind: tocsin.PingSuccess, UserAgent: "refused"}
		}
		return tocsin.Ping{Kind: tocsin.PingSuccess, UserAgent: "curl/8"}
	})
	for i, err := range errs {
		switch {
		case i%10 != 9 && err != nil:
			t.Errorf("good ping %d: %v", i, err)
		case i%10 == 9 && tocsin.ErrorCode(err) != tocsin.EInvalid:
			t.Errorf("refused ping %d: got %v, want an EInvalid error", i, err)
		}
	}
	n, err := db.PingCount(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 360 {
		t.Errorf("%d pings stored, want the 360 good ones", n)
	}
}

// poisonRig opens dsn with a running recorder and n checks.
func poisonRig(t testing.TB, dsn string, n int) (*store.DB, *Recorder, []string) {
	ctx, cancel := context.WithCancel(context.Background())
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	env := func() incident.Env { return incident.Env{PublicURL: "http://tocsin.test"} }
	rec := NewRecorder(db, clk, env, Hooks{}, testkit.Logger(), nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); rec.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait(); db.Close() })
	uuids := make([]string, n)
	if err := db.Write(ctx, func(tx *store.Tx) error {
		for i := range uuids {
			var err error
			if uuids[i], err = tx.CreateCheck(ctx, store.CheckDef{Name: fmt.Sprint("c", i), Slug: fmt.Sprint("c", i),
				Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour, Notify: []string{"ops"}}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return db, rec, uuids
}

// pingAll sends per pings to each check, all at once, ping i being
// ping(i), and returns each ping's error.
func pingAll(t *testing.T, rec *Recorder, uuids []string, per int, ping func(i int) tocsin.Ping) []error {
	t.Helper()
	errs := make([]error, len(uuids)*per)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := rec.Record(ctx, Request{UUID: uuids[i%len(uuids)], Ping: ping(i)})
			if err == nil && !res.Found {
				err = fmt.Errorf("check not found")
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return errs
}

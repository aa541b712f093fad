package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/pgtest"
)

// onBothStores runs test against a fresh SQLite file and a fresh
// PostgreSQL database (skipped, saying why, without PostgreSQL).
func onBothStores(t *testing.T, test func(t *testing.T, database string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "tocsin.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.Start(t).NewDatabase(t)) })
}

// startOn starts Tocsin with config on database.
func startOn(t *testing.T, config, database string) *server {
	t.Helper()
	in := newInstance(t, config)
	in.database = database
	return in.start()
}

// TestPoisonedPingsOverHTTP (issue 14, item 1): 400 concurrent pings, 1 in
// 10 with a User-Agent and an X-Forwarded-For holding bytes that are not
// UTF-8 (legal obs-text in HTTP), are all answered OK and all stored, on
// SQLite and on PostgreSQL, which refuses such bytes in text.
func TestPoisonedPingsOverHTTP(t *testing.T) {
	onBothStores(t, func(t *testing.T, database string) {
		const checks, per = 40, 10
		var cfg strings.Builder
		cfg.WriteString("checks:\n")
		uuids := make([]string, checks)
		for i := range uuids {
			uuids[i] = fmt.Sprintf("5e1f0000-0000-4000-8000-%012d", i)
			fmt.Fprintf(&cfg, "  - {name: c%d, uuid: %s, schedule: {every: 1h}, grace: 1h}\n", i, uuids[i])
		}
		s := startOn(t, cfg.String(), database)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
		codes := make([]int, checks*per)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "POST", s.base+"/ping/"+uuids[i%checks], strings.NewReader("ok"))
				if i%10 == 9 {
					req.Header.Set("User-Agent", "curl\xff\xfe/8")
					req.Header.Set("X-Forwarded-For", "10.0.0.\xff")
				}
				resp, err := client.Do(req)
				if err != nil {
					codes[i] = -1
					return
				}
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}()
		}
		wg.Wait()
		failed := 0
		for i, c := range codes {
			if c != http.StatusOK {
				failed++
				if failed <= 5 {
					t.Errorf("ping %d (poisoned %v): HTTP %d", i, i%10 == 9, c)
				}
			}
		}
		if failed > 0 {
			t.Fatalf("%d of %d pings not answered OK", failed, len(codes))
		}
		stored := int64(0)
		for _, u := range uuids {
			stored += s.check(u).Pings
		}
		if stored != checks*per {
			t.Errorf("%d pings stored, want %d", stored, checks*per)
		}
	})
}

// TestNULAlertBesideAGoodOne (issue 14, item 2): one Alertmanager delivery
// holds an alert whose summary and description carry NUL and a good
// alert; both are stored and paged, on SQLite and PostgreSQL, and the
// delivery is answered 200, once, not "retry" forever.
func TestNULAlertBesideAGoodOne(t *testing.T) {
	onBothStores(t, func(t *testing.T, database string) {
		rcv := newReceiver(t, map[string]string{"ops": "ops-secret"}, nil)
		cfg := `outbox: {backoff_base: 1s, backoff_max: 2s}
` + webhookChannels(rcv, "ops") + `services:
  - {name: payments, notify: [ops], group_by: [alertname], group_wait: 0s}
integrations:
  - {name: prom, type: alertmanager, key: "k-prom-poison-123", service: payments}
`
		s := startOn(t, cfg, database)
		body := `{"version":"4","groupKey":"{}:{}","status":"firing","receiver":"tocsin","alerts":[
		{"status":"firing","labels":{"alertname":"Poisoned","x":"a\u0000b"},
		 "annotations":{"summary":"disk\u0000full","description":"bad\u0000"},
		 "startsAt":"2026-01-01T00:00:00Z","fingerprint":"0000000000000001"},
		{"status":"firing","labels":{"alertname":"Good"},"annotations":{"summary":"good alert"},
		 "startsAt":"2026-01-01T00:00:00Z","fingerprint":"0000000000000002"}]}`
		if code, answer := post(t, s.base+"/ingest/alertmanager/k-prom-poison-123", "application/json", body); code != 200 {
			t.Fatalf("delivery: HTTP %d %s", code, answer)
		}
		var good, poisoned int64
		for _, in := range s.incidents("") {
			switch {
			case strings.Contains(in.Title, "good alert"):
				good = in.ID
			case strings.Contains(in.Title, "disk\uFFFDfull"):
				poisoned = in.ID
			}
		}
		if good == 0 || poisoned == 0 {
			t.Fatalf("incidents: %+v", s.incidents(""))
		}
		rcv.await(t, 20*time.Second, "ops", "incident.triggered", good)
		rcv.await(t, 20*time.Second, "ops", "incident.triggered", poisoned)
		rcv.checkNoProblems(t)
	})
}

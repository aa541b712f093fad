// Package alertingtest helps the ingest paths' tests take alerts through
// the real processor into the real stores, SQLite and (when installed)
// PostgreSQL, and read them back.
package alertingtest

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/pgtest"
	"github.com/tocsinhq/tocsin/internal/sanitize"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// Store is one database with a processor running on it.
type Store struct {
	Name string // "sqlite" or "postgres"
	DB   *store.DB
	P    *alerting.Processor
}

// Stores opens a SQLite database and, when PostgreSQL is installed, a
// PostgreSQL one (logging why not otherwise), each with a running
// processor whose one service, "svc", notifies "ops"; all closed when tb
// ends.
func Stores(tb testing.TB) []*Store {
	tb.Helper()
	dsns := []string{filepath.Join(tb.TempDir(), "t.db") + "?sync=normal"}
	names := []string{"sqlite"}
	if err := pgtest.Available(); err != nil {
		tb.Logf("PostgreSQL part skipped: %v", err)
	} else {
		dsns, names = append(dsns, pgtest.Start(tb).NewDatabase(tb)), append(names, "postgres")
	}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	policy := &alerting.Policy{Services: map[string]alerting.Service{"svc": {Name: "svc", Notify: []string{"ops"}}}}
	env := func() incident.Env {
		return incident.Env{PublicURL: "http://tocsin.test", HasChannel: func(string) bool { return true }}
	}
	var out []*Store
	for i, dsn := range dsns {
		ctx, cancel := context.WithCancel(context.Background())
		db, err := store.Open(ctx, dsn, store.Options{Clock: clk})
		if err != nil {
			cancel()
			tb.Fatal(err)
		}
		p := alerting.New(db, clk, env, func() *alerting.Policy { return policy }, testkit.Logger(), nil)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
		tb.Cleanup(func() { cancel(); wg.Wait(); db.Close() })
		out = append(out, &Store{Name: names[i], DB: db, P: p})
	}
	return out
}

// RoundTrip ingests alerts as one delivery of integration "in" into every
// store and checks what is read back: no error, every string storable
// (valid UTF-8, no NUL), and each alert's content equal to what was
// ingested.
func RoundTrip(t *testing.T, stores []*Store, alerts []tocsin.Alert) {
	t.Helper()
	for _, s := range stores {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := s.P.Ingest(ctx, alerting.Delivery{Integration: "in", Service: "svc", Alerts: alerts})
		cancel()
		if err != nil {
			t.Fatalf("%s: ingest: %v", s.Name, err)
		}
		for _, want := range alerts {
			var got *tocsin.AlertRecord
			if err := s.DB.Write(context.Background(), func(tx *store.Tx) (err error) {
				got, err = tx.AlertByKey(context.Background(), "in", want.Key)
				return err
			}); err != nil {
				t.Fatalf("%s: read back: %v", s.Name, err)
			}
			if got == nil {
				t.Fatalf("%s: alert %q not stored", s.Name, want.Key)
			}
			if diff := Diff(&want, &got.Alert); diff != "" {
				t.Fatalf("%s: alert %q read back differs: %s", s.Name, want.Key, diff)
			}
		}
	}
}

// Diff names the first string field in which got differs from want, or
// one of got's strings that is not storable; "" if none.
func Diff(want, got *tocsin.Alert) string {
	type field struct {
		name      string
		want, got string
	}
	fs := []field{{"key", want.Key, got.Key}, {"summary", want.Summary, got.Summary}, {"source", want.Source, got.Source},
		{"severity", want.Severity, got.Severity}, {"generator_url", want.GeneratorURL, got.GeneratorURL},
		{"details", string(want.Details), string(got.Details)},
		{"labels", fmt.Sprint(sorted(want.Labels)), fmt.Sprint(sorted(got.Labels))},
		{"annotations", fmt.Sprint(sorted(want.Annotations)), fmt.Sprint(sorted(got.Annotations))},
		{"links", fmt.Sprint(want.Links), fmt.Sprint(got.Links)}, {"images", fmt.Sprint(want.Images), fmt.Sprint(got.Images)}}
	for _, f := range fs {
		if f.want != f.got {
			return fmt.Sprintf("%s: got %q, want %q", f.name, f.got, f.want)
		}
		if !sanitize.Clean(f.got) {
			return fmt.Sprintf("%s: %q is not storable text", f.name, f.got)
		}
	}
	return ""
}

func sorted(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

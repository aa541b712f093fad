package heartbeat

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// BenchmarkRecord measures durable ping ingest without HTTP: concurrent
// pings through the group-commit recorder, spread over 10,000 checks and
// all on one check. The database and its checks are made once per
// sub-benchmark, outside the measured loop, so that a CPU profile shows
// the pings and not the set-up.
func BenchmarkRecord(b *testing.B) {
	for _, checks := range []int{10_000, 1} {
		for _, sync := range []string{"full", "normal"} {
			benchRecord(b, checks, sync)
		}
	}
}

func benchRecord(b *testing.B, checks int, sync string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, b.TempDir()+"/b.db?sync="+sync, store.Options{Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	uuids := make([]string, checks)
	err = db.Write(ctx, func(tx *store.Tx) error {
		for i := range uuids {
			if uuids[i], err = tx.CreateCheck(ctx, store.CheckDef{Name: fmt.Sprint("c", i), Slug: fmt.Sprint("c", i),
				Spec: tocsin.ScheduleSpec{Every: time.Hour}, Grace: time.Hour}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rec := NewRecorder(db, clock.Real{}, func() incident.Env { return incident.Env{} }, Hooks{}, testkit.Logger(), nil)
	go rec.Run(ctx)
	var n atomic.Int64
	b.Run(fmt.Sprintf("checks=%d/sync=%s", checks, sync), func(b *testing.B) {
		b.SetParallelism(32)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if _, err := rec.Record(ctx, Request{UUID: uuids[i%int64(checks)], Ping: tocsin.Ping{Kind: tocsin.PingSuccess, Method: "GET"}}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pings/s")
	})
}

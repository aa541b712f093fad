package alerting

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// BenchmarkIngest measures durable alert ingest without HTTP: deliveries
// of 10 new alerts, each a new group, through Run's group commit from 8
// and 32 concurrent senders, on SQLite with the default sync=full. Every
// delivery returns once it is on disk. It is the single writer's ceiling
// for Alertmanager's first deliveries (docs/benchmarks.md).
func BenchmarkIngest(b *testing.B) {
	for _, senders := range []int{8, 32} {
		b.Run("senders="+itoa(int64(senders)), func(b *testing.B) {
			f := newFixture(&testing.T{}, payments(30*time.Second))
			f.p.log = testkit.Logger()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { f.p.Run(ctx); close(done) }()
			b.Cleanup(func() { cancel(); <-done; f.db.Close() })
			var n atomic.Int64
			b.SetParallelism(max(1, senders/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					g := itoa(n.Add(1))
					alerts := make([]tocsin.Alert, 10)
					for i := range alerts {
						alerts[i] = firing(g+"-"+itoa(int64(i)), "app error", "alertname", "App", "cluster", "c"+g)
					}
					if _, err := f.p.Ingest(ctx, Delivery{Integration: "am", Service: "payments", Alerts: alerts}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

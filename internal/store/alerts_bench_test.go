package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// BenchmarkInsertAlerts stores new alerts of Alertmanager's size (8 labels,
// 3 annotations, two links) in transactions of 250, as a first delivery
// does; SQLite, default sync.
func BenchmarkInsertAlerts(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db, err := Open(ctx, b.TempDir()+"/t.db", Options{Clock: clock.NewFake(now)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	alert := func(n int) *tocsin.AlertRecord {
		labels := map[string]string{"alertname": "HighLatency", "cluster": "prod-eu-west-1-000", "namespace": "payments",
			"pod": fmt.Sprintf("payments-7f9c6d5b8d-%05d", n), "instance": fmt.Sprintf("10.16.%d.%d:8080", n/256%256, n%256),
			"job": "api", "severity": "warning", "team": "payments"}
		gen := "http://prometheus-k8s-0.monitoring.svc:9090/graph?g0.expr=histogram_quantile%280.99%2C+sum+by+%28le%29+%28rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29%29+%3E+2&g0.tab=1"
		return &tocsin.AlertRecord{Integration: "prometheus", Service: "payments", FirstSeenAt: now, LastSeenAt: now, Deliveries: 1,
			GroupKey: `{alertname="HighLatency",cluster="prod-eu-west-1-000"}`,
			Alert: tocsin.Alert{Key: fmt.Sprintf(`{}:{alertname="HighLatency", cluster="prod-eu-west-1-000"}/%016x`, n),
				Status: tocsin.AlertFiring, Summary: "p99 latency over 2s", Source: labels["instance"], Severity: "warning",
				Labels: labels, Annotations: map[string]string{"summary": "p99 latency over 2s",
					"description": "p99 request latency of " + labels["instance"] + " is 2.73s (threshold 2s).",
					"runbook_url": "https://runbooks.example.com/alerts/highlatency"},
				StartsAt: now.Add(-time.Minute), GeneratorURL: gen,
				Links: []tocsin.Link{{Href: gen, Text: "Source"}, {Href: "https://runbooks.example.com/alerts/highlatency", Text: "Runbook"}}}}
	}
	const perTx = 250
	n := 0
	b.ResetTimer()
	for b.Loop() {
		err := db.Write(ctx, func(tx *Tx) error {
			for range perTx {
				n++
				if err := tx.SaveAlert(ctx, alert(n)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/alert")
}

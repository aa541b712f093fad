package alerting

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/groupcommit"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestDeliveryAnsweredOnceSynced: Run commits a delivery without waiting
// for the disk and answers it only after the syncer's sync; a failed sync
// is the sender's error, though the alerts stay stored, and the retry
// updates them.
func TestDeliveryAnsweredOnceSynced(t *testing.T) {
	f := newFixture(t, payments(time.Minute))
	syncs := make(chan error)
	f.p.syncer = groupcommit.NewSyncer(func() error { return <-syncs }, testkit.Logger())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { f.p.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	ingest := func() chan error {
		out := make(chan error, 1)
		go func() {
			_, err := f.p.Ingest(ctx, Delivery{Integration: "am", Service: "payments",
				Alerts: []tocsin.Alert{firing("k1", "db down", "alertname", "DatabaseDown")}})
			out <- err
		}()
		return out
	}
	answered := ingest()
	testkit.Eventually(t, "the delivery committed", func() bool {
		return f.alert("am", "k1") != nil
	})
	select {
	case err := <-answered:
		t.Fatalf("answered before its sync: %v", err)
	default:
	}
	syncs <- errors.New("disk gone")
	if err := <-answered; err == nil || err.Error() != "disk gone" {
		t.Fatalf("error %v, want the sync's", err)
	}
	answered = ingest()
	syncs <- nil
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	if a := f.alert("am", "k1"); a.Deliveries != 2 {
		t.Fatalf("deliveries %d after the retry, want 2", a.Deliveries)
	}
}

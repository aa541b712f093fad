package store

import (
	"context"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// testUnresolvedAlerts: the alerts page's reads, the unresolved alerts
// newest first up to a limit, and one alert by id.
func testUnresolvedAlerts(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ids []int64
	err := db.Write(ctx, func(tx *Tx) error {
		for i, st := range []tocsin.AlertStatus{tocsin.AlertFiring, tocsin.AlertResolved, tocsin.AlertAcknowledged, tocsin.AlertFiring} {
			a := &tocsin.AlertRecord{Integration: "prometheus", Service: "payments", FirstSeenAt: now, LastSeenAt: now,
				Alert: tocsin.Alert{Key: string(rune('a' + i)), Status: st, Summary: "s", Labels: map[string]string{"n": string(rune('a' + i))}}}
			if err := tx.SaveAlert(ctx, a); err != nil {
				return err
			}
			ids = append(ids, a.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := db.UnresolvedAlerts(ctx, 10)
	if err != nil || len(list) != 3 || list[0].ID != ids[3] || list[1].ID != ids[2] || list[2].ID != ids[0] {
		t.Fatalf("unresolved: %v %v", list, err)
	}
	if list, err := db.UnresolvedAlerts(ctx, 2); err != nil || len(list) != 2 || list[0].ID != ids[3] {
		t.Errorf("unresolved, 2: %v %v", list, err)
	}
	a, err := db.AlertByID(ctx, ids[1])
	if err != nil || a.Status != tocsin.AlertResolved || a.Labels["n"] != "b" {
		t.Errorf("alert by id: %+v %v", a, err)
	}
	if _, err := db.AlertByID(ctx, 999); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Errorf("no such alert: %v", err)
	}
}

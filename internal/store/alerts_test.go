package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

func testAlertRoundTrip(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := &tocsin.AlertRecord{Integration: "prometheus", Service: "payments", FirstSeenAt: now, LastSeenAt: now, Deliveries: 1,
		Alert: tocsin.Alert{Key: "{}:{alertname=\"X\"}/0123abcd", Status: tocsin.AlertFiring, Summary: "X is high", Source: "db1",
			Severity: "critical", Labels: map[string]string{"alertname": "X"}, Annotations: map[string]string{"summary": "X is high"},
			StartsAt: now.Add(-time.Minute), GeneratorURL: "http://prom/graph", Links: []tocsin.Link{{Href: "http://prom/graph", Text: "Source"}},
			Details: json.RawMessage(`{"n":1}`)}}
	err := db.Write(ctx, func(tx *Tx) error {
		in := &tocsin.Incident{Title: "X", Status: tocsin.IncidentTriggered, OpenedAt: now, Service: "payments",
			GroupKey: `alertname="X"`, Priority: tocsin.P1, PageAt: now.Add(30 * time.Second)}
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		a.IncidentID, a.GroupKey = in.ID, in.GroupKey
		return tx.SaveAlert(ctx, a)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got *tocsin.AlertRecord
	db.Write(ctx, func(tx *Tx) error {
		got, err = tx.AlertByKey(ctx, "prometheus", a.Key)
		return err
	})
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, a)
	}
	if at, _ := db.NextPageAt(ctx); !at.Equal(now.Add(30 * time.Second)) {
		t.Errorf("next page at %v", at)
	}
	// A second open incident for the same group is refused.
	err = db.Write(ctx, func(tx *Tx) error {
		return tx.CreateIncident(ctx, &tocsin.Incident{Title: "X", Status: tocsin.IncidentTriggered, OpenedAt: now,
			Service: "payments", GroupKey: `alertname="X"`})
	})
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Errorf("second open incident of a group: %v", err)
	}
	// An alert stored before its incident is made its member after.
	b := *a
	b.ID, b.Key, b.IncidentID = 0, a.Key+"-b", 0
	err = db.Write(ctx, func(tx *Tx) error {
		if err := tx.SaveAlert(ctx, &b); err != nil {
			return err
		}
		if b.ID == 0 || b.ID == a.ID {
			t.Errorf("second alert's id %d (first %d)", b.ID, a.ID)
		}
		b.IncidentID = a.IncidentID
		return tx.SetAlertIncident(ctx, b.ID, a.IncidentID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if members, err := db.AlertsOfIncident(ctx, a.IncidentID); err != nil || len(members) != 2 ||
		!reflect.DeepEqual(members[0], a) || !reflect.DeepEqual(members[1], &b) {
		t.Errorf("members %+v, %v", members, err)
	}
	err = db.Write(ctx, func(tx *Tx) error {
		due, err := tx.IncidentsToPage(ctx, now.Add(29*time.Second), 10)
		if err != nil || len(due) != 0 {
			t.Errorf("due early: %v %v", due, err)
		}
		due, err = tx.IncidentsToPage(ctx, now.Add(30*time.Second), 10)
		if err != nil || len(due) != 1 || due[0].Priority != tocsin.P1 || due[0].Service != "payments" {
			t.Errorf("due: %+v %v", due, err)
		}
		open, err := tx.OpenIncidentForGroup(ctx, "payments", `alertname="X"`)
		if err != nil || open == nil {
			t.Errorf("open incident of group: %v %v", open, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testSyncSilences(t *testing.T, db *DB, _ *clock.Fake) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	weekly := tocsin.Silence{Name: "weekly", Matchers: []string{`service="payments"`}, Cron: "0 2 * * SUN",
		Duration: 2 * time.Hour, TZ: "Europe/Berlin"}
	fixed := tocsin.Silence{Name: "migration", Matchers: []string{`cluster="eu-1"`}, EndsAt: now.Add(time.Hour)}
	sync := func(defs ...tocsin.Silence) []int64 {
		t.Helper()
		var expired []int64
		if err := db.Write(ctx, func(tx *Tx) (err error) {
			expired, err = tx.SyncSilences(ctx, defs, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return expired
	}
	if exp := sync(weekly, fixed); len(exp) != 0 {
		t.Fatalf("expired on first sync: %v", exp)
	}
	live, _ := db.LiveSilences(ctx, now)
	if len(live) != 2 || live[0].Duration != 2*time.Hour || live[0].TZ != "Europe/Berlin" || live[0].ManagedBy != "config" {
		t.Fatalf("live: %+v", live)
	}
	if exp := sync(weekly, fixed); len(exp) != 0 {
		t.Fatalf("unchanged sync expired %v", exp)
	}
	weekly.Duration = 3 * time.Hour
	if exp := sync(weekly); len(exp) != 2 {
		t.Fatalf("changed weekly and removed migration: expired %v", exp)
	}
	live, _ = db.LiveSilences(ctx, now)
	if len(live) != 1 || live[0].Duration != 3*time.Hour {
		t.Fatalf("live after change: %+v", live)
	}
	// Fixed silences past their end are not live.
	if err := db.Write(ctx, func(tx *Tx) error {
		return tx.CreateSilence(ctx, &tocsin.Silence{ManagedBy: "api", Matchers: []string{`a="b"`}, StartsAt: now, EndsAt: now.Add(time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}
	if live, _ := db.LiveSilences(ctx, now.Add(2*time.Minute)); len(live) != 1 {
		t.Fatalf("ended silence still live: %+v", live)
	}
}

// FuzzEncodeStringMap holds the labels and annotations columns, and
// AppendJSONStringMap, to what json.Marshal writes.
func FuzzEncodeStringMap(f *testing.F) {
	f.Add("alertname", "HighLatency", "summary", "p99 <2s> & \"quoted\" \\ \u2028 é \x7f")
	f.Add("", "", "a\x00b", "\xff\xfe")
	f.Add("runbook_url", "https://runbooks.example.com/a?b=1&c=2", "description", "line\nline\ttab\r")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		for _, m := range []map[string]string{nil, {}, {k1: v1}, {k1: v1, k2: v2}} {
			want := []byte("{}")
			if m != nil {
				var err error
				if want, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			if got := encodeStringMap(m); got != string(want) {
				t.Fatalf("encodeStringMap(%q) = %s, json.Marshal gives %s", m, got, want)
			}
			marshaled, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendJSONStringMap([]byte("x"), m); string(got) != "x"+string(marshaled) {
				t.Fatalf("AppendJSONStringMap(%q) = %s, json.Marshal gives %s", m, got[1:], marshaled)
			}
		}
	})
}

package incident

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/store"
)

var t0 = time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)

func openDB(t *testing.T) (*store.DB, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(t0)
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk
}

func testEnv() Env {
	return Env{PublicURL: "http://tocsin.test", HasChannel: func(name string) bool { return name != "gone" },
		Links: func(id int64, recipient string, now time.Time) *EventLinks {
			return &EventLinks{Acknowledge: "http://tocsin.test/act/ack-" + recipient, Resolve: "http://tocsin.test/act/res-" + recipient}
		}}
}

func write(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

type row struct{ event, channel, key, recipient, ack string }

func rows(t *testing.T, db *store.DB, id int64) []row {
	t.Helper()
	ns, err := db.Notifications(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for _, n := range ns {
		var ev Event
		if err := json.Unmarshal(n.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		r := row{event: n.Event, channel: n.Channel, key: n.IdempotencyKey, recipient: ev.Recipient}
		if ev.Links != nil {
			r.ack = ev.Links.Acknowledge
		}
		out = append(out, r)
	}
	return out
}

// TestEveryonePagedHearsTheAcknowledgementAndResolution: a person paged
// on two contacts and a fallback channel each receive the acknowledgement
// and the resolution once; a channel of the incident that was never paged
// receives nothing; pages carry links for their recipient, follow-ups to
// an acknowledgement none.
func TestEveryonePagedHearsTheAcknowledgementAndResolution(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	in := &tocsin.Incident{Title: "db down", Service: "payments", GroupKey: "alert:x/1", Paged: true, Notify: []string{"ops"},
		Priority: tocsin.P2}
	write(t, db, func(tx *store.Tx) error {
		if err := OpenForAlerts(ctx, tx, Env{}, in, clk.Now(), "db down", nil); err != nil {
			return err
		}
		rs := []Recipient{{User: "ana", Channel: "contact:ana:0", Via: "email", Why: "on call"},
			{User: "ana", Channel: "contact:ana:1", Via: "ntfy", Why: "on call"}}
		if err := PageRecipients(ctx, tx, env, in, clk.Now(), EventEscalation{Policy: "p", Level: 1, Round: 1}, "down", nil, rs); err != nil {
			return err
		}
		return NotifyChannels(ctx, tx, env, in, []string{"core-pager"}, clk.Now(), "fallback-s1", "NOBODY REACHABLE", nil)
	})
	got := rows(t, db, in.ID)
	want := []row{
		{"incident.triggered", "contact:ana:0", "", "ana", "http://tocsin.test/act/ack-ana"},
		{"incident.triggered", "contact:ana:1", "", "ana", "http://tocsin.test/act/ack-ana"},
		{"incident.triggered", "core-pager", "", "", "http://tocsin.test/act/ack-channel:core-pager"},
	}
	for i := range got {
		got[i].key = ""
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages\n%v\nwant\n%v", got, want)
	}

	clk.Advance(time.Minute)
	for range 2 { // twice: the second changes and sends nothing
		write(t, db, func(tx *store.Tx) error {
			_, err := Acknowledge(ctx, tx, env, in.ID, "link:ana", clk.Now())
			return err
		})
	}
	clk.Advance(time.Minute)
	write(t, db, func(tx *store.Tx) error {
		_, err := Resolve(ctx, tx, env, in.ID, "api:bo", clk.Now())
		return err
	})
	var follow []string
	keys := map[string]bool{}
	for _, r := range rows(t, db, in.ID)[3:] {
		follow = append(follow, r.event+"/"+r.channel)
		if r.ack != "" {
			t.Errorf("%s to %s carries links", r.event, r.channel)
		}
		if keys[r.key] || !strings.Contains(r.key, r.channel) {
			t.Errorf("key %q", r.key)
		}
		keys[r.key] = true
	}
	wantFollow := []string{"incident.acknowledged/contact:ana:0", "incident.acknowledged/contact:ana:1",
		"incident.acknowledged/core-pager", "incident.resolved/contact:ana:0", "incident.resolved/contact:ana:1",
		"incident.resolved/core-pager"}
	if !slices.Equal(follow, wantFollow) {
		t.Fatalf("follow-ups %q, want %q (ops was never paged)", follow, wantFollow)
	}
}

// TestNobodyPagedIsNotLoud: acknowledging an incident nobody was paged
// for says so plainly, not "NOBODY NOTIFIED".
func TestNobodyPagedIsNotLoud(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	var id int64
	write(t, db, func(tx *store.Tx) error {
		in := &tocsin.Incident{Title: "x", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now(), EscalationPolicy: "p"}
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		id = in.ID
		_, err := Acknowledge(ctx, tx, env, id, "api:ana", clk.Now())
		return err
	})
	in, err := db.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := in.Timeline[len(in.Timeline)-1].Message
	if last != "Nobody was paged for this incident, so nobody is sent incident.acknowledged" {
		t.Fatalf("last entry %q", last)
	}
}

func TestRecipientOf(t *testing.T) {
	for ch, want := range map[string]string{"contact:ana:0": "ana", "contact:a:b:12": "a:b", "ops": "channel:ops",
		"contact:": "channel:contact:"} {
		if got := RecipientOf(ch); got != want {
			t.Errorf("RecipientOf(%q) = %q, want %q", ch, got, want)
		}
	}
}

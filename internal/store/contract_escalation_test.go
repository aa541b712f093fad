package store

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// The contract cases of the alert, escalation, outbox and silence calls,
// registered in contract (contract_test.go): each runs on SQLite and on
// PostgreSQL, and several run statements the two dialects spell apart
// (postgresSQL).

// mustWrite runs fn in a write transaction and fails the test on error.
func mustWrite(t *testing.T, db *DB, fn func(ctx context.Context, tx *Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.Write(ctx, func(tx *Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// newAlert saves a firing alert of integration with key and labels.
func newAlert(t *testing.T, tx *Tx, integration, key string, labels map[string]string, now time.Time) *tocsin.AlertRecord {
	t.Helper()
	a := &tocsin.AlertRecord{Integration: integration, Service: "payments", FirstSeenAt: now, LastSeenAt: now, Deliveries: 1,
		Alert: tocsin.Alert{Key: key, Status: tocsin.AlertFiring, Summary: key + " is high", Labels: labels, StartsAt: now}}
	if err := tx.SaveAlert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a
}

func alertIDs(as []*tocsin.AlertRecord) []int64 {
	var out []int64
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func incidentIDs(ins []*tocsin.Incident) []int64 {
	var out []int64
	for _, in := range ins {
		out = append(out, in.ID)
	}
	return out
}

// testAlertsByKeys: one query finds a delivery's stored alerts among its
// keys, in the one integration, whatever the keys hold (quotes, braces,
// backslashes, non-ASCII: they travel as a JSON array, decoded by
// json_each on SQLite and json_array_elements_text on PostgreSQL).
func testAlertsByKeys(t *testing.T, db *DB, clk *clock.Fake) {
	now := clk.Now()
	keys := []string{`{}:{alertname="X"}/0123abcd`, `a\"b\\c`, "plain", "ünïcödé ✓", ""}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		for _, k := range keys {
			newAlert(t, tx, "prometheus", k, map[string]string{"k": k}, now)
		}
		newAlert(t, tx, "grafana", "plain", nil, now) // the same key in another integration
		return nil
	})
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		got, err := tx.AlertsByKeys(ctx, "prometheus", []string{keys[0], keys[1], "absent", keys[3], keys[4]})
		if err != nil {
			return err
		}
		var found []string
		for k, a := range got {
			if a.Key != k || a.Integration != "prometheus" || a.Labels["k"] != k {
				t.Errorf("key %q maps to %+v", k, a)
			}
			found = append(found, k)
		}
		slices.Sort(found)
		want := []string{keys[4], keys[0], keys[1], keys[3]}
		slices.Sort(want)
		if !slices.Equal(found, want) {
			t.Errorf("found %q, want %q", found, want)
		}

		other, err := tx.AlertsByKeys(ctx, "grafana", []string{"plain", keys[0]})
		if err != nil {
			return err
		}
		if len(other) != 1 || other["plain"] == nil || other["plain"].Integration != "grafana" {
			t.Errorf("grafana: %v, want its own alert only", other)
		}
		for _, none := range [][]string{nil, {}, {"absent"}} {
			got, err := tx.AlertsByKeys(ctx, "prometheus", none)
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("keys %q: %d alerts", none, len(got))
			}
		}
		return nil
	})
}

// testNextDue: the outbox's next wake-up is the earliest pending row's
// due time, or its claim's end if that is later (SQLite's two-argument
// MAX, PostgreSQL's GREATEST); sent and given-up rows do not count.
func testNextDue(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	t0 := clk.Now()
	nextDue := func(want time.Time, why string) {
		t.Helper()
		got, err := db.NextDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Fatalf("%s: next due %v, want %v", why, got, want)
		}
	}
	nextDue(time.Time{}, "empty outbox")

	var in tocsin.Incident
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		in = tocsin.Incident{Title: "x", Status: tocsin.IncidentTriggered, OpenedAt: t0}
		if err := tx.CreateIncident(ctx, &in); err != nil {
			return err
		}
		for _, n := range []*tocsin.Notification{
			{IdempotencyKey: "late", Channel: "a", Event: "e", IncidentID: in.ID, Payload: []byte(`{}`), NextAttemptAt: t0.Add(10 * time.Second)},
			{IdempotencyKey: "soon", Channel: "b", Event: "e", IncidentID: in.ID, Payload: []byte(`{}`), NextAttemptAt: t0.Add(5 * time.Second)},
		} {
			if _, err := tx.Enqueue(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
	nextDue(t0.Add(5*time.Second), "two pending")
	if d, err := db.OutboxDepth(ctx); err != nil || d != 2 {
		t.Fatalf("depth %d (%v), want 2", d, err)
	}

	// Claimed at 5 s for 30 s: "soon" wakes nobody before its claim ends.
	clk.Advance(5 * time.Second)
	members(t, db, "me")
	got, err := db.ClaimDue(ctx, "me", 30*time.Second, 10, 10, nil)
	if err != nil || len(got) != 1 || got[0].IdempotencyKey != "soon" {
		t.Fatalf("claimed %v (%v), want soon", got, err)
	}
	soon := got[0].ID
	nextDue(t0.Add(10*time.Second), "soon claimed until 35 s, late due at 10 s")

	clk.Advance(5 * time.Second)
	got, err = db.ClaimDue(ctx, "me", 30*time.Second, 10, 10, nil)
	if err != nil || len(got) != 1 || got[0].IdempotencyKey != "late" {
		t.Fatalf("claimed %v (%v), want late", got, err)
	}
	late := got[0].ID
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.MarkSent(ctx, late, 1) })
	nextDue(t0.Add(35*time.Second), "late sent, soon claimed until 35 s")

	// A failed attempt frees the claim and sets the retry time.
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		return tx.MarkRetry(ctx, soon, 1, "HTTP 502", t0.Add(2*time.Minute))
	})
	nextDue(t0.Add(2*time.Minute), "soon to retry at 2 m")
	if d, err := db.OutboxDepth(ctx); err != nil || d != 1 {
		t.Fatalf("depth %d (%v), want 1", d, err)
	}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error { return tx.MarkRetry(ctx, soon, 2, "HTTP 400", time.Time{}) })
	nextDue(time.Time{}, "soon given up, late sent")

	ns, err := db.Notifications(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*tocsin.Notification{}
	for _, n := range ns {
		byKey[n.IdempotencyKey] = n
	}
	if n := byKey["late"]; n == nil || n.Status != tocsin.NotifySent || n.Attempts != 1 || !n.SentAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("sent row %+v", n)
	}
	if n := byKey["soon"]; n == nil || n.Status != tocsin.NotifyFailed || n.Attempts != 2 || n.LastError != "HTTP 400" {
		t.Errorf("given-up row %+v", n)
	}
	if d, err := db.OutboxDepth(ctx); err != nil || d != 0 {
		t.Fatalf("depth %d (%v), want 0", d, err)
	}
}

// testEscalationQueries: the incidents due to escalate are the triggered
// ones whose step is due, earliest first and within the limit; an
// acknowledged or resolved incident never escalates, whatever its row
// still holds. The paged channels are those with a triggered event.
func testEscalationQueries(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	t0 := clk.Now()
	if at, err := db.NextEscalateAt(ctx); err != nil || !at.IsZero() {
		t.Fatalf("no incident: next escalation %v (%v)", at, err)
	}
	ids := map[string]int64{}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		for _, in := range []*tocsin.Incident{
			{Title: "later", Status: tocsin.IncidentTriggered, EscalateAt: t0.Add(time.Minute)},
			{Title: "sooner", Status: tocsin.IncidentTriggered, EscalateAt: t0.Add(30 * time.Second)},
			{Title: "acked", Status: tocsin.IncidentAcknowledged, EscalateAt: t0.Add(10 * time.Second)},
			{Title: "resolved", Status: tocsin.IncidentResolved, EscalateAt: t0.Add(5 * time.Second)},
			{Title: "no policy", Status: tocsin.IncidentTriggered},
		} {
			in.OpenedAt, in.EscalationPolicy = t0, "primary"
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			ids[in.Title] = in.ID
		}
		return nil
	})
	if at, err := db.NextEscalateAt(ctx); err != nil || !at.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("next escalation %v (%v), want at 30 s (acknowledged and resolved ones do not count)", at, err)
	}
	due := func(at time.Time, limit int) []int64 {
		t.Helper()
		var out []int64
		mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
			ins, err := tx.IncidentsToEscalate(ctx, at, limit)
			out = incidentIDs(ins)
			return err
		})
		return out
	}
	if got := due(t0.Add(29*time.Second), 10); len(got) != 0 {
		t.Errorf("due at 29 s: %v", got)
	}
	if got, want := due(t0.Add(time.Minute), 10), []int64{ids["sooner"], ids["later"]}; !slices.Equal(got, want) {
		t.Errorf("due at 1 m: %v, want %v (sooner first)", got, want)
	}
	if got, want := due(t0.Add(time.Hour), 1), []int64{ids["sooner"]}; !slices.Equal(got, want) {
		t.Errorf("due with limit 1: %v, want %v", got, want)
	}

	// Escalating saves the step and the next time; acknowledging clears it.
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		in, err := tx.IncidentByID(ctx, ids["sooner"])
		if err != nil {
			return err
		}
		in.EscalationStep, in.EscalateAt = 1, t0.Add(10*time.Minute)
		if err := tx.SaveIncident(ctx, in); err != nil {
			return err
		}
		in, err = tx.IncidentByID(ctx, ids["later"])
		if err != nil {
			return err
		}
		in.Status, in.AckedAt, in.AckedBy, in.EscalateAt = tocsin.IncidentAcknowledged, t0, "api:ana", time.Time{}
		return tx.SaveIncident(ctx, in)
	})
	if at, err := db.NextEscalateAt(ctx); err != nil || !at.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("next escalation %v (%v), want the saved step at 10 m", at, err)
	}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		in, err := tx.IncidentByID(ctx, ids["sooner"])
		if err != nil {
			return err
		}
		if in.EscalationStep != 1 || in.EscalationPolicy != "primary" || !in.EscalateAt.Equal(t0.Add(10*time.Minute)) {
			t.Errorf("saved escalation %+v", in)
		}
		if _, err := tx.IncidentByID(ctx, 9999); tocsin.ErrorCode(err) != tocsin.ENotFound {
			t.Errorf("missing incident: %v, want not found", err)
		}

		// Paged channels: those with a triggered event, in the order first paged.
		for _, n := range []*tocsin.Notification{
			{IdempotencyKey: "1", Channel: "contact:ana:0", Event: tocsin.EventTriggered},
			{IdempotencyKey: "2", Channel: "ops", Event: tocsin.EventTriggered},
			{IdempotencyKey: "3", Channel: "contact:ana:0", Event: tocsin.EventTriggered},
			{IdempotencyKey: "4", Channel: "audit", Event: tocsin.EventAcknowledged},
		} {
			n.IncidentID, n.Payload = in.ID, []byte(`{}`)
			if _, err := tx.Enqueue(ctx, n); err != nil {
				return err
			}
		}
		chans, err := tx.PagedChannels(ctx, in.ID)
		if err != nil {
			return err
		}
		if want := []string{"contact:ana:0", "ops"}; !slices.Equal(chans, want) {
			t.Errorf("paged channels %q, want %q", chans, want)
		}
		if chans, err := tx.PagedChannels(ctx, ids["later"]); err != nil || len(chans) != 0 {
			t.Errorf("paged channels of an incident never paged: %q (%v)", chans, err)
		}
		return nil
	})
}

// testCheckIncidentQueries: a check has at most one open incident, found
// by OpenIncidentForCheck; the list filters by check, status and page.
func testCheckIncidentQueries(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	c := createCheck(t, db, "backup")
	other := createCheck(t, db, "web")
	var first, second, web int64
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		if in, err := tx.OpenIncidentForCheck(ctx, c.ID); err != nil || in != nil {
			t.Errorf("no incident yet: %+v (%v)", in, err)
		}
		for _, p := range []*int64{&first, &second} {
			in := &tocsin.Incident{CheckID: c.ID, Title: "backup is down", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now()}
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			*p = in.ID
			if p == &first {
				in.Status, in.ResolvedAt, in.ResolvedBy = tocsin.IncidentResolved, clk.Now(), "tocsin"
				if err := tx.SaveIncident(ctx, in); err != nil {
					return err
				}
			}
		}
		in := &tocsin.Incident{CheckID: other.ID, Title: "web is down", Status: tocsin.IncidentTriggered, OpenedAt: clk.Now()}
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		web = in.ID
		open, err := tx.OpenIncidentForCheck(ctx, c.ID)
		if err != nil {
			return err
		}
		if open == nil || open.ID != second || open.CheckID != c.ID {
			t.Errorf("open incident of backup: %+v, want #%d", open, second)
		}
		return nil
	})
	list := func(f IncidentFilter) []int64 {
		t.Helper()
		ins, err := db.Incidents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return incidentIDs(ins)
	}
	for _, tc := range []struct {
		f    IncidentFilter
		want []int64
	}{
		{IncidentFilter{}, []int64{web, second, first}},
		{IncidentFilter{CheckID: c.ID}, []int64{second, first}},
		{IncidentFilter{Open: true}, []int64{web, second}},
		{IncidentFilter{Status: tocsin.IncidentResolved}, []int64{first}},
		{IncidentFilter{Limit: 1}, []int64{web}},
		{IncidentFilter{BeforeID: web}, []int64{second, first}},
	} {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("incidents %+v: %v, want %v", tc.f, got, tc.want)
		}
	}
}

// testAlertGroupQueries: the open incidents of a service's alert groups,
// whether a person dismissed a group, and the alerts attached to an
// incident, in the transaction and for the API.
func testAlertGroupQueries(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	ids := map[string]int64{}
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		for _, in := range []*tocsin.Incident{
			{Title: "g1", Service: "payments", GroupKey: "g1", Status: tocsin.IncidentTriggered},
			{Title: "g2", Service: "payments", GroupKey: "g2", Status: tocsin.IncidentAcknowledged},
			{Title: "g3 by hand", Service: "payments", GroupKey: "g3", Status: tocsin.IncidentResolved, ResolvedBy: "api:ana"},
			{Title: "g4 by tocsin", Service: "payments", GroupKey: "g4", Status: tocsin.IncidentResolved, ResolvedBy: "tocsin"},
			{Title: "other service", Service: "search", GroupKey: "g1", Status: tocsin.IncidentTriggered},
			{Title: "no group", Service: "payments", Status: tocsin.IncidentTriggered},
		} {
			in.OpenedAt = now
			resolvedBy := in.ResolvedBy
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			if resolvedBy != "" { // CreateIncident writes no resolution
				in.ResolvedAt, in.ResolvedBy = now, resolvedBy
				if err := tx.SaveIncident(ctx, in); err != nil {
					return err
				}
			}
			ids[in.Title] = in.ID
		}
		open, err := tx.OpenIncidentsOfService(ctx, "payments")
		if err != nil {
			return err
		}
		if got, want := incidentIDs(open), []int64{ids["g1"], ids["g2"]}; !slices.Equal(got, want) {
			t.Errorf("open groups of payments: %v, want %v", got, want)
		}
		for group, want := range map[string]bool{"g1": false, "g3": true, "g4": false, "absent": false} {
			got, err := tx.DismissedGroup(ctx, "payments", group)
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("group %s dismissed: %v, want %v", group, got, want)
			}
		}
		if got, err := tx.DismissedGroup(ctx, "search", "g3"); err != nil || got {
			t.Errorf("g3 of another service dismissed: %v (%v)", got, err)
		}

		a1 := newAlert(t, tx, "prometheus", "a1", nil, now)
		a2 := newAlert(t, tx, "prometheus", "a2", nil, now)
		newAlert(t, tx, "prometheus", "a3", nil, now)
		for _, a := range []*tocsin.AlertRecord{a2, a1} {
			a.IncidentID, a.GroupKey = ids["g1"], "g1"
			if err := tx.SaveAlert(ctx, a); err != nil {
				return err
			}
		}
		got, err := tx.AlertsOfIncident(ctx, ids["g1"])
		if err != nil {
			return err
		}
		if ids, want := alertIDs(got), []int64{a1.ID, a2.ID}; !slices.Equal(ids, want) {
			t.Errorf("alerts of g1 in the transaction: %v, want %v", ids, want)
		}
		return nil
	})
	got, err := db.AlertsOfIncident(ctx, ids["g1"])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "a1" || got[1].Key != "a2" || got[0].IncidentID != ids["g1"] {
		t.Fatalf("alerts of g1: %+v", got)
	}
}

// testAlertSuppressionQueries: what silences and inhibition hold, and the
// firing alerts inhibition looks at; resolved alerts are in none of them.
func testAlertSuppressionQueries(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	var silenced1, silenced2, other, inhibited, free, resolved *tocsin.AlertRecord
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		silenced1 = newAlert(t, tx, "p", "s1", map[string]string{"alertname": "A"}, now)
		silenced2 = newAlert(t, tx, "p", "s2", map[string]string{"alertname": "B"}, now)
		other = newAlert(t, tx, "p", "s3", nil, now)
		inhibited = newAlert(t, tx, "p", "i1", nil, now)
		free = newAlert(t, tx, "p", "f1", map[string]string{"severity": "critical"}, now)
		resolved = newAlert(t, tx, "p", "r1", nil, now)
		set := func(a *tocsin.AlertRecord, why string, by int64) error {
			a.Suppressed, a.SuppressorID = why, by
			return tx.SaveAlert(ctx, a)
		}
		for _, err := range []error{set(silenced1, "silence", 7), set(silenced2, "silence", 7), set(other, "silence", 8),
			set(inhibited, "inhibit", free.ID)} {
			if err != nil {
				return err
			}
		}
		resolved.Status, resolved.EndsAt = tocsin.AlertResolved, now
		return set(resolved, "silence", 9)
	})
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		by7, err := tx.AlertsSuppressedBy(ctx, "silence", 7)
		if err != nil {
			return err
		}
		if got, want := alertIDs(by7), []int64{silenced1.ID, silenced2.ID}; !slices.Equal(got, want) {
			t.Errorf("held by silence 7: %v, want %v", got, want)
		}
		if got, err := tx.AlertsSuppressedBy(ctx, "inhibit", 7); err != nil || len(got) != 0 {
			t.Errorf("inhibited by alert 7: %v (%v), want none (7 is a silence)", alertIDs(got), err)
		}
		byFree, err := tx.AlertsSuppressedBy(ctx, "inhibit", free.ID)
		if err != nil {
			return err
		}
		if got, want := alertIDs(byFree), []int64{inhibited.ID}; !slices.Equal(got, want) {
			t.Errorf("inhibited by %d: %v, want %v", free.ID, got, want)
		}
		sil, err := tx.SilencingIDs(ctx)
		if err != nil {
			return err
		}
		slices.Sort(sil)
		if want := []int64{7, 8}; !slices.Equal(sil, want) {
			t.Errorf("silencing ids %v, want %v (9 holds only a resolved alert)", sil, want)
		}
		inh, err := tx.InhibitedAlerts(ctx)
		if err != nil {
			return err
		}
		if got, want := alertIDs(inh), []int64{inhibited.ID}; !slices.Equal(got, want) {
			t.Errorf("inhibited alerts %v, want %v", got, want)
		}
		refs, err := tx.FiringAlertRefs(ctx)
		if err != nil {
			return err
		}
		var refIDs []int64
		for _, r := range refs {
			refIDs = append(refIDs, r.ID)
		}
		if want := []int64{silenced1.ID, silenced2.ID, other.ID, inhibited.ID, free.ID}; !slices.Equal(refIDs, want) {
			t.Errorf("firing refs %v, want %v", refIDs, want)
		}
		if r := refs[4]; !reflect.DeepEqual(r.Labels, map[string]string{"severity": "critical"}) || r.Summary != "f1 is high" ||
			r.Suppressed != "" {
			t.Errorf("ref of f1 %+v", r)
		}
		if r := refs[0]; r.Suppressed != "silence" {
			t.Errorf("ref of s1 %+v", r)
		}

		// A repeated delivery only touches the alert.
		clk.Advance(time.Minute)
		if err := tx.TouchAlert(ctx, free.ID, clk.Now()); err != nil {
			return err
		}
		a, err := tx.AlertByID(ctx, free.ID)
		if err != nil {
			return err
		}
		if a.Deliveries != 2 || !a.LastSeenAt.Equal(clk.Now()) || !a.FirstSeenAt.Equal(now) || a.Summary != "f1 is high" {
			t.Errorf("touched alert %+v", a)
		}
		if _, err := tx.AlertByID(ctx, 9999); tocsin.ErrorCode(err) != tocsin.ENotFound {
			t.Errorf("missing alert: %v, want not found", err)
		}
		return nil
	})

	// The API's list: newest first, by status and service, limited.
	list := func(f AlertFilter) []int64 {
		t.Helper()
		as, err := db.Alerts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return alertIDs(as)
	}
	if got, want := list(AlertFilter{Status: tocsin.AlertResolved}), []int64{resolved.ID}; !slices.Equal(got, want) {
		t.Errorf("resolved alerts %v, want %v", got, want)
	}
	if got, want := list(AlertFilter{Limit: 2}), []int64{resolved.ID, free.ID}; !slices.Equal(got, want) {
		t.Errorf("newest two %v, want %v", got, want)
	}
	if got := list(AlertFilter{Service: "search"}); len(got) != 0 {
		t.Errorf("alerts of another service: %v", got)
	}
	if got := list(AlertFilter{Service: "payments"}); len(got) != 6 {
		t.Errorf("%d alerts of payments, want 6", len(got))
	}
}

// testSilenceLifecycle: expiring a silence ends it once; the API's list
// shows live silences newest first, and all of them on request.
func testSilenceLifecycle(t *testing.T, db *DB, clk *clock.Fake) {
	ctx := context.Background()
	now := clk.Now()
	var open, short, gone tocsin.Silence
	mustWrite(t, db, func(ctx context.Context, tx *Tx) error {
		open = tocsin.Silence{ManagedBy: "api", Matchers: []string{`service="payments"`}, StartsAt: now, Comment: "deploy",
			CreatedBy: "api:ana"}
		short = tocsin.Silence{ManagedBy: "api", Matchers: []string{`a="b"`}, StartsAt: now, EndsAt: now.Add(time.Minute)}
		gone = tocsin.Silence{ManagedBy: "api", Matchers: []string{`c="d"`}, StartsAt: now}
		for _, s := range []*tocsin.Silence{&open, &short, &gone} {
			if err := tx.CreateSilence(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	expire := func(id int64, at time.Time) *tocsin.Silence {
		t.Helper()
		var s *tocsin.Silence
		mustWrite(t, db, func(ctx context.Context, tx *Tx) (err error) {
			s, err = tx.ExpireSilence(ctx, id, at)
			return err
		})
		return s
	}
	if s := expire(gone.ID, now); !s.ExpiredAt.Equal(now) || s.Comment != "" || s.Matchers[0] != `c="d"` {
		t.Fatalf("expired silence %+v", s)
	}
	if s := expire(gone.ID, now.Add(time.Hour)); !s.ExpiredAt.Equal(now) {
		t.Fatalf("expiring again moved its end to %v", s.ExpiredAt)
	}
	if err := db.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExpireSilence(ctx, 9999, now)
		return err
	}); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("expiring a missing silence: %v, want not found", err)
	}

	ids := func(all bool, at time.Time) []int64 {
		t.Helper()
		ss, err := db.Silences(ctx, at, all)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	if got, want := ids(false, now), []int64{short.ID, open.ID}; !slices.Equal(got, want) {
		t.Errorf("live silences %v, want %v (newest first)", got, want)
	}
	if got, want := ids(false, now.Add(time.Minute)), []int64{open.ID}; !slices.Equal(got, want) {
		t.Errorf("live silences once short ended %v, want %v", got, want)
	}
	if got, want := ids(true, now.Add(time.Minute)), []int64{gone.ID, short.ID, open.ID}; !slices.Equal(got, want) {
		t.Errorf("all silences %v, want %v", got, want)
	}
	ss, err := db.Silences(ctx, now, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := ss[1]; s.Comment != "deploy" || s.CreatedBy != "api:ana" || !s.CreatedAt.Equal(now) || !s.EndsAt.IsZero() {
		t.Errorf("silence read back %+v", s)
	}
}

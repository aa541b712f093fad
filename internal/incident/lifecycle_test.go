package incident

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// newCheck creates a check through the store and reads it back, as the
// engine holds it when it decides the check is down or up.
func newCheck(t *testing.T, db *store.DB, name string, autoResolve bool, notify ...string) *tocsin.Check {
	t.Helper()
	ctx := context.Background()
	var uuid string
	write(t, db, func(tx *store.Tx) error {
		var err error
		uuid, err = tx.CreateCheck(ctx, store.CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour},
			Grace: time.Minute, Notify: notify, AutoResolve: autoResolve})
		return err
	})
	c, err := db.CheckByUUID(ctx, uuid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func load(t *testing.T, db *store.DB, id int64) *tocsin.Incident {
	t.Helper()
	in, err := db.Incident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// timeline is an incident's timeline as "kind|actor|message" lines.
func timeline(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var out []string
	for _, e := range load(t, db, id).Timeline {
		out = append(out, e.Kind+"|"+e.Actor+"|"+e.Message)
	}
	return out
}

// sent is an incident's notifications as "event/channel".
func sent(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var out []string
	for _, r := range rows(t, db, id) {
		out = append(out, r.event+"/"+r.channel)
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestOpenForCheck: a check that goes down opens one incident, queues the
// triggered event to each of its channels with the check and the signed
// links in it, and says so on the timeline; going down again while it is
// open only adds to that timeline.
func TestOpenForCheck(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	c := newCheck(t, db, "backup", true, "ops", "contact:ana:0")
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = OpenForCheck(ctx, tx, env, c, clk.Now(), "no ping for 1h1m", map[string]any{"deadline": "x"})
		return err
	})
	got := load(t, db, in.ID)
	if got.Title != "backup is down" || got.Status != tocsin.IncidentTriggered || got.CheckID != c.ID ||
		!got.OpenedAt.Equal(clk.Now()) || got.EscalationPolicy != "" || !got.EscalateAt.IsZero() {
		t.Fatalf("incident %+v", got)
	}
	equal(t, "notifications", sent(t, db, in.ID), []string{"incident.triggered/ops", "incident.triggered/contact:ana:0"})
	for _, r := range rows(t, db, in.ID) {
		if want := "http://tocsin.test/act/ack-" + RecipientOf(r.channel); r.ack != want {
			t.Errorf("%s: ack link %q, want %q", r.channel, r.ack, want)
		}
	}
	ns, err := db.Notifications(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(ns[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Check == nil || ev.Check.Name != "backup" || ev.Check.UUID != c.UUID || ev.Reason != "no ping for 1h1m" ||
		ev.Incident.URL != "http://tocsin.test/incidents/"+itoa(in.ID) ||
		ev.IdempotencyKey != "tocsin-incident-"+itoa(in.ID)+"-incident.triggered-ops" {
		t.Fatalf("event %+v (check %+v)", ev, ev.Check)
	}
	equal(t, "timeline", timeline(t, db, in.ID), []string{
		"incident.opened|tocsin|Incident opened: backup is down: no ping for 1h1m",
		"notification.queued|tocsin|incident.triggered queued for channel ops",
		"notification.queued|tocsin|incident.triggered queued for ana (contact:ana:0)",
	})

	clk.Advance(time.Minute)
	write(t, db, func(tx *store.Tx) error {
		again, err := OpenForCheck(ctx, tx, env, c, clk.Now(), "failed", nil)
		if err == nil && again.ID != in.ID {
			t.Errorf("second down opened incident %d, want the open %d", again.ID, in.ID)
		}
		return err
	})
	if n := len(sent(t, db, in.ID)); n != 2 {
		t.Fatalf("%d notifications after going down again, want the 2 first ones", n)
	}
	tl := timeline(t, db, in.ID)
	if last := tl[len(tl)-1]; last != "check.state_changed|tocsin|backup is down again: failed" {
		t.Fatalf("last entry %q", last)
	}
	list, err := db.Incidents(ctx, store.IncidentFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d incidents (%v), want 1", len(list), err)
	}
}

// TestOpenForCheckWithPolicy: a check with an escalation policy and no
// channel opens an incident due to escalate now, and queues nothing itself:
// the policy pages people. It does not cry "NOBODY NOTIFIED".
func TestOpenForCheckWithPolicy(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	c := newCheck(t, db, "api", true)
	c.EscalationPolicy = "primary"
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = OpenForCheck(ctx, tx, env, c, clk.Now(), "down", nil)
		return err
	})
	got := load(t, db, in.ID)
	if got.EscalationPolicy != "primary" || !got.EscalateAt.Equal(clk.Now()) || !got.Paged {
		t.Fatalf("incident %+v: want policy primary, escalate_at now, paged", got)
	}
	equal(t, "notifications", sent(t, db, in.ID), nil)
	equal(t, "timeline", timeline(t, db, in.ID), []string{"incident.opened|tocsin|Incident opened: api is down: down"})
}

// TestNotifyWithMissingChannels: with no channel at all the timeline says
// NOBODY NOTIFIED; a channel the config no longer has is named on the
// timeline and skipped, the others are still told.
func TestNotifyWithMissingChannels(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()

	none := newCheck(t, db, "lonely", true)
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = OpenForCheck(ctx, tx, env, none, clk.Now(), "down", nil)
		return err
	})
	equal(t, "notifications", sent(t, db, in.ID), nil)
	equal(t, "timeline", timeline(t, db, in.ID), []string{
		"incident.opened|tocsin|Incident opened: lonely is down: down",
		"notification.no_channel|tocsin|NOBODY NOTIFIED of incident.triggered: no notification channel is configured for this incident",
	})

	partly := newCheck(t, db, "partly", true, "gone", "ops")
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = OpenForCheck(ctx, tx, env, partly, clk.Now(), "down", nil)
		return err
	})
	equal(t, "notifications", sent(t, db, in.ID), []string{"incident.triggered/ops"})
	equal(t, "timeline", timeline(t, db, in.ID), []string{
		"incident.opened|tocsin|Incident opened: partly is down: down",
		`notification.no_channel|tocsin|NOT NOTIFIED: channel "gone" of incident.triggered is not configured`,
		"notification.queued|tocsin|incident.triggered queued for channel ops",
	})

	// The resolution goes where the page went, and only there.
	clk.Advance(time.Minute)
	write(t, db, func(tx *store.Tx) error { return RecoverCheck(ctx, tx, env, partly, clk.Now(), "ping", nil) })
	equal(t, "notifications", sent(t, db, in.ID), []string{"incident.triggered/ops", "incident.resolved/ops"})
}

// TestRecoverCheck: a check that is up again resolves its incident when
// auto_resolve is on, telling the channels that were paged; with it off
// the incident stays open and the timeline says why; with no open incident
// nothing happens.
func TestRecoverCheck(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	auto := newCheck(t, db, "auto", true, "ops")
	manual := newCheck(t, db, "manual", false, "ops")

	write(t, db, func(tx *store.Tx) error { return RecoverCheck(ctx, tx, env, auto, clk.Now(), "ping", nil) })
	if list, err := db.Incidents(ctx, store.IncidentFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("recovering with no incident open: %d incidents (%v)", len(list), err)
	}

	ids := map[string]int64{}
	for _, c := range []*tocsin.Check{auto, manual} {
		write(t, db, func(tx *store.Tx) error {
			in, err := OpenForCheck(ctx, tx, env, c, clk.Now(), "down", nil)
			if err == nil {
				ids[c.Name] = in.ID
			}
			return err
		})
	}
	clk.Advance(5 * time.Minute)
	for _, c := range []*tocsin.Check{auto, manual} {
		write(t, db, func(tx *store.Tx) error { return RecoverCheck(ctx, tx, env, c, clk.Now(), "success ping", nil) })
	}

	got := load(t, db, ids["auto"])
	if got.Status != tocsin.IncidentResolved || got.ResolvedBy != "tocsin" || !got.ResolvedAt.Equal(clk.Now()) {
		t.Fatalf("auto_resolve incident %+v, want resolved by tocsin now", got)
	}
	equal(t, "auto_resolve notifications", sent(t, db, ids["auto"]), []string{"incident.triggered/ops", "incident.resolved/ops"})
	tl := timeline(t, db, ids["auto"])
	equal(t, "auto_resolve timeline tail", tl[len(tl)-3:], []string{
		"check.state_changed|tocsin|auto is up again: success ping",
		"incident.resolved|tocsin|Resolved: check recovered",
		"notification.queued|tocsin|incident.resolved queued for channel ops",
	})

	got = load(t, db, ids["manual"])
	if got.Status != tocsin.IncidentTriggered || !got.ResolvedAt.IsZero() {
		t.Fatalf("auto_resolve off: incident %+v, want still triggered", got)
	}
	equal(t, "auto_resolve off notifications", sent(t, db, ids["manual"]), []string{"incident.triggered/ops"})
	tl = timeline(t, db, ids["manual"])
	if last := tl[len(tl)-1]; last != "check.state_changed|tocsin|manual is up again (success ping); the incident stays open: auto_resolve is off" {
		t.Fatalf("last entry %q", last)
	}
}

// TestAcknowledge: acknowledging stops the escalation, is recorded with its
// actor, and tells the paged channels once; again changes nothing; a
// resolved incident cannot be acknowledged; an alert incident nobody was
// paged for is acknowledged without telling anyone.
func TestAcknowledge(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = Open(ctx, tx, env, "db down", []string{"ops"}, clk.Now(), "alert", nil)
		if err != nil {
			return err
		}
		in.EscalationPolicy, in.EscalateAt = "p", clk.Now().Add(5*time.Minute)
		return tx.SaveIncident(ctx, in)
	})
	clk.Advance(time.Minute)
	ackAt := clk.Now()
	for range 2 {
		write(t, db, func(tx *store.Tx) error {
			_, err := Acknowledge(ctx, tx, env, in.ID, "api:ana", clk.Now())
			return err
		})
		clk.Advance(time.Minute)
	}
	got := load(t, db, in.ID)
	if got.Status != tocsin.IncidentAcknowledged || got.AckedBy != "api:ana" || !got.AckedAt.Equal(ackAt) || !got.EscalateAt.IsZero() {
		t.Fatalf("acknowledged incident %+v: want acked by api:ana at %s, no escalation due", got, ackAt)
	}
	equal(t, "notifications", sent(t, db, in.ID), []string{"incident.triggered/ops", "incident.acknowledged/ops"})
	if n := strings.Count(strings.Join(timeline(t, db, in.ID), "\n"), "incident.acknowledged|api:ana|Acknowledged by api:ana"); n != 1 {
		t.Fatalf("%d acknowledgement entries, want 1", n)
	}

	write(t, db, func(tx *store.Tx) error {
		_, err := Resolve(ctx, tx, env, in.ID, "api:bo", clk.Now())
		return err
	})
	err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := Acknowledge(ctx, tx, env, in.ID, "api:ana", clk.Now())
		return err
	})
	if tocsin.ErrorCode(err) != tocsin.EConflict {
		t.Fatalf("acknowledging a resolved incident: %v, want a conflict", err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := Acknowledge(ctx, tx, env, 9999, "api:ana", clk.Now())
		return err
	}); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("acknowledging a missing incident: %v, want not found", err)
	}

	unpagedIn := &tocsin.Incident{Title: "disk", Service: "db", GroupKey: "alert:db/1", Notify: []string{"ops"},
		PageAt: clk.Now().Add(30 * time.Second)}
	write(t, db, func(tx *store.Tx) error {
		if err := OpenForAlerts(ctx, tx, env, unpagedIn, clk.Now(), "disk full", nil); err != nil {
			return err
		}
		_, err := Acknowledge(ctx, tx, env, unpagedIn.ID, "api:ana", clk.Now())
		return err
	})
	got = load(t, db, unpagedIn.ID)
	if got.Status != tocsin.IncidentAcknowledged || !got.PageAt.IsZero() || got.Paged {
		t.Fatalf("acknowledged before its first page: %+v, want acknowledged, no page due", got)
	}
	equal(t, "notifications of an unpaged incident", sent(t, db, unpagedIn.ID), nil)
}

// TestResolve: resolving by hand records the actor and tells the paged
// channels; resolving twice changes nothing; ResolveAuto resolves with
// Tocsin's reason and leaves a resolved incident alone.
func TestResolve(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	c := newCheck(t, db, "web", true, "ops")
	var byHand, auto *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		if byHand, err = OpenForCheck(ctx, tx, env, c, clk.Now(), "down", nil); err != nil {
			return err
		}
		auto, err = Open(ctx, tx, env, "Monitoring degraded", []string{"ops"}, clk.Now(), "probes stalled", nil)
		return err
	})
	clk.Advance(time.Minute)
	resolvedAt := clk.Now()
	for range 2 {
		write(t, db, func(tx *store.Tx) error {
			if _, err := Resolve(ctx, tx, env, byHand.ID, "api:bo", clk.Now()); err != nil {
				return err
			}
			return ResolveAuto(ctx, tx, env, auto.ID, clk.Now(), "probes run again")
		})
		clk.Advance(time.Minute)
	}

	got := load(t, db, byHand.ID)
	if got.Status != tocsin.IncidentResolved || got.ResolvedBy != "api:bo" || !got.ResolvedAt.Equal(resolvedAt) {
		t.Fatalf("resolved by hand: %+v, want resolved by api:bo at %s", got, resolvedAt)
	}
	equal(t, "notifications", sent(t, db, byHand.ID), []string{"incident.triggered/ops", "incident.resolved/ops"})
	tl := timeline(t, db, byHand.ID)
	equal(t, "timeline tail", tl[len(tl)-2:], []string{
		"incident.resolved|api:bo|Resolved: resolved by api:bo",
		"notification.queued|tocsin|incident.resolved queued for channel ops",
	})
	ns, err := db.Notifications(ctx, byHand.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(ns[1].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Actor != "api:bo" || ev.Incident.Status != tocsin.IncidentResolved || ev.Links != nil || ev.Check == nil {
		t.Fatalf("resolved event %+v: want actor api:bo, status resolved, the check, no links", ev)
	}

	got = load(t, db, auto.ID)
	if got.Status != tocsin.IncidentResolved || got.ResolvedBy != "tocsin" || !got.ResolvedAt.Equal(resolvedAt) {
		t.Fatalf("resolved by Tocsin: %+v", got)
	}
	equal(t, "auto notifications", sent(t, db, auto.ID), []string{"incident.triggered/ops", "incident.resolved/ops"})
	tl = timeline(t, db, auto.ID)
	if n := strings.Count(strings.Join(tl, "\n"), "incident.resolved|tocsin|Resolved: probes run again"); n != 1 {
		t.Fatalf("%d resolution entries, want 1:\n%s", n, strings.Join(tl, "\n"))
	}

	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := Resolve(ctx, tx, env, 9999, "api:bo", clk.Now())
		return err
	}); tocsin.ErrorCode(err) != tocsin.ENotFound {
		t.Fatalf("resolving a missing incident: %v, want not found", err)
	}
}

// TestOpen: an incident no check owns notifies its own channels, carries
// no check, and pages with links.
func TestOpen(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	var in *tocsin.Incident
	write(t, db, func(tx *store.Tx) error {
		var err error
		in, err = Open(ctx, tx, env, "Monitoring degraded", []string{"ops", "core-pager"}, clk.Now(), "3 probes late",
			map[string]int{"late": 3})
		return err
	})
	got := load(t, db, in.ID)
	if got.Title != "Monitoring degraded" || got.CheckID != 0 || got.Status != tocsin.IncidentTriggered ||
		!slices.Equal(got.Notify, []string{"ops", "core-pager"}) {
		t.Fatalf("incident %+v", got)
	}
	equal(t, "notifications", sent(t, db, in.ID), []string{"incident.triggered/ops", "incident.triggered/core-pager"})
	ns, err := db.Notifications(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(ns[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Check != nil || ev.Links == nil || string(mustJSON(ev.Evidence)) != `{"late":3}` {
		t.Fatalf("event %+v: want no check, links, the evidence", ev)
	}
	if e := load(t, db, in.ID).Timeline[0]; e.Message != "Incident opened: Monitoring degraded: 3 probes late" ||
		string(e.Data) != `{"late":3}` {
		t.Fatalf("opening entry %+v", e)
	}
}

// TestAlertIncidentLifecycle: an alert group's incident opens silently,
// pages its channels once group_wait is over (with service and priority),
// and one whose alerts went away before that resolves without a word.
func TestAlertIncidentLifecycle(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	var logged bytes.Buffer
	env.Log = slog.New(slog.NewTextHandler(&logged, nil))
	pageAt := clk.Now().Add(30 * time.Second)
	paged := &tocsin.Incident{Title: "db: disk full", Service: "db", GroupKey: "alert:db/1", Priority: tocsin.P2,
		Notify: []string{"ops"}, PageAt: pageAt}
	quiet := &tocsin.Incident{Title: "db: slow", Service: "db", GroupKey: "alert:db/2", Priority: tocsin.P3,
		Notify: []string{"ops"}, PageAt: pageAt}
	write(t, db, func(tx *store.Tx) error {
		for _, in := range []*tocsin.Incident{paged, quiet} {
			if err := OpenForAlerts(ctx, tx, env, in, clk.Now(), in.Title, []string{"a"}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, in := range []*tocsin.Incident{paged, quiet} {
		got := load(t, db, in.ID)
		if got.Status != tocsin.IncidentTriggered || got.Paged || !got.PageAt.Equal(pageAt) || got.Service != "db" {
			t.Fatalf("new alert incident %+v: want triggered, unpaged, page at %s", got, pageAt)
		}
		equal(t, "notifications before group_wait", sent(t, db, in.ID), nil)
	}

	clk.Advance(30 * time.Second)
	write(t, db, func(tx *store.Tx) error {
		if err := Page(ctx, tx, env, paged, clk.Now(), "group_wait over", []string{"a"}); err != nil {
			return err
		}
		return ResolveUnpaged(ctx, tx, env, quiet, clk.Now(), "its alerts resolved")
	})

	got := load(t, db, paged.ID)
	if !got.Paged || !got.PageAt.IsZero() || got.Status != tocsin.IncidentTriggered {
		t.Fatalf("paged incident %+v: want paged, no page due", got)
	}
	equal(t, "notifications once paged", sent(t, db, paged.ID), []string{"incident.triggered/ops"})
	ns, err := db.Notifications(ctx, paged.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(ns[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Service != "db" || ev.Priority != tocsin.P2 || ev.Reason != "group_wait over" || ev.Links == nil {
		t.Fatalf("page %+v: want service db, priority P2, the reason, links", ev)
	}

	got = load(t, db, quiet.ID)
	if got.Status != tocsin.IncidentResolved || got.ResolvedBy != "tocsin" || !got.PageAt.IsZero() || got.Paged {
		t.Fatalf("incident resolved before its page: %+v", got)
	}
	equal(t, "notifications of the quiet incident", sent(t, db, quiet.ID), nil)
	equal(t, "quiet timeline", timeline(t, db, quiet.ID), []string{
		"incident.opened|tocsin|Incident opened: db: slow",
		"incident.resolved|tocsin|Resolved before anyone was paged: its alerts resolved",
	})

	// Resolving an alert incident by hand before its page tells nobody either.
	late := &tocsin.Incident{Title: "db: lag", Service: "db", GroupKey: "alert:db/3", Notify: []string{"ops"}, PageAt: pageAt}
	write(t, db, func(tx *store.Tx) error {
		if err := OpenForAlerts(ctx, tx, env, late, clk.Now(), late.Title, nil); err != nil {
			return err
		}
		_, err := Resolve(ctx, tx, env, late.ID, "api:bo", clk.Now())
		return err
	})
	equal(t, "notifications of an incident resolved before its page", sent(t, db, late.ID), nil)

	// Each change is logged once it committed, with the service and group.
	log := logged.String()
	for _, want := range []string{
		"msg=\"incident opened\" incident_id=" + itoa(paged.ID) + " title=\"db: disk full\" status=triggered service=db group_key=alert:db/1",
		"msg=\"incident resolved\" incident_id=" + itoa(quiet.ID),
		"reason=\"before anyone was paged: its alerts resolved\" actor=tocsin",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestRolledBackChangeIsNotLogged: the log line of a change is written
// only once its transaction commits.
func TestRolledBackChangeIsNotLogged(t *testing.T) {
	db, clk := openDB(t)
	ctx, env := context.Background(), testEnv()
	var logged bytes.Buffer
	env.Log = slog.New(slog.NewTextHandler(&logged, nil))
	c := newCheck(t, db, "web", true, "ops")
	err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := OpenForCheck(ctx, tx, env, c, clk.Now(), "down", nil); err != nil {
			return err
		}
		return tocsin.Errorf(tocsin.EConflict, "forced")
	})
	if err == nil {
		t.Fatal("the forced error was lost")
	}
	if logged.Len() != 0 {
		t.Fatalf("a rolled-back incident was logged: %s", logged.String())
	}
	if list, err := db.Incidents(ctx, store.IncidentFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("%d incidents after a rollback (%v)", len(list), err)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

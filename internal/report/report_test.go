package report_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/report"
	"github.com/tocsinhq/tocsin/internal/store"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// month is a scripted March 2026 written through Tocsin's own write
// paths (incident.OpenForAlerts, escalation.Step, incident.Acknowledge,
// incident.Resolve) on a real SQLite store with a fake clock.
//
// People: ana in Europe/Berlin (CET, UTC+1, until 2026-03-29 01:00 UTC,
// then CEST, UTC+2) with two email contacts; bob in
// America/New_York (EST, UTC-5, until 2026-03-08 07:00 UTC, then EDT,
// UTC-4) with one; bot, a bot account. Policy web pages ana, then bob;
// policy api pages bot (nobody reachable: team api's fallback channel ops
// is paged), then bob.
type month struct {
	db    *store.DB
	clk   *clock.Fake
	dir   *escalation.Directory
	users map[string]report.User
}

func newMonth(t *testing.T) *month {
	clk := clock.NewFake(utc("2026-02-20T00:00:00Z"))
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := &escalation.Directory{
		Users: map[string]escalation.User{
			"ana": {Name: "ana", Contacts: []escalation.Contact{{Type: "email", To: "ana@example.com"}, {Type: "email", To: "ana@example.org"}}},
			"bob": {Name: "bob", Contacts: []escalation.Contact{{Type: "email", To: "bob@example.com"}}},
			"bot": {Name: "bot", Bot: true, Contacts: []escalation.Contact{{Type: "email", To: "bot@example.com"}}},
		},
		Policies: map[string]escalation.Policy{
			"web": {Name: "web", Levels: []escalation.Level{{Targets: []string{"user:ana"}, Timeout: 5 * time.Minute},
				{Targets: []string{"user:bob"}, Timeout: 5 * time.Minute}}},
			"api": {Name: "api", Levels: []escalation.Level{{Targets: []string{"user:bot"}, Timeout: 5 * time.Minute},
				{Targets: []string{"user:bob"}, Timeout: 5 * time.Minute}}},
		},
		Teams: map[string]escalation.Team{"api": {Name: "api", Fallback: []string{"ops"}}},
	}
	users := map[string]report.User{
		"ana": {Zone: zone(t, "Europe/Berlin"), Contacts: []string{"email ana@example.com", "email ana@example.org"}},
		"bob": {Zone: zone(t, "America/New_York"), Contacts: []string{"email bob@example.com"}},
	}
	return &month{db: db, clk: clk, dir: dir, users: users}
}

// at runs fn in one write transaction at time s (UTC).
func (m *month) at(t *testing.T, s string, fn func(ctx context.Context, tx *store.Tx, now time.Time) error) {
	t.Helper()
	now := utc(s)
	m.clk.Set(now)
	if err := m.db.Write(context.Background(), func(tx *store.Tx) error { return fn(context.Background(), tx, now) }); err != nil {
		t.Fatalf("at %s: %v", s, err)
	}
}

// incident plays one incident: opened by alert alertID of service svc
// (policy and team named alike) at opened, each further escalation step
// at the times in steps, acknowledged at acked and resolved at resolved
// ("" for never).
func (m *month) incident(t *testing.T, svc string, alertID int64, alertname, opened string, steps []string, acked, resolved string) {
	t.Helper()
	var id int64
	m.at(t, opened, func(ctx context.Context, tx *store.Tx, now time.Time) error {
		in := &tocsin.Incident{Title: alertname, Service: svc, Team: svc, GroupKey: opened, EscalationPolicy: svc, Paged: true}
		if err := incident.OpenForAlerts(ctx, tx, incident.Env{}, in, now, alertname+" firing",
			map[string]any{"alert_id": alertID, "key": alertname, "labels": map[string]string{"alertname": alertname}}); err != nil {
			return err
		}
		id = in.ID
		return escalation.Step(ctx, tx, incident.Env{}, m.dir, in, now, "alert firing", nil)
	})
	for _, s := range steps {
		m.at(t, s, func(ctx context.Context, tx *store.Tx, now time.Time) error {
			in, err := tx.IncidentByID(ctx, id)
			if err != nil {
				return err
			}
			return escalation.Step(ctx, tx, incident.Env{}, m.dir, in, now, "not acknowledged", nil)
		})
	}
	if acked != "" {
		m.at(t, acked, func(ctx context.Context, tx *store.Tx, now time.Time) error {
			_, err := incident.Acknowledge(ctx, tx, incident.Env{}, id, "someone", now)
			return err
		})
	}
	if resolved != "" {
		m.at(t, resolved, func(ctx context.Context, tx *store.Tx, now time.Time) error {
			_, err := incident.Resolve(ctx, tx, incident.Env{}, id, "someone", now)
			return err
		})
	}
}

// script writes the month. Local times are worked out by hand in the
// comments; "out" is out of hours, "night N" the night that began on N.
func (m *month) script(t *testing.T) {
	// Before the range: an incident of February, with its page, counts for nothing.
	m.incident(t, "web", 1, "HighLatency", "2026-02-27T10:00:00Z", nil, "2026-02-27T10:01:00Z", "2026-02-27T10:30:00Z")
	// I1 Mon 03-02 08:30Z: ana 09:30 CET Mon, in hours. MTTA 4m, MTTR 60m.
	m.incident(t, "web", 1, "HighLatency", "2026-03-02T08:30:00Z", nil, "2026-03-02T08:34:00Z", "2026-03-02T09:30:00Z")
	// I2 Sat 03-07 06:50Z: ana 07:50 CET Sat, out (weekend), not night
	// (after 07:00); 06:55Z bob 01:55 EST Sat, out, night 03-06.
	// MTTA 15m, MTTR 75m; escalated.
	m.incident(t, "web", 1, "HighLatency", "2026-03-07T06:50:00Z", []string{"2026-03-07T06:55:00Z"}, "2026-03-07T07:05:00Z",
		"2026-03-07T08:05:00Z")
	// I3 Sun 03-08 06:30Z, the US change day: ana 07:30 CET Sun, out;
	// 06:35Z bob 01:35 EST (the clocks go forward at 07:00Z), out, night
	// 03-07. Never acknowledged; MTTR 60m; escalated.
	m.incident(t, "web", 1, "HighLatency", "2026-03-08T06:30:00Z", []string{"2026-03-08T06:35:00Z"}, "", "2026-03-08T07:30:00Z")
	// I4 Mon 03-09 13:00Z: ana 14:00 CET, in; 13:05Z bob 09:05 EDT, in
	// hours (under EST it would be 08:05, out). MTTA 10m, MTTR 60m;
	// escalated.
	m.incident(t, "web", 1, "HighLatency", "2026-03-09T13:00:00Z", []string{"2026-03-09T13:05:00Z"}, "2026-03-09T13:10:00Z",
		"2026-03-09T14:00:00Z")
	// I5 Tue 03-10 02:25Z, service api: level 1 is the bot, nobody
	// reachable, channel ops paged; 02:30Z bob 22:30 EDT Mon 03-09, out,
	// night 03-09 (under EST 21:30, no night). MTTA 25m, MTTR 60m;
	// escalated.
	m.incident(t, "api", 2, "QueueStuck", "2026-03-10T02:25:00Z", []string{"2026-03-10T02:30:00Z"}, "2026-03-10T02:50:00Z",
		"2026-03-10T03:25:00Z")
	// I6 Sat 03-28 21:30Z, before the EU change: ana 22:30 CET Sat, out,
	// night 03-28. MTTA 10m, MTTR 60m.
	m.incident(t, "web", 1, "HighLatency", "2026-03-28T21:30:00Z", nil, "2026-03-28T21:40:00Z", "2026-03-28T22:30:00Z")
	// I7 Sun 03-29 04:30Z, after it: ana 06:30 CEST Sun, out, night 03-28
	// again. MTTA 15m; still open at the end of the month.
	m.incident(t, "web", 1, "HighLatency", "2026-03-29T04:30:00Z", nil, "2026-03-29T04:45:00Z", "")
	// I8 Mon 03-30 07:30Z: ana 09:30 CEST, in hours (under CET 08:30,
	// out). MTTA 2m, MTTR 30m.
	m.incident(t, "web", 1, "HighLatency", "2026-03-30T07:30:00Z", nil, "2026-03-30T07:32:00Z", "2026-03-30T08:00:00Z")
	// After the range.
	m.incident(t, "web", 1, "HighLatency", "2026-04-01T00:00:00Z", nil, "", "")
}

func (m *month) rows(t *testing.T, o report.Options) *store.ReportRows {
	t.Helper()
	rows, err := m.db.ReportRows(context.Background(), o.From, o.To)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func stat(n int, median, p90 time.Duration) *report.Stat {
	return &report.Stat{Count: n, MedianSeconds: median.Seconds(), P90Seconds: p90.Seconds()}
}

// TestScriptedMonth checks every figure against the values worked out by
// hand from the script above.
func TestScriptedMonth(t *testing.T) {
	m := newMonth(t)
	m.script(t)
	o := report.Options{From: utc("2026-03-01T00:00:00Z"), To: utc("2026-04-01T00:00:00Z"), Users: m.users}
	rows := m.rows(t, o)
	s := report.Summarize(rows, o)

	// Overall: I1..I8. Acknowledged all but I3: MTTA sorted 2, 4, 10, 10,
	// 15, 15, 25 minutes: median the 4th, 10m; p90 the nearest rank
	// ceil(0.9*7) = 7th, 25m. Resolved all but I7: MTTR 30, 60, 60, 60,
	// 60, 60, 75: median 60m, p90 75m. Escalated: I2, I3, I4, I5. Pages:
	// ana 7 (I1-I4, I6-I8; her two contacts make one page each time), bob
	// 4 (I2-I5). Nobody reachable: I5's first level.
	want := report.Figures{Incidents: 8, Acknowledged: 7, Unacknowledged: 1, Resolved: 7, Unresolved: 1,
		MTTA: stat(7, 10*time.Minute, 25*time.Minute), MTTR: stat(7, 60*time.Minute, 75*time.Minute),
		Escalated: 4, Pages: 11, NobodyReachable: 1}
	if !reflect.DeepEqual(s.Overall, want) {
		t.Errorf("overall\n got %+v\nwant %+v", figs(s.Overall), figs(want))
	}
	// Service api: I5 alone. Service web: the rest; MTTA 2, 4, 10, 10, 15,
	// 15: median (10+10)/2 = 10m, p90 rank ceil(5.4) = 6th, 15m. MTTR 30,
	// 60, 60, 60, 60, 75: median 60m, p90 75m.
	api := report.Figures{Incidents: 1, Acknowledged: 1, Resolved: 1, MTTA: stat(1, 25*time.Minute, 25*time.Minute),
		MTTR: stat(1, time.Hour, time.Hour), Escalated: 1, Pages: 1, NobodyReachable: 1}
	web := report.Figures{Incidents: 7, Acknowledged: 6, Unacknowledged: 1, Resolved: 6, Unresolved: 1,
		MTTA: stat(6, 10*time.Minute, 15*time.Minute), MTTR: stat(6, time.Hour, 75*time.Minute), Escalated: 3, Pages: 10}
	wantGroups := []report.Group{{Name: "api", Figures: api}, {Name: "web", Figures: web}}
	if !reflect.DeepEqual(s.Services, wantGroups) || !reflect.DeepEqual(s.Teams, wantGroups) {
		t.Errorf("services %+v\nteams %+v", s.Services, s.Teams)
	}

	// ana: 7 pages, out of hours I2 (Sat), I3 (Sun), I6 (Sat), I7 (Sun):
	// 4; one night, 03-28, interrupted twice (I6, I7). bob: 4 pages, out
	// of hours I2, I3, I5 (I4 at 09:05 EDT is in hours): 3; nights 03-06,
	// 03-07, 03-09: 3.
	people := report.People(rows, o)
	if len(people) != 2 {
		t.Fatalf("people %+v", people)
	}
	ana, bob := people[0], people[1]
	if ana.User != "ana" || ana.TZ != "Europe/Berlin" || ana.Pages != 7 || ana.OutOfHours != 4 || ana.OutOfHoursShare != 4.0/7 ||
		ana.NightsInterrupted != 1 {
		t.Errorf("ana %+v", ana)
	}
	if bob.User != "bob" || bob.TZ != "America/New_York" || bob.Pages != 4 || bob.OutOfHours != 3 || bob.OutOfHoursShare != 0.75 ||
		bob.NightsInterrupted != 3 {
		t.Errorf("bob %+v", bob)
	}
	var nights []string
	for _, p := range bob.PageList {
		nights = append(nights, p.Night)
	}
	if !reflect.DeepEqual(nights, []string{"2026-03-06", "2026-03-07", "", "2026-03-09"}) {
		t.Errorf("bob's nights %q", nights)
	}
	// bob's I4 page: level 2 of policy web, at 09:05 in New York (EDT).
	if p := bob.PageList[2]; p.Level != 2 || p.Round != 1 || p.Local != "2026-03-09T09:05:00-04:00" || p.OutOfHours ||
		!reflect.DeepEqual(p.Contacts, []string{"email bob@example.com"}) {
		t.Errorf("bob's I4 page %+v", p)
	}
	// ana's I8 page: 09:30 in Berlin, now CEST; both contacts, one page.
	if p := ana.PageList[6]; p.Local != "2026-03-30T09:30:00+02:00" || p.OutOfHours || p.Level != 1 ||
		!reflect.DeepEqual(p.Contacts, []string{"email ana@example.com", "email ana@example.org"}) {
		t.Errorf("ana's I8 page %+v", p)
	}

	// Noisiest: HighLatency, 7 incidents and 10 pages; QueueStuck, 1
	// incident, 2 pages (bob and the fallback channel ops).
	n := report.NoisiestOf(rows, o)
	wantAlerts := []report.Noisy{{Name: "HighLatency", Service: "web", Incidents: 7, Pages: 10, Firings: 7},
		{Name: "QueueStuck", Service: "api", Incidents: 1, Pages: 2, Firings: 1}}
	if !reflect.DeepEqual(n.Alerts, wantAlerts) || len(n.Checks) != 0 {
		t.Errorf("noisy %+v", n)
	}

	// Filtered to team api, only I5 counts.
	oa := o
	oa.Team = "api"
	if s := report.Summarize(m.rows(t, oa), oa); !reflect.DeepEqual(s.Overall, api) {
		t.Errorf("team api: %+v", figs(s.Overall))
	}
	if p := report.People(rows, oa); len(p) != 1 || p[0].User != "bob" || p[0].Pages != 1 || p[0].NightsInterrupted != 1 {
		t.Errorf("people of team api %+v", p)
	}
}

// figs prints figures with their stats, not their addresses.
func figs(f report.Figures) map[string]any {
	return map[string]any{"f": f, "mtta": f.MTTA, "mttr": f.MTTR}
}

func TestOutOfHoursAndNight(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	for _, c := range []struct {
		local string
		out   bool
		night string
	}{
		{"2026-03-02T08:59:59+01:00", true, ""},
		{"2026-03-02T09:00:00+01:00", false, ""},
		{"2026-03-02T17:59:59+01:00", false, ""},
		{"2026-03-02T18:00:00+01:00", true, ""},
		{"2026-03-02T21:59:00+01:00", true, ""},
		{"2026-03-02T22:00:00+01:00", true, "2026-03-02"},
		{"2026-03-03T06:59:00+01:00", true, "2026-03-02"},
		{"2026-03-03T07:00:00+01:00", true, ""},
		{"2026-03-07T12:00:00+01:00", true, ""}, // Saturday
		{"2026-03-01T00:30:00+01:00", true, "2026-02-28"},
	} {
		at := utc(c.local).In(berlin)
		if report.OutOfHours(at) != c.out || report.Night(at) != c.night {
			t.Errorf("%s: out %v night %q, want %v %q", c.local, report.OutOfHours(at), report.Night(at), c.out, c.night)
		}
	}
}

func TestStats(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		in       []time.Duration
		med, p90 time.Duration
	}{
		{[]time.Duration{m}, m, m},
		{[]time.Duration{3 * m, m}, 2 * m, 3 * m},
		{[]time.Duration{10 * m, m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m}, 5*m + 30*time.Second, 9 * m},
		{[]time.Duration{11 * m, 10 * m, m, 2 * m, 3 * m, 4 * m, 5 * m, 6 * m, 7 * m, 8 * m, 9 * m}, 6 * m, 10 * m},
	} {
		if s := report.Stats(c.in); s.MedianSeconds != c.med.Seconds() || s.P90Seconds != c.p90.Seconds() || s.Count != len(c.in) {
			t.Errorf("%v: %+v", c.in, s)
		}
	}
	if report.Stats(nil) != nil {
		t.Error("stats of nothing")
	}
}

// TestNoisy: checks and alerts ranked by pages, then flaps, written
// through the incident package on a real store.
func TestNoisy(t *testing.T) {
	m := newMonth(t)
	ctx := context.Background()
	uuids := map[string]string{}
	m.at(t, "2026-03-01T00:00:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		for _, name := range []string{"backup", "web"} {
			id, err := tx.CreateCheck(ctx, store.CheckDef{Name: name, Slug: name, Spec: tocsin.ScheduleSpec{Every: time.Hour},
				Grace: time.Minute, Notify: []string{"ops"}, AutoResolve: true})
			if err != nil {
				return err
			}
			uuids[name] = id
		}
		return nil
	})
	check := func(tx *store.Tx, name string) *tocsin.Check {
		c, err := tx.CheckByUUID(ctx, uuids[name])
		if err != nil || c == nil {
			t.Fatalf("check %s: %v", name, err)
		}
		return c
	}
	// web: down twice, each time a new incident paging channel ops.
	for _, day := range []string{"02", "03"} {
		m.at(t, "2026-03-"+day+"T10:00:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
			_, err := incident.CheckDown(ctx, tx, incident.Env{}, check(tx, "web"), now, "late", nil)
			return err
		})
		m.at(t, "2026-03-"+day+"T11:00:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
			return incident.RecoverCheck(ctx, tx, incident.Env{}, check(tx, "web"), now, "pinged", nil)
		})
	}
	// backup: down once (ops paged), then its third change within the
	// flap window makes it flapping: one flap, no new page.
	m.at(t, "2026-03-04T10:00:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		_, err := incident.CheckDown(ctx, tx, incident.Env{}, check(tx, "backup"), now, "late", nil)
		return err
	})
	m.at(t, "2026-03-04T10:10:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		c := check(tx, "backup")
		c.FlapChanges, c.FlapWindow, c.FlapStable = 3, time.Hour, 10*time.Minute
		c.Changes = []time.Time{utc("2026-03-04T10:00:00Z"), utc("2026-03-04T10:05:00Z"), now}
		c.FlappingSince, c.FlapCount = now, 1
		_, err := incident.CheckDown(ctx, tx, incident.Env{}, c, now, "failed", nil)
		return err
	})
	// Alert 5 fires, resolves and fires again with alert 6 (one entry
	// listing both): firings 2 and a flap for alert 5, one firing for 6.
	alert := func(id int64, name string) map[string]any {
		return map[string]any{"alert_id": id, "key": name, "labels": map[string]string{"alertname": name}}
	}
	var in *tocsin.Incident
	m.at(t, "2026-03-05T10:00:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		in = &tocsin.Incident{Title: "disk", Service: "db", GroupKey: "g"}
		return incident.OpenForAlerts(ctx, tx, incident.Env{}, in, now, "DiskFull firing", alert(5, "DiskFull"))
	})
	m.at(t, "2026-03-05T10:05:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return incident.Note(ctx, tx, in.ID, now, tocsin.TimelineAlertResolved, "resolved", alert(5, "DiskFull"))
	})
	m.at(t, "2026-03-05T10:10:00Z", func(ctx context.Context, tx *store.Tx, now time.Time) error {
		return incident.Note(ctx, tx, in.ID, now, tocsin.TimelineAlertFiring, "2 alerts joined",
			map[string]any{"alerts": []any{alert(5, "DiskFull"), alert(6, "DiskSlow")}, "count": 2})
	})

	o := report.Options{From: utc("2026-03-01T00:00:00Z"), To: utc("2026-04-01T00:00:00Z"), Users: m.users}
	n := report.NoisiestOf(m.rows(t, o), o)
	wantChecks := []report.Noisy{{Name: "web", Incidents: 2, Pages: 2}, {Name: "backup", Incidents: 1, Pages: 1, Flaps: 1}}
	wantAlerts := []report.Noisy{{Name: "DiskFull", Service: "db", Incidents: 1, Flaps: 1, Firings: 2},
		{Name: "DiskSlow", Service: "db", Incidents: 1, Firings: 1}}
	if !reflect.DeepEqual(n.Checks, wantChecks) || !reflect.DeepEqual(n.Alerts, wantAlerts) {
		t.Errorf("noisy\n got %+v %+v\nwant %+v %+v", n.Checks, n.Alerts, wantChecks, wantAlerts)
	}
	o.Limit = 1
	if n := report.NoisiestOf(m.rows(t, o), o); len(n.Checks) != 1 || n.Checks[0].Name != "web" || len(n.Alerts) != 1 {
		t.Errorf("limit 1: %+v", n)
	}
}

package checkadmin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/runtime"
	"github.com/tocsinhq/tocsin/internal/store"
)

func testManager(t *testing.T, limit int) (*Manager, map[int64]time.Time) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), t.TempDir()+"/t.db", store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	snap := &runtime.Snapshot{Config: &config.Config{File: "tocsin.yaml"},
		Channels: map[string]tocsin.Channel{"ops": {Name: "ops", Type: "webhook"}, "chat": {Name: "chat", Type: "slack"}}}
	scheduled := map[int64]time.Time{}
	return &Manager{DB: db, Clock: clk, Running: func() *runtime.Snapshot { return snap },
		Scheduled: func(id int64, at time.Time) { scheduled[id] = at }, ProvisionLimit: limit}, scheduled
}

// A ping with ?create=1 makes its check as Healthchecks does (named after
// the slug, daily, every channel), once; past the limit it makes none.
func TestProvision(t *testing.T) {
	m, _ := testManager(t, 2)
	ctx := context.Background()
	for _, tc := range []struct {
		slug            string
		exists, created bool
	}{
		{"backup", true, true},
		{"backup", true, false}, // made meanwhile: it exists
		{"etl", true, true},
		{"reports", false, false}, // past the limit
	} {
		exists, created, err := m.Provision(ctx, tc.slug)
		if err != nil || exists != tc.exists || created != tc.created {
			t.Errorf("Provision(%q) = %v, %v, %v; want %v, %v", tc.slug, exists, created, err, tc.exists, tc.created)
		}
	}
	checks, err := m.DB.Checks(ctx)
	if err != nil || len(checks) != 2 {
		t.Fatalf("checks %v %v", checks, err)
	}
	c := checks[0]
	if c.Name != "backup" || c.Slug != "backup" || c.ManagedBy != "api" || c.Spec.Every != 24*time.Hour || c.Grace != time.Hour ||
		len(c.Notify) != 2 || c.Notify[0] != "chat" {
		t.Errorf("provisioned %+v", c)
	}
}

// Validate names the field of each problem, and fills the slug.
func TestValidate(t *testing.T) {
	m, _ := testManager(t, 0)
	every := tocsin.ScheduleSpec{Every: time.Hour}
	for _, tc := range []struct {
		def  store.CheckDef
		want string
	}{
		{store.CheckDef{Spec: every}, "name: required"},
		{store.CheckDef{Name: "x", UUID: "nope", Spec: every}, `uuid: "nope" is not a UUID`},
		{store.CheckDef{Name: "x", Slug: "Big", Spec: every}, "slug: must be"},
		{store.CheckDef{Name: "x"}, "schedule: required"},
		{store.CheckDef{Name: "x", Spec: tocsin.ScheduleSpec{Every: time.Hour, Cron: "* * * * *"}}, "not both"},
		{store.CheckDef{Name: "x", Spec: tocsin.ScheduleSpec{Cron: "* * * * *", TZ: "Mars/Olympus"}}, "unknown time zone"},
		{store.CheckDef{Name: "x", Spec: every, Methods: "PUT"}, "methods:"},
		{store.CheckDef{Name: "x", Spec: every, Tags: []string{"a b"}}, "tags:"},
		{store.CheckDef{Name: "x", Spec: every, Notify: []string{"pager"}}, `notify: no channel named "pager"`},
		{store.CheckDef{Name: "x", Spec: every, EscalationPolicy: "p"}, "escalation_policy:"},
		{store.CheckDef{Name: "x", Spec: every, RunbookURL: "ftp://x"}, "runbook_url:"},
	} {
		err := m.Validate(&tc.def)
		if tocsin.ErrorCode(err) != tocsin.EInvalid || !strings.Contains(tocsin.ErrorMessage(err), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.def, err, tc.want)
		}
	}
	d := store.CheckDef{Name: " Nightly Backup ", Spec: every, Methods: "post"}
	if err := m.Validate(&d); err != nil || d.Name != "Nightly Backup" || d.Slug != "nightly-backup" || d.Methods != "POST" {
		t.Errorf("Validate filled %+v, %v", d, err)
	}
}

// CreateMany makes every check or none: each gets the config's check
// defaults and its deadline reaches the engine; a bad one is named by its
// index, and a name taken by a check already there is a conflict.
func TestCreateMany(t *testing.T) {
	m, scheduled := testManager(t, 0)
	ctx := context.Background()
	every := tocsin.ScheduleSpec{Every: time.Hour}
	cs, err := m.CreateMany(ctx, []store.CheckDef{{Name: "a", Spec: every}, {Name: "B b", Spec: every, Notify: []string{"ops"}}}, "test")
	if err != nil || len(cs) != 2 || cs[0].Name != "a" || cs[1].Slug != "b-b" || cs[1].ManagedBy != "api" {
		t.Fatalf("CreateMany = %+v, %v", cs, err)
	}
	if _, ok := scheduled[cs[1].ID]; !ok || len(scheduled) != 2 {
		t.Errorf("scheduled %v", scheduled)
	}
	for _, tc := range []struct {
		defs []store.CheckDef
		code string
		want string
	}{
		{nil, tocsin.EInvalid, "at least one"},
		{make([]store.CheckDef, MaxBulk+1), tocsin.EInvalid, "at most 1000"},
		{[]store.CheckDef{{Name: "c", Spec: every}, {Name: "d"}}, tocsin.EInvalid, "checks[1].schedule: required"},
		{[]store.CheckDef{{Name: "c", Spec: tocsin.ScheduleSpec{Cron: "0 25 * * *"}}}, tocsin.EInvalid, "checks[0].schedule:"},
		{[]store.CheckDef{{Name: "c", Spec: every}, {Name: "c", Spec: every}}, tocsin.EInvalid, `checks[1].name: "c" is also the name of checks[0]`},
		{[]store.CheckDef{{Name: "c", Spec: every}, {Name: "a", Spec: every}}, tocsin.EConflict, `checks[1].name: a check named "a" exists`},
		{[]store.CheckDef{{Name: "c", Spec: every, UUID: cs[0].UUID}}, tocsin.EConflict, "checks[0].uuid:"},
	} {
		_, err := m.CreateMany(ctx, tc.defs, "test")
		if tocsin.ErrorCode(err) != tc.code || !strings.Contains(tocsin.ErrorMessage(err), tc.want) {
			t.Errorf("CreateMany(%d defs) = %v; want %s saying %q", len(tc.defs), err, tc.code, tc.want)
		}
	}
	if all, _ := m.DB.Checks(ctx); len(all) != 2 {
		t.Errorf("%d checks after the refused calls, want 2", len(all))
	}
}

package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// opsHook is a webhook channel that records the messages of Tocsin's
// reports about itself.
type opsHook struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []struct{ Event, Message string }
}

func newOpsHook(t *testing.T) *opsHook {
	h := &opsHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Event, Message string }
		json.NewDecoder(r.Body).Decode(&body)
		h.mu.Lock()
		h.got = append(h.got, body)
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// said reports whether a report of event whose message holds every part
// arrived.
func (h *opsHook) said(event string, parts ...string) func() bool {
	return func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, m := range h.got {
			ok := m.Event == event
			for _, p := range parts {
				ok = ok && strings.Contains(m.Message, p)
			}
			if ok {
				return true
			}
		}
		return false
	}
}

func (h *opsHook) channels() string {
	return "channels:\n  - {name: ops, type: webhook, url: \"" + h.srv.URL + "\"}\noperator: {notify: [ops]}\n"
}

// TestReloadRenameWarns: renaming a check without uuid gives it a new ping
// URL; the reload says so (answer, operator report), naming both URLs. A
// file that does not load is refused and the operator hears it.
func TestReloadRenameWarns(t *testing.T) {
	hook := newOpsHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	checks := "checks:\n  - {name: a, schedule: {every: 1h}}\n  - {name: b, schedule: {every: 1h}}\n  - {name: c, schedule: {every: 1h}}\n" +
		"  - {name: d, schedule: {every: 1h}}\n"
	writeFile(t, path, hook.channels()+"public_url: https://tocsin.example\n"+checks+"  - {name: nightly-backup, schedule: {every: 1h}}\n")
	r := start(t, path, nil)
	var list struct{ Checks []struct{ Name, UUID string } }
	r.get(t, "/api/v1/checks", &list)
	var old string
	for _, c := range list.Checks {
		if c.Name == "nightly-backup" {
			old = c.UUID
		}
	}

	// One of five checks renamed: 20%, not more than the guard's share.
	writeFile(t, path, hook.channels()+"public_url: https://tocsin.example\n"+checks+"  - {name: nightly-db-backup, schedule: {every: 1h}}\n")
	var res struct {
		Status   string
		Created  []string
		Removed  []string
		Warnings []string
	}
	if code := r.do(t, "POST", "/api/v1/config/reload", &res); code != 200 {
		t.Fatalf("reload: %d %+v", code, res)
	}
	r.get(t, "/api/v1/checks", &list)
	var renamed string
	for _, c := range list.Checks {
		if c.Name == "nightly-db-backup" {
			renamed = c.UUID
		}
	}
	text := strings.Join(res.Warnings, "\n")
	if len(res.Removed) != 1 || res.Removed[0] != "nightly-backup" || renamed == "" ||
		!strings.Contains(text, "https://tocsin.example/ping/"+old) || !strings.Contains(text, "uuid: "+old) ||
		!strings.Contains(text, "https://tocsin.example/ping/"+renamed) {
		t.Fatalf("reload answer %+v (old %s, new %s)", res, old, renamed)
	}
	testkit.Eventually(t, "rename reported to the operator", hook.said(EventConfigApplied, "1 checks removed, no longer monitored: nightly-backup",
		"Warning: check \"nightly-backup\" is removed", "https://tocsin.example/ping/"+old, "https://tocsin.example/ping/"+renamed))

	// A file that does not load: refused, and the operator hears why.
	writeFile(t, path, hook.channels()+"checks:\n  - {name: a, schedule: {every: often}}\n")
	if code := r.do(t, "POST", "/api/v1/config/reload", nil); code != 400 {
		t.Fatalf("reload of a bad file: %d", code)
	}
	testkit.Eventually(t, "bad file reported", hook.said(EventConfigRefused, "it does not load", "checks[0].schedule.every"))
}

// TestRemovedIncidentsKept: with reload_guard.removed_incidents: keep, the
// open incident of a removed check stays open, with a timeline entry.
func TestRemovedIncidentsKept(t *testing.T) {
	hook := newOpsHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	const uuid = "5c3e1d52-7a43-4c1e-9f0e-2b8d6a4c9e11"
	guard := "reload_guard: {removed_incidents: keep}\n"
	writeFile(t, path, hook.channels()+guard+"checks:\n  - {name: flaky, uuid: "+uuid+", schedule: {every: 1s}, grace: 1s, notify: [ops]}\n"+
		"  - {name: steady, schedule: {every: 1h}}\n")
	r := start(t, path, nil)
	if code := r.do(t, "POST", "/ping/"+uuid, nil); code != 200 {
		t.Fatalf("ping: %d", code)
	}
	var open struct{ Incidents []struct{ ID int64 } }
	testkit.Eventually(t, "incident of flaky", func() bool {
		r.get(t, "/api/v1/incidents?status=open", &open)
		return len(open.Incidents) == 1
	})
	writeFile(t, path, hook.channels()+guard+"checks:\n  - {name: steady, schedule: {every: 1h}}\n")
	var res struct {
		Forced         bool
		NotedIncidents []int64 `json:"noted_incidents"`
	}
	if code := r.do(t, "POST", "/api/v1/config/reload", nil); code != 409 {
		t.Fatalf("reload removing half the checks: %d", code)
	}
	if code := r.do(t, "POST", "/api/v1/config/reload?force=true", &res); code != 200 || !res.Forced ||
		len(res.NotedIncidents) != 1 || res.NotedIncidents[0] != open.Incidents[0].ID {
		t.Fatalf("forced reload: %d %+v", code, res)
	}
	var in struct {
		Status   string
		Timeline []struct{ Kind, Message string }
	}
	r.get(t, "/api/v1/incidents/"+itoa(open.Incidents[0].ID), &in)
	var note string
	for _, e := range in.Timeline {
		if e.Kind == "check.removed" {
			note = e.Message
		}
	}
	if in.Status == "resolved" || !strings.Contains(note, `Check "flaky" was removed from the config`) ||
		!strings.Contains(note, "stays open") {
		t.Fatalf("incident %s, note %q", in.Status, note)
	}
	testkit.Eventually(t, "removal reported", hook.said(EventConfigApplied, "BY FORCE", "flaky", "1 open incidents of removed checks kept open"))
	if code := r.do(t, "POST", "/api/v1/config/reload?force=maybe", nil); code != 400 {
		t.Fatalf("force=maybe: %d", code)
	}
}

// TestAuditAPI serves the audit log newest first, paged, and refuses bad
// parameters with 400.
func TestAuditAPI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, "checks:\n  - {name: a, schedule: {every: 1h}}\n")
	r := start(t, path, nil)
	writeFile(t, path, "checks:\n  - {name: a, schedule: {every: 1h}}\n  - {name: b, schedule: {every: 1h}}\n")
	if code := r.do(t, "POST", "/api/v1/config/reload", nil); code != 200 {
		t.Fatalf("reload: %d", code)
	}
	type entry struct {
		ID     int64
		Action string
		Actor  string
		Data   struct{ Created []string }
	}
	var page struct{ Entries []entry }
	if code := r.get(t, "/api/v1/audit?action=config&limit=1", &page); code != 200 || len(page.Entries) != 1 ||
		page.Entries[0].Action != "config.reload" || page.Entries[0].Actor != "api:admin" || len(page.Entries[0].Data.Created) != 1 {
		t.Fatalf("newest config entry: %d %+v", code, page)
	}
	var older struct{ Entries []entry }
	if code := r.get(t, "/api/v1/audit?action=config&before="+itoa(page.Entries[0].ID), &older); code != 200 ||
		len(older.Entries) != 1 || older.Entries[0].Action != "config.startup" || older.Entries[0].Actor != "startup" {
		t.Fatalf("older entries: %d %+v", code, older)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=ten", "before=0", "before=-3", "before=x", "action=" + strings.Repeat("a", 101)} {
		if code := r.get(t, "/api/v1/audit?"+q, nil); code != 400 {
			t.Errorf("?%s: %d, want 400", q, code)
		}
	}
}

// TestStartGuard: a start compares the config with the database. A
// restart without a config file on a database of nothing is fine; on one
// with checks it is refused, naming them, until forced.
func TestStartGuard(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	open := func(configPath string, force bool) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, err := New(ctx, Options{ConfigPath: configPath, Listen: "127.0.0.1:0", Database: db, Version: "test", Clock: clock.Real{},
			Log: testkit.Logger(), ForceConfig: force})
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		cancel()
		return <-done
	}
	for range 2 {
		if err := open("", false); err != nil {
			t.Fatalf("start without a config: %v", err)
		}
	}
	path := filepath.Join(dir, "tocsin.yaml")
	writeFile(t, path, "checks:\n  - {name: a, schedule: {every: 1h}}\n  - {name: b, schedule: {every: 1h}}\n")
	if err := open(path, false); err != nil {
		t.Fatalf("start with checks: %v", err)
	}
	err := open("", false)
	if err == nil || !strings.Contains(err.Error(), "refused by the reload guard: it would remove every check (2): a, b") ||
		!strings.Contains(err.Error(), "--force-config") || strings.Contains(err.Error(), "empty") {
		t.Fatalf("start without a config on a database with checks: %v", err)
	}
	if err := open("", true); err != nil {
		t.Fatalf("forced start: %v", err)
	}
	if err := open("", false); err != nil {
		t.Fatalf("start after the forced one: %v", err)
	}
}

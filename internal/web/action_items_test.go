package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TestActionItemsAPI: responders add and change an incident's action
// items, viewers read them; bad input is refused with a clear message and
// changes nothing; the open ones are listed per team and owner, overdue
// flagged in the owner's zone; every change is on the timeline and in the
// audit log.
func TestActionItemsAPI(t *testing.T) {
	s := testServer(t)
	cfg := s.Snapshots.Load().Config
	cfg.Users = []config.User{{Name: "ana", TZ: "Pacific/Kiritimati"}, {Name: "bo"}}
	cfg.Teams = []config.Team{{Name: "core", Members: []string{"ana"}}, {Name: "infra", Members: []string{"bo"}}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx := context.Background()
	newIncident := func(team string) int64 {
		in := &tocsin.Incident{Title: "api slow", Status: tocsin.IncidentResolved, OpenedAt: time.Now().Add(-time.Hour), Service: "api",
			GroupKey: "g-" + team, Team: team}
		if err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateIncident(ctx, in) }); err != nil {
			t.Fatal(err)
		}
		return in.ID
	}
	withTeam, noTeam := newIncident("core"), newIncident("")
	items := func(id int64) string { return fmt.Sprintf("/api/v1/incidents/%d/action-items", id) }

	var a actionItemJSON
	fresh := func(a *actionItemJSON) *actionItemJSON { *a = actionItemJSON{}; return a }
	body := `{"title": "Alert on disk usage", "owner": "ana", "due": "2020-01-31", "link": "https://tickets.example/OPS-1"}`
	if code := call(t, srv, "viewer-token", "POST", items(withTeam), body, nil); code != http.StatusForbidden {
		t.Fatalf("viewer's add: %d, want 403", code)
	}
	if code := call(t, srv, "responder-token", "POST", items(withTeam), body, fresh(&a)); code != 201 || a.ID == 0 || a.Team != "core" ||
		a.Status != "open" || a.Due != "2020-01-31" || !a.Overdue || a.CreatedBy != "api:oncall-bot" || a.DoneAt != nil {
		t.Fatalf("add: %d %+v", code, a)
	}
	overdue := a.ID
	// No team on the incident: the owner's team.
	if code := call(t, srv, "responder-token", "POST", items(noTeam), `{"title": "Runbook", "owner": "bo", "due": "2999-12-31"}`, fresh(&a)); code != 201 ||
		a.Team != "infra" || a.Overdue {
		t.Fatalf("add to an incident without a team: %d %+v", code, a)
	}
	later := a.ID
	if code := call(t, srv, "responder-token", "POST", items(noTeam), `{"title": "Capacity", "owner": "bo", "team": "core"}`, fresh(&a)); code != 201 ||
		a.Team != "core" || a.Due != "" {
		t.Fatalf("add with a team: %d %+v", code, a)
	}
	undated := a.ID
	for _, bad := range []struct{ body, says string }{
		{`{"title": "  ", "owner": "ana"}`, "title: empty"},
		{`{"title": "x"}`, "owner: required"},
		{`{"title": "x", "owner": "zed"}`, `no user "zed"`},
		{`{"title": "x", "owner": "ana", "due": "31/01/2026"}`, "not a date"},
		{`{"title": "x", "owner": "ana", "due": "2026-02-30"}`, "not a date"},
		{`{"title": "x", "owner": "ana", "link": "javascript:alert(1)"}`, "http or https URL"},
		{`{"title": "x", "owner": "ana", "link": "ftp://files.example/x"}`, "http or https URL"},
		{`{"title": "x", "owner": "ana", "team": "nope"}`, `no team "nope"`},
		{`{"title": "x", "owner": "ana", "extra": 1}`, "body:"},
	} {
		var e struct{ Error string }
		if code := call(t, srv, "responder-token", "POST", items(withTeam), bad.body, &e); code != 400 || !strings.Contains(e.Error, bad.says) {
			t.Errorf("add %s: %d %q, want 400 saying %q", bad.body, code, e.Error, bad.says)
		}
	}
	if code := call(t, srv, "responder-token", "POST", items(999), `{"title": "x", "owner": "ana"}`, nil); code != 404 {
		t.Errorf("add to an unknown incident: %d, want 404", code)
	}

	// Changes: only what changes is recorded; done stamps done_at.
	patch := func(id int64) string { return fmt.Sprintf("/api/v1/action-items/%d", id) }
	if code := call(t, srv, "viewer-token", "PATCH", patch(later), `{"status": "done"}`, nil); code != http.StatusForbidden {
		t.Fatalf("viewer's change: %d, want 403", code)
	}
	if code := call(t, srv, "responder-token", "PATCH", patch(later), `{"status": "done", "link": "http://wiki.example/runbook"}`, fresh(&a)); code != 200 ||
		a.Status != "done" || a.DoneAt == nil || a.Link != "http://wiki.example/runbook" || a.Overdue {
		t.Fatalf("done: %d %+v", code, a)
	}
	if code := call(t, srv, "responder-token", "PATCH", patch(undated), `{"owner": "ana", "due": "2020-02-01", "title": "More capacity"}`, fresh(&a)); code != 200 ||
		a.Owner != "ana" || a.Due != "2020-02-01" || a.Title != "More capacity" || !a.Overdue || a.Team != "core" {
		t.Fatalf("change: %d %+v", code, a)
	}
	for _, bad := range []string{`{}`, `{"status": "finished"}`, `{"owner": "zed"}`, `{"due": "soon"}`, `{"link": "no"}`, `{"title": ""}`} {
		if code := call(t, srv, "responder-token", "PATCH", patch(undated), bad, nil); code != 400 {
			t.Errorf("change %s: %d, want 400", bad, code)
		}
	}
	if code := call(t, srv, "responder-token", "PATCH", patch(999), `{"status": "done"}`, nil); code != 404 {
		t.Errorf("change of an unknown item: %d, want 404", code)
	}

	// Lists: per incident; open ones per team and owner; every status.
	var list actionItemsJSON
	ids := func() []int64 {
		var out []int64
		for _, a := range list.ActionItems {
			out = append(out, a.ID)
		}
		return out
	}
	for _, c := range []struct {
		path string
		want []int64
	}{
		{items(noTeam), []int64{later, undated}},
		{"/api/v1/action-items", []int64{overdue, undated}},
		{"/api/v1/action-items?team=core&status=open", []int64{overdue, undated}},
		{"/api/v1/action-items?team=infra", nil},
		{"/api/v1/action-items?owner=bo&status=done", []int64{later}},
		{"/api/v1/action-items?status=all", []int64{overdue, undated, later}},
	} {
		list = actionItemsJSON{}
		if code := call(t, srv, "viewer-token", "GET", c.path, "", &list); code != 200 || fmt.Sprint(ids()) != fmt.Sprint(c.want) {
			t.Errorf("GET %s: %d %v, want %v", c.path, code, ids(), c.want)
		}
	}
	if code := call(t, srv, "viewer-token", "GET", "/api/v1/action-items?status=closed", "", nil); code != 400 {
		t.Errorf("unknown status: %d, want 400", code)
	}
	if code := call(t, srv, "viewer-token", "GET", items(999), "", nil); code != 404 {
		t.Errorf("items of an unknown incident: %d, want 404", code)
	}

	// The record: each add and change on the timeline and in the audit log.
	in, err := s.DB.Incident(ctx, noTeam)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, e := range in.Timeline {
		if e.Kind == tocsin.TimelineActionItem {
			entries = append(entries, e.Message)
		}
	}
	if len(entries) != 4 || !strings.Contains(entries[3], "owner ana (was bo)") || !strings.Contains(entries[3], "due 2020-02-01 (was none)") ||
		!strings.Contains(entries[2], "status done (was open)") {
		t.Errorf("timeline: %q", entries)
	}
	audit, err := s.DB.AuditLog(ctx, store.AuditFilter{Action: "incident.action_item", Limit: 100})
	if err != nil || len(audit) != 5 || audit[0].Actor != "api:oncall-bot" || audit[0].Role != "responder" {
		t.Fatalf("audit: %v %+v", err, audit)
	}
}

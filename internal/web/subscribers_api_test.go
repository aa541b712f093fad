package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestStatusSubscribersAPI: webhook subscribers are made by responders
// only, listed to viewers without the URL's path, removed, and each change
// is in the audit log; bad URLs and components are refused, and so is
// everything without links_secret.
func TestStatusSubscribersAPI(t *testing.T) {
	s := testServer(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	pages := &statuspage.Service{DB: s.DB, Clock: clock.Real{}, Configs: snapshotConfigs{s.Snapshots}, Log: testkit.Logger()}
	pages.NotifySubscribers(&statuspage.Subscribers{DB: s.DB, Clock: clock.Real{}, Log: testkit.Logger(), Key: func() []byte { return key }})
	s.StatusPages = pages
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	const path = "/api/v1/status-pages/public/subscribers"
	body := `{"url": "https://hooks.example.com/secret-path?token=x", "component": "api"}`

	if code := call(t, srv, "viewer-token", "POST", path, body, nil); code != http.StatusForbidden {
		t.Fatalf("a viewer made a webhook subscriber: %d", code)
	}
	var made statuspage.APISubscriber
	if code := call(t, srv, "responder-token", "POST", path, body, &made); code != http.StatusCreated {
		t.Fatalf("create: %d %+v", code, made)
	}
	if made.ID == 0 || made.Kind != "webhook" || made.Component != "api" || made.Target != "https://hooks.example.com/…" || made.ConfirmedAt == nil {
		t.Fatalf("created %+v", made)
	}
	var again statuspage.APISubscriber
	if code := call(t, srv, "responder-token", "POST", path, body, &again); code != http.StatusOK || again.ID != made.ID {
		t.Fatalf("the same webhook again: %d %+v, want 200 with subscriber %d", code, again, made.ID)
	}
	for _, bad := range []string{`{"url": "ftp://example.com/x"}`, `{"url": "https://example.com/x", "component": "nope"}`,
		`{"url": "https://example.com/x", "extra": 1}`, `{"url": ""}`} {
		var e map[string]string
		if code := call(t, srv, "responder-token", "POST", path, bad, &e); code != http.StatusBadRequest || e["error"] == "" {
			t.Errorf("%s: %d %v, want 400 with a message", bad, code, e)
		}
	}
	if code := call(t, srv, "responder-token", "POST", "/api/v1/status-pages/nope/subscribers", body, nil); code != http.StatusNotFound {
		t.Errorf("an unknown page: %d, want 404", code)
	}

	var list struct {
		Subscribers []statuspage.APISubscriber `json:"subscribers"`
	}
	if code := call(t, srv, "viewer-token", "GET", path, "", &list); code != http.StatusOK || len(list.Subscribers) != 1 ||
		strings.Contains(list.Subscribers[0].Target, "secret") {
		t.Fatalf("list: %d %+v", code, list)
	}
	if code := call(t, srv, "viewer-token", "DELETE", path+"/1", "", nil); code != http.StatusForbidden {
		t.Fatalf("a viewer removed a subscriber: %d", code)
	}
	if code := call(t, srv, "responder-token", "DELETE", path+"/1", "", nil); code != http.StatusOK {
		t.Fatalf("delete: %d", code)
	}
	if code := call(t, srv, "responder-token", "DELETE", path+"/1", "", nil); code != http.StatusNotFound {
		t.Fatalf("delete twice: %d, want 404", code)
	}
	if code := call(t, srv, "viewer-token", "GET", path, "", &list); code != http.StatusOK || len(list.Subscribers) != 0 {
		t.Fatalf("list after delete: %d %+v", code, list)
	}
	entries, err := s.DB.AuditLog(context.Background(), store.AuditFilter{Limit: 10, Action: "status_subscriber"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != "status_subscriber.delete" || entries[1].Action != "status_subscriber.create" ||
		entries[1].Actor != "api:oncall-bot" || entries[1].Role != "responder" || strings.Contains(entries[1].Message, "secret") {
		t.Fatalf("audit %+v", entries)
	}

	key = nil
	if code := call(t, srv, "responder-token", "POST", path, body, nil); code != http.StatusConflict {
		t.Errorf("without links_secret: %d, want 409", code)
	}
}

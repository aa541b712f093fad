package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// TestPostmortemAPI: an incident's postmortem is a draft until someone
// saves a revision; a save from a stale revision is refused (409); every
// revision is kept with its author; the Markdown export and the HTML
// rendering show the latest, and raw HTML in it is not rendered.
func TestPostmortemAPI(t *testing.T) {
	s := testServer(t)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx := context.Background()
	opened := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	in := &tocsin.Incident{Title: "api slow", Status: tocsin.IncidentTriggered, OpenedAt: opened, Service: "api", GroupKey: "g", Priority: tocsin.P2}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		return tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: opened, Kind: tocsin.TimelineOpened, Actor: "tocsin", Message: "Incident opened"})
	}); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/incidents/%d/postmortem", in.ID)

	var pm postmortemJSON
	if code := call(t, srv, "viewer-token", "GET", base+"?tz=Asia/Tokyo", "", &pm); code != 200 || !pm.Draft || pm.Revision != 0 ||
		!strings.HasPrefix(pm.Markdown, fmt.Sprintf("# Postmortem: #%d api slow\n", in.ID)) ||
		!strings.Contains(pm.Markdown, "| 2026-05-04 10:00:00 UTC | 2026-05-04 19:00:00 JST |") {
		t.Fatalf("draft: %d %+v", code, pm)
	}
	if code := call(t, srv, "viewer-token", "GET", base+"?tz=Mars/Olympus", "", nil); code != 400 {
		t.Errorf("unknown zone: %d, want 400", code)
	}
	// A viewer reads, a responder writes.
	save := func(md string, rev int) string { return fmt.Sprintf(`{"markdown": %q, "base_revision": %d}`, md, rev) }
	if code := call(t, srv, "viewer-token", "PUT", base, save("# mine", 0), nil); code != http.StatusForbidden {
		t.Fatalf("viewer's save: %d, want 403", code)
	}
	if code := call(t, srv, "responder-token", "PUT", base, save("# One\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", 0), &pm); code != 200 ||
		pm.Revision != 1 || pm.Author != "api:oncall-bot" || pm.Draft || pm.SavedAt == nil {
		t.Fatalf("first save: %d %+v", code, pm)
	}
	// Another editor who also started from the draft is refused.
	if code := call(t, srv, "right-token", "PUT", base, save("# Two", 0), nil); code != http.StatusConflict {
		t.Fatalf("stale save: %d, want 409", code)
	}
	if code := call(t, srv, "right-token", "PUT", base, save("# Two", 1), &pm); code != 200 || pm.Revision != 2 || pm.Author != "api:admin" {
		t.Fatalf("second save: %d %+v", code, pm)
	}
	for _, bad := range []string{save("  ", 2), save("# x", -1), `{"markdown": "# x", "base_revision": 2, "extra": 1}`} {
		if code := call(t, srv, "responder-token", "PUT", base, bad, nil); code != 400 {
			t.Errorf("save %s: %d, want 400", bad, code)
		}
	}
	if code := call(t, srv, "responder-token", "PUT", "/api/v1/incidents/999/postmortem", save("# x", 0), nil); code != 404 {
		t.Errorf("unknown incident's save: %d, want 404", code)
	}
	var revs postmortemRevisionsJSON
	if code := call(t, srv, "viewer-token", "GET", base+"/revisions", "", &revs); code != 200 || len(revs.Revisions) != 2 ||
		revs.Revisions[0].Revision != 2 || revs.Revisions[1].Author != "api:oncall-bot" || !strings.HasPrefix(revs.Revisions[1].Markdown, "# One") {
		t.Fatalf("revisions: %d %+v", code, revs)
	}
	if code := call(t, srv, "viewer-token", "GET", base, "", &pm); code != 200 || pm.Revision != 2 || pm.Markdown != "# Two" {
		t.Fatalf("latest: %d %+v", code, pm)
	}
	code, ctype, body := getAs(t, srv, base+".md")
	if code != 200 || !strings.HasPrefix(ctype, "text/markdown") || body != "# Two" {
		t.Fatalf("markdown: %d %s %q", code, ctype, body)
	}
	// Back to the first revision's text, to render its table and script.
	if code := call(t, srv, "responder-token", "PUT", base, save(revs.Revisions[1].Markdown, 2), nil); code != 200 {
		t.Fatalf("third save: %d", code)
	}
	code, ctype, body = getAs(t, srv, base+".html")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "<h1>One</h1>") || !strings.Contains(body, "<table>") ||
		strings.Contains(body, "<script>") {
		t.Fatalf("html: %d %s %s", code, ctype, body)
	}
	for _, p := range []string{"", "/revisions", ".md", ".html"} {
		if code, _, _ := getAs(t, srv, "/api/v1/incidents/999/postmortem"+p); code != 404 {
			t.Errorf("unknown incident's postmortem%s: %d, want 404", p, code)
		}
	}
	entries, err := s.DB.AuditLog(ctx, store.AuditFilter{Action: "incident.postmortem", Limit: 100})
	if err != nil || len(entries) != 3 || entries[2].Actor != "api:oncall-bot" || entries[2].Role != "responder" {
		t.Fatalf("audit: %v %+v", err, entries)
	}
}

// getAs reads path as a viewer: status, content type and body.
func getAs(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer viewer-token")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

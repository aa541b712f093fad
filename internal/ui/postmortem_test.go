package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postmortemAPI is what these tests read of a postmortem through the API.
type postmortemAPI struct {
	Revision int
	Draft    bool
	Author   string
	Markdown string
}

// The postmortem page shows the draft until someone saves one, then the
// latest revision; a responder edits and saves it through the API's own
// SavePostmortem, a save over a stale revision is refused with a clear
// message and the person's text kept; revisions are listed with author
// and time; a viewer reads but cannot edit.
func TestPostmortemPage(t *testing.T) {
	s, _ := startResponders(t)
	id := s.alertIncident(t, "k-pay-123-abcdefgh", "PaymentsDown", "critical")
	path := fmt.Sprintf("/incidents/%d/postmortem", id)
	read := func() postmortemAPI {
		t.Helper()
		var pm postmortemAPI
		s.api(t, "GET", fmt.Sprintf("/api/v1/incidents/%d/postmortem", id), "", http.StatusOK, &pm)
		return pm
	}
	alice := s.login(t, "alice")
	status, _, body := alice.get(t, path)
	for _, want := range []string{"<h1>Postmortem of #", `<span class="badge">draft</span>`, "<h2", "Root cause",
		`href="` + path + `/edit"`, fmt.Sprintf(`href="/api/v1/incidents/%d/postmortem.md"`, id), "None saved yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("the draft's page lacks %q", want)
		}
	}
	if status != http.StatusOK || t.Failed() {
		t.Fatalf("%d\n%s", status, body)
	}
	// The export the page links to answers a person's session.
	if status, _, md := alice.get(t, fmt.Sprintf("/api/v1/incidents/%d/postmortem.md", id)); status != http.StatusOK || !strings.Contains(md, "## Root cause") {
		t.Errorf("the .md export: %d\n%.500s", status, md)
	}

	// The editor starts from the draft (its times in alice's zone too), at
	// revision 0.
	status, _, body = alice.get(t, path+"/edit")
	if status != http.StatusOK || !strings.Contains(body, `<textarea id="pm-markdown" name="markdown"`) || formValue(t, body, "base_revision") != "0" ||
		!strings.Contains(body, "## Root cause") || !strings.Contains(body, "editing the draft") {
		t.Fatalf("the editor: %d\n%s", status, body)
	}
	first := "# Payments down\r\n\r\n## Root cause\r\n\r\nA certificate expired.\r\n\r\n| a | b |\r\n|---|---|\r\n| 1 | 2 |\r\n"
	if status, loc, body := alice.post(t, path, url.Values{"markdown": {first}, "base_revision": {"0"}}); status != http.StatusSeeOther || loc != path+"?done=postmortem-saved" {
		t.Fatalf("save: %d to %q\n%s", status, loc, body)
	}
	if pm := read(); pm.Revision != 1 || pm.Draft || pm.Author != "user:alice" || pm.Markdown != strings.ReplaceAll(first, "\r\n", "\n") {
		t.Fatalf("after the save: %+v", pm)
	}
	_, _, body = alice.get(t, path+"?done=postmortem-saved")
	for _, want := range []string{"Postmortem saved as a new revision.", "Revision 1", "saved by user:alice", "<p>A certificate expired.</p>",
		`<div class="scroll" tabindex="0" role="region" aria-label="Table 1"><table>`, `href="` + path + `?revision=1"`, "<td>user:alice</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the saved page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatal(body)
	}

	// Someone saves revision 2 through the API meanwhile: alice's save
	// from revision 1 is refused, her text kept, revision 2 shown; saving
	// again puts hers after it.
	s.api(t, "PUT", fmt.Sprintf("/api/v1/incidents/%d/postmortem", id), `{"markdown": "# Payments down\n\nBy the API.\n", "base_revision": 1}`, http.StatusOK, nil)
	mine := "# Payments down\n\nAlice's version.\n"
	status, _, body = alice.post(t, path, url.Values{"markdown": {mine}, "base_revision": {"1"}})
	if status != http.StatusConflict || !strings.Contains(body, "is at revision 2, not 1") || !strings.Contains(body, html.EscapeString(mine)) ||
		!strings.Contains(body, "<p>By the API.</p>") || formValue(t, body, "base_revision") != "2" || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("the conflict: %d\n%s", status, body)
	}
	if pm := read(); pm.Revision != 2 {
		t.Fatalf("after the conflict: %+v", pm)
	}
	if status, _, body := alice.post(t, path, url.Values{"markdown": {mine}, "base_revision": {"2"}}); status != http.StatusSeeOther {
		t.Fatalf("save after the conflict: %d\n%s", status, body)
	}
	if pm := read(); pm.Revision != 3 || pm.Markdown != mine {
		t.Fatalf("after saving again: %+v", pm)
	}

	// Bad input: the reason, the text kept, nothing saved.
	for _, bad := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"markdown": {"  \n"}, "base_revision": {"3"}}, "markdown: empty"},
		{url.Values{"markdown": {"x"}, "base_revision": {"three"}}, "base_revision: the number"},
		{url.Values{"markdown": {"x"}, "base_revision": {"-1"}}, "is negative"},
	} {
		if status, _, body := alice.post(t, path, bad.form); status != http.StatusBadRequest || !strings.Contains(body, bad.says) {
			t.Errorf("save %v: %d, want 400 saying %q\n%.2000s", bad.form, status, bad.says, body)
		}
	}
	if pm := read(); pm.Revision != 3 {
		t.Errorf("after refused saves: %+v", pm)
	}

	// Older revisions are listed and shown on request.
	_, _, body = alice.get(t, path+"?revision=1")
	if !strings.Contains(body, "Revision 1 (not the latest") || !strings.Contains(body, "<p>A certificate expired.</p>") || strings.Count(body, path+"?revision=") != 3 || !strings.Contains(body, "<td>api:admin</td>") {
		t.Errorf("revision 1:\n%s", body)
	}
	for _, q := range []string{"9", "x"} {
		if status, _, _ := alice.get(t, path+"?revision="+q); status != http.StatusNotFound {
			t.Errorf("revision %s: %d", q, status)
		}
	}
	if status, _, _ := alice.get(t, "/incidents/999/postmortem"); status != http.StatusNotFound {
		t.Errorf("no incident: %d", status)
	}
	_, audit := s.timelineAndAudit(t, id, "user:alice")
	if n := countPrefix(audit, "incident.postmortem"); n != 2 {
		t.Errorf("alice's postmortem audit entries: %d, want 2: %q", n, audit)
	}

	// A viewer reads but has no editor and is refused.
	victor := s.login(t, "victor")
	status, _, body = victor.get(t, path)
	if status != http.StatusOK || !strings.Contains(body, "<p>Alice's version.</p>") || strings.Contains(body, path+"/edit") {
		t.Errorf("the viewer's page: %d\n%s", status, body)
	}
	if status, _, _ := victor.get(t, path+"/edit"); status != http.StatusForbidden {
		t.Errorf("the viewer's editor: %d", status)
	}
	if status, _, _ := victor.post(t, path, url.Values{"markdown": {"# mine"}, "base_revision": {"3"}}); status != http.StatusForbidden {
		t.Errorf("the viewer's save: %d", status)
	}
	if pm := read(); pm.Revision != 3 {
		t.Errorf("after the viewer: %+v", pm)
	}

	// A text near the limit, all of it percent-encoded by the form (each
	// "é" is two bytes, six as sent), is saved; two bytes more are refused
	// with the reason.
	long := "# Long\n\n" + strings.Repeat("é", (60000-len("# Long\n\n"))/2)
	if status, _, body := alice.post(t, path, url.Values{"markdown": {long}, "base_revision": {"3"}}); status != http.StatusSeeOther {
		t.Fatalf("save of %d bytes: %d\n%.1000s", len(long), status, body)
	}
	if status, _, body := alice.post(t, path, url.Values{"markdown": {long + "ab"}, "base_revision": {"4"}}); status != http.StatusBadRequest ||
		!strings.Contains(body, "60000") {
		t.Errorf("save of %d bytes: %d, want 400 naming the limit\n%.1000s", len(long)+2, status, body)
	}
	if pm := read(); pm.Revision != 4 || pm.Markdown != long {
		t.Errorf("after the long save: revision %d, %d bytes", pm.Revision, len(pm.Markdown))
	}
}

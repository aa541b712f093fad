package ui

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/web"
)

// An incident's postmortem page: the postmortem rendered (the draft
// Tocsin writes from the record until someone saves one, then the latest
// revision, or an older one asked for), its revisions, its Markdown
// export, and an editor for responders that saves through
// web.Server.SavePostmortem, the API's own call, with its check that
// nobody saved another revision meanwhile.

func (u *UI) postmortemRoutes() []auth.Route {
	return []auth.Route{
		page("GET /incidents/{id}/postmortem", auth.Viewer, u.postmortemPage),
		page("GET /incidents/{id}/postmortem/edit", auth.Responder, u.postmortemEditor),
		page("POST /incidents/{id}/postmortem", auth.Responder, u.savePostmortem),
	}
}

// maxRevisionsListed bounds the revisions the page lists, newest first.
const maxRevisionsListed = 50

// postmortemView is the postmortem page's data, read or edited.
type postmortemView struct {
	Incident  *tocsin.Incident
	Shown     revisionRow   // the revision shown; Revision 0 is the draft
	HTML      template.HTML // Shown rendered
	Latest    revisionRow   // the latest revision; Revision 0: none saved
	Revisions []revisionRow // newest first, at most maxRevisionsListed
	Unlisted  int           // revisions older than those listed

	Editing  bool
	Markdown string // the editor's text
	Base     int    // the revision the editor's text started from
	MaxBytes int
	Error    string // why a save was refused
	Conflict bool   // refused because another revision was saved meanwhile

	// The incident's action items, in the order they were made, and the
	// choices of their forms.
	ActionItems []actionRow
	OpenItems   int
	Owners      []string
	Statuses    []statusChoice

	all []store.PostmortemRevision // every saved revision, newest first
}

// revisionRow is a saved revision, or with Revision 0 the draft.
type revisionRow struct {
	Revision int
	Author   string
	SavedAt  time.Time
	markdown string
}

// postmortemView reads incident id's postmortem: its revisions, and the
// draft when none is saved, and its action items: three store queries,
// and the draft's own.
func (u *UI) postmortemView(ctx context.Context, p auth.Principal, id int64) (*postmortemView, error) {
	in, err := u.srv.DB.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	revs, err := u.srv.DB.PostmortemRevisions(ctx, id)
	if err != nil {
		return nil, err
	}
	items, err := u.srv.DB.IncidentActionItems(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &postmortemView{Incident: in, MaxBytes: web.MaxPostmortem, all: revs,
		ActionItems: u.actionRows(items), Owners: u.configUsers(), Statuses: actionStatuses}
	for _, a := range items {
		if a.Status == store.ActionOpen {
			v.OpenItems++
		}
	}
	for i, rev := range revs {
		row := revisionRow{Revision: rev.Revision, Author: rev.Author, SavedAt: rev.SavedAt, markdown: rev.Markdown}
		if i == 0 {
			v.Latest = row
		}
		if i < maxRevisionsListed {
			v.Revisions = append(v.Revisions, row)
		}
	}
	v.Unlisted = len(revs) - len(v.Revisions)
	if len(revs) == 0 {
		// The draft's timeline shows the viewer's zone beside UTC, as the
		// API's draft does for the user asking.
		users := u.srv.Snapshots.Load().Config.Users
		md, err := u.srv.Postmortems.Draft(ctx, users, id, u.zoneOf(p))
		if err != nil {
			return nil, err
		}
		v.Latest = revisionRow{markdown: md}
	}
	v.Shown = v.Latest
	return v, nil
}

// revision finds revision n among revs.
func revision(revs []store.PostmortemRevision, n int) (store.PostmortemRevision, bool) {
	for _, r := range revs {
		if r.Revision == n {
			return r, true
		}
	}
	return store.PostmortemRevision{}, false
}

// postmortemPage shows the postmortem: the latest revision (or the
// draft), or revision ?revision=N.
func (u *UI) postmortemPage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v, err := u.postmortemView(r.Context(), p, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if q := r.URL.Query().Get("revision"); q != "" {
		n, err := strconv.Atoi(q)
		rev, found := revision(v.all, n)
		if found && err == nil {
			v.Shown = revisionRow{Revision: rev.Revision, Author: rev.Author, SavedAt: rev.SavedAt, markdown: rev.Markdown}
		} else {
			u.fail(w, r, tocsin.Errorf(tocsin.ENotFound, "the postmortem of incident %d has no revision %q", id, q))
			return
		}
	}
	if v.HTML, err = u.postmortemHTML(v.Shown.markdown); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, "postmortem", "Postmortem of "+incidentTitle(v.Incident), "incidents", v)
}

// postmortemEditor shows the editor with the latest revision's Markdown,
// or the draft's.
func (u *UI) postmortemEditor(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v, err := u.postmortemView(r.Context(), p, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	v.Editing, v.Markdown, v.Base = true, v.Latest.markdown, v.Latest.Revision
	u.render(w, r, "postmortem", "Edit the postmortem of "+incidentTitle(v.Incident), "incidents", v)
}

// savePostmortem saves field markdown as the revision after field
// base_revision. A refusal shows the editor again with the reason and the
// person's text; when someone saved a revision meanwhile it says whose,
// and saving again puts the person's text after theirs.
func (u *UI) savePostmortem(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// Browsers send a textarea's line ends as CRLF; the Markdown keeps LF,
	// as the API's clients send it.
	text := strings.ReplaceAll(r.PostFormValue("markdown"), "\r\n", "\n")
	base, err := strconv.Atoi(r.PostFormValue("base_revision"))
	if err != nil {
		u.fail(w, r, tocsin.Errorf(tocsin.EInvalid, "base_revision: the number of the revision edited expected"))
		return
	}
	_, err = u.srv.SavePostmortem(r, id, web.PostmortemSave{Markdown: text, BaseRevision: base})
	if err == nil {
		done(w, r, "/incidents/"+strconv.FormatInt(id, 10)+"/postmortem", "postmortem-saved")
		return
	}
	code := tocsin.ErrorCode(err)
	if code != tocsin.EInvalid && code != tocsin.EConflict {
		u.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v, verr := u.postmortemView(r.Context(), p, id)
	if verr != nil {
		u.fail(w, r, verr)
		return
	}
	v.Editing, v.Markdown, v.Base, v.Error = true, text, base, tocsin.ErrorMessage(err)
	status := http.StatusBadRequest
	if code == tocsin.EConflict {
		status, v.Conflict, v.Base = http.StatusConflict, true, v.Latest.Revision
		if v.HTML, err = u.postmortemHTML(v.Latest.markdown); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	u.renderStatus(w, r, status, "postmortem", "Edit the postmortem of "+incidentTitle(v.Incident), "incidents", v)
}

// postmortemHTML renders a postmortem through the renderer the API uses,
// which leaves raw HTML out; each table is put in a region of its own
// that scrolls sideways on a narrow screen and can be reached from the
// keyboard.
func (u *UI) postmortemHTML(md string) (template.HTML, error) {
	body, err := u.srv.Postmortems.HTML(md)
	if err != nil {
		return "", err
	}
	parts := strings.Split(body, "<table>")
	var b strings.Builder
	b.WriteString(parts[0])
	for i, part := range parts[1:] {
		b.WriteString(`<div class="scroll" tabindex="0" role="region" aria-label="Table ` + strconv.Itoa(i+1) + `"><table>`)
		b.WriteString(strings.Replace(part, "</table>", "</table></div>", 1))
	}
	return template.HTML(b.String()), nil
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/store"
)

// An incident's postmortem: a draft written from what Tocsin recorded
// until someone saves one, then its saved revisions, each with its author;
// exported as Markdown and rendered as HTML. docs/postmortems.md
// describes the draft.

// Postmortems is the package that writes and renders postmortems
// (internal/postmortem), so that this package need not import it.
type Postmortems interface {
	// Draft writes the draft of incident id's postmortem, with the times
	// of its timeline also in zone; users are the config's.
	Draft(ctx context.Context, users []config.User, id int64, zone *time.Location) (string, error)
	// HTML renders a postmortem's Markdown, raw HTML left out.
	HTML(markdown string) (string, error)
}

// postmortemJSON is an incident's postmortem: its latest saved revision,
// or, with revision 0 and draft true, the draft written from the record.
type postmortemJSON struct {
	Incident int64      `json:"incident"`
	Revision int        `json:"revision"` // 0: nothing saved yet
	Draft    bool       `json:"draft"`    // written by Tocsin, not saved by anyone
	Author   string     `json:"author,omitempty"`
	SavedAt  *time.Time `json:"saved_at,omitempty"`
	Markdown string     `json:"markdown"`
}

// postmortemSaveJSON is a revision to save over base_revision, the
// revision the editor started from (0 for the draft).
type postmortemSaveJSON struct {
	Markdown     string `json:"markdown"`
	BaseRevision int    `json:"base_revision"`
}

// postmortemRevisionsJSON lists the saved revisions, newest first.
type postmortemRevisionsJSON struct {
	Revisions []postmortemJSON `json:"revisions"`
}

func revisionJSON(r store.PostmortemRevision) postmortemJSON {
	at := r.SavedAt.UTC()
	return postmortemJSON{Incident: r.Incident, Revision: r.Revision, Author: r.Author, SavedAt: &at, Markdown: r.Markdown}
}

// postmortemZone is the zone the draft's timeline shows beside UTC: the
// request's ?tz=, else the zone of the user asking, else UTC.
func (s *Server) postmortemZone(r *http.Request, users []config.User) (*time.Location, error) {
	name := r.URL.Query().Get("tz")
	if name == "" {
		if p := principal(r); p.Kind == "user" {
			for _, u := range users {
				if u.Name == p.Name {
					name = u.TZ
				}
			}
		}
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, tocsin.Errorf(tocsin.EInvalid, "tz: %q is not a time zone", name)
	}
	return loc, nil
}

// postmortemOf is the postmortem of the request's incident: the latest
// revision, or the draft when none is saved.
func (s *Server) postmortemOf(r *http.Request) (postmortemJSON, error) {
	id, err := incidentID(r)
	if err != nil {
		return postmortemJSON{}, err
	}
	saved, err := s.DB.Postmortem(r.Context(), id)
	if err != nil {
		return postmortemJSON{}, err
	}
	if saved != nil {
		return revisionJSON(*saved), nil
	}
	users := s.Snapshots.Load().Config.Users
	zone, err := s.postmortemZone(r, users)
	if err != nil {
		return postmortemJSON{}, err
	}
	md, err := s.Postmortems.Draft(r.Context(), users, id, zone)
	if err != nil {
		return postmortemJSON{}, err
	}
	return postmortemJSON{Incident: id, Draft: true, Markdown: md}, nil
}

// getPostmortem answers with the incident's postmortem as JSON.
func (s *Server) getPostmortem(w http.ResponseWriter, r *http.Request) {
	pm, err := s.postmortemOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pm)
}

// postmortemMarkdown answers with the postmortem's Markdown.
func (s *Server) postmortemMarkdown(w http.ResponseWriter, r *http.Request) {
	pm, err := s.postmortemOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="incident-%d-postmortem.md"`, pm.Incident))
	w.Write([]byte(pm.Markdown))
}

// postmortemHTML answers with the postmortem rendered as an HTML page.
func (s *Server) postmortemHTML(w http.ResponseWriter, r *http.Request) {
	pm, err := s.postmortemOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := s.Postmortems.HTML(pm.Markdown)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Postmortem of incident %d</title></head><body>\n%s</body></html>\n",
		pm.Incident, body)
}

// MaxPostmortem is the longest postmortem saved, in bytes; the API's
// bound of every request body (64 KiB) holds it with its JSON.
const MaxPostmortem = 60000

// putPostmortem saves a revision of the incident's postmortem.
func (s *Server) putPostmortem(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body postmortemSaveJSON
	if !decodeBody(w, r, &body, `{"markdown", "base_revision"}`) {
		return
	}
	rev, err := s.SavePostmortem(r, id, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, revisionJSON(*rev))
}

// SavePostmortem saves body as the revision after body.BaseRevision of
// incident id's postmortem, authored by the request's principal; a stale
// base is a conflict (409). The save is audited.
func (s *Server) SavePostmortem(r *http.Request, id int64, body postmortemSaveJSON) (*store.PostmortemRevision, error) {
	switch {
	case strings.TrimSpace(body.Markdown) == "":
		return nil, tocsin.Errorf(tocsin.EInvalid, "markdown: empty")
	case len(body.Markdown) > MaxPostmortem:
		return nil, tocsin.Errorf(tocsin.EInvalid, "markdown: %d bytes, more than %d", len(body.Markdown), MaxPostmortem)
	case !utf8.ValidString(body.Markdown):
		return nil, tocsin.Errorf(tocsin.EInvalid, "markdown: not UTF-8")
	case body.BaseRevision < 0:
		return nil, tocsin.Errorf(tocsin.EInvalid, "base_revision: %d is negative", body.BaseRevision)
	}
	ctx := r.Context()
	if _, err := s.DB.Incident(ctx, id); err != nil {
		return nil, err
	}
	rev := &store.PostmortemRevision{Incident: id, Markdown: body.Markdown, Author: actor(r), SavedAt: s.Clock.Now()}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SavePostmortem(ctx, rev, body.BaseRevision); err != nil {
			return err
		}
		return tx.AuditEvent(ctx, s.auditEvent(r, "incident.postmortem", fmt.Sprintf("incident %d: postmortem revision %d", id, rev.Revision),
			map[string]any{"incident_id": id, "revision": rev.Revision, "base_revision": body.BaseRevision, "bytes": len(body.Markdown)}))
	})
	if err != nil {
		return nil, err
	}
	return rev, nil
}

// listPostmortemRevisions answers with every saved revision, newest first.
func (s *Server) listPostmortemRevisions(w http.ResponseWriter, r *http.Request) {
	id, err := incidentID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.DB.Incident(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	revs, err := s.DB.PostmortemRevisions(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := postmortemRevisionsJSON{Revisions: make([]postmortemJSON, 0, len(revs))}
	for _, rev := range revs {
		out.Revisions = append(out.Revisions, revisionJSON(rev))
	}
	writeJSON(w, http.StatusOK, out)
}

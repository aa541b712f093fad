package web

import (
	"net/http"

	"github.com/tocsinhq/tocsin"
)

// SetCheckPaused pauses (pause) or resumes the check uuid for the
// request's principal, as POST /api/v1/checks/{uuid}/pause and /resume
// do; the web pages call it too, so that both take one path to the store
// and to the audit log.
func (s *Server) SetCheckPaused(r *http.Request, uuid string, pause bool) (*tocsin.Check, error) {
	return s.Actions.SetPaused(s.auditContext(r), uuid, pause, actor(r))
}

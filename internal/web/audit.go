package web

import (
	"context"
	"net/http"

	"github.com/tocsinhq/tocsin/internal/store"
)

// sourceAddr is the address a request came from: its peer's, or the
// client's that a peer in trusted_proxies names in X-Forwarded-For.
func (s *Server) sourceAddr(r *http.Request) string {
	return s.Snapshots.Load().ClientAddr(r)
}

// auditSource is the request's principal's role and source address, as
// the audit log records them.
func (s *Server) auditSource(r *http.Request) store.AuditSource {
	src := store.AuditSource{Addr: s.sourceAddr(r)}
	if p := principal(r); p.Role != 0 {
		src.Role = p.Role.String()
	}
	return src
}

// auditContext is the request's context carrying its audit source, so
// that every audit entry written under it says who acted and from where.
func (s *Server) auditContext(r *http.Request) context.Context {
	return store.WithAuditSource(r.Context(), s.auditSource(r))
}

// AuditContext is auditContext for the handlers of other packages that
// find the request's principal themselves.
func (s *Server) AuditContext(r *http.Request) context.Context { return s.auditContext(r) }

// auditEvent is an audit entry of an action taken by the request's principal.
func (s *Server) auditEvent(r *http.Request, action, message string, data any) store.AuditEvent {
	src := s.auditSource(r)
	return store.AuditEvent{Actor: actor(r), Role: src.Role, Addr: src.Addr, Action: action, Message: message, Data: data}
}

// withAuditSource serves h with the request's audit source in its context,
// for handlers of other packages, which know nothing of requests' addresses.
func (s *Server) withAuditSource(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(s.auditContext(r)))
	})
}

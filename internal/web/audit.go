package web

import (
	"context"
	"net"
	"net/http"

	"github.com/tocsinhq/tocsin/internal/store"
)

// sourceAddr is the address a request came from: its RemoteAddr without
// the port. Tocsin trusts no forwarding header.
func sourceAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// auditSource is the request's principal's role and source address, as
// the audit log records them.
func auditSource(r *http.Request) store.AuditSource {
	src := store.AuditSource{Addr: sourceAddr(r)}
	if p := principal(r); p.Role != 0 {
		src.Role = p.Role.String()
	}
	return src
}

// auditContext is the request's context carrying its audit source, so
// that every audit entry written under it says who acted and from where.
func auditContext(r *http.Request) context.Context {
	return store.WithAuditSource(r.Context(), auditSource(r))
}

// auditEvent is an audit entry of an action taken by the request's principal.
func auditEvent(r *http.Request, action, message string, data any) store.AuditEvent {
	src := auditSource(r)
	return store.AuditEvent{Actor: actor(r), Role: src.Role, Addr: src.Addr, Action: action, Message: message, Data: data}
}

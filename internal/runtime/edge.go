package runtime

import (
	"net/http"

	"github.com/tocsinhq/tocsin/internal/ingest/ping"
)

// ClientAddr is the address of the client that sent r: the peer, or what
// a trusted proxy says in X-Forwarded-For (the rule of the ping API).
func (s *Snapshot) ClientAddr(r *http.Request) string { return ping.ClientAddr(r, s.Proxies) }

// Scheme is the scheme the client used: what a trusted proxy says in
// X-Forwarded-Proto, else https when r came over TLS.
func (s *Snapshot) Scheme(r *http.Request) string { return ping.Scheme(r, s.Proxies) }

package web

import (
	"time"

	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/store"
)

// ActionItemOverdue reports whether a is overdue at now as the API's
// overdue flag judges it: open, and its due day has ended in its owner's
// time zone (the running config's users[].tz, else UTC).
func (s *Server) ActionItemOverdue(a *store.ActionItem, now time.Time) bool {
	return incident.Overdue(a, userZone(s.Snapshots.Load().Config.Users, a.Owner), now)
}

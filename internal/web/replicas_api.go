package web

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
)

type replicaJSON struct {
	Name      string    `json:"name"`
	Alive     bool      `json:"alive"` // its member lease has not lapsed
	Leader    bool      `json:"leader"`
	ExpiresAt time.Time `json:"lease_expires_at"`
}

type leaderJSON struct {
	Replica   string    `json:"replica"`
	Token     int64     `json:"token"` // grows by one each time the lease changes hands
	Held      bool      `json:"held"`  // false: it lapsed or was given up, and no one has taken it yet
	ExpiresAt time.Time `json:"lease_expires_at"`
}

// listReplicas shows the replicas on the database as their leases tell:
// which one runs the engine and under which fencing token, and which are
// alive. One process on SQLite is one replica.
func (s *Server) listReplicas(w http.ResponseWriter, r *http.Request) {
	leases, err := s.DB.Leases(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Clock.Now()
	var lead *leaderJSON
	replicas := []replicaJSON{}
	for _, l := range leases {
		if l.Name == store.EngineLease {
			lead = &leaderJSON{Replica: l.Holder, Token: l.Token, Held: !now.After(l.ExpiresAt), ExpiresAt: l.ExpiresAt.UTC()}
			continue
		}
		name, ok := strings.CutPrefix(l.Name, store.MemberPrefix)
		if !ok {
			continue
		}
		replicas = append(replicas, replicaJSON{Name: name, Alive: !now.After(l.ExpiresAt), ExpiresAt: l.ExpiresAt.UTC()})
	}
	for i := range replicas {
		replicas[i].Leader = lead != nil && lead.Held && lead.Replica == replicas[i].Name
	}
	sort.Slice(replicas, func(i, j int) bool { return replicas[i].Name < replicas[j].Name })
	writeJSON(w, http.StatusOK, map[string]any{"this": s.Replica, "leader": lead, "replicas": replicas})
}

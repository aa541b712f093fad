package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/tocsinhq/tocsin/internal/statuspage"
	"github.com/tocsinhq/tocsin/internal/store"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// A check that fails wakes the status_pages job through the bus (the
// fake clock stands still, so no timer runs it): its component turns
// major_outage and the public incident opens, told on the internal
// incident's timeline; its recovery resolves it the same way.
func TestStatusPageFollowsAFailingCheck(t *testing.T) {
	hook, hookURL := newHook(t)
	const uuid = "7a1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d"
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(`channels:
  - {name: ops, type: webhook, url: %q}
checks:
  - {name: web, uuid: %s, schedule: {every: 1h}, grace: 1h, notify: [ops]}
status_pages:
  - slug: public
    title: Example status
    components:
      - {name: API, checks: [web]}
`, hookURL, uuid))
	r, _ := startOnFakeClock(t, path)
	ctx := context.Background()
	ping := func(suffix string) {
		resp, err := http.Get(r.base + "/ping/" + uuid + suffix)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	open := func() (store.StatusIncident, bool) {
		list, err := r.app.db.StatusIncidents(ctx, "public", store.StatusKindIncident, r.app.clock.Now().AddDate(-1, 0, 0), 10)
		if err != nil || len(list) == 0 {
			return store.StatusIncident{}, false
		}
		return list[0], true
	}
	ping("/fail")
	testkit.Eventually(t, "the public incident", func() bool { si, ok := open(); return ok && si.Name == "Outage of API" })
	testkit.Eventually(t, "web paged", func() bool { return hook.find("incident.triggered", "web is down") != nil })
	v, _, err := r.app.status.View(ctx, "public")
	if err != nil || v.Components[0].Status != statuspage.MajorOutage || len(v.Incidents) != 1 {
		t.Fatalf("view: %+v, %v", v, err)
	}
	var incidents incidentList
	r.get(t, "/api/v1/incidents?status=open", &incidents)
	if len(incidents.Incidents) != 1 {
		t.Fatalf("open incidents %+v", incidents)
	}
	id := incidents.Incidents[0].ID
	testkit.Eventually(t, "the public update on the timeline", func() bool {
		in, err := r.app.db.Incident(ctx, id)
		if err != nil {
			return false
		}
		for _, e := range in.Timeline {
			if e.Kind == statuspage.TimelineKind {
				return true
			}
		}
		return false
	})
	ping("")
	testkit.Eventually(t, "the public incident resolved", func() bool { si, ok := open(); return ok && si.Status == "resolved" })
}

package app

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// startOnFakeClock runs Tocsin with the config at path on a fake clock.
func startOnFakeClock(t *testing.T, path string) (*running, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
	return startWith(t, path, clk, testkit.Logger(), nil), clk
}

// stepClock moves the fake clock by d in one-second steps, so that every
// loop waiting on it sees time pass as it would.
func stepClock(c *clock.Fake, d time.Duration) {
	for step := time.Second; d > 0; d -= step {
		c.Advance(min(step, d))
		time.Sleep(time.Millisecond)
	}
}

// Resolving by hand, through the API, an incident whose heartbeat check is
// still down: the API shows when it pages again, and reopen_after later,
// the check still down, a new incident opens and is sent, saying why.
func TestResolvedByHandThroughAPIPagesAgain(t *testing.T) {
	hook, hookURL := newHook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, fmt.Sprintf(`channels:
  - {name: ops, type: webhook, url: %q}
checks:
  - {name: backup, uuid: 2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d, schedule: {every: 1m}, grace: 30s, notify: [ops], reopen_after: 2m}
`, hookURL))
	r, clk := startOnFakeClock(t, path)
	const uuid = "2d1c6a4e-0b7f-4e8a-9c3d-5f6e7a8b9c0d"
	resp, err := http.Get(r.base + "/ping/" + uuid)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	stepClock(clk, 91*time.Second)
	testkit.Eventually(t, "backup paged", func() bool { return hook.find("incident.triggered", "backup is down") != nil })
	var open incidentList
	r.get(t, "/api/v1/incidents?status=open", &open)
	if len(open.Incidents) != 1 {
		t.Fatalf("open incidents %+v", open)
	}
	if code := r.do(t, "POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", open.Incidents[0].ID), nil); code != 200 {
		t.Fatalf("resolve: HTTP %d", code)
	}
	var c struct {
		State    string     `json:"state"`
		ReopenAt *time.Time `json:"reopen_at"`
	}
	r.get(t, "/api/v1/checks/"+uuid, &c)
	if c.State != "down" || c.ReopenAt == nil || !c.ReopenAt.Equal(clk.Now().Add(2*time.Minute).Truncate(time.Millisecond)) {
		t.Fatalf("check after the resolve: %+v; want down, reopen_at 2m from now", c)
	}
	stepClock(clk, 2*time.Minute)
	var all incidentList
	testkit.Eventually(t, "a second incident", func() bool {
		r.get(t, "/api/v1/incidents", &all)
		return len(all.Incidents) == 2 && all.Incidents[0].Status == "triggered"
	})
	var in struct {
		Timeline []struct{ Kind, Message string }
	}
	r.get(t, fmt.Sprintf("/api/v1/incidents/%d", all.Incidents[0].ID), &in)
	want := fmt.Sprintf("still down 2m after it was resolved by hand by api:admin (incident #%d)", open.Incidents[0].ID)
	if len(in.Timeline) == 0 || !strings.Contains(in.Timeline[0].Message, want) {
		t.Fatalf("new incident's timeline %+v; want it to say %q", in.Timeline, want)
	}
	testkit.Eventually(t, "the new incident sent", func() bool {
		hook.mu.Lock()
		defer hook.mu.Unlock()
		n := 0
		for _, ev := range hook.events {
			if ev["event"] == "incident.triggered" {
				n++
			}
		}
		return n == 2
	})
}

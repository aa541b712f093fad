package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const flapUUID = "5b0e8d1c-3f2a-4c6d-8e9f-1a2b3c4d5e6f"

// flapCheck is what the flap test reads of a check.
type flapCheck struct {
	State         string     `json:"state"`
	GoesDownAt    *time.Time `json:"goes_down_at"` // null once the engine has turned it down
	Flapping      bool       `json:"flapping"`
	FlappingSince *time.Time `json:"flapping_since"`
	FlapChanges   int        `json:"flap_changes_since"`
	EndsAt        *time.Time `json:"flapping_ends_at"`
}

// TestFlappingHeartbeatOpensOneIncident degrades a heartbeat slowly, as
// the incident that opened seven incidents in 75 seconds did: a ping, then
// late past grace (down), a ping (up), late again, seven times over. With
// flap damping (4 changes within 1m hold the check flapping, stable after
// 5s) it opens one incident, paged when it opened and when it came back
// within the window, then quiet; the API and the timeline say it is
// flapping; it resolves only once the check has been up for 5s.
func TestFlappingHeartbeatOpensOneIncident(t *testing.T) {
	rcv := newReceiver(t, map[string]string{"ops": opsSecret}, nil)
	in := newInstance(t, fmt.Sprintf(`
channels:
  - {name: ops, type: webhook, url: %q, secret: %q, timeout: 5s}
outbox: {backoff_base: 1s, backoff_max: 2s}
checks:
  - name: slow-job
    uuid: %s
    schedule: {every: 1s}
    grace: 1s
    notify: [ops]
    flap: {changes: 4, window: 1m, stable: 5s}
`, rcv.url("ops"), opsSecret, flapUUID))
	srv := in.start()
	ping := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.base+"/ping/"+flapUUID, nil)
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatalf("ping: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("ping: HTTP %d", resp.StatusCode)
		}
	}
	check := func() flapCheck {
		t.Helper()
		var c flapCheck
		srv.mustAPI("GET", "/api/v1/checks/"+flapUUID, &c)
		return c
	}

	start := time.Now()
	ping()
	for i := range 7 {
		eventually(t, 15*time.Second, 50*time.Millisecond, fmt.Sprintf("down #%d", i+1), func() (bool, string) {
			c := check()
			return c.State == "down" && c.GoesDownAt == nil, c.State
		})
		ping()
	}
	took := time.Since(start)
	all := srv.incidents("check=" + flapUUID)
	if len(all) != 1 {
		t.Fatalf("%d incidents after 14 changes in %s; want 1", len(all), took.Round(time.Second))
	}
	inc := srv.incident(all[0].ID)
	if inc.Status != "triggered" {
		t.Fatalf("the flapping check's incident is %s; want it open while the check flaps", inc.Status)
	}
	c := check()
	if !c.Flapping || c.FlappingSince == nil || c.FlapChanges != 14 || c.EndsAt == nil {
		t.Fatalf("check %+v; want flapping, 14 changes, an end time", c)
	}
	var flapping []string
	for _, e := range inc.Timeline {
		if e.Kind == "check.flapping" {
			flapping = append(flapping, e.Message)
		}
	}
	if len(flapping) == 0 || !strings.Contains(flapping[0], "slow-job is flapping: 4 changes in ") ||
		!strings.Contains(flapping[0], "pages nobody again until slow-job has been up for 5s") {
		t.Fatalf("flapping timeline entries %q", flapping)
	}

	// Stable: pinged on time, it stays up; 5s after its last change the
	// incident resolves.
	eventually(t, 30*time.Second, 300*time.Millisecond, "flapping incident resolved once stable", func() (bool, string) {
		ping()
		inc = srv.incident(inc.ID)
		return inc.Status == "resolved", inc.Status
	})
	if c := check(); c.Flapping || c.State != "up" {
		t.Errorf("after the stable period: %+v; want up, not flapping", c)
	}
	if !strings.Contains(inc.Timeline[len(inc.Timeline)-1].Message+" "+strings.Join(timelineMessages(inc), " "), "stable for 5s after flapping") {
		t.Errorf("timeline does not say why it resolved: %q", timelineMessages(inc))
	}
	rcv.await(t, waitDelivery, "ops", "incident.resolved", inc.ID)
	// Pages: opened, re-opened when it went down again within the window,
	// before flapping began; none while it flapped.
	deliveries, _ := rcv.snapshot()
	triggered := 0
	for _, d := range deliveries {
		if d.Event.Event == "incident.triggered" {
			triggered++
		}
	}
	if triggered != 2 {
		t.Errorf("%d incident.triggered webhooks; want 2 (opened, re-opened before flapping began)", triggered)
	}
	if all := srv.incidents("check=" + flapUUID); len(all) != 1 {
		t.Errorf("%d incidents in the end; want 1", len(all))
	}
	rcv.checkNoProblems(t)
}

func timelineMessages(in apiIncident) []string {
	var out []string
	for _, e := range in.Timeline {
		out = append(out, e.Message)
	}
	return out
}

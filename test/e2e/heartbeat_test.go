package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const (
	backupUUID   = "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70"
	backupName   = "nightly-backup"
	opsSecret    = "s3cret"
	waitDelivery = 20 * time.Second
)

// TestHeartbeatEndToEnd follows one heartbeat check through its life as an
// operator sees it: pinged with curl as Healthchecks documents, late, an
// incident opened and a signed webhook delivered, recovered by the next
// ping, failed on purpose and acknowledged through the API; then the
// server stops cleanly on SIGTERM. Flap damping is off for its check: the
// failure seconds after the recovery is to open an incident of its own
// here (with damping it re-opens the first: TestFlappingHeartbeatOpensOneIncident).
func TestHeartbeatEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; this test pings with the real curl as Healthchecks' docs do")
	}
	rcv := newReceiver(t, map[string]string{"ops": opsSecret}, nil)
	in := newInstance(t, fmt.Sprintf(`
channels:
  - {name: ops, type: webhook, url: %q, secret: %q, timeout: 5s}
outbox: {backoff_base: 1s, backoff_max: 2s}
checks:
  - {name: %s, uuid: %s, schedule: {every: 2s}, grace: 1s, notify: [ops], flap: {changes: 0}}
`, rcv.url("ops"), opsSecret, backupName, backupUUID))
	srv := in.start()
	pingURL := srv.base + "/ping/" + backupUUID

	if c := srv.check(backupUUID); c.State != "new" || c.Pings != 0 {
		t.Fatalf("before any ping: state %q, %d pings; want new, 0", c.State, c.Pings)
	}

	// A success ping makes the check up.
	curl(t, pingURL)
	c := srv.check(backupUUID)
	if c.State != "up" || c.Pings != 1 || c.LastPingAt == nil {
		t.Fatalf("after a ping: state %q, %d pings, last ping %v; want up, 1, set", c.State, c.Pings, c.LastPingAt)
	}
	if c.Name != backupName || c.PingURL != pingURL {
		t.Errorf("check name %q, ping URL %q; want %q, %q", c.Name, c.PingURL, backupName, pingURL)
	}
	lastPing := *c.LastPingAt

	// No further ping: after every (2s) and grace (1s) it is down, with
	// an incident open.
	var open []apiIncident
	eventually(t, 15*time.Second, 100*time.Millisecond, "check goes down when late", func() (bool, string) {
		c = srv.check(backupUUID)
		open = srv.incidents("status=open&check=" + backupUUID)
		return c.State == "down" && len(open) == 1, fmt.Sprintf("state %s, %d open incidents", c.State, len(open))
	})
	first := open[0]
	if first.Status != "triggered" || first.CheckUUID != backupUUID || !strings.Contains(first.Title, backupName) {
		t.Errorf("incident %+v: want triggered, check %s, title naming %s", first, backupUUID, backupName)
	}

	triggered := rcv.await(t, waitDelivery, "ops", "incident.triggered", first.ID)
	ev := triggered.Event
	wantURL := fmt.Sprintf("%s/incidents/%d", srv.base, first.ID)
	if ev.IdempotencyKey == "" || ev.Incident.Status != "triggered" || ev.Incident.Title != first.Title || ev.Incident.URL != wantURL {
		t.Errorf("triggered webhook: key %q, incident %+v; want a key, status triggered, title %q, url %s",
			ev.IdempotencyKey, ev.Incident, first.Title, wantURL)
	}
	// The link opens the incident's page, which asks a browser without a
	// session to log in and come back.
	noRedirect := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noRedirect.Get(wantURL); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("/login?next=%%2Fincidents%%2F%d", first.ID) {
			t.Errorf("the incident link without a session: %d to %q, want 303 to the login page", resp.StatusCode, loc)
		}
	}
	switch {
	case ev.Check == nil:
		t.Errorf("triggered webhook has no check: %s", triggered.Body)
	case ev.Check.Name != backupName || ev.Check.UUID != backupUUID || ev.Check.State != "down":
		t.Errorf("triggered webhook check %+v; want %s, %s, down", *ev.Check, backupName, backupUUID)
	case ev.Check.LastPingAt == nil || !ev.Check.LastPingAt.Equal(lastPing.Truncate(time.Millisecond)):
		t.Errorf("triggered webhook last_ping_at %v; want %v", ev.Check.LastPingAt, lastPing)
	}

	// The timeline records the opening and the whole delivery.
	eventually(t, waitDelivery, 50*time.Millisecond, "timeline of the first incident", func() (bool, string) {
		first = srv.incident(first.ID)
		return first.hasKinds("incident.opened", "notification.queued", "notification.sent"), fmt.Sprint(first.kinds())
	})
	if key := queuedKey(t, first, "ops"); key != ev.IdempotencyKey {
		t.Errorf("notification.queued names key %q; the webhook carried %q", key, ev.IdempotencyKey)
	}

	// The next ping brings the check up and resolves the incident.
	curl(t, pingURL)
	if c = srv.check(backupUUID); c.State != "up" || c.Pings != 2 {
		t.Fatalf("after the second ping: state %q, %d pings; want up, 2", c.State, c.Pings)
	}
	if first = srv.incident(first.ID); first.Status != "resolved" || !first.hasKinds("incident.resolved") {
		t.Fatalf("first incident after recovery: status %q, timeline %v; want resolved", first.Status, first.kinds())
	}
	resolved := rcv.await(t, waitDelivery, "ops", "incident.resolved", first.ID)
	if resolved.Event.IdempotencyKey == "" || resolved.Event.IdempotencyKey == ev.IdempotencyKey {
		t.Errorf("resolved webhook key %q; want one other than the triggered key %q", resolved.Event.IdempotencyKey, ev.IdempotencyKey)
	}
	if resolved.Event.Incident.Status != "resolved" || resolved.Event.Check == nil || resolved.Event.Check.State != "up" {
		t.Errorf("resolved webhook: %s; want incident resolved, check up", resolved.Body)
	}

	// A fail ping opens an incident at once; the API acknowledges it.
	curl(t, pingURL+"/fail")
	if c = srv.check(backupUUID); c.State != "down" || c.Pings != 3 {
		t.Fatalf("after /fail: state %q, %d pings; want down, 3", c.State, c.Pings)
	}
	open = srv.incidents("status=open&check=" + backupUUID)
	if len(open) != 1 || open[0].ID == first.ID {
		t.Fatalf("open incidents after /fail: %+v; want one new incident", open)
	}
	second := open[0]
	rcv.await(t, waitDelivery, "ops", "incident.triggered", second.ID)

	var acked apiIncident
	srv.mustAPI("POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", second.ID), &acked)
	if acked.Status != "acknowledged" || acked.AcknowledgedBy == "" || !acked.hasKinds("incident.acknowledged") {
		t.Errorf("acknowledge answered status %q by %q, timeline %v; want acknowledged by someone", acked.Status, acked.AcknowledgedBy, acked.kinds())
	}
	ack := rcv.await(t, waitDelivery, "ops", "incident.acknowledged", second.ID)
	if ack.Event.Incident.Status != "acknowledged" || ack.Event.Actor == "" {
		t.Errorf("acknowledged webhook: %s; want status acknowledged and an actor", ack.Body)
	}

	// Resolving by hand is delivered too.
	srv.mustAPI("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", second.ID), nil)
	rcv.await(t, waitDelivery, "ops", "incident.resolved", second.ID)
	if got := srv.incident(second.ID); got.Status != "resolved" || got.ResolvedBy == "" {
		t.Errorf("second incident: status %q, resolved by %q; want resolved by someone", got.Status, got.ResolvedBy)
	}

	// Each notification has its own key, and every request was signed.
	deliveries, _ := rcv.snapshot()
	keys := map[string]string{}
	for _, d := range deliveries {
		what := fmt.Sprintf("%s/%d", d.Event.Event, d.Event.Incident.ID)
		if prev, ok := keys[d.Event.IdempotencyKey]; ok && prev != what {
			t.Errorf("key %q used for %s and %s", d.Event.IdempotencyKey, prev, what)
		}
		keys[d.Event.IdempotencyKey] = what
	}
	rcv.checkNoProblems(t)

	if code := srv.terminate(); code != 0 {
		t.Errorf("exit status after SIGTERM: %d; want 0", code)
	}
}

// curl pings url exactly as Healthchecks' docs show it.
func curl(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-fsS", "-m", "10", "--retry", "5", "-o", "/dev/null", url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v: %s", url, err, out)
	}
}

// queuedKey is the idempotency key of the first notification.queued entry
// for channel in the incident's timeline.
func queuedKey(t *testing.T, in apiIncident, channel string) string {
	t.Helper()
	for _, e := range in.Timeline {
		if e.Kind != "notification.queued" {
			continue
		}
		var data struct {
			Channel string `json:"channel"`
			Key     string `json:"idempotency_key"`
		}
		if err := json.Unmarshal(e.Data, &data); err != nil {
			t.Fatalf("notification.queued data %s: %v", e.Data, err)
		}
		if data.Channel == channel {
			return data.Key
		}
	}
	t.Fatalf("no notification.queued entry for %s in %v", channel, in.kinds())
	return ""
}

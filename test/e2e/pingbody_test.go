package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestFailedJobOutputReachesThePage wraps a failing job the way
// Healthchecks documents (`cmd 2>&1 | curl --data-binary @- .../$?`): the
// page about the check carries the job's output, as Healthchecks' does.
func TestFailedJobOutputReachesThePage(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; this test pings with the real curl as Healthchecks' docs do")
	}
	rcv := newReceiver(t, map[string]string{"ops": opsSecret}, nil)
	in := newInstance(t, fmt.Sprintf(`
channels:
  - {name: ops, type: webhook, url: %q, secret: %q, timeout: 5s}
checks:
  - {name: %s, uuid: %s, schedule: {every: 1h}, notify: [ops]}
`, rcv.url("ops"), opsSecret, backupName, backupUUID))
	srv := in.start()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	script := `out=$(printf 'pg_dump: error: connection to server failed\n' 2>&1; exit 2); code=$?
printf '%s\n' "$out" | curl -fsS -m 10 --retry 5 -o /dev/null --data-binary @- "$1/$code"`
	if out, err := exec.CommandContext(ctx, "sh", "-c", script, "sh", srv.base+"/ping/"+backupUUID).CombinedOutput(); err != nil {
		t.Fatalf("wrapped job: %v: %s", err, out)
	}
	var open []apiIncident
	eventually(t, 15*time.Second, 50*time.Millisecond, "incident for the failed job", func() (bool, string) {
		open = srv.incidents("status=open&check=" + backupUUID)
		return len(open) == 1, fmt.Sprintf("%d open incidents", len(open))
	})
	d := rcv.await(t, waitDelivery, "ops", "incident.triggered", open[0].ID)
	var page struct {
		Check struct {
			LastPingBody string `json:"last_ping_body"`
		} `json:"check"`
		Evidence map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(d.Body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Check.LastPingBody != "pg_dump: error: connection to server failed\n" {
		t.Errorf("check.last_ping_body = %q; the page: %s", page.Check.LastPingBody, d.Body)
	}
	if page.Evidence["exit_status"] != float64(2) || strings.Contains(string(d.Body), `"last_ping_body":{`) {
		t.Errorf("evidence %v: want the exit status, and the body only once", page.Evidence)
	}
}

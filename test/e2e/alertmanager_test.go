package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// alertmanagerModule is the Alertmanager the real-client test runs; .ci/run
// installs the same version.
const alertmanagerModule = "github.com/prometheus/alertmanager/cmd/alertmanager@v0.31.1"

// alertmanagerBinary finds Alertmanager: $TOCSIN_ALERTMANAGER, then PATH,
// then a copy built once with go install into the user cache. It skips the
// test, saying why, when none can be had.
func alertmanagerBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TOCSIN_ALERTMANAGER"); p != "" {
		return p
	}
	if p, err := exec.LookPath("alertmanager"); err == nil {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("Alertmanager not on PATH and no cache dir to build it in: %v", err)
	}
	version := alertmanagerModule[strings.LastIndex(alertmanagerModule, "@")+1:]
	dir := filepath.Join(cache, "tocsin-test", "alertmanager-"+version)
	bin := filepath.Join(dir, "alertmanager")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", alertmanagerModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("Alertmanager could not be built (go install %s: %v); install it on PATH or set TOCSIN_ALERTMANAGER to run this test:\n%s",
			alertmanagerModule, err, out)
	}
	return bin
}

// startAlertmanager runs Alertmanager with config on a free port, without
// clustering, until the test ends.
func startAlertmanager(t *testing.T, bin, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"), "--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=", "--log.level=debug")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "alertmanager.log"))
			if len(b) > 32<<10 {
				b = b[len(b)-32<<10:]
			}
			t.Logf("alertmanager log:\n%s", b)
		}
	})
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-done:
			t.Fatal("alertmanager exited before it was ready")
		default:
		}
		if resp, err := client.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
	}
	t.Fatal("alertmanager not ready within 30s")
	return ""
}

// amAlert is an alert as Alertmanager's API v2 takes it.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	StartsAt    time.Time         `json:"startsAt,omitempty"`
	EndsAt      time.Time         `json:"endsAt,omitempty"`
}

func postAlerts(t *testing.T, base string, alerts []amAlert) {
	t.Helper()
	body, _ := json.Marshal(alerts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/v2/alerts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alertmanager refused alerts: HTTP %d", resp.StatusCode)
	}
}

type apiAlertIncident struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Service  string `json:"service"`
	Priority string `json:"priority"`
	GroupKey string `json:"group_key"`
	Alerts   []struct {
		Integration string            `json:"integration"`
		Key         string            `json:"key"`
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
	} `json:"alerts"`
}

// TestAlertmanagerRealClient has a real Alertmanager deliver to Tocsin
// through both of its receivers that can: the webhook and PagerDuty.
func TestAlertmanagerRealClient(t *testing.T) {
	bin := alertmanagerBinary(t)
	rcv := newReceiver(t, map[string]string{"ops": "am-test-secret"}, nil)
	in := newInstance(t, fmt.Sprintf(`
channels:
  - {name: ops, type: webhook, url: %q, secret: am-test-secret}
services:
  - {name: payments, notify: [ops], group_by: [alertname, service], group_wait: 0s}
  - {name: storage, notify: [ops], group_wait: 0s}
integrations:
  - {name: prometheus, type: alertmanager, key: "k-prom-123-abcdefgh", service: payments}
  - {name: pd-compat, type: pagerduty, key: "k-pd-123-abcdefgh", service: storage}
`, rcv.url("ops")))
	srv := in.start()
	am := startAlertmanager(t, bin, fmt.Sprintf(`
route:
  receiver: tocsin-webhook
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - matchers: ['via="pagerduty"']
      receiver: tocsin-pagerduty
receivers:
  - name: tocsin-webhook
    webhook_configs:
      - url: %s/ingest/alertmanager/k-prom-123-abcdefgh
        send_resolved: true
  - name: tocsin-pagerduty
    pagerduty_configs:
      - routing_key: k-pd-123-abcdefgh
        url: %s/v2/enqueue
        send_resolved: true
        severity: critical
`, srv.base, srv.base))

	now := time.Now().UTC()
	latency := func(instance string) amAlert {
		return amAlert{Labels: map[string]string{"alertname": "HighLatency", "service": "checkout", "instance": instance, "severity": "warning"},
			Annotations: map[string]string{"summary": "p99 latency over 2s on " + instance}, StartsAt: now}
	}
	errorsAlert := amAlert{Labels: map[string]string{"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
		Annotations: map[string]string{"summary": "5xx over 5%"}, StartsAt: now}
	disk := amAlert{Labels: map[string]string{"alertname": "DiskFull", "via": "pagerduty", "instance": "db-1"},
		Annotations: map[string]string{"summary": "disk 97% on db-1"}, StartsAt: now}
	postAlerts(t, am, []amAlert{latency("api-1"), latency("api-2"), latency("api-3"), errorsAlert, disk})

	incidents := func() map[string]apiAlertIncident {
		var list struct{ Incidents []apiAlertIncident }
		srv.mustAPI("GET", "/api/v1/incidents", &list)
		out := map[string]apiAlertIncident{}
		for _, li := range list.Incidents {
			var full apiAlertIncident
			srv.mustAPI("GET", fmt.Sprintf("/api/v1/incidents/%d", li.ID), &full)
			out[full.GroupKey] = full
		}
		return out
	}
	latencyKey := `{alertname="HighLatency",service="checkout"}`
	errorsKey := `{alertname="HighErrorRate",service="checkout"}`
	var got map[string]apiAlertIncident
	eventually(t, 60*time.Second, 100*time.Millisecond, "three incidents holding all five alerts", func() (bool, string) {
		got = incidents()
		n := 0
		for _, in := range got {
			n += len(in.Alerts)
		}
		return len(got) == 3 && n == 5, fmt.Sprintf("%d incidents, %d alerts", len(got), n)
	})
	// Three latency alerts of one group: one incident.
	if in := got[latencyKey]; len(in.Alerts) != 3 || in.Service != "payments" || in.Priority != "P3" || in.Status != "triggered" {
		t.Fatalf("latency incident %+v", in)
	}
	if in := got[errorsKey]; len(in.Alerts) != 1 || in.Priority != "P1" {
		t.Fatalf("error-rate incident %+v", in)
	}
	// The PagerDuty receiver: one event per Alertmanager group, into storage.
	var pd apiAlertIncident
	for _, in := range got {
		if in.Service == "storage" {
			pd = in
		}
	}
	if len(pd.Alerts) != 1 || pd.Alerts[0].Integration != "pd-compat" || pd.Priority != "P1" ||
		!strings.HasPrefix(pd.Title, "[storage] ") || !strings.Contains(pd.Title, "DiskFull") {
		t.Fatalf("pagerduty incident %+v", pd)
	}
	for _, in := range got {
		rcv.await(t, 30*time.Second, "ops", "incident.triggered", in.ID)
	}

	// Resolve everything: Alertmanager sends the resolved notifications.
	end := time.Now().UTC()
	resolved := []amAlert{latency("api-1"), latency("api-2"), latency("api-3"), errorsAlert, disk}
	for i := range resolved {
		resolved[i].EndsAt = end
	}
	postAlerts(t, am, resolved)
	eventually(t, 60*time.Second, 100*time.Millisecond, "every incident resolved", func() (bool, string) {
		for _, in := range incidents() {
			if in.Status != "resolved" {
				return false, in.Title + " is " + in.Status
			}
		}
		return true, ""
	})
	for _, in := range got {
		rcv.await(t, 30*time.Second, "ops", "incident.resolved", in.ID)
	}
	// Repeated deliveries did not duplicate anything.
	if final := incidents(); len(final) != 3 {
		t.Fatalf("%d incidents after resolution, want 3", len(final))
	}
	rcv.checkNoProblems(t)
}

package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// logBuffer collects JSON log lines from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the parsed lines whose msg is msg.
func (b *logBuffer) lines(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(b.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func startLogged(t *testing.T, configPath string, logs *logBuffer) *running {
	t.Helper()
	return startWith(t, configPath, clock.Real{}, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})), nil)
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Incidents, alert deliveries and probe failures each leave one structured
// line with constant snake_case keys; quiet repetitions stay out of Info.
func TestIncidentsAlertsAndProbesAreLogged(t *testing.T) {
	// A port nobody listens on: the probe fails to connect.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, `channels:
  - {name: ops, type: webhook, url: "http://127.0.0.1:9/hook"}
services:
  - {name: payments, notify: [ops], group_wait: 0s}
integrations:
  - {name: scripts, type: generic, key: "k-scripts-1234567", service: payments}
checks:
  - {name: nightly, uuid: 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, schedule: {every: 1h}, notify: [ops]}
  - name: db-port
    probe: {type: tcp, address: "`+dead+`", timeout: 1s}
    interval: 2s
    failures_before_down: 1
    notify: [ops]
`)
	logs := &logBuffer{}
	r := startLogged(t, path, logs)

	if code := post(t, r.base+"/ping/0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70/fail", "exit 3"); code != 200 {
		t.Fatalf("fail ping: %d", code)
	}
	var opened map[string]any
	testkit.Eventually(t, "incident opened logged", func() bool {
		for _, l := range logs.lines("incident opened") {
			if l["check"] == "nightly" {
				opened = l
				return true
			}
		}
		return false
	})
	if opened["incident_id"] == nil || opened["check_uuid"] != "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70" || opened["reason"] == nil {
		t.Errorf("incident opened line lacks its keys: %v", opened)
	}
	id := int64(opened["incident_id"].(float64))
	if code := post(t, r.base+"/api/v1/incidents/"+itoa(id)+"/acknowledge", ""); code != 200 {
		t.Fatalf("acknowledge: %d", code)
	}
	if code := post(t, r.base+"/api/v1/incidents/"+itoa(id)+"/resolve", ""); code != 200 {
		t.Fatalf("resolve: %d", code)
	}
	testkit.Eventually(t, "acknowledged and resolved logged", func() bool {
		return hasLine(logs.lines("incident acknowledged"), "incident_id", float64(id), "actor", "api:admin") &&
			hasLine(logs.lines("incident resolved"), "incident_id", float64(id), "actor", "api:admin")
	})

	// One alert delivery: one Info line with its outcome. Its repetition
	// changes nothing and stays at Debug.
	alert := `{"key": "backup/db1", "summary": "Nightly backup of db1 failed"}`
	for range 2 {
		if code := post(t, r.base+"/ingest/generic/k-scripts-1234567", alert); code != 202 {
			t.Fatalf("generic alert: %d", code)
		}
	}
	testkit.Eventually(t, "alert delivery logged", func() bool {
		return hasLine(logs.lines("alerts taken in"), "integration", "scripts", "new", float64(1))
	})
	if n := len(logs.lines("alerts taken in")); n != 1 {
		t.Errorf("%d alert lines at Info, want 1 (the repeated delivery changed nothing)", n)
	}
	testkit.Eventually(t, "alert incident opened logged", func() bool {
		return hasLine(logs.lines("incident opened"), "service", "payments")
	})

	// The probe: its first failure and its going down are logged with the
	// class and message; further failures are not, at Info.
	testkit.Eventually(t, "probe down logged", func() bool {
		return hasLine(logs.lines("probe down"), "check", "db-port", "class", "connect")
	})
	down := logs.lines("probe down")[0]
	if msg, _ := down["message"].(string); msg == "" {
		t.Errorf("probe down line has no message: %v", down)
	}
	testkit.Eventually(t, "a few more probe runs", func() bool {
		var res struct {
			Pings int64 `json:"pings"`
		}
		r.get(t, "/api/v1/checks/"+probeUUID(t, r), &res)
		return res.Pings >= 4
	})
	if n := len(logs.lines("probe down")) + len(logs.lines("probe failed")); n > 2 {
		t.Errorf("%d probe lines at Info and above for one outage, want at most 2", n)
	}
}

func hasLine(lines []map[string]any, kv ...any) bool {
next:
	for _, l := range lines {
		for i := 0; i+1 < len(kv); i += 2 {
			if l[kv[i].(string)] != kv[i+1] {
				continue next
			}
		}
		return true
	}
	return false
}

func probeUUID(t *testing.T, r *running) string {
	t.Helper()
	var body struct {
		Checks []struct {
			Name string `json:"name"`
			UUID string `json:"uuid"`
		} `json:"checks"`
	}
	r.get(t, "/api/v1/checks", &body)
	for _, c := range body.Checks {
		if c.Name == "db-port" {
			return c.UUID
		}
	}
	t.Fatal("no check db-port")
	return ""
}

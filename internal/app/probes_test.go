package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// target is a local HTTP service whose health the test switches.
type target struct {
	srv  *httptest.Server
	down atomic.Bool
}

func newTarget(t *testing.T) *target {
	tg := &target{}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tg.down.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

type hookLog struct {
	mu     sync.Mutex
	events []map[string]any
}

func newHook(t *testing.T) (*hookLog, string) {
	h := &hookLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		json.NewDecoder(r.Body).Decode(&ev)
		h.mu.Lock()
		h.events = append(h.events, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookLog) find(event, title string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		in, _ := ev["incident"].(map[string]any)
		if ev["event"] == event && in != nil && in["title"] == title {
			return ev
		}
	}
	return nil
}

type incidentList struct {
	Incidents []struct {
		ID     int64
		Title  string
		Status string
	}
}

func probeConfig(hook string, targets []*target, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "channels:\n  - {name: ops, type: webhook, url: %q}\noperator: {notify: [ops]}\n", hook)
	b.WriteString("probes: {guard: {settle: 3s, window: 20s, confirm: 1m}}\n" + extra + "checks:\n")
	for i, tg := range targets {
		fmt.Fprintf(&b, "  - {name: web-%d, probe: {type: http, url: %q, json_path: status, json_equals: ok}, interval: 1s, failures_before_down: 2, notify: [ops], runbook_url: \"https://wiki.example/web\"}\n",
			i, tg.srv.URL)
	}
	return b.String()
}

// One probe failing: its own incident, with the failing condition, recent
// runs and runbook in the notification; recovery resolves it.
func TestProbeIncident(t *testing.T) {
	hook, hookURL := newHook(t)
	targets := []*target{newTarget(t), newTarget(t), newTarget(t), newTarget(t)}
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, probeConfig(hookURL, targets, ""))
	r := start(t, path, nil)
	testkit.Eventually(t, "all probes up", func() bool {
		var list struct{ Checks []struct{ State string } }
		r.get(t, "/api/v1/checks", &list)
		for _, c := range list.Checks {
			if c.State != "up" {
				return false
			}
		}
		return len(list.Checks) == 4
	})
	targets[2].down.Store(true)
	var ev map[string]any
	testkit.Eventually(t, "web-2 triggered", func() bool { ev = hook.find("incident.triggered", "web-2 is down"); return ev != nil })
	evidence, _ := ev["evidence"].(map[string]any)
	if evidence == nil || !strings.Contains(fmt.Sprint(evidence["condition"]), "HTTP 500") ||
		evidence["runbook_url"] != "https://wiki.example/web" || len(evidence["recent_runs"].([]any)) < 2 {
		t.Fatalf("evidence %v", evidence)
	}
	var open incidentList
	r.get(t, "/api/v1/incidents?status=open", &open)
	if len(open.Incidents) != 1 || open.Incidents[0].Title != "web-2 is down" {
		t.Fatalf("open incidents %+v", open)
	}
	targets[2].down.Store(false)
	testkit.Eventually(t, "web-2 resolved", func() bool { return hook.find("incident.resolved", "web-2 is down") != nil })

	var res struct {
		Results []struct{ OK bool }
		Hourly  []struct{ Runs int64 }
	}
	var list struct{ Checks []struct{ UUID, Name string } }
	r.get(t, "/api/v1/checks", &list)
	r.get(t, "/api/v1/checks/"+list.Checks[2].UUID+"/results", &res)
	if len(res.Results) < 3 || len(res.Hourly) == 0 || res.Hourly[0].Runs < 3 {
		t.Fatalf("results %+v", res)
	}
}

// Every target failing at once: one "monitoring degraded" incident to the
// operator, no incident per probe within the confirmation window.
func TestMassFailureGuard(t *testing.T) {
	hook, hookURL := newHook(t)
	var targets []*target
	for range 5 {
		targets = append(targets, newTarget(t))
	}
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, probeConfig(hookURL, targets, ""))
	r := start(t, path, nil)
	testkit.Eventually(t, "all probes up", func() bool {
		var list struct{ Checks []struct{ State string } }
		r.get(t, "/api/v1/checks", &list)
		n := 0
		for _, c := range list.Checks {
			if c.State == "up" {
				n++
			}
		}
		return n == 5
	})
	for _, tg := range targets {
		tg.down.Store(true)
	}
	testkit.Eventually(t, "monitoring degraded", func() bool { return hook.find("incident.triggered", "Monitoring degraded") != nil })
	testkit.Eventually(t, "all five held on the degraded incident", func() bool {
		var open incidentList
		r.get(t, "/api/v1/incidents?status=open", &open)
		if len(open.Incidents) != 1 {
			return false
		}
		var in struct{ Timeline []struct{ Kind string } }
		r.get(t, fmt.Sprintf("/api/v1/incidents/%d", open.Incidents[0].ID), &in)
		held := 0
		for _, e := range in.Timeline {
			if e.Kind == "monitoring.issue" {
				held++
			}
		}
		return held == 5
	})
	var open incidentList
	r.get(t, "/api/v1/incidents?status=open", &open)
	if len(open.Incidents) != 1 || open.Incidents[0].Title != "Monitoring degraded" {
		t.Fatalf("open incidents %+v", open)
	}
	for i := range targets {
		if hook.find("incident.triggered", fmt.Sprintf("web-%d is down", i)) != nil {
			t.Fatalf("web-%d paged during a mass failure", i)
		}
	}
	for _, tg := range targets {
		tg.down.Store(false)
	}
	testkit.Eventually(t, "degraded resolved", func() bool { return hook.find("incident.resolved", "Monitoring degraded") != nil })
}

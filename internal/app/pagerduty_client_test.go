package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// lockedBuffer is a log sink the server's goroutines write to while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// first is the first event of a kind received, nil if none.
func (h *eventLog) first(event string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ev := range h.events {
		if ev["event"] == event {
			return ev
		}
	}
	return nil
}

// PagerDuty's own Go client, pointed at Tocsin, pages with images that the
// alert keeps and the page shows, and its acknowledge and resolve of a
// dedup key never triggered are answered as PagerDuty answers them (202,
// success, the key) and dropped: no alert is left behind.
func TestGoPagerDutyClient(t *testing.T) {
	hooks := &eventLog{}
	srv := httptest.NewServer(hooks)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeFile(t, path, strings.ReplaceAll(alertConfig, "%HOOK%", srv.URL))
	logs := &lockedBuffer{}
	r := startWith(t, path, clock.Real{}, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), nil)

	client := pagerduty.NewClient("", pagerduty.WithV2EventsAPIEndpoint(r.base))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{
		RoutingKey: "k-pd-123-abcdefgh",
		Action:     "trigger",
		DedupKey:   "checkout-5xx",
		Payload:    &pagerduty.V2Payload{Summary: "checkout 5xx at 12%", Source: "lb-1", Severity: "error"},
		Images: []any{
			map[string]string{"src": "https://chart.example/5xx.png", "href": "https://grafana.example/d/1", "alt": "5xx rate"},
			map[string]string{"src": "https://chart.example/raw.png"},
		},
	})
	if err != nil || resp.Status != "success" || resp.DedupKey != "checkout-5xx" {
		t.Fatalf("trigger: %+v %v", resp, err)
	}

	var alerts struct {
		Alerts []struct {
			Key    string `json:"key"`
			Images []struct{ Src, Href, Alt string }
		}
	}
	r.get(t, "/api/v1/alerts", &alerts)
	if len(alerts.Alerts) != 1 || len(alerts.Alerts[0].Images) != 2 {
		t.Fatalf("alerts %+v", alerts)
	}
	if im := alerts.Alerts[0].Images[0]; im.Src != "https://chart.example/5xx.png" || im.Href != "https://grafana.example/d/1" || im.Alt != "5xx rate" {
		t.Fatalf("image %+v", im)
	}
	// The page carries the images, with their links.
	testkit.Eventually(t, "the page", func() bool { return hooks.count("incident.triggered") == 1 })
	raw, _ := json.Marshal(hooks.first("incident.triggered")["evidence"])
	var ev struct {
		Alerts []struct{ Images []map[string]string }
	}
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Alerts) != 1 || len(ev.Alerts[0].Images) != 2 ||
		ev.Alerts[0].Images[0]["href"] != "https://grafana.example/d/1" || ev.Alerts[0].Images[1]["src"] != "https://chart.example/raw.png" {
		t.Fatalf("evidence of the page: %s", raw)
	}

	// Acknowledge and resolve of a key never triggered: accepted, dropped.
	for _, action := range []string{"acknowledge", "resolve"} {
		resp, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: "k-pd-123-abcdefgh", Action: action, DedupKey: "never-triggered"})
		if err != nil || resp.Status != "success" || resp.Message != "Event processed" || resp.DedupKey != "never-triggered" {
			t.Fatalf("%s of an unknown key: %+v %v", action, resp, err)
		}
	}
	if n := r.alertCount(t); n != 1 {
		t.Fatalf("%d alerts after the unknown key's events, want the one triggered", n)
	}
	if !strings.Contains(logs.String(), "dropped=1") {
		t.Fatalf("no debug line for the dropped events:\n%s", logs.String())
	}

	// The triggered one still acknowledges and resolves.
	for _, action := range []string{"acknowledge", "resolve"} {
		if _, err := client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: "k-pd-123-abcdefgh", Action: action, DedupKey: "checkout-5xx"}); err != nil {
			t.Fatalf("%s: %v", action, err)
		}
	}
	if list := r.incidents(t); len(list) != 1 || list[0].Status != "resolved" {
		t.Fatalf("incidents %+v", list)
	}

	// An image that is not a web URL is refused, and the client sees 400.
	_, err = client.ManageEventWithContext(ctx, &pagerduty.V2Event{RoutingKey: "k-pd-123-abcdefgh", Action: "trigger",
		Payload: &pagerduty.V2Payload{Summary: "x", Source: "y", Severity: "error"}, Images: []any{map[string]string{"src": "javascript:alert(1)"}}})
	var apiErr pagerduty.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("bad image: %#v", err)
	}
}

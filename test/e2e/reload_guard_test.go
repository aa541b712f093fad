package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The checks of the guarded config: two fast ones that go down (and open
// incidents) when pinged once, two slow ones.
var guardChecks = []struct{ name, uuid, every string }{
	{"lb-1", "a1111111-1111-4111-8111-111111111111", "1h"},
	{"lb-2", "a2222222-2222-4222-8222-222222222222", "1s"},
	{"lb-3", "a3333333-3333-4333-8333-333333333333", "1s"},
	{"backup", "a4444444-4444-4444-8444-444444444444", "1h"},
}

// guardConfig is the whole config: channels ops (the operator's) and
// pager, then the checks, one a line, so that a cut at a line boundary
// still parses.
func guardConfig(rcv *receiver) string {
	var b strings.Builder
	b.WriteString(webhookChannels(rcv, "ops", "pager"))
	b.WriteString("operator: {notify: [ops]}\noutbox: {backoff_base: 1s, backoff_max: 2s}\nchecks:\n")
	for _, c := range guardChecks {
		fmt.Fprintf(&b, "  - {name: %s, uuid: %s, schedule: {every: %s}, grace: 1s, notify: [pager]}\n", c.name, c.uuid, c.every)
	}
	return b.String()
}

// TestReloadGuard: an empty file (by SIGHUP), the config cut at a line
// boundary and one without channels (by the API) are each refused: the
// operator's channel hears why, and the checks and channels stay. Forced
// (by `tocsin config reload --force`), each is applied, the operator is
// told which checks went, and the open incidents of removed checks are
// resolved with a timeline entry. A start on the database with a config
// that removes most checks exits, telling the operator, until forced.
func TestReloadGuard(t *testing.T) {
	rcv := newReceiver(t, map[string]string{"ops": "ops-secret", "pager": "pager-secret"}, nil)
	full := guardConfig(rcv)
	in := newInstance(t, full)
	s := in.start()

	state := func() string {
		var checks struct {
			Checks []struct{ Name string } `json:"checks"`
		}
		s.mustAPI("GET", "/api/v1/checks", &checks)
		var running struct {
			Channels []string `json:"channels"`
			Operator []string `json:"operator_notify"`
		}
		s.mustAPI("GET", "/api/v1/config", &running)
		var names []string
		for _, c := range checks.Checks {
			names = append(names, c.Name)
		}
		slices.Sort(names)
		return fmt.Sprintf("checks %s; channels %s; operator %s", strings.Join(names, ","), strings.Join(running.Channels, ","),
			strings.Join(running.Operator, ","))
	}
	const whole = "checks backup,lb-1,lb-2,lb-3; channels ops,pager; operator ops"
	if got := state(); got != whole {
		t.Fatalf("at start: %s", got)
	}

	// lb-2 and lb-3 go down and open incidents.
	for _, c := range guardChecks[1:3] {
		if resp, err := http.Get(s.base + "/ping/" + c.uuid); err != nil || resp.StatusCode != 200 {
			t.Fatalf("ping %s: %v %v", c.name, resp, err)
		}
	}
	open := map[string]int64{}
	eventually(t, 20*time.Second, 100*time.Millisecond, "incidents of lb-2 and lb-3", func() (bool, string) {
		for _, c := range guardChecks[1:3] {
			if list := s.incidents("status=open&check=" + c.uuid); len(list) == 1 {
				open[c.name] = list[0].ID
			}
		}
		return len(open) == 2, fmt.Sprint(open)
	})

	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(in.config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// opsSaid waits for an operator report of event whose message holds
	// every one of parts, not seen before.
	seen := map[string]bool{}
	opsSaid := func(event string, parts ...string) string {
		t.Helper()
		var msg string
		eventually(t, 20*time.Second, 50*time.Millisecond, fmt.Sprintf("%s on ops saying %q", event, parts), func() (bool, string) {
			ds, problems := rcv.snapshot()
			for _, d := range ds {
				var body struct{ Message string }
				json.Unmarshal(d.Body, &body)
				if d.Channel != "ops" || d.Event.Event != event || seen[d.Event.IdempotencyKey] {
					continue
				}
				ok := true
				for _, p := range parts {
					ok = ok && strings.Contains(body.Message, p)
				}
				if ok {
					seen[d.Event.IdempotencyKey] = true
					msg = body.Message
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d deliveries, problems %q", len(ds), problems)
		})
		return msg
	}

	lines := strings.SplitAfter(full, "\n")
	cut := strings.Join(lines[:len(lines)-4], "") // ends after lb-1: three checks gone
	noChannels := "checks:\n"
	for _, c := range guardChecks {
		noChannels += fmt.Sprintf("  - {name: %s, uuid: %s, schedule: {every: %s}, grace: 1s}\n", c.name, c.uuid, c.every)
	}

	// Refused: an empty file by SIGHUP, the others by the API.
	write("")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	opsSaid("tocsin.config_refused", "is empty", "every check (4)", "every channel (2)", "operator's route")
	if got := state(); got != whole {
		t.Fatalf("after the empty file: %s", got)
	}
	for _, tc := range []struct{ name, text, says string }{
		{"cut", cut, "remove 3 of 4 checks (75%, more than reload_guard.share_percent 20%): lb-2, lb-3, backup"},
		{"no channels", noChannels, "every channel (2): ops, pager"},
	} {
		write(tc.text)
		code, err := s.api("POST", "/api/v1/config/reload", nil)
		if code != http.StatusConflict || err == nil || !strings.Contains(err.Error(), tc.says) ||
			!strings.Contains(err.Error(), "?force=true") {
			t.Fatalf("%s: reload answered %d: %v", tc.name, code, err)
		}
		opsSaid("tocsin.config_refused", tc.says)
		if got := state(); got != whole {
			t.Fatalf("after the refused %s config: %s", tc.name, got)
		}
	}
	if list := s.incidents("status=open"); len(list) != 2 {
		t.Fatalf("open incidents after the refusals: %d", len(list))
	}

	// Forced: the cut config. The operator hears which checks went; the
	// incidents of lb-2 and lb-3 are resolved with a timeline entry, and
	// those who heard of them hear of the resolution.
	force := func() string {
		t.Helper()
		cmd := exec.Command(binary, "config", "reload", "--force", "--server", s.base)
		cmd.Env = append(os.Environ(), "TOCSIN_API_TOKEN="+adminToken)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tocsin config reload --force: %v\n%s", err, out)
		}
		return string(out)
	}
	write(cut)
	if out := force(); !strings.Contains(out, "removed, no longer monitored: lb-2, lb-3, backup") ||
		!strings.Contains(out, "applied by force") {
		t.Fatalf("forced reload said:\n%s", out)
	}
	opsSaid("tocsin.config_applied", "BY FORCE", "3 checks removed, no longer monitored: lb-2, lb-3, backup",
		"2 open incidents of removed checks resolved")
	if got := state(); got != "checks lb-1; channels ops,pager; operator ops" {
		t.Fatalf("after the forced cut: %s", got)
	}
	for name, id := range open {
		inc := s.incident(id)
		if inc.Status != "resolved" || !inc.hasKinds("check.removed", "incident.resolved") {
			t.Fatalf("incident of %s: %s %v", name, inc.Status, inc.kinds())
		}
		var resolved string
		for _, e := range inc.Timeline {
			if e.Kind == "incident.resolved" {
				resolved = e.Message
			}
		}
		if resolved != "Resolved: check removed from config" {
			t.Fatalf("incident of %s resolved with %q", name, resolved)
		}
		rcv.await(t, 20*time.Second, "pager", "incident.resolved", id)
	}

	// Back to the whole config (nothing removed: applied), then forced
	// without channels: the operator's channel, gone from the new config,
	// is told directly.
	write(full)
	if _, err := s.api("POST", "/api/v1/config/reload", nil); err != nil {
		t.Fatal(err)
	}
	write(noChannels)
	force()
	opsSaid("tocsin.config_applied", "BY FORCE", "every channel (2): ops, pager")
	if got := state(); got != "checks backup,lb-1,lb-2,lb-3; channels ; operator " {
		t.Fatalf("after the forced removal of every channel: %s", got)
	}

	// Back again, then the empty file forced: every check goes.
	write(full)
	if _, err := s.api("POST", "/api/v1/config/reload", nil); err != nil {
		t.Fatal(err)
	}
	write("")
	force()
	opsSaid("tocsin.config_applied", "BY FORCE", "4 checks removed, no longer monitored: lb-1, lb-2, lb-3, backup")
	if got := state(); got != "checks ; channels ; operator " {
		t.Fatalf("after the forced empty file: %s", got)
	}

	// The audit log holds each refusal and each forced apply, newest first.
	var audit struct {
		Entries []struct {
			Action  string          `json:"action"`
			Actor   string          `json:"actor"`
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data"`
		} `json:"entries"`
	}
	s.mustAPI("GET", "/api/v1/audit?action=config&limit=100", &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action)
	}
	// Newest first: the forced empty file, the whole config, the forced
	// channel removal, the whole config, the forced cut, the three
	// refusals, the start.
	want := []string{"config.reload", "config.reload", "config.reload", "config.reload", "config.reload",
		"config.refused", "config.refused", "config.refused", "config.startup"}
	if !slices.Equal(actions, want) {
		t.Fatalf("audit actions %v, want %v", actions, want)
	}
	var forced struct {
		Forced   bool     `json:"forced"`
		Removed  []string `json:"removed"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if e := audit.Entries[0]; json.Unmarshal(e.Data, &forced) != nil || !strings.Contains(e.Message, "applied by force") ||
		e.Actor != "api:admin" || !forced.Forced || len(forced.Removed) != 4 || len(forced.Findings) != 4 {
		t.Fatalf("audit of the forced apply: %s %s: %s", e.Actor, e.Message, e.Data)
	}
	if e := audit.Entries[7]; e.Actor != "signal" || !strings.Contains(e.Message, "is empty") {
		t.Fatalf("audit of the refused SIGHUP: %+v", e)
	}
	if code := s.terminate(); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	// A start on this database: the whole config is applied (nothing
	// removed). Then, stopped, the cut config is refused at start: the
	// server exits saying why and how to force, until forced.
	write(full)
	s = in.start()
	if code := s.terminate(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	write(cut)
	if _, err := in.try(); err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Fatalf("start with the cut config: %v", err)
	}
	log, _ := os.ReadFile(in.log)
	if !strings.Contains(string(log), "refused by the reload guard: it would remove 3 of 4 checks") ||
		!strings.Contains(string(log), "--force-config") {
		t.Fatalf("refused start did not say why:\n%s", log)
	}
	// The cut file still names the operator's channel: it hears why.
	opsSaid("tocsin.config_refused", "at start and did not start", "remove 3 of 4 checks", "--force-config")
	in.env = []string{"TOCSIN_FORCE_CONFIG=1"}
	s = in.start()
	in.env = nil
	if got := state(); got != "checks lb-1; channels ops,pager; operator ops" {
		t.Fatalf("after the forced start: %s", got)
	}
	rcv.checkNoProblems(t)
}

package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadOnSIGHUP: SIGHUP swaps in a changed config; a half-written file
// is rejected with file:line in the log and the running config stays. A
// second server on the same database refuses to start.
func TestReloadOnSIGHUP(t *testing.T) {
	const a = "11111111-1111-4111-8111-111111111111"
	const b = "22222222-2222-4222-8222-222222222222"
	in := newInstance(t, "checks:\n  - {name: alpha, uuid: "+a+", schedule: {every: 1h}}\n")
	s := in.start()
	names := func() string {
		var out struct {
			Checks []struct{ Name string } `json:"checks"`
		}
		s.mustAPI("GET", "/api/v1/checks", &out)
		var n []string
		for _, c := range out.Checks {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	write := func(text string) {
		if err := os.WriteFile(in.config, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	write("checks:\n  - {name: alpha, uuid: " + a + ", schedule: {every: 1h}}\n  - {name: beta, uuid: " + b + ", schedule: {every: 2h}}\n")
	eventually(t, 10*time.Second, 20*time.Millisecond, "beta added by SIGHUP", func() (bool, string) {
		got := names()
		return got == "alpha,beta", got
	})

	write("checks:\n  - {name: alpha, uuid: " + a + ", schedule: {every: 1h}}\n  - {name: beta, schedule: {every: 2h}, grace: -5s}\n")
	eventually(t, 10*time.Second, 20*time.Millisecond, "rejection logged", func() (bool, string) {
		log, _ := os.ReadFile(in.log)
		return strings.Contains(string(log), "tocsin.yaml:3: checks[1].grace"), "no rejection in the log yet"
	})
	if got := names(); got != "alpha,beta" {
		t.Fatalf("a rejected reload changed the checks: %s", got)
	}
	if c := s.check(b); c.Name != "beta" {
		t.Fatalf("beta lost its uuid: %+v", c)
	}

	// A second server on the same database file refuses to start.
	second := newInstance(t, "")
	second.database = in.database
	if _, err := second.try(); err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Fatalf("second server on the same database: %v", err)
	}
	log, _ := os.ReadFile(second.log)
	if !strings.Contains(string(log), "in use by another tocsin process") {
		t.Fatalf("second server did not say why: %s", log)
	}
	if code := s.terminate(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}

// Package probetest holds what the tests of every probe kind share: a
// bounded run that fails a probe outliving its deadline, and class checks.
package probetest

import (
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/probe"
)

// Healthy is the timeout for probes of peers that answer: generous, so a
// loaded machine does not turn a pass into a timeout.
const Healthy = 30 * time.Second

// Slack is how far past its timeout a probe may return: room for a busy
// scheduler, far below "hung".
const Slack = time.Second

// Run probes once and fails the test if the probe outlives its timeout: the
// result must arrive before a backstop far past it, and the reported
// latency must be within Slack of it.
func Run(t *testing.T, p probe.Prober, timeout time.Duration) probe.Result {
	t.Helper()
	done := make(chan probe.Result, 1)
	go func() { done <- p.Probe(t.Context()) }()
	select {
	case r := <-done:
		if r.Latency > timeout+Slack {
			t.Errorf("latency %s, timeout %s: the probe overran its deadline", r.Latency, timeout)
		}
		return r
	case <-time.After(timeout + time.Minute):
		t.Fatalf("probe still running a minute after its %s timeout", timeout)
		return probe.Result{}
	}
}

// ExpectClass fails the test unless r has the class ("" means OK).
func ExpectClass(t *testing.T, r probe.Result, class string) {
	t.Helper()
	if class == "" {
		if !r.OK || r.Class != "" {
			t.Fatalf("want OK, got class %q: %s", r.Class, r.Message)
		}
		return
	}
	if r.OK || r.Class != class {
		t.Fatalf("want class %q, got OK=%v class %q: %s", class, r.OK, r.Class, r.Message)
	}
}

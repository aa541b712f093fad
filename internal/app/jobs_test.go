package app

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// leaderJobs are the jobs that run only on the replica leading the
// engine: a job added to the table says here whether it does.
var leaderJobs = map[string]bool{"engine": true, "probes": true, "alerts_timed": true, "escalation": true, "gap_check": true,
	"follow_deadlines": true, "audit_prune": true, "action_items_overdue": true,
	"status_pages": true}

// The job contract, checked in one place: every job has a name of its
// own, a leader flag that matches where it runs, a watchdog entry (its
// stalled series) and a count of runs, and it runs.
func TestJobTable(t *testing.T) {
	r := start(t, "", nil)
	seen := map[string]bool{}
	for _, j := range r.app.newJobs(true) { // a shared database's table: every job
		if j.Name == "" || seen[j.Name] {
			t.Fatalf("job %q: no name, or a name taken", j.Name)
		}
		seen[j.Name] = true
		if j.Leader != leaderJobs[j.Name] {
			t.Errorf("job %s: leader %v, want %v", j.Name, j.Leader, leaderJobs[j.Name])
		}
		if j.Run == nil {
			t.Errorf("job %s: nothing to run", j.Name)
		}
	}
	for name := range leaderJobs {
		if !seen[name] {
			t.Errorf("no job %s", name)
		}
	}
	metrics := func() string {
		req, _ := http.NewRequest("GET", r.base+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	// SQLite: this process leads, and runs every job but following the
	// deadlines other replicas set.
	for _, j := range r.app.jobs {
		if !strings.Contains(metrics(), `tocsin_loop_stalled{loop="`+j.Name+`"} 0`) {
			t.Errorf("job %s has no watchdog entry", j.Name)
		}
		testkit.Eventually(t, "a run of "+j.Name, func() bool {
			return strings.Contains(metrics(), `tocsin_job_runs_total{job="`+j.Name+`",outcome="ok"} `) &&
				!strings.Contains(metrics(), `tocsin_job_runs_total{job="`+j.Name+`",outcome="ok"} 0`)
		})
	}
	if len(r.app.jobs) != len(seen)-1 {
		t.Errorf("%d jobs run on SQLite, want all %d but follow_deadlines", len(r.app.jobs), len(seen))
	}
}

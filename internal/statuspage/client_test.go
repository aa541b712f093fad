package statuspage

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStatuspageClient reads the page with a Statuspage client written by
// someone else: the npm package statuspage.io 3.1.1, installed from the
// lock file in testdata/spclient with npm ci into a temporary directory,
// run by node (testdata/spclient/client.js).
func TestStatuspageClient(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the npm client is not installed")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (Debian packages nodejs and npm): the statuspage.io client is not run")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed (Debian package npm): the statuspage.io client is not run")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "spclient", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--cache", filepath.Join(dir, ".npm"))
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci statuspage.io@3.1.1: %v\n%s", err, out)
	}

	srv, _, _ := startServer(t)
	run := exec.CommandContext(ctx, node, "client.js", srv.URL+"/status/public")
	run.Dir = dir
	var stderr strings.Builder
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("client: %v\n%s", err, stderr.String())
	}
	type incident struct {
		ID, Name, Status, Impact string
		Updates                  []struct{ Status, Body string } `json:"incident_updates"`
	}
	type page struct{ ID, Name, TimeZone string }
	var got struct {
		Summary struct {
			Page       page
			Status     struct{ Indicator, Description string }
			Components []struct{ ID, Name, Status string }
			Incidents  []incident
			Maint      []incident `json:"scheduled_maintenances"`
		}
		Status struct {
			Status struct{ Indicator, Description string }
		}
		Components struct {
			Components []struct {
				ID, Status string
				Group      bool
			}
		}
		Incidents, Unresolved          struct{ Incidents []incident }
		Upcoming, Maintenances, Active struct {
			Maint []incident `json:"scheduled_maintenances"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output: %v\n%s", err, out)
	}
	s := got.Summary
	if s.Page.ID != "p-public" || s.Page.Name != "Example Inc. status" || s.Status.Indicator != "major" ||
		s.Status.Description != "Partial System Outage" || got.Status.Status != s.Status {
		t.Errorf("summary page/status: %+v %+v %+v", s.Page, s.Status, got.Status.Status)
	}
	if len(s.Components) != 21 || s.Components[0].Name != "API" || s.Components[0].Status != "major_outage" {
		t.Errorf("summary components: %d, first %+v", len(s.Components), s.Components)
	}
	if len(s.Incidents) != 1 || s.Incidents[0].Status != "identified" || s.Incidents[0].Impact != "critical" ||
		len(s.Incidents[0].Updates) != 2 || s.Incidents[0].Updates[1].Body != "We are investigating errors on the API." {
		t.Errorf("summary incidents: %+v", s.Incidents)
	}
	if len(s.Maint) != 2 {
		t.Errorf("summary maintenances: %+v", s.Maint)
	}
	groups := 0
	for _, c := range got.Components.Components {
		if c.Group {
			groups++
		}
	}
	if len(got.Components.Components) != 21 || groups != 1 {
		t.Errorf("components: %d, %d groups", len(got.Components.Components), groups)
	}
	ids := func(ins []incident) string {
		var s []string
		for _, in := range ins {
			s = append(s, in.ID)
		}
		return strings.Join(s, ",")
	}
	for name, c := range map[string][2]string{
		"incidents":    {ids(got.Incidents.Incidents), "i-open,i-old,i-older"},
		"unresolved":   {ids(got.Unresolved.Incidents), "i-open"},
		"upcoming":     {ids(got.Upcoming.Maint), "m-next"},
		"maintenances": {ids(got.Maintenances.Maint), "m-next,m-now,m-done"},
		"active":       {ids(got.Active.Maint), "m-now"},
	} {
		if c[0] != c[1] {
			t.Errorf("%s: the client read %q, want %q", name, c[0], c[1])
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/app"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestImportHealthchecks imports the checks of Healthchecks' documented
// GET /api/v3/checks/ answer into a running server: UUIDs kept from the
// ping URLs (the old ping URL pings the new check), schedules, grace,
// tags, pauses and keyword filters on HTTP bodies mapped, and what cannot
// be mapped reported: keywords for email only, integrations, an
// OnCalendar schedule, and a read-only listing's missing UUIDs.
func TestImportHealthchecks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, fourChecks)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, app.Options{ConfigPath: path, Listen: "127.0.0.1:0", Database: filepath.Join(dir, "tocsin.db"),
		AdminToken: "tok", Version: "test", Clock: clock.Real{}, Log: testkit.Logger()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	}()
	base := "http://" + a.Addr()
	t.Setenv("TOCSIN_API_TOKEN", "tok")

	code, out, errs := run("import", "healthchecks", "testdata/healthchecks-checks.json", "--notify", "ops", "--server", base)
	for _, want := range []string{
		`created "Filesystem Backup" (31365bce-8da9-4729-8ff3-aaa71d56b712)`,
		`not kept: keywords (success_kw "SUCCESS", failure_kw "ERROR", start_kw ""): Healthchecks applies them to email only` +
			` (filter_http_body is off), and Tocsin takes no email`,
		`created "Database Backup" (803f680d-e89b-492b-82ef-2be7b774a92d)`,
		`skipped "Weekly Report": schedule "Mon *-*-* 09:00": an OnCalendar expression, which Tocsin does not take`,
		"2 created, 1 skipped of 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if code != exitFailed || errs != "" {
		t.Errorf("exit %d (want %d: a check was skipped), stderr %q", code, exitFailed, errs)
	}
	var c struct {
		Name      string
		Slug      string
		ManagedBy string `json:"managed_by"`
		Grace     string
		Tags      []string
		Notify    []string
		Schedule  struct{ Every, Cron, TZ string }
	}
	get := func(uuid string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/api/v1/checks/"+uuid, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(&c)
	}
	get("31365bce-8da9-4729-8ff3-aaa71d56b712")
	if c.Name != "Filesystem Backup" || c.Slug != "filesystem-backup" || c.ManagedBy != "api" || c.Schedule.Every != "1h" ||
		c.Grace != "10m" || strings.Join(c.Tags, " ") != "backup fs" || strings.Join(c.Notify, ",") != "ops" {
		t.Errorf("imported %+v", c)
	}
	get("803f680d-e89b-492b-82ef-2be7b774a92d")
	if c.Schedule.Cron != "15 5 * * *" || c.Schedule.TZ != "" || c.Grace != "20m" {
		t.Errorf("imported %+v", c)
	}
	// The old ping URL, host name aside, pings the imported check.
	resp, err := http.Get(base + "/ping/31365bce-8da9-4729-8ff3-aaa71d56b712")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("ping of an imported check: %d", resp.StatusCode)
	}

	// Again: the checks exist, and are reported as such.
	if _, out, _ := run("import", "healthchecks", "testdata/healthchecks-checks.json", "--server", base); !strings.Contains(out,
		`skipped "Filesystem Backup": HTTP 409: a check named "Filesystem Backup" exists`) {
		t.Errorf("second import:\n%s", out)
	}
	// A read-only key's listing has no UUIDs: new ones, said so.
	code, out, _ = run("import", "healthchecks", "testdata/healthchecks-checks-readonly.json", "--server", base)
	if code != exitOK || !strings.Contains(out, `created "Nightly Sync"`) ||
		!strings.Contains(out, "not kept: uuid: not in the listing (a read-only key's), so the check gets a new ping URL") {
		t.Errorf("read-only listing: exit %d\n%s", code, out)
	}
	// Keywords on HTTP bodies (newer releases' filter_http_body) become
	// the check's keyword filter.
	listing := filepath.Join(dir, "keywords.json")
	if err := os.WriteFile(listing, []byte(`{"checks": [{"name": "ETL", "timeout": 3600, "grace": 600,
		"ping_url": "https://hc-ping.com/6e1b0f2a-7c3d-4e5f-8a9b-0c1d2e3f4a5b", "success_kw": "DONE", "failure_kw": "ERROR, FATAL",
		"start_kw": "", "filter_subject": false, "filter_body": false, "filter_http_body": true, "filter_default_fail": true}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run("import", "healthchecks", listing, "--server", base); code != exitOK || strings.Contains(out, "not kept") {
		t.Errorf("keywords listing: exit %d\n%s", code, out)
	}
	var k struct {
		Keywords *struct {
			Failure, Success, Start []string
			NoMatch                 string `json:"no_match"`
		}
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/checks/6e1b0f2a-7c3d-4e5f-8a9b-0c1d2e3f4a5b", nil)
	req.Header.Set("Authorization", "Bearer tok")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		json.NewDecoder(resp.Body).Decode(&k)
		resp.Body.Close()
	}
	if f := k.Keywords; f == nil || strings.Join(f.Failure, "|") != "ERROR|FATAL" || strings.Join(f.Success, "|") != "DONE" ||
		len(f.Start) != 0 || f.NoMatch != "fail" {
		t.Errorf("imported keywords %+v", k.Keywords)
	}
	if code, _, errs := run("import", "healthchecks", "testdata/nope.json", "--server", base); code != exitInvalid || errs == "" {
		t.Errorf("missing file: exit %d %q", code, errs)
	}
	if code, _, _ := run("import", "pagerduty", "x"); code != exitInvalid {
		t.Errorf("unknown source: exit %d", code)
	}
}

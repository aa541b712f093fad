package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCronCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		// The examples of the DST rules, Europe/Berlin.
		{[]string{"cron", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--after", "2023-03-25T12:00:00+01:00", "-n", "2"},
			"2023-03-26T03:00:00+02:00\n2023-03-27T02:30:00+02:00\n"},
		{[]string{"cron", "next", "0,30 2 * * *", "--tz", "Europe/Berlin", "--after", "2023-03-26T00:00:00+01:00", "-n", "2"},
			"2023-03-26T03:00:00+02:00\n2023-03-27T02:00:00+02:00\n"},
		{[]string{"cron", "next", "30 * * * *", "--tz", "Europe/Berlin", "--after", "2023-10-29T01:10:00+02:00", "-n", "4"},
			"2023-10-29T01:30:00+02:00\n2023-10-29T02:30:00+02:00\n2023-10-29T02:30:00+01:00\n2023-10-29T03:30:00+01:00\n"},
		{[]string{"cron", "prev", "30 * * * *", "--tz", "Europe/Berlin", "--before", "2023-10-29T03:30:00+01:00", "-n", "3"},
			"2023-10-29T02:30:00+01:00\n2023-10-29T02:30:00+02:00\n2023-10-29T01:30:00+02:00\n"},
		// Flags first, UTC printed with +00:00.
		{[]string{"cron", "next", "--after", "2026-01-01T00:00:00Z", "-n", "1", "@daily"}, "2026-01-02T00:00:00+00:00\n"},
	} {
		code, out, errs := run(tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errs, tc.want)
		}
	}
}

func TestCronCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"cron", "next", "0 0 30 2 *"},
		{"cron", "next", "* * * *"},
		{"cron", "next", "* * * * *", "--tz", "Mars/Olympus"},
		{"cron", "next", "* * * * *", "--after", "yesterday"},
		{"cron", "next", "* * * * *", "-n", "0"},
		{"cron", "next"},
		{"cron", "sideways", "* * * * *"},
		{"cron", "prev", "* * * * *", "extra"},
	} {
		code, out, errs := run(args...)
		if code != 2 || out != "" || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and a message", args, code, out, errs)
		}
		if lines := strings.Count(strings.TrimSpace(errs), "\n"); lines > 2 {
			t.Errorf("%v: a long error: %q", args, errs)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run("config", "check", "../../internal/config/testdata/good/full.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("good file: exit %d %q", code, out)
	}
	code, _, errs := run("config", "check", "../../internal/config/testdata/bad/cron-never.yaml")
	if code != 2 || !strings.Contains(errs, "cron-never.yaml:4: checks[0].schedule.cron") {
		t.Fatalf("bad file: exit %d %q", code, errs)
	}
	if code, _, _ := run("config", "check", dir+"/missing.yaml"); code != 2 {
		t.Fatalf("missing file: exit %d", code)
	}
}

package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionNamesCommitAndGo(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionText(info, true)
	for _, want := range []string{"tocsin dev\n", "commit 0123abcd (modified)\n", "committed 2026-12-07T10:00:00Z\n", "go1.99.1 "} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}
	if got := versionText(nil, false); !strings.Contains(got, "commit unknown\n") {
		t.Errorf("without build info: %s", got)
	}
	var out bytes.Buffer
	if code := Main([]string{"version"}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "tocsin ") || !strings.Contains(out.String(), "\ngo1.") {
		t.Errorf("tocsin version: %d %q", code, out.String())
	}
}

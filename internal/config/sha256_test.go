package config

import (
	"strings"
	"testing"
)

func TestSHA256ProblemNamesTheFix(t *testing.T) {
	const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tc := range []struct{ in, want string }{
		{hex, ""},
		{hex + "  -", "take only the 64 hex digits"},
		{hex + " *-", "take only the 64 hex digits"},
		{hex + "  token.txt", "take only the 64 hex digits"},
		{strings.ToUpper(hex), "write them in lower case"},
		{" " + hex, "without surrounding spaces"},
		{hex[:40], "got 40 hex characters"},
		{"<printf %s TOKEN | sha256sum>", "| cut -d' ' -f1"},
	} {
		got := sha256Problem(tc.in)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("sha256Problem(%q) = %q, want it to contain %q", tc.in, got, tc.want)
		}
	}
}

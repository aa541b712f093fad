package config

import (
	"fmt"
	"regexp"
	"strings"
)

// sha256sumLineRE matches what `sha256sum` prints: the 64 hex digits, two
// spaces (or a space and a '*' in binary mode) and the file name, "-" for
// standard input. Pasting that whole line is the most common mistake.
var sha256sumLineRE = regexp.MustCompile(`^([0-9a-fA-F]{64})[ \t]+\*?\S*$`)

// sha256Problem explains why s is not a hex SHA-256 as the config stores
// it, or returns "" when it is one. It names the fix for the usual mistakes:
// the whole sha256sum line pasted, upper-case digits, a truncated copy.
func sha256Problem(s string) string {
	if sha256RE.MatchString(s) {
		return ""
	}
	const want = "must be 64 lowercase hex characters (sha256sum output)"
	t := strings.TrimSpace(s)
	switch {
	case sha256RE.MatchString(t):
		return fmt.Sprintf("%s without surrounding spaces, got %s", want, quote(s))
	case sha256sumLineRE.MatchString(t):
		digits := sha256sumLineRE.FindStringSubmatch(t)[1]
		return fmt.Sprintf("%s, got the whole sha256sum line %s: take only the 64 hex digits before the spaces (%s)",
			want, quote(s), quote(strings.ToLower(digits)))
	case sha256RE.MatchString(strings.ToLower(t)):
		return fmt.Sprintf("%s, got upper-case digits %s: write them in lower case", want, quote(s))
	case isHex(t):
		return fmt.Sprintf("%s, got %d hex characters %s (a truncated copy?)", want, len(t), quote(s))
	}
	return fmt.Sprintf("%s, got %s: `printf %%s \"$TOKEN\" | sha256sum | cut -d' ' -f1` prints one", want, quote(s))
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

package kind

import (
	"strings"
	"testing"
)

func TestCheckTokenURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://hooks.slack.com/services/T0/B0/XXXX", ""},
		{"http://127.0.0.1:8080/hook", ""},
		{"http://hooks.slack.com/services/T0/B0/XXXX", `must be https: the URL carries the Slack token in its path (http is only allowed to localhost, 127.0.0.1 or ::1), got "http://hooks.slack.com/<secret>"`},
		{"hooks.slack.com/services/T0", `must be the https URL of a Slack incoming webhook, got "<secret>"`},
	} {
		err := CheckTokenURL(tc.in, "the https URL of a Slack incoming webhook", "Slack")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("CheckTokenURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestQuoteHidesCredentialsAndShortens(t *testing.T) {
	if got := Quote("https://user:pw@example.com/x?token=abc"); strings.Contains(got, "pw") || strings.Contains(got, "abc") {
		t.Errorf("Quote leaks a credential: %s", got)
	}
	long := strings.Repeat("é", 40) // 80 bytes: cut on a rune boundary
	if got := Quote(long); !strings.HasSuffix(got, `"...`) || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("Quote(long) = %s", got)
	}
}

func TestSpecDescribe(t *testing.T) {
	if got := (Spec{Name: "email", ShowTo: true}).Describe("ana@example.com"); got != "email ana@example.com" {
		t.Errorf("shown: %q", got)
	}
	if got := (Spec{Name: "slack", TokenInPath: true}).Describe("https://hooks.slack.com/x"); got != "slack" {
		t.Errorf("hidden: %q", got)
	}
}

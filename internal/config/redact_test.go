package config

import (
	"strings"
	"testing"
)

// TestErrorsHideURLSecrets: a config error about a URL never quotes its
// userinfo or its query, parseable or not: the message reaches the log
// and the reload API's answer.
func TestErrorsHideURLSecrets(t *testing.T) {
	for _, src := range []string{
		"channels: [{name: a, type: webhook, url: \"ftp://user:PASSWORD@example.com/hook?token=SECRET\"}]\n",
		"channels: [{name: a, type: webhook, url: \"https://PASSWORD@/hook?token=SECRET\"}]\n",
		"channels: [{name: a, type: webhook, url: \"http://us er:PASSWORD@exa mple.com/?token=SECRET\"}]\n",
		"channels: [{name: a, type: webhook, url: \"example.com/hook?token=SECRET\"}]\n",
		"channels: [{name: a, type: webhook, url: [\"https://u:PASSWORD@example.com/?token=SECRET\"]}]\n",
		"channels: [{name: a, type: webhook, url: \"https://example.com/hook\", timeout: \"https://u:PASSWORD@x/?token=SECRET\"}]\n",
		"self_heartbeat: {url: \"hc.example.com/ping/SECRET?token=SECRET\"}\n",
		"self_heartbeat: {url: \"mailto://u:PASSWORD@hc.example.com/ping?k=SECRET\"}\n",
		"public_url: \"https://u:PASSWORD@tocsin.example.com/?token=SECRET\"\n",
		"telegram: {api_base: 'https://api.telegram.org/?token=SECRET'}\n",
		"users: [{name: ana, email: ana@example.com, contacts: [{type: slack, to: \"http://hooks.slack.com/services/T0/B0/SECRET\"}]}]\n",
		"users: [{name: ana, email: ana@example.com, contacts: [{type: ntfy, to: \"https://ntfy.sh/SECRET?x=SECRET\"}]}]\n",
	} {
		_, err := Parse("t.yaml", []byte(src))
		if err == nil {
			t.Errorf("%s: accepted", src)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "PASSWORD") {
			t.Errorf("the error quotes a secret:\n%s", err)
		}
	}
}

func TestHideURLSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@example.com/hook?token=s": "https://<secret>@example.com/hook?<secret>",
		"https://example.com/hook":             "https://example.com/hook",
		"https://example.com/hook?":            "https://example.com/hook?",
		"example.com/hook?token=s":             "example.com/hook?token=s", // no scheme, no http: not a URL to us
		"http-ish?token=s":                     "http-ish?<secret>",
		"1h30m":                                "1h30m",
		"ops@example.com":                      "ops@example.com",
	} {
		if got := hideURLSecrets(in); got != want {
			t.Errorf("hideURLSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactedHidesQuery: the printed config (GET /api/v1/config) hides
// the values of a URL's query and its fragment, keeping the keys.
func TestRedactedHidesQuery(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte("channels: [{name: a, type: webhook, url: \"https://u:PASSWORD@example.com/hook?token=SECRET&x#FRAG\"}]\n"+
		"self_heartbeat: {url: \"https://hc.example.com/ping?key=SECRET\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, s := range []string{"SECRET", "PASSWORD", "FRAG"} {
		if strings.Contains(out, s) {
			t.Errorf("Redacted shows %q:\n%s", s, out)
		}
	}
	for _, s := range []string{"https://u:<secret>@example.com/hook?token=<secret>&x#<secret>", "https://hc.example.com/ping?key=<secret>"} {
		if !strings.Contains(out, s) {
			t.Errorf("Redacted lacks %q:\n%s", s, out)
		}
	}
}

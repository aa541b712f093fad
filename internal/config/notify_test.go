package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNotifyFixture(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "notify.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	// Secrets from files, relative to the config file, newlines trimmed.
	if want := (SMTP{Host: "localhost", Port: 25, Username: "tocsin", Password: "correct horse battery staple",
		PasswordFile: "secrets/smtp-password", From: `"Tocsin Alerts" <tocsin@example.com>`, TLS: SMTPNone,
		Helo: "tocsin.example.com"}); cfg.SMTP != want {
		t.Errorf("smtp = %+v", cfg.SMTP)
	}
	if want := (Telegram{BotToken: "987654321:AAE_x-7Hq2xW9vLm3K0pK4x7tQe9Zb2mNwYz", BotTokenFile: "secrets/telegram-token",
		APIBase: "http://127.0.0.1:8081"}); cfg.Telegram != want {
		t.Errorf("telegram = %+v", cfg.Telegram)
	}
	rates := map[string]int{"slack": 60, "mail": 6000, "quiet": 0, "hook": 0}
	for name, want := range rates {
		if ch, _ := cfg.ChannelByName(name); ch.RatePerMinute != want {
			t.Errorf("channel %s: rate_per_minute %d, want %d", name, ch.RatePerMinute, want)
		}
	}
	if ch, _ := cfg.ChannelByName("public"); ch.To != "@ops_alerts" || ch.URL != "" {
		t.Errorf("public = %+v", ch)
	}
	if ch, _ := cfg.ChannelByName("ntfy"); ch.Secret == "" || ch.URL != "http://ntfy.internal/ops" {
		t.Errorf("ntfy = %+v", ch)
	}

	// Secrets read from files are left out of the printed config, whose
	// file names stay; the printed config loads again.
	out := cfg.Redacted()
	for _, secret := range []string{"correct horse", "AAE_x-7Hq2", "tk_AgQdq7", "XXXXXXXX", "T0/B0/x", "webhooks/1/abc"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q:\n%s", secret, out)
		}
	}
	for _, shown := range []string{"password_file: secrets/smtp-password", "bot_token_file: secrets/telegram-token", `password: ""`, `bot_token: ""`,
		"url: http://127.0.0.1:8080/<secret>", "url: http://[::1]:8080/<secret>", "url: http://LocalHost/<secret>"} {
		if !strings.Contains(out, shown) {
			t.Errorf("Redacted lacks %q:\n%s", shown, out)
		}
	}
	back, err := Parse(filepath.Join("testdata", "good", "redacted.yaml"), []byte(out))
	if err != nil {
		t.Fatalf("Redacted output does not load: %v\n%s", err, out)
	}
	if back.SMTP.Password != cfg.SMTP.Password || back.Telegram.BotToken != cfg.Telegram.BotToken {
		t.Errorf("reloaded smtp %+v, telegram %+v", back.SMTP, back.Telegram)
	}
}

func TestNotifyDefaults(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "notify-defaults.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (SMTP{Host: "smtp.example.com", Port: DefaultSMTPPort, From: "tocsin@example.com", TLS: SMTPStartTLS}); cfg.SMTP != want {
		t.Errorf("smtp = %+v", cfg.SMTP)
	}
	if cfg.Telegram.APIBase != DefaultTelegramAPIBase || cfg.Channels[0].RatePerMinute != 0 || cfg.Channels[0].Timeout.D() != DefaultChannelTimeout {
		t.Errorf("telegram = %+v, channel = %+v", cfg.Telegram, cfg.Channels[0])
	}
	// Nothing sends email or to Telegram: the sections may be left out,
	// and still get their defaults.
	cfg, err = Parse("n.yaml", []byte("channels: [{name: ops, type: webhook, url: 'https://example.com/'}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if (cfg.SMTP != SMTP{Port: DefaultSMTPPort, TLS: SMTPStartTLS}) || (cfg.Telegram != Telegram{APIBase: DefaultTelegramAPIBase}) {
		t.Errorf("smtp = %+v, telegram = %+v", cfg.SMTP, cfg.Telegram)
	}
}

func TestNotifyErrors(t *testing.T) {
	const token = `"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"`
	for _, tc := range []struct{ src, want string }{
		// Many senders are cut short; a section without host is pointed at.
		{"channels:\n  - {name: a, type: email, to: a@example.com}\n  - {name: b, type: email, to: b@example.com}\n" +
			"  - {name: c, type: email, to: c@example.com}\n  - {name: d, type: email, to: d@example.com}\nsmtp:\n  port: 465\n",
			"n.yaml:7: smtp.host: required: channels[0], channels[1], channels[2] and 1 more send email"},
		{"channels: [{name: a, type: email, to: a@example.com}, {name: b, type: email, to: b@example.com}]\nsmtp: {host: '', from: t@example.com}\n",
			"n.yaml:2: smtp.host: required: channels[0], channels[1] send email"},
		// A channel of an unknown type: the type is reported, and a bad
		// url, nothing that depends on the type.
		{"channels: [{name: a, type: sms, to: '+4912345', secret: x, headers: {X-A: b}}, {name: b, type: pager, url: 'ftp://x'}]\n",
			"n.yaml:1: channels[0].type: unsupported type \"sms\"; supported: webhook, slack, discord, teams, ntfy, telegram, email\n" +
				"n.yaml:1: channels[1].type: unsupported type \"pager\"; supported: webhook, slack, discord, teams, ntfy, telegram, email\n" +
				"n.yaml:1: channels[1].url: must be an absolute http or https URL, got \"ftp://x\""},
		// Fields a type does not use may be empty, as Redacted prints them.
		{"channels: [{name: a, type: webhook, url: 'http://127.0.0.1/', to: ''}, {name: b, type: email, url: '', to: b@example.com, secret: '', headers: {}}]\nsmtp: {host: localhost, from: t@localhost}\n", ""},
		{"channels: [{name: a, type: webhook, url: 'http://127.0.0.1/', to: b@example.com}, {name: b, type: email, url: 'mailto:b@example.com', to: b@example.com}]\nsmtp: {host: localhost, from: t@localhost}\n",
			"n.yaml:1: channels[0].to: only for email and telegram channels; webhook channels send to url\n" +
				"n.yaml:1: channels[1].url: not used by email channels: they send to the address in to, through the smtp section"},
		{"channels: [{name: a, type: telegram, to: '@a_channel_name_longer_than_32_chars', secret: x}]\ntelegram: {bot_token: " + token + "}\n",
			"n.yaml:1: channels[0].to: must be a Telegram chat id (digits, with a leading - for a group) or @ and a channel username of 5 to 32 letters, digits or _, got \"@a_channel_name_longer_than_32_chars\"\n" +
				"n.yaml:1: channels[0].secret: only for webhook channels (HMAC key) and ntfy channels (access token), not telegram"},
		{"channels: [{name: a, type: email, to: '<ops@example.com>', rate_per_minute: -1}]\nsmtp: {host: localhost, from: t@localhost}\n",
			"n.yaml:1: channels[0].to: must be an email address like ops@example.com, got \"<ops@example.com>\"\n" +
				"n.yaml:1: channels[0].rate_per_minute: must be between 0 and 6000, got -1"},
		{"channels: [{name: a, type: teams, url: 'http://127.0.0.2/x'}, {name: b, type: slack, url: 'https:///x'}]\n",
			"n.yaml:1: channels[0].url: must be https: the URL carries the Microsoft Teams token in its path (http is only allowed to localhost, 127.0.0.1 or ::1), got \"http://127.0.0.2/<secret>\"\n" +
				"n.yaml:1: channels[1].url: must be the https URL of a Slack incoming webhook, got \"<secret>\""},
		// A header break in the display name, hidden in an encoded word.
		{"smtp: {host: '::1', from: '=?utf-8?q?a=0D=0ABcc:_x?= <t@example.com>', tls: none}\n",
			`n.yaml:1: smtp.from: must be an email address like tocsin@example.com or "Tocsin <tocsin@example.com>", got "=?utf-8?q?a=0D=0ABcc:_x?= <t@example.com>"`},
		{"smtp: {host: '[::1]', from: t@example.com, tls: starttls-optional, port: 0}\n",
			"n.yaml:1: smtp.host: must be a host name or IP address like smtp.example.com, got \"[::1]\"\n" +
				"n.yaml:1: smtp.port: must be between 1 and 65535, got 0"},
		// tls: none is judged against the host, set or not.
		{"smtp: {tls: none, from: t@example.com}\n", ""},
		{"smtp: {host: 10.0.0.25, tls: none, from: t@example.com}\n",
			`n.yaml:1: smtp.tls: "none" is only allowed when host is localhost, 127.0.0.1 or ::1: plaintext SMTP with a password would leak it; use starttls or tls (or starttls-optional for a relay without TLS)`},
		{"telegram: {api_base: 'https://u:p@api.telegram.org'}\n", "n.yaml:1: telegram.api_base: must not hold a user name or password"},
		{"telegram: {api_base: 'https://api.telegram.org/?x=1'}\n", `n.yaml:1: telegram.api_base: must not have a query or fragment, got "https://api.telegram.org/?<secret>"`},
		{"telegram: {bot_token: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsa w9'}\n",
			"n.yaml:1: telegram.bot_token: must be a bot token from @BotFather: digits, a colon and 35 or more letters, digits, _ or -"},
	} {
		cfg, err := Parse("n.yaml", []byte(tc.src))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Parse(%q): %v", tc.src, err)
		case tc.want == "":
			checkInvariants(t, cfg)
		case err == nil || err.Error() != tc.want:
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

// TestSecretFiles reads password_file and bot_token_file relative to the
// config file, or absolute.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("pw", "s3cret\r\n\n")
	abs := write("token", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9\n")
	src := "smtp: {host: smtp.example.com, username: u, password_file: pw, from: t@example.com}\n" +
		"telegram: {bot_token_file: '" + abs + "'}\n"
	cfg, err := Parse(filepath.Join(dir, "tocsin.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Password != "s3cret" || cfg.Telegram.BotToken != "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9" {
		t.Errorf("smtp %+v, telegram %+v", cfg.SMTP, cfg.Telegram)
	}
	// Relative to the config file, not to the working directory.
	if _, err := Parse("tocsin.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), `smtp.password_file: cannot read "pw": no such file or directory`) {
		t.Errorf("Parse from elsewhere: %v", err)
	}
	// Not a whole disk: big files are refused.
	write("big", strings.Repeat("x", maxSecretFileSize+1))
	_, err = Parse(filepath.Join(dir, "tocsin.yaml"), []byte("smtp: {username: u, password_file: big}\n"))
	if err == nil || !strings.Contains(err.Error(), `smtp.password_file: cannot read "big": larger than 64 KiB`) {
		t.Errorf("big file: %v", err)
	}
}

func TestNotifyHelpers(t *testing.T) {
	for _, s := range []string{"ops@example.com", "a.b+c@d", "ops@localhost", "o'neil@example.co.uk"} {
		if err := checkBareAddress(s); err != nil {
			t.Errorf("checkBareAddress(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "ops", "@example.com", "ops@", "Ops <ops@example.com>", "<ops@example.com>", "ops@example.com (Ops)",
		"ops@example.com, b@example.com", "ops@example.com\r\nBcc: x@example.com", " ops@example.com"} {
		if err := checkBareAddress(s); err == nil {
			t.Errorf("checkBareAddress(%q) succeeded", s)
		}
	}
	for _, s := range []string{"smtp.example.com", "localhost", "127.0.0.1", "::1", "2001:db8::25", "mail_relay.internal", "smtp.example.com."} {
		if err := checkHostName(s, "x"); err != nil {
			t.Errorf("checkHostName(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", ".", "a..b", "-a.example.com", "a-.example.com", "smtp example.com", "smtp.example.com:25", "[::1]",
		"smtp://smtp.example.com", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com"} {
		if err := checkHostName(s, "x"); err == nil {
			t.Errorf("checkHostName(%q) succeeded", s)
		}
	}
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/x":          "https://hooks.slack.com/<secret>",
		"https://u:p@discord.com:8443/api/webhooks/1/a?b#c": "https://discord.com:8443/<secret>",
		"http://[::1]:8080/x":                               "http://[::1]:8080/<secret>",
		"https://example.com":                               "https://example.com/<secret>",
		"":                                                  "",
		"%zz":                                               "<secret>",
		"/relative/path":                                    "<secret>",
	} {
		if got := redactTokenURL(in); got != want {
			t.Errorf("redactTokenURL(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"localhost", "LOCALHOST", "127.0.0.1", "::1"} {
		if !isLocalHost(s) {
			t.Errorf("isLocalHost(%q) = false", s)
		}
	}
	for _, s := range []string{"", "localhost.example.com", "127.0.0.2", "[::1]", "0.0.0.0", "::"} {
		if isLocalHost(s) {
			t.Errorf("isLocalHost(%q) = true", s)
		}
	}
}

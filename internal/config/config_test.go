package config

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsinhq/tocsin/internal/cron"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/probe/kinds"
)

func fixtures(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in testdata/%s", dir)
	}
	return files
}

func TestGoodFixtures(t *testing.T) {
	for _, file := range fixtures(t, "good") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := Load(file)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if cfg.File != file {
				t.Errorf("File = %q, want %q", cfg.File, file)
			}
			checkInvariants(t, cfg)
		})
	}
}

// wantLine returns the text after "# want: " on the first line of file.
func wantLine(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	want, ok := strings.CutPrefix(string(first), "# want: ")
	if !ok || strings.TrimSpace(want) == "" {
		t.Fatalf("%s: first line must be \"# want: <part of the error>\"", file)
	}
	return want
}

func TestBadFixtures(t *testing.T) {
	for _, file := range fixtures(t, "bad") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := wantLine(t, file)
			cfg, err := Load(file)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", want)
			}
			if cfg != nil {
				t.Errorf("Load returned a config with an error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error does not contain %q:\n%v", want, err)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T, want a non-empty ErrorList", err)
			}
			for _, e := range list {
				if e.File != file {
					t.Errorf("error %q has File %q, want %q", e, e.File, file)
				}
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	if cfg.PublicURL != "https://tocsin.example.com" {
		t.Errorf("PublicURL = %q", cfg.PublicURL)
	}
	if len(cfg.Checks) != 7 || len(cfg.Channels) != 6 || len(cfg.APITokens) != 2 {
		t.Fatalf("got %d checks, %d channels, %d tokens", len(cfg.Checks), len(cfg.Channels), len(cfg.APITokens))
	}
	if cfg.APITokens[0].Role != "admin" || cfg.APITokens[1].Role != "responder" {
		t.Errorf("token roles %q and %q, want admin (the default) and responder", cfg.APITokens[0].Role, cfg.APITokens[1].Role)
	}
	backup, report := cfg.Checks[0], cfg.Checks[1]
	if backup.Schedule.Every.D() != 24*time.Hour || backup.Methods != "POST" || backup.Line != 83 {
		t.Errorf("backup = %+v", backup)
	}
	// Merged from x-check-defaults.
	if report.Grace.D() != 2*time.Hour || strings.Join(report.Notify, ",") != "ops" {
		t.Errorf("report grace %s notify %q, want 2h [ops] from the merge key", report.Grace, report.Notify)
	}
	if report.Slug != "hourly-report" || report.Schedule.Cron != "5 * * * *" || report.Schedule.TZ != "Europe/Paris" {
		t.Errorf("report = %+v", report)
	}
	ch, ok := cfg.ChannelByName("ops")
	if !ok || ch.Headers["X-Team"] != "platform" || ch.Timeout.D() != 10*time.Second {
		t.Errorf("ChannelByName(ops) = %+v, %v", ch, ok)
	}
	if _, ok := cfg.ChannelByName("nope"); ok {
		t.Error("ChannelByName(nope) found a channel")
	}
	if ch, _ := cfg.ChannelByName("ops-slack"); ch.Type != ChannelSlack || ch.RatePerMinute != 60 {
		t.Errorf("ops-slack = %+v", ch)
	}
	if ch, _ := cfg.ChannelByName("ops-mail"); ch.Type != ChannelEmail || ch.To != "ops@example.com" || ch.URL != "" || ch.RatePerMinute != 0 {
		t.Errorf("ops-mail = %+v", ch)
	}
	if ch, _ := cfg.ChannelByName("ops-chat"); ch.Type != ChannelTelegram || ch.To != "-1001234567890" {
		t.Errorf("ops-chat = %+v", ch)
	}
	if want := (SMTP{Host: "smtp.example.com", Port: 587, Username: "tocsin", Password: "change-me", From: "Tocsin <tocsin@example.com>",
		TLS: SMTPStartTLS, Helo: "tocsin.example.com"}); cfg.SMTP != want {
		t.Errorf("smtp = %+v", cfg.SMTP)
	}
	if want := (Telegram{BotToken: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9", APIBase: "https://api.telegram.org"}); cfg.Telegram != want {
		t.Errorf("telegram = %+v", cfg.Telegram)
	}
	if len(cfg.Services) != 3 || len(cfg.Integrations) != 2 || len(cfg.Routes) != 2 || len(cfg.InhibitRules) != 1 || len(cfg.Silences) != 2 {
		t.Fatalf("got %d services, %d integrations, %d routes, %d inhibit rules, %d silences",
			len(cfg.Services), len(cfg.Integrations), len(cfg.Routes), len(cfg.InhibitRules), len(cfg.Silences))
	}
	if cfg.Services[0].GroupWait.D() != 30*time.Second || cfg.Services[1].GroupWait != 0 || cfg.Services[2].GroupWait.D() != DefaultGroupWait {
		t.Errorf("group waits %s %s %s", cfg.Services[0].GroupWait, cfg.Services[1].GroupWait, cfg.Services[2].GroupWait)
	}
	if s := cfg.Silences[1]; !s.IsRecurring() || s.Duration.D() != 3*time.Hour || !s.StartsAtTime.IsZero() ||
		!s.EndsAtTime.Equal(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("silence = %+v", s)
	}
	if len(cfg.Users) != 3 || len(cfg.Teams) != 1 || len(cfg.Schedules) != 1 || len(cfg.EscalationPolicies) != 1 ||
		len(cfg.Users[0].Contacts) != 3 || len(cfg.Users[1].Contacts) != 4 || !cfg.Users[2].Bot {
		t.Fatalf("got %d users, %d teams, %d schedules, %d policies", len(cfg.Users), len(cfg.Teams), len(cfg.Schedules), len(cfg.EscalationPolicies))
	}
	if c := cfg.Schedules[0].Compiled; c == nil || len(c.Layers) != 2 || len(c.Layers[1].Restrictions) != 1 || len(c.Overrides) != 1 {
		t.Errorf("compiled schedule = %+v", c)
	}
	if p := cfg.EscalationPolicies[0]; p.Repeat != 2 || len(p.Levels) != 2 || p.Levels[1].Timeout.D() != 10*time.Minute ||
		cfg.Services[0].EscalationPolicy != "default" || cfg.Services[0].Team != "payments-team" {
		t.Errorf("policy = %+v, service = %+v", p, cfg.Services[0])
	}
	if cfg.OnCall.GapHorizon.D() != 7*24*time.Hour || cfg.OnCall.GapCheckEvery.D() != time.Hour || len(cfg.LinksSecret) < 32 {
		t.Errorf("oncall = %+v", cfg.OnCall)
	}
}

func TestRouting(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "routing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	waits := map[string]time.Duration{"payments": 30 * time.Second, "database": 0, "catch-all": time.Hour, "Front end": 0}
	for _, s := range cfg.Services {
		if s.GroupWait.D() != waits[s.Name] {
			t.Errorf("service %q: group_wait %s, want %s", s.Name, s.GroupWait, Duration(waits[s.Name]))
		}
	}

	if len(cfg.Routes) != 3 {
		t.Fatalf("got %d routes", len(cfg.Routes))
	}
	r0, r1, r2 := cfg.Routes[0], cfg.Routes[1], cfg.Routes[2]
	if r0.Service != "" || r0.Line != 17 || len(r0.Routes) != 2 || r0.Routes[0].Line != 19 ||
		strings.Join(r0.Routes[0].Matchers, ",") != `severity=~"critical|error",env != "staging"` {
		t.Errorf("routes[0] = %+v", r0)
	}
	// Merged and aliased routes: the lines are those of the routes, where
	// errors about them point.
	if c := r0.Routes[1]; c.Service != "database" || c.Line != 21 || len(c.Matchers) != 1 {
		t.Errorf("routes[0].routes[1] = %+v", c)
	}
	if r1.Service != "database" || r1.Line != 22 {
		t.Errorf("routes[1] = %+v", r1)
	}
	if r2.Service != "Front end" || len(r2.Matchers) != 0 || r2.Routes[0].Service != "" || r2.Routes[0].Routes[0].Service != "catch-all" {
		t.Errorf("routes[2] = %+v", r2)
	}

	if len(cfg.InhibitRules) != 2 || strings.Join(cfg.InhibitRules[0].Equal, ",") != "cluster,_namespace" || cfg.InhibitRules[1].Equal != nil {
		t.Errorf("inhibit rules = %+v", cfg.InhibitRules)
	}

	if len(cfg.Silences) != 4 {
		t.Fatalf("got %d silences", len(cfg.Silences))
	}
	migration, fixed, sunday, nightly := cfg.Silences[0], cfg.Silences[1], cfg.Silences[2], cfg.Silences[3]
	if migration.IsRecurring() || !migration.StartsAtTime.Equal(time.Date(2030, 1, 1, 22, 0, 0, 0, time.UTC)) ||
		!migration.EndsAtTime.Equal(time.Date(2030, 1, 2, 1, 0, 0, 0, time.UTC)) || migration.Comment == "" ||
		migration.EndsAt != "2030-01-02T02:00:00+01:00" {
		t.Errorf("silences[0] = %+v", migration)
	}
	if fixed.IsRecurring() || !fixed.StartsAtTime.IsZero() || !fixed.EndsAtTime.Equal(time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		fixed.Matchers[1] != `instance=~"db-[0-9]+"` {
		t.Errorf("silences[1] = %+v", fixed)
	}
	if !sunday.IsRecurring() || sunday.Duration.D() != 3*time.Hour || sunday.TZ != "Europe/Berlin" ||
		!sunday.StartsAtTime.IsZero() || !sunday.EndsAtTime.IsZero() {
		t.Errorf("silences[2] = %+v", sunday)
	}
	if nightly.Duration.D() != 7*24*time.Hour || nightly.TZ != "" || nightly.StartsAtTime.Year() != 2030 || nightly.EndsAtTime.Year() != 2031 {
		t.Errorf("silences[3] = %+v", nightly)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
}

func TestRoutingErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// Services that cannot be read make no "unknown service" noise.
		{"services: [{name: [x]}]\nroutes: [{service: a}]\nintegrations: [{name: i, type: generic, key: 1234567890123456, service: a}]\n",
			`r.yaml:1: services[0].name: must be a string, got a list`},
		// Routes nested past what the decoder reads.
		{"services: [{name: a}]\nroutes: " + strings.Repeat("[{routes: ", 40) + "[{service: a}]" + strings.Repeat("}]", 40) + "\n",
			"r.yaml:2: " + strings.TrimSuffix(strings.Repeat("routes[0].", 36), ".") + ": nested more than 72 levels deep"},
		// An anchored route holding an alias of itself, met directly.
		{"services: [{name: a}]\nroutes: [&r {service: a, routes: [*r]}]\n",
			"r.yaml:2: routes[0].routes[0]: alias *r is inside the value it names, so it would never end"},
		// Neither a service nor children, and an unknown service, in one run.
		{"services: [{name: a}]\nroutes:\n  - matchers: [x=y]\n  - {service: b, routes: [{service: a}]}\n",
			"r.yaml:3: routes[0]: needs a service or child routes\nr.yaml:4: routes[1].service: unknown service \"b\""},
		{"services: [{name: a, group_wait: 1h1s}]\n", `r.yaml:1: services[0].group_wait: must be at most 1h, got 1h0m1s`},
		{"silences: [{name: s, matchers: [a=b], cron: '@daily', duration: 1h, tz: Local}]\n",
			`r.yaml:1: silences[0].tz: unknown time zone "Local"; use an IANA name like Europe/Paris or UTC`},
		{"silences: [{name: s, matchers: [a=b], cron: '@daily', duration: 1h, starts_at: '2030-01-01T00:00:00Z', ends_at: '2030-01-01T00:00:00Z'}]\n",
			`r.yaml:1: silences[0].ends_at: must be after starts_at (2030-01-01T00:00:00Z), got 2030-01-01T00:00:00Z`},
	} {
		_, err := Parse("r.yaml", []byte(tc.src))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

// TestExampleConfigHasEveryKey keeps full.yaml the reference it claims to
// be: every key of the config appears in it.
func TestExampleConfigHasEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "good", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Slice || typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || typ == durationType || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			if !regexp.MustCompile(`(?m)(^|[\s{,])` + regexp.QuoteMeta(key) + `:`).Match(data) {
				t.Errorf("full.yaml lacks %s", joinPath(path, key))
			}
			walk(typ.Field(i).Type, joinPath(path, key))
		}
	}
	walk(reflect.TypeFor[Config](), "")
	// A probe block's keys beyond type and timeout belong to its kind.
	for _, k := range kinds.All() {
		walk(reflect.TypeOf(k.Settings()), "checks.probe")
	}
}

func TestSpecExample(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good", "spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Checks[0]
	if c.Slug != "nightly-backup" || c.Grace.D() != 30*time.Second || c.Schedule.Every.D() != time.Minute ||
		c.UUID != "0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70" || c.Line != 5 || !*c.AutoResolve {
		t.Errorf("check = %+v", c)
	}
	if cfg.Channels[0].Secret != "s3cret" || cfg.APITokens[0].Name != "admin" {
		t.Errorf("config = %+v", cfg)
	}
}

func TestDefaults(t *testing.T) {
	src := "channels: [{name: ops, type: webhook, url: 'https://example.com/'}]\n" +
		"checks: [{name: My Backup!, schedule: {every: 1h}}]\n"
	cfg, err := Parse("tocsin.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Checks[0]
	switch {
	case cfg.File != "tocsin.yaml":
		t.Errorf("File = %q", cfg.File)
	case cfg.PingBodyLimit != 100_000:
		t.Errorf("PingBodyLimit = %d", cfg.PingBodyLimit)
	case cfg.Channels[0].Timeout.D() != 10*time.Second:
		t.Errorf("channel timeout = %s", cfg.Channels[0].Timeout)
	case c.Grace.D() != time.Hour:
		t.Errorf("grace = %s", c.Grace)
	case c.AutoResolve == nil || !*c.AutoResolve:
		t.Errorf("auto_resolve = %v", c.AutoResolve)
	case c.Slug != "my-backup":
		t.Errorf("slug = %q", c.Slug)
	case c.Line != 2:
		t.Errorf("line = %d", c.Line)
	case cfg.SelfHeartbeat != SelfHeartbeat{Every: Duration(time.Minute), Timeout: Duration(10 * time.Second), OnUnhealthy: "fail"}:
		t.Errorf("self_heartbeat = %+v", cfg.SelfHeartbeat)
	case cfg.Outbox != Outbox{MaxAttempts: 10, BackoffBase: Duration(5 * time.Second), BackoffMax: Duration(10 * time.Minute), PerChannel: 4}:
		t.Errorf("outbox = %+v", cfg.Outbox)
	case cfg.Watchdog != Watchdog{StallAfter: Duration(30 * time.Second), MinEpisode: Duration(time.Minute),
		WriteTimeout: Duration(5 * time.Second)}:
		t.Errorf("watchdog = %+v", cfg.Watchdog)
	}
	// No notify channel earns a warning.
	if len(cfg.Warnings) != 1 || !strings.HasPrefix(cfg.Warnings[0], "tocsin.yaml:2: checks[0]: ") {
		t.Errorf("warnings = %q", cfg.Warnings)
	}

	for _, src := range []string{"", "# only a comment\n", "---\n", "~\n"} {
		cfg, err := Parse("empty.yaml", []byte(src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		if cfg.PingBodyLimit != 100_000 || cfg.Outbox.MaxAttempts != 10 || cfg.Watchdog.StallAfter.D() != 30*time.Second {
			t.Errorf("Parse(%q) left defaults unset: %+v", src, cfg)
		}
	}
}

func TestExplicitValuesKept(t *testing.T) {
	src := `
public_url: https://example.com/tocsin//
ping_body_limit: 99_999
checks:
  - name: a
    schedule: {every: 1h}
    auto_resolve: false
    grace: 2w
outbox: {max_attempts: 1, per_channel: 64, backoff_base: 1m, backoff_max: 1m}
`
	cfg, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://example.com/tocsin" || cfg.PingBodyLimit != 99_999 {
		t.Errorf("public_url %q ping_body_limit %d", cfg.PublicURL, cfg.PingBodyLimit)
	}
	if *cfg.Checks[0].AutoResolve || cfg.Checks[0].Grace.D() != 14*24*time.Hour {
		t.Errorf("check = %+v", cfg.Checks[0])
	}
	if cfg.Outbox.MaxAttempts != 1 || cfg.Outbox.PerChannel != 64 || cfg.Outbox.BackoffBase != cfg.Outbox.BackoffMax {
		t.Errorf("outbox = %+v", cfg.Outbox)
	}
}

func TestWarnings(t *testing.T) {
	src := `channels: [{name: ops, type: webhook, url: 'https://example.com/', timeout: 5s}]
checks:
  - name: fast
    schedule: {every: 5s}
    notify: [ops]
`
	cfg, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w.yaml:1: channels[0].timeout: 5s is under 10s",
		"w.yaml:4: checks[0].schedule.every: 5s is under 10s",
	}
	got := strings.Join(cfg.Warnings, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("warnings lack %q:\n%s", w, got)
		}
	}
	if len(cfg.Warnings) != len(want) {
		t.Errorf("got %d warnings, want %d:\n%s", len(cfg.Warnings), len(want), got)
	}
}

func TestAllErrorsReported(t *testing.T) {
	src := `checks:
  - name: a
    schedule: {every: 500ms}
  - name: b
    schedule: {every: 1h}
    grace: abc
    notify: [nope]
outbox: {max_attempts: 0}
`
	_, err := Parse("t.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T: %v", err, err)
	}
	want := []string{
		`t.yaml:3: checks[0].schedule.every: must be at least 1s, got "500ms"`,
		`t.yaml:6: checks[1].grace: must be a duration like 90s, 1h30m, 1d or 2w, got "abc"`,
		`t.yaml:7: checks[1].notify[0]: unknown channel "nope"; defined: none`,
		`t.yaml:8: outbox.max_attempts: must be between 1 and 100, got 0`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	// A bad every is not also reported as a missing schedule.
	if strings.Contains(err.Error(), "required") {
		t.Errorf("follow-on error reported:\n%v", err)
	}
}

func TestRedacted(t *testing.T) {
	src := `
ping_key: plain-ping-key-0123456789
api_tokens: [{name: admin, token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}]
channels:
  - name: ops
    type: webhook
    url: https://user:url-password@example.com/hook
    secret: hmac-secret-value
    headers:
      Authorization: Bearer header-auth-value
      X-Api-Token: header-token-value
      X-Team: platform
  - {name: slack, type: slack, url: "https://hooks.slack.com/services/T0/B0/slack-path-token"}
  - {name: discord, type: discord, url: "https://discord.com:443/api/webhooks/1/discord-path-token?wait=true"}
  - {name: teams, type: teams, url: "https://example.webhook.office.com/webhookb2/teams-path-token?sig=teams-query-sig#teams-fragment"}
  - {name: ntfy, type: ntfy, url: "https://ntfy.example.com/ops", secret: ntfy-access-token}
  - {name: mail, type: email, to: ops@example.com}
  - {name: chat, type: telegram, to: "@ops_alerts"}
smtp: {host: smtp.example.com, username: tocsin, password: smtp-password-value, from: tocsin@example.com}
telegram: {bot_token: "123456789:telegram-bot-token-value-0123456789abcdef"}
self_heartbeat:
  url: https://user:hb-password@hc.example.com/ping
services: [{name: s}]
integrations: [{name: prom, type: alertmanager, key: integration-key-value, service: s}]
`
	cfg, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, secret := range []string{"plain-ping-key", "url-password", "hmac-secret-value", "header-auth-value", "header-token-value", "hb-password",
		"integration-key-value", "slack-path-token", "discord-path-token", "teams-path-token", "teams-query-sig", "teams-fragment",
		"ntfy-access-token", "smtp-password-value", "telegram-bot-token-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted shows %q:\n%s", secret, out)
		}
	}
	for _, shown := range []string{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "platform", "secret: <secret>", "ping_key: <secret>",
		"https://user:<secret>@example.com/hook", "url: https://hooks.slack.com/<secret>", "url: https://discord.com:443/<secret>",
		"url: https://example.webhook.office.com/<secret>", "url: https://ntfy.example.com/ops", "password: <secret>", "bot_token: <secret>",
		"username: tocsin", "to: ops@example.com", "to: '@ops_alerts'", "api_base: https://api.telegram.org"} {
		if !strings.Contains(out, shown) {
			t.Errorf("Redacted lacks %q:\n%s", shown, out)
		}
	}
	// The config itself is untouched.
	if cfg.Channels[0].Secret != "hmac-secret-value" || cfg.Channels[0].Headers["Authorization"] != "Bearer header-auth-value" || cfg.PingKey == secretMark ||
		cfg.Integrations[0].Key != "integration-key-value" || !strings.HasSuffix(cfg.Channels[1].URL, "slack-path-token") ||
		cfg.SMTP.Password != "smtp-password-value" || !strings.Contains(cfg.Telegram.BotToken, "telegram-bot-token-value") {
		t.Errorf("Redacted changed the config: %+v", cfg.Channels[0])
	}
	// The output reads back as a config.
	var back Config
	if err := yaml.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("Redacted output does not parse: %v", err)
	}
	if back.Outbox.BackoffMax.D() != 10*time.Minute || back.SMTP.Port != 587 || back.SMTP.TLS != SMTPStartTLS {
		t.Errorf("round trip outbox = %+v, smtp = %+v", back.Outbox, back.SMTP)
	}
}

func TestDuration(t *testing.T) {
	good := map[string]time.Duration{
		"1s":     time.Second,
		"90s":    90 * time.Second,
		"1h30m":  90 * time.Minute,
		"1d":     24 * time.Hour,
		"2w":     14 * 24 * time.Hour,
		"1d12h":  36 * time.Hour,
		"1w1d":   8 * 24 * time.Hour,
		"1.5d":   36 * time.Hour,
		"1500ms": 1500 * time.Millisecond,
	}
	for in, want := range good {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		var d Duration
		if err := yaml.Unmarshal([]byte(in), &d); err != nil || d.D() != want {
			t.Errorf("yaml.Unmarshal(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	bad := []string{"500ms", "-1s", "abc", "", "0", "0s", "30", "1x", "d", "1d-1h", "1 d", "99999999999w", "+", "1h30"}
	for _, in := range bad {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
		var d Duration
		if err := yaml.Unmarshal([]byte(strings.ReplaceAll("v: '"+in+"'", "''", `""`)), &struct{ V *Duration }{&d}); err == nil {
			t.Errorf("yaml.Unmarshal(%q) succeeded", in)
		}
	}
	// Fields that take 0 read it in any unit, and still refuse the rest.
	for _, in := range []string{"0", "0s", "0m", "0h", "0d", "0w", "-0s", "0h0m"} {
		if got, err := parseDurationZero(in, true); err != nil || got != 0 {
			t.Errorf("parseDurationZero(%q) = %v, %v; want 0", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"-1s":   `must be 0 or at least 1s, got "-1s"`,
		"500ms": `must be 0 or at least 1s, got "500ms"`,
		"abc":   `must be a duration like 90s, 1h30m, 1d or 2w, got "abc"`,
		"":      `must be a duration like 90s, 1h30m, 1d or 2w, got ""`,
	} {
		if got, err := parseDurationZero(in, true); err == nil || err.Error() != want {
			t.Errorf("parseDurationZero(%q) = %v, %v; want error %q", in, got, err, want)
		}
	}
	if got, err := parseDurationZero("90s", true); err != nil || got != 90*time.Second {
		t.Errorf("parseDurationZero(90s) = %v, %v", got, err)
	}
	// Durations print the way they are written, and read back.
	for _, d := range []time.Duration{time.Second, 90 * time.Second, time.Hour, 36 * time.Hour, 14 * 24 * time.Hour} {
		out, err := yaml.Marshal(Duration(d))
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseDuration(strings.TrimSpace(string(out)))
		if err != nil || back != d {
			t.Errorf("%v printed as %q read back as %v, %v", d, out, back, err)
		}
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"nightly-backup":     "nightly-backup",
		"My Backup!":         "my-backup",
		"  --DB__dump 2--  ": "db-dump-2",
		"Überprüfung":        "berpr-fung",
		"!!!":                "",
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("# padding\n"), MaxFileSize/10+1)
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "big.yaml: file is larger than 4 MiB") {
		t.Errorf("Parse of a big file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("Load of a big file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}

	// Many errors are cut short, with a count of the rest.
	var b strings.Builder
	b.WriteString("checks:\n")
	for range 500 {
		b.WriteString("  - {name: a}\n")
	}
	_, err := Parse("many.yaml", []byte(b.String()))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != maxErrors+1 || !strings.Contains(list[len(list)-1].Msg, "more errors not shown") {
		t.Errorf("got %d errors, last %v", len(list), list[len(list)-1])
	}
}

func TestNeverPanics(t *testing.T) {
	inputs := []string{
		"checks: [{name: a, schedule: {every: [1]}}]",
		"checks: [[]]",
		"checks: {a: 1}",
		"? [a]\n: b\n",
		"checks:\n  - ? {a: 1}\n    : b\n",
		"channels: [{name: a, headers: [x]}]",
		"channels: [{name: a, headers: {? [x] : y}}]",
		"a: &a [*a]\nchecks: *a\n",
		"checks: [&c {name: a, <<: [*c, *c]}]",
		"checks: [{<<: 1}]",
		"checks: [{<<: [1]}]",
		"!!binary aGVsbG8=",
		"checks: !!map {}",
		"\xff\xfe",
		"\x00",
		"%YAML 1.1\n---\na: b",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		strings.Repeat("[", 20000),
		"checks: [{name: a, schedule: {every: 1h}, uuid: *x}]",
		"outbox: {max_attempts: 99999999999999999999999}",
		"ping_body_limit: 0x10",
		"ping_body_limit: 1e5",
		"services: [{name: a}]\nroutes: [&r {routes: [*r, *r]}]",
		"services: [{name: a}]\nroutes: &l [{service: a, routes: *l}]",
		"routes: [{routes: {a: 1}}, {matchers: a=b}, {matchers: [[a]]}]",
		"silences: [{cron: '@daily'}, {name: x, ends_at: 5}, {name: y, duration: 0}]",
		"services: [{name: a, group_wait: [1]}, {name: b, group_wait: 0x10}, {name: c, group_wait: -0}]",
		"inhibit_rules: [{}, [], {equal: [~]}]",
		"users: [{name: a, contacts: [{}, [], {type: webhook, to: x}, {type: ntfy, to: '%zz'}]}, {name: a, tz: ''}]",
		"schedules: [{name: s, tz: UTC, rotations: [{participants: [x], start: 2026-01-05, length: 1w, handoff: 'Fri 9:00', restrictions: [{days: [x], from: '', to: 24:00}]}]}]",
		"schedules: [{rotations: [[]], overrides: [{}, {from: x, to: y}]}]",
		"escalation_policies: [{levels: [{targets: ['user:', 'schedule:x', ':', 'user:a']}, {}, []], repeat: -1}]",
		"users: [{name: a}]\nschedules: [{name: s, tz: UTC, rotations: [{participants: [a], start: '2199-12-31', length: 8784h}]}]\nescalation_policies: [{name: p, levels: [{targets: ['schedule:s']}]}]",
		"oncall: {gap_horizon: 0, gap_check_every: [1]}\nlinks_secret: [x]",
	}
	for _, in := range inputs {
		cfg, err := Parse("p.yaml", []byte(in))
		if err == nil {
			checkInvariants(t, cfg)
		}
	}
}

func TestBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-0: &a0 {name: a, schedule: {every: 1h}}\n")
	prev := "a0"
	for i := 1; i <= 9; i++ {
		b.WriteString("x-" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*" + prev)
		}
		b.WriteString("]\n")
		prev = "a" + string(rune('0'+i))
	}
	b.WriteString("checks: *" + prev + "\nchannels: *" + prev + "\noperator: {notify: *" + prev + "}\n")
	start := time.Now()
	_, err := Parse("laughs.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("billion laughs parsed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("billion laughs took %v", d)
	}
}

// checkInvariants asserts what every successfully parsed Config holds.
func checkInvariants(t testing.TB, cfg *Config) {
	t.Helper()
	if cfg == nil {
		t.Fatal("nil config without an error")
	}
	if cfg.PingBodyLimit <= 0 || cfg.PingBodyLimit > 10_000_000 {
		t.Errorf("PingBodyLimit = %d", cfg.PingBodyLimit)
	}
	if cfg.PingKey != "" && cfg.PingKeySHA256 != "" {
		t.Error("both ping keys set")
	}
	if strings.HasSuffix(cfg.PublicURL, "/") {
		t.Errorf("PublicURL %q ends with /", cfg.PublicURL)
	}
	channels := map[string]bool{}
	sendsEmail, sendsTelegram := false, false
	for _, ch := range cfg.Channels {
		if ch.Name == "" || channels[ch.Name] || !slices.Contains(supportedChannelTypes, ch.Type) {
			t.Errorf("bad channel %+v", ch)
		}
		channels[ch.Name] = true
		if ch.Timeout.D() < time.Second || ch.Timeout.D() > 5*time.Minute {
			t.Errorf("channel timeout %s", ch.Timeout)
		}
		if ch.RatePerMinute < 0 || ch.RatePerMinute > MaxChannelRatePerMinute {
			t.Errorf("channel %q: rate_per_minute %d", ch.Name, ch.RatePerMinute)
		}
		// The channel type's own declaration says which fields it reads.
		if k, ok := notify.Lookup(ch.Type); !ok {
			t.Errorf("channel %q: unknown type %s", ch.Name, ch.Type)
		} else if spec := k.Spec(); !spec.Headers && len(ch.Headers) > 0 || spec.Secret == "" && ch.Secret != "" {
			t.Errorf("channel %q: headers or secret on a %s channel", ch.Name, ch.Type)
		}
		switch ch.Type {
		case ChannelEmail, ChannelTelegram:
			sendsEmail = sendsEmail || ch.Type == ChannelEmail
			sendsTelegram = sendsTelegram || ch.Type == ChannelTelegram
			if ch.URL != "" || ch.To == "" {
				t.Errorf("channel %q: url %q, to %q", ch.Name, ch.URL, ch.To)
			}
		default:
			u, err := url.Parse(ch.URL)
			if ch.To != "" || err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
				t.Errorf("channel %q: url %q, to %q", ch.Name, ch.URL, ch.To)
			} else if tokenInPath(ch.Type) && u.Scheme != "https" && !isLocalHost(u.Hostname()) {
				t.Errorf("channel %q: token over http to %q", ch.Name, u.Host)
			}
		}
	}
	for _, u := range cfg.Users {
		for _, ct := range u.Contacts {
			sendsEmail = sendsEmail || ct.Type == ChannelEmail
			sendsTelegram = sendsTelegram || ct.Type == ChannelTelegram
		}
	}
	sm := cfg.SMTP
	if sendsEmail && (sm.Host == "" || sm.From == "") || sm.Host != "" && sm.From == "" || sm.Port < 1 || sm.Port > 65535 ||
		!slices.Contains([]string{SMTPStartTLS, SMTPStartTLSOptional, SMTPTLS, SMTPNone}, sm.TLS) ||
		sm.TLS == SMTPNone && sm.Host != "" && !isLocalHost(sm.Host) || sm.PasswordFile != "" && sm.Password == "" {
		t.Errorf("smtp %+v", sm)
	}
	tg := cfg.Telegram
	if sendsTelegram && tg.BotToken == "" || tg.BotToken != "" && !telegramTokenRE.MatchString(tg.BotToken) ||
		tg.BotTokenFile != "" && tg.BotToken == "" || tg.APIBase == "" || strings.HasSuffix(tg.APIBase, "/") {
		t.Errorf("telegram: api_base %q, token set %v", tg.APIBase, tg.BotToken != "")
	}
	slugs := map[string]bool{}
	for _, c := range cfg.Checks {
		if c.AutoResolve == nil {
			t.Errorf("check %q: AutoResolve is nil", c.Name)
		}
		if c.Name == "" || c.Slug == "" || slugs[c.Slug] || c.Line <= 0 {
			t.Errorf("bad check %+v", c)
		}
		slugs[c.Slug] = true
		if c.Grace.D() < time.Second {
			t.Errorf("check %q: grace %s", c.Name, c.Grace)
		}
		switch {
		case c.IsProbe():
			if c.Schedule != (Schedule{}) || c.Interval.D() < time.Second || c.Probe.Timeout >= c.Interval ||
				c.FailuresBeforeDown < 1 || c.SuccessesBeforeUp < 1 {
				t.Errorf("probe check %q: %+v", c.Name, c)
			}
		case (c.Schedule.Every == 0) == (c.Schedule.Cron == ""):
			t.Errorf("check %q: schedule %+v", c.Name, c.Schedule)
		}
		if c.Methods != "" && c.Methods != "POST" {
			t.Errorf("check %q: methods %q", c.Name, c.Methods)
		}
		for _, n := range c.Notify {
			if !channels[n] {
				t.Errorf("check %q: unknown channel %q", c.Name, n)
			}
		}
	}
	for _, n := range cfg.Operator.Notify {
		if !channels[n] {
			t.Errorf("operator: unknown channel %q", n)
		}
	}
	sh, ob := cfg.SelfHeartbeat, cfg.Outbox
	if sh.Every.D() < time.Second || sh.Timeout.D() < time.Second || sh.Timeout >= sh.Every {
		t.Errorf("self_heartbeat %+v", sh)
	}
	if ob.MaxAttempts < 1 || ob.MaxAttempts > 100 || ob.PerChannel < 1 || ob.PerChannel > 64 ||
		ob.BackoffBase.D() < time.Second || ob.BackoffBase > ob.BackoffMax {
		t.Errorf("outbox %+v", ob)
	}
	if cfg.Watchdog.StallAfter.D() < time.Second {
		t.Errorf("watchdog %+v", cfg.Watchdog)
	}
	checkAlertingInvariants(t, cfg, channels)
	checkOnCallInvariants(t, cfg, channels)
	checkStatusPageInvariants(t, cfg)
	for _, w := range cfg.Warnings {
		if !strings.HasPrefix(w, cfg.File+":") {
			t.Errorf("warning %q does not start with the file name", w)
		}
	}
}

// checkAlertingInvariants asserts what services, routes, inhibition rules
// and silences of every successfully parsed Config hold.
func checkAlertingInvariants(t testing.TB, cfg *Config, channels map[string]bool) {
	t.Helper()
	services := map[string]bool{}
	for _, s := range cfg.Services {
		services[s.Name] = true
		if s.GroupWait < 0 || s.GroupWait.D() > MaxGroupWait || s.GroupWait > 0 && s.GroupWait.D() < time.Second {
			t.Errorf("service %q: group_wait %s", s.Name, s.GroupWait)
		}
		for _, n := range s.Notify {
			if !channels[n] {
				t.Errorf("service %q: unknown channel %q", s.Name, n)
			}
		}
	}
	for _, in := range cfg.Integrations {
		if !services[in.Service] {
			t.Errorf("integration %q: unknown service %q", in.Name, in.Service)
		}
	}
	var walk func(routes []Route, depth int)
	walk = func(routes []Route, depth int) {
		if len(routes) > 0 && depth > MaxRouteDepth {
			t.Errorf("routes nest %d levels deep", depth)
			return
		}
		for _, r := range routes {
			if r.Line <= 0 || r.Service == "" && len(r.Routes) == 0 || r.Service != "" && !services[r.Service] {
				t.Errorf("bad route %+v", r)
			}
			if _, err := labels.ParseSet(r.Matchers); err != nil {
				t.Errorf("route matchers: %v", err)
			}
			walk(r.Routes, depth+1)
		}
	}
	walk(cfg.Routes, 1)
	for _, r := range cfg.InhibitRules {
		src, err1 := labels.ParseSet(r.SourceMatchers)
		dst, err2 := labels.ParseSet(r.TargetMatchers)
		if err1 != nil || err2 != nil || len(src) == 0 || len(dst) == 0 {
			t.Errorf("bad inhibit rule %+v", r)
		}
	}
	names := map[string]bool{}
	for _, s := range cfg.Silences {
		if s.Name == "" || names[s.Name] || len(s.Matchers) == 0 {
			t.Errorf("bad silence %+v", s)
		}
		names[s.Name] = true
		if _, err := labels.ParseSet(s.Matchers); err != nil {
			t.Errorf("silence %q: %v", s.Name, err)
		}
		if (s.StartsAt == "") != s.StartsAtTime.IsZero() || (s.EndsAt == "") != s.EndsAtTime.IsZero() ||
			!s.StartsAtTime.IsZero() && !s.EndsAtTime.IsZero() && !s.EndsAtTime.After(s.StartsAtTime) {
			t.Errorf("silence %q: times %+v", s.Name, s)
		}
		if s.IsRecurring() {
			if s.Duration <= 0 || s.Duration.D() > MaxSilenceDuration {
				t.Errorf("silence %q: duration %s", s.Name, s.Duration)
			}
			if _, err := cron.NewSchedule(s.Cron, s.TZ); err != nil {
				t.Errorf("silence %q: %v", s.Name, err)
			}
		} else if s.EndsAtTime.IsZero() || s.Duration != 0 || s.TZ != "" {
			t.Errorf("fixed silence %q: %+v", s.Name, s)
		}
	}
}

package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
)

func load(t *testing.T, name string) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "config", "testdata", "good", name))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCompileFull(t *testing.T) {
	cfg := load(t, "full.yaml")
	s, err := Compile(cfg, Options{AdminToken: "env-admin", Listen: "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Config != cfg {
		t.Error("the snapshot does not keep its config")
	}
	// Channels: every configured one, by name, with URL or address.
	if len(s.Channels) != len(cfg.Channels) {
		t.Fatalf("channels: %d, want %d", len(s.Channels), len(cfg.Channels))
	}
	ops := s.Channels["ops"]
	if ops.Type != "webhook" || ops.URL != "https://hooks.example.com/tocsin" || ops.Secret != "change-me" ||
		ops.Timeout != 10*time.Second || ops.Headers["X-Team"] != "platform" {
		t.Errorf("ops channel: %+v", ops)
	}
	for _, ch := range cfg.Channels {
		got := s.Channels[ch.Name]
		if ch.URL == "" && got.URL != ch.To {
			t.Errorf("channel %s without url: URL %q, want its to %q", ch.Name, got.URL, ch.To)
		}
	}
	if !s.Env.HasChannel("ops") || s.Env.HasChannel("nope") {
		t.Error("Env.HasChannel does not follow the channels")
	}
	// Tokens: the config's hashes, then the admin token from the environment, hashed.
	if len(s.Tokens) != len(cfg.APITokens)+1 {
		t.Fatalf("tokens: %d, want %d", len(s.Tokens), len(cfg.APITokens)+1)
	}
	if hex.EncodeToString(s.Tokens[0].SHA256) != cfg.APITokens[0].TokenSHA256 || s.Tokens[0].Name != cfg.APITokens[0].Name {
		t.Errorf("token 0: %+v", s.Tokens[0])
	}
	last := s.Tokens[len(s.Tokens)-1]
	if sum := sha256.Sum256([]byte("env-admin")); last.Name != "admin" || string(last.SHA256) != string(sum[:]) {
		t.Errorf("admin token: %+v", last)
	}
	// The ping key is kept only as its hash.
	if sum := sha256.Sum256([]byte(cfg.PingKey)); string(s.PingKey) != string(sum[:]) {
		t.Error("ping key not hashed")
	}
	if ps := s.Ping(); string(ps.PingKeySHA256) != string(s.PingKey) || ps.BodyLimit != cfg.PingBodyLimit ||
		len(ps.TrustedProxies) != 2 || ps.TrustedProxies[1] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("ping settings: %+v", ps)
	}
	// Integrations: by the hash of their key, whether the config has the key or its hash.
	if in, ok := s.Integration("prom-7Hq2xW9vLm3K"); !ok || in.Name != "prometheus" || in.Service != "catch-all" {
		t.Errorf("integration by key: %+v %v", in, ok)
	}
	if _, ok := s.Integration("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"); ok {
		t.Error("a key_sha256 is found by the hash itself")
	}
	raw, _ := hex.DecodeString("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752")
	if in, ok := s.Integrations[[sha256.Size]byte(raw)]; !ok || in.Name != "pd-compat" {
		t.Errorf("integration by key_sha256: %+v %v", in, ok)
	}
	if len(s.Integrations) != len(cfg.Integrations) {
		t.Errorf("integrations: %d, want %d", len(s.Integrations), len(cfg.Integrations))
	}
	// Policy and directory.
	if len(s.Policy.Services) != len(cfg.Services) || len(s.Policy.Inhibit) != len(cfg.InhibitRules) ||
		len(s.Policy.Routes) != len(cfg.Routes) {
		t.Errorf("policy: %d services, %d inhibit rules, %d routes", len(s.Policy.Services), len(s.Policy.Inhibit), len(s.Policy.Routes))
	}
	d := s.Directory()
	if d == nil || len(d.Users) != len(cfg.Users) || len(d.Policies) != len(cfg.EscalationPolicies) ||
		len(d.Schedules) != len(cfg.Schedules) || len(d.Teams) != len(cfg.Teams) {
		t.Fatalf("directory: %+v", d)
	}
	if strings.Join(d.Fallback, ",") != strings.Join(cfg.Operator.Notify, ",") {
		t.Errorf("directory fallback %v, want the operator's %v", d.Fallback, cfg.Operator.Notify)
	}
	if len(s.OnCall.Users) != len(cfg.Users) || len(s.OnCall.Schedules) != len(cfg.Schedules) || len(s.OnCall.FeedKey) != sha256.Size {
		t.Errorf("on-call: %+v", s.OnCall)
	}
	// Roles of logins: as configured (ana is admin in full.yaml), else responder.
	if s.UserRoles["ana"] != auth.Admin || s.UserRoles["bo"] != auth.Responder {
		t.Errorf("user roles: %v", s.UserRoles)
	}
	// Links: signed with the links secret, under the public URL, for a day.
	if s.Env.PublicURL != "https://tocsin.example.com" {
		t.Errorf("public URL %q", s.Env.PublicURL)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	el := s.Env.Links(42, "ana", now)
	prefix := "https://tocsin.example.com/act/"
	if !strings.HasPrefix(el.Acknowledge, prefix) || !strings.HasPrefix(el.Resolve, prefix) {
		t.Fatalf("links: %+v", el)
	}
	claim, err := auth.VerifyLink(s.LinksSecret(), strings.TrimPrefix(el.Acknowledge, prefix), now.Add(time.Hour))
	if err != nil || claim.Incident != 42 || claim.Recipient != "ana" || claim.Action != auth.LinkAcknowledge ||
		!claim.Expires.Equal(now.Add(24*time.Hour)) {
		t.Errorf("acknowledge link: %+v, %v", claim, err)
	}
	if _, err := auth.VerifyLink(s.LinksSecret(), strings.TrimPrefix(el.Resolve, prefix), now.Add(25*time.Hour)); err == nil {
		t.Error("a resolve link still works after a day")
	}
	// Settings read from the config.
	if o := s.Outbox(); o.MaxAttempts != cfg.Outbox.MaxAttempts || o.BackoffMax != cfg.Outbox.BackoffMax.D() {
		t.Errorf("outbox: %+v", o)
	}
	if m := s.SMTP(); m.Host != cfg.SMTP.Host || m.From != cfg.SMTP.From {
		t.Errorf("smtp: %+v", m)
	}
	if g := s.ProbeGuard(); g.Share != float64(cfg.Probes.Guard.SharePercent)/100 || len(g.Notify) != len(cfg.Operator.Notify) {
		t.Errorf("probe guard: %+v", g)
	}
	if tg := s.Telegram(); tg.Token != cfg.Telegram.BotToken {
		t.Errorf("telegram: %+v", tg)
	}
}

// Without a public URL, links point at the listen address; without a
// links secret there are none.
func TestCompileDefaults(t *testing.T) {
	s, err := Compile(load(t, "alerting.yaml"), Options{Listen: "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Env.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("public URL %q", s.Env.PublicURL)
	}
	if s.Env.Links != nil || s.LinksSecret() != nil || s.OnCall.FeedKey != nil {
		t.Error("links without a links secret")
	}
	if len(s.Tokens) != 0 || s.PingKey != nil {
		t.Errorf("tokens %v, ping key %x", s.Tokens, s.PingKey)
	}
}

// Every good test config compiles.
func TestCompileGood(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("..", "config", "testdata", "good", "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatal(names, err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			cfg := load(t, filepath.Base(name))
			if _, err := Compile(cfg, Options{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Silences(cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCompileBadIntegrationHash(t *testing.T) {
	cfg := load(t, "alerting.yaml")
	cfg.Integrations[0].Key, cfg.Integrations[0].KeySHA256 = "", "abc"
	_, err := Compile(cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "key_sha256 is not a hex SHA-256") {
		t.Errorf("err = %v", err)
	}
}

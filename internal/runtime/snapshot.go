// Package runtime compiles a validated config into the immutable Snapshot
// the running parts read: channels, tokens, the incident environment, the
// alert policy and escalation directory, on-call, integrations, and the
// settings of the probe guard, outbox, mail server and ping handler. A
// reload compiles a new Snapshot and swaps it in whole.
package runtime

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/alerting"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/config"
	"github.com/tocsinhq/tocsin/internal/engine"
	"github.com/tocsinhq/tocsin/internal/escalation"
	"github.com/tocsinhq/tocsin/internal/incident"
	"github.com/tocsinhq/tocsin/internal/ingest/ping"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/oncall"
	"github.com/tocsinhq/tocsin/internal/outbox"
)

// Snapshot is everything compiled from one config file. It is never
// changed once compiled: readers may keep it as long as they like.
type Snapshot struct {
	Config   *config.Config
	Channels map[string]tocsin.Channel // configured channels by name
	Tokens   []Token                   // API tokens, hashed
	PingKey  []byte                    // SHA-256 of the ping key; nil: none
	Proxies  []netip.Prefix            // trusted_proxies, parsed
	Env      incident.Env
	Policy   *alerting.Policy // routing, grouping, inhibition and the escalation directory
	OnCall   *OnCall
	// Integrations by the SHA-256 of their key.
	Integrations map[[sha256.Size]byte]Integration
	// UserRoles are the roles of the config's users by name: what a user
	// logged in with a password may do.
	UserRoles map[string]auth.Role
}

// Token is an API token as configured: a name, the SHA-256 of the secret
// and the role it acts with.
type Token struct {
	Name   string
	SHA256 []byte
	Role   auth.Role
}

// OnCall is the on-call configuration the API shows.
type OnCall struct {
	Schedules map[string]*oncall.Schedule
	Users     []string
	// FeedKey signs the URLs of calendar feeds, which calendar apps fetch
	// without a token; nil: no feeds.
	FeedKey []byte
}

// Integration is a configured way in for alerts, found by its key.
type Integration struct {
	Name    string
	Type    string // alertmanager, pagerduty, grafana or generic
	Service string
}

// Options are what a config alone does not say.
type Options struct {
	AdminToken string // a plain API token named "admin"; empty: none
	Listen     string // the listen address, for the public URL when the config has none
	Log        *slog.Logger
}

// Compile computes the Snapshot of a validated config.
func Compile(cfg *config.Config, opts Options) (*Snapshot, error) {
	st := &Snapshot{Config: cfg, Channels: map[string]tocsin.Channel{}}
	for _, ch := range cfg.Channels {
		url := ch.URL
		if url == "" { // email and telegram channels: the address or chat
			url = ch.To
		}
		st.Channels[ch.Name] = tocsin.Channel{Name: ch.Name, Type: ch.Type, URL: url, To: ch.To, Secret: ch.Secret,
			Timeout: ch.Timeout.D(), Headers: ch.Headers, RatePerMinute: ch.RatePerMinute}
	}
	for _, t := range cfg.APITokens {
		sum, err := hex.DecodeString(t.TokenSHA256)
		if err != nil {
			return nil, fmt.Errorf("api token %q: %w", t.Name, err)
		}
		role, err := auth.ParseRole(t.Role)
		if err != nil {
			return nil, fmt.Errorf("api token %q: %w", t.Name, err)
		}
		st.Tokens = append(st.Tokens, Token{Name: t.Name, SHA256: sum, Role: role})
	}
	if opts.AdminToken != "" {
		sum := sha256.Sum256([]byte(opts.AdminToken))
		st.Tokens = append(st.Tokens, Token{Name: "admin", SHA256: sum[:], Role: auth.Admin})
	}
	switch {
	case cfg.PingKey != "":
		sum := sha256.Sum256([]byte(cfg.PingKey))
		st.PingKey = sum[:]
	case cfg.PingKeySHA256 != "":
		sum, err := hex.DecodeString(cfg.PingKeySHA256)
		if err != nil {
			return nil, fmt.Errorf("ping_key_sha256: %w", err)
		}
		st.PingKey = sum
	}
	for _, p := range cfg.TrustedProxies {
		prefix, err := config.ParseProxy(p)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %w", err)
		}
		st.Proxies = append(st.Proxies, prefix)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st.Env = incident.Env{PublicURL: strings.TrimSuffix(cfg.PublicURL, "/"), HasChannel: func(name string) bool {
		_, ok := st.Channels[name]
		return ok
	}, Log: log.With("component", "incidents")}
	if st.Env.PublicURL == "" {
		st.Env.PublicURL = "http://" + opts.Listen
	}
	var err error
	if st.Policy, err = alertPolicy(cfg); err != nil {
		return nil, err
	}
	st.Policy.Directory = directory(cfg)
	st.Env.Links = pageLinks(cfg.LinksSecret, st.Env.PublicURL)
	st.OnCall = &OnCall{Schedules: map[string]*oncall.Schedule{}}
	for _, sc := range cfg.Schedules {
		st.OnCall.Schedules[sc.Name] = sc.Compiled
	}
	st.UserRoles = make(map[string]auth.Role, len(cfg.Users))
	for _, u := range cfg.Users {
		st.OnCall.Users = append(st.OnCall.Users, u.Name)
		role, err := auth.ParseRole(u.Role)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", u.Name, err)
		}
		st.UserRoles[u.Name] = role
	}
	if cfg.LinksSecret != "" {
		// A key of its own for feeds, derived from the links secret.
		m := hmac.New(sha256.New, []byte(cfg.LinksSecret))
		m.Write([]byte("tocsin calendar feeds"))
		st.OnCall.FeedKey = m.Sum(nil)
	}
	st.Integrations = map[[sha256.Size]byte]Integration{}
	for _, in := range cfg.Integrations {
		var sum [sha256.Size]byte
		if in.Key != "" {
			sum = sha256.Sum256([]byte(in.Key))
		} else if raw, err := hex.DecodeString(in.KeySHA256); err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("integration %q: key_sha256 is not a hex SHA-256", in.Name)
		} else {
			copy(sum[:], raw)
		}
		st.Integrations[sum] = Integration{Name: in.Name, Type: in.Type, Service: in.Service}
	}
	return st, nil
}

// Integration finds an integration by its key. The key is hashed first, so
// the lookup's timing says nothing about the stored keys.
func (s *Snapshot) Integration(key string) (Integration, bool) {
	in, ok := s.Integrations[sha256.Sum256([]byte(key))]
	return in, ok
}

// Directory is the people, rotas and policies escalations page through.
func (s *Snapshot) Directory() *escalation.Directory { return s.Policy.Directory }

// LinksSecret is the key of signed links; nil without one.
func (s *Snapshot) LinksSecret() []byte {
	if sec := s.Config.LinksSecret; sec != "" {
		return []byte(sec)
	}
	return nil
}

// ProbeGuard is the setting of the guard against a mass probe failure.
func (s *Snapshot) ProbeGuard() engine.GuardConfig {
	g := s.Config.Probes.Guard
	return engine.GuardConfig{Share: float64(g.SharePercent) / 100, MinProbes: g.MinProbes, Window: g.Window.D(),
		Settle: g.Settle.D(), Confirm: g.Confirm.D(), Notify: s.Config.Operator.Notify}
}

// Outbox is the delivery setting of the outbox.
func (s *Snapshot) Outbox() outbox.Config {
	o := s.Config.Outbox
	return outbox.Config{PerChannel: o.PerChannel, MaxAttempts: o.MaxAttempts, BackoffBase: o.BackoffBase.D(), BackoffMax: o.BackoffMax.D()}
}

// SMTP is the mail server setting.
func (s *Snapshot) SMTP() kind.SMTP {
	c := s.Config.SMTP
	return kind.SMTP{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, From: c.From, TLS: c.TLS,
		Helo: c.Helo}
}

// Telegram is the bot setting of telegram channels.
func (s *Snapshot) Telegram() kind.Telegram {
	t := s.Config.Telegram
	return kind.Telegram{APIBase: t.APIBase, Token: t.BotToken}
}

// Ping is the setting of the ping handler.
func (s *Snapshot) Ping() ping.Settings {
	return ping.Settings{BodyLimit: s.Config.PingBodyLimit, PingKeySHA256: s.PingKey, TrustedProxies: s.Proxies}
}

// alertPolicy compiles the routing, grouping and inhibition config.
func alertPolicy(cfg *config.Config) (*alerting.Policy, error) {
	p := &alerting.Policy{Services: map[string]alerting.Service{}}
	for _, s := range cfg.Services {
		p.Services[s.Name] = alerting.Service{Name: s.Name, Notify: s.Notify, GroupBy: s.GroupBy, GroupWait: s.GroupWait.D(),
			EscalationPolicy: s.EscalationPolicy, Team: s.Team}
	}
	var routes func([]config.Route) ([]alerting.Route, error)
	routes = func(rs []config.Route) ([]alerting.Route, error) {
		var out []alerting.Route
		for _, r := range rs {
			set, err := labels.ParseSet(r.Matchers)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: routes: matchers%v", cfg.File, r.Line, err)
			}
			children, err := routes(r.Routes)
			if err != nil {
				return nil, err
			}
			out = append(out, alerting.Route{Matchers: set, Service: r.Service, Routes: children})
		}
		return out, nil
	}
	var err error
	if p.Routes, err = routes(cfg.Routes); err != nil {
		return nil, err
	}
	for i, r := range cfg.InhibitRules {
		src, err := labels.ParseSet(r.SourceMatchers)
		if err != nil {
			return nil, fmt.Errorf("inhibit_rules[%d].source_matchers%v", i, err)
		}
		tgt, err := labels.ParseSet(r.TargetMatchers)
		if err != nil {
			return nil, fmt.Errorf("inhibit_rules[%d].target_matchers%v", i, err)
		}
		p.Inhibit = append(p.Inhibit, alerting.InhibitRule{Source: src, Target: tgt, Equal: r.Equal})
	}
	return p, nil
}

// directory builds the people, rotas and policies escalations page through.
func directory(cfg *config.Config) *escalation.Directory {
	d := &escalation.Directory{Users: map[string]escalation.User{}, Schedules: map[string]*oncall.Schedule{},
		Policies: map[string]escalation.Policy{}, Teams: map[string]escalation.Team{}, Fallback: cfg.Operator.Notify}
	for _, u := range cfg.Users {
		eu := escalation.User{Name: u.Name, Disabled: u.Disabled, Bot: u.Bot}
		for _, c := range u.Contacts {
			eu.Contacts = append(eu.Contacts, escalation.Contact{Type: c.Type, To: c.To})
		}
		d.Users[u.Name] = eu
	}
	for _, sc := range cfg.Schedules {
		d.Schedules[sc.Name] = sc.Compiled
	}
	for _, t := range cfg.Teams {
		d.Teams[t.Name] = escalation.Team{Name: t.Name, Fallback: t.Fallback}
	}
	for _, p := range cfg.EscalationPolicies {
		ep := escalation.Policy{Name: p.Name, Repeat: p.Repeat, FallbackEvery: p.FallbackEvery.D()}
		for _, l := range p.Levels {
			ep.Levels = append(ep.Levels, escalation.Level{Targets: l.Targets, Timeout: l.Timeout.D()})
		}
		d.Policies[p.Name] = ep
	}
	return d
}

// linkLifetime is how long the acknowledge and resolve links of a page work.
const linkLifetime = 24 * time.Hour

// pageLinks makes the signed acknowledge and resolve links of pages, on
// behalf of their recipient (a user, or "channel:<name>"); nil without a
// links secret.
func pageLinks(secret, publicURL string) func(id int64, recipient string, now time.Time) *incident.EventLinks {
	if secret == "" {
		return nil
	}
	key := []byte(secret)
	return func(id int64, recipient string, now time.Time) *incident.EventLinks {
		claim := auth.LinkClaim{Incident: id, Recipient: recipient, Expires: now.Add(linkLifetime)}
		claim.Action = auth.LinkAcknowledge
		ack := publicURL + "/act/" + auth.SignLink(key, claim)
		claim.Action = auth.LinkResolve
		return &incident.EventLinks{Acknowledge: ack, Resolve: publicURL + "/act/" + auth.SignLink(key, claim)}
	}
}

// Silences turns the config's silences into stored form. A fixed silence
// without starts_at is in force from the moment it is applied.
func Silences(cfg *config.Config) ([]tocsin.Silence, error) {
	out := make([]tocsin.Silence, 0, len(cfg.Silences))
	for _, s := range cfg.Silences {
		sl := tocsin.Silence{Name: s.Name, Matchers: s.Matchers, StartsAt: s.StartsAtTime, EndsAt: s.EndsAtTime, Cron: s.Cron,
			Duration: s.Duration.D(), TZ: s.TZ, Comment: s.Comment}
		if _, err := alerting.CompileSilence(&sl); err != nil {
			return nil, fmt.Errorf("%s: silence %q: %w", cfg.File, s.Name, err)
		}
		out = append(out, sl)
	}
	return out, nil
}

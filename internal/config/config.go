// Package config reads Tocsin's YAML config file into a typed Config:
// defaults applied, every field validated, and every problem reported with
// its file, line and field path (checks[1].grace) in one pass. It never
// panics, whatever the input.
package config

import (
	"reflect"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/probe"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest config file accepted, in bytes.
const MaxFileSize = 4 << 20

// Defaults, applied to fields the file leaves out.
const (
	DefaultPingBodyLimit        = 100_000
	MaxPingBodyLimit            = 100_000 // what Healthchecks.io keeps of a ping body
	DefaultChannelTimeout       = 10 * time.Second
	DefaultGrace                = time.Hour // as Healthchecks
	DefaultSelfHeartbeatEvery   = time.Minute
	DefaultSelfHeartbeatTimeout = 10 * time.Second
	DefaultOutboxMaxAttempts    = 10
	DefaultOutboxBackoffBase    = 5 * time.Second
	DefaultOutboxBackoffMax     = 10 * time.Minute
	DefaultOutboxPerChannel     = 4
	DefaultWatchdogStallAfter   = 30 * time.Second
	DefaultWatchdogMinEpisode   = time.Minute
	DefaultWatchdogWriteTimeout = 5 * time.Second
	DefaultAuditRetention       = 400 * 24 * time.Hour // more than a year, so that a yearly review finds last year's
	DefaultReopenWindow         = 24 * time.Hour       // a problem back the next day is the same incident; later, a new one
	DefaultProbeInterval        = time.Minute
	DefaultProbeTimeout         = 10 * time.Second
	MinStallAfter               = 3 * time.Second
	DefaultGroupWait            = 30 * time.Second
	MaxGroupWait                = time.Hour
	MaxRouteDepth               = 16                 // levels of routes, top level included
	MaxSilenceDuration          = 7 * 24 * time.Hour // longest window of a recurring silence
	MaxChannelRatePerMinute     = 6000               // highest channels[].rate_per_minute
	DefaultSMTPPort             = 587
	DefaultTelegramAPIBase      = "https://api.telegram.org"
	DefaultSessionIdleTimeout   = 12 * time.Hour
	DefaultSessionMaxAge        = 7 * 24 * time.Hour
)

// Config is the whole config file.
type Config struct {
	File          string        `yaml:"-"`               // path it was read from
	PublicURL     string        `yaml:"public_url"`      // base URL for links in notifications, no trailing slash; optional
	APITokens     []APIToken    `yaml:"api_tokens"`      // tokens accepted by the API
	PingKey       string        `yaml:"ping_key"`        // plain ping key for /ping/<ping-key>/<slug> URLs
	PingKeySHA256 string        `yaml:"ping_key_sha256"` // or its hex SHA-256; at most one of the two
	PingBodyLimit int           `yaml:"ping_body_limit"` // bytes kept of a ping body
	Channels      []Channel     `yaml:"channels"`
	Checks        []Check       `yaml:"checks"`
	CheckDefaults CheckDefaults `yaml:"check_defaults"` // flap damping and re-page settings of checks that set none
	Operator      Operator      `yaml:"operator"`
	SelfHeartbeat SelfHeartbeat `yaml:"self_heartbeat"`
	Outbox        Outbox        `yaml:"outbox"`
	SMTP          SMTP          `yaml:"smtp"`     // mail server of email channels and contacts
	Telegram      Telegram      `yaml:"telegram"` // bot of telegram channels and contacts
	Watchdog      Watchdog      `yaml:"watchdog"`
	Probes        Probes        `yaml:"probes"`
	Services      []Service     `yaml:"services"`
	Integrations  []Integration `yaml:"integrations"`
	Routes        []Route       `yaml:"routes"`        // which service an alert goes to, by its labels
	InhibitRules  []InhibitRule `yaml:"inhibit_rules"` // alerts not paged while others fire
	Silences      []Silence     `yaml:"silences"`      // alerts not paged for a while
	Warnings      []string      `yaml:"-"`             // non-fatal remarks, "file:line: path: text"
	ReloadGuard   ReloadGuard   `yaml:"reload_guard"`  // refuses a config that looks torn (see guard.go)
	Audit         Audit         `yaml:"audit"`         // how long the audit log is kept
	Incidents     Incidents     `yaml:"incidents"`     // what people may do with incidents
	Empty         bool          `yaml:"-"`             // the file held nothing but whitespace or comments

	// On call: who is paged, when, and how.
	Users              []User             `yaml:"users"`               // people (and bots) who can be paged
	Teams              []Team             `yaml:"teams"`               // groups of users, with where to page when nobody is reachable
	Schedules          []OnCallSchedule   `yaml:"schedules"`           // on-call rotas
	EscalationPolicies []EscalationPolicy `yaml:"escalation_policies"` // who is paged, in which order, until someone acknowledges
	OnCall             OnCall             `yaml:"oncall"`              // checks of the schedules for holes
	LinksSecret        string             `yaml:"links_secret"`        // HMAC key of the acknowledge and resolve links in pages; optional, at least 32 characters

	// The HTTP edge.
	TrustedProxies []string `yaml:"trusted_proxies"` // CIDRs of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed
	Metrics        string   `yaml:"metrics"`         // who may read /metrics: public, token or off

	Sessions Sessions `yaml:"sessions"` // how long a login lasts
	SSO      SSO      `yaml:"sso"`      // single sign-on

	StatusPages []StatusPage `yaml:"status_pages"` // public status pages driven by checks and services
}

// SSO holds the single sign-on providers.
type SSO struct {
	OIDC *OIDC `yaml:"oidc"` // OpenID Connect; nil: off
}

// OIDC is an OpenID Connect provider people log in with. Its redirect URL
// is public_url + "/login/oidc/callback".
type OIDC struct {
	Issuer              string            `yaml:"issuer"`                // required; the provider's issuer URL, https (http only for localhost)
	ClientID            string            `yaml:"client_id"`             // required
	ClientSecret        string            `yaml:"client_secret"`         // client_secret or client_secret_file required; after Parse it holds the file's content when that is set
	ClientSecretFile    string            `yaml:"client_secret_file"`    // file holding the client secret, relative to the config file
	AllowedEmailDomains []string          `yaml:"allowed_email_domains"` // who may log in by the domain of their verified email
	GroupsClaim         string            `yaml:"groups_claim"`          // claim listing the person's groups; required with role_mapping
	RoleMapping         map[string]string `yaml:"role_mapping"`          // group -> viewer, responder or admin; a person in a mapped group may log in with the highest role mapped
}

// Sessions says how long a login's session lasts.
type Sessions struct {
	IdleTimeout Duration `yaml:"idle_timeout"` // ends a session not used for this long; default 12h
	MaxAge      Duration `yaml:"max_age"`      // ends a session this long after login, used or not; default 7d
}

// APIToken is a bearer token accepted by the API, stored as its SHA-256.
type APIToken struct {
	Name        string `yaml:"name"`         // required, unique
	TokenSHA256 string `yaml:"token_sha256"` // 64 lowercase hex characters
	Role        string `yaml:"role"`         // viewer, responder or admin (the default)
}

// Channel is a destination for notifications. Which fields apply depends
// on Type:
//
//   - webhook: URL (http or https), optional Secret (HMAC key signing each
//     request) and Headers;
//   - slack, discord, teams: URL, the service's https webhook URL, which
//     carries its token in the path (http only to localhost, 127.0.0.1
//     or ::1);
//   - ntfy: URL of the topic (http or https), optional Secret (an access
//     token);
//   - email: To, the recipient address, sent through the SMTP section;
//   - telegram: To, a chat id or @channel name, sent through the bot of
//     the Telegram section.
type Channel struct {
	Name          string            `yaml:"name"`            // required, unique, ^[a-z0-9][a-z0-9_-]{0,63}$
	Type          string            `yaml:"type"`            // webhook, slack, discord, teams, ntfy, telegram or email
	URL           string            `yaml:"url"`             // absolute http or https URL with a host; required for webhook, slack, discord, teams and ntfy, forbidden otherwise
	To            string            `yaml:"to"`              // email: a bare address (ops@example.com); telegram: a chat id (-1001234567890) or @channelname; forbidden otherwise
	Secret        string            `yaml:"secret"`          // webhook: HMAC key; ntfy: access token; optional, forbidden otherwise
	Timeout       Duration          `yaml:"timeout"`         // per-send deadline
	RatePerMinute int               `yaml:"rate_per_minute"` // most sends per minute, spaced evenly; 0 (default): no limit; at most MaxChannelRatePerMinute
	Headers       map[string]string `yaml:"headers"`         // webhook only: extra request headers, optional
}

// Channel types.
const (
	ChannelWebhook  = "webhook"
	ChannelSlack    = "slack"
	ChannelDiscord  = "discord"
	ChannelTeams    = "teams"
	ChannelNtfy     = "ntfy"
	ChannelTelegram = "telegram"
	ChannelEmail    = "email"
)

// SMTP is the mail server that email channels and email contacts send
// through. It is required (Host and From) when any channel or user contact
// is of type email; otherwise it may be left out.
type SMTP struct {
	Host         string `yaml:"host"`          // host name or IP address, without port; required when anything sends email
	Port         int    `yaml:"port"`          // default 587; 1 to 65535
	Username     string `yaml:"username"`      // optional; with a password
	Password     string `yaml:"password"`      // optional; after Parse it holds the content of PasswordFile when that is set
	PasswordFile string `yaml:"password_file"` // file holding the password, read at load time, relative to the config file's directory, trailing newline trimmed; not with Password
	From         string `yaml:"from"`          // sender address, display name allowed ("Tocsin <tocsin@example.com>"); required with Host
	TLS          string `yaml:"tls"`           // SMTPStartTLS (default), SMTPStartTLSOptional, SMTPTLS or SMTPNone (localhost only)
	Helo         string `yaml:"helo"`          // host name sent in EHLO/HELO; optional, default chosen by the sender
}

// SMTP.TLS modes.
const (
	SMTPStartTLS         = "starttls"          // plain connection upgraded with STARTTLS, which the server must offer
	SMTPStartTLSOptional = "starttls-optional" // STARTTLS if the server offers it, else plaintext
	SMTPTLS              = "tls"               // TLS from the first byte (implicit TLS, usually port 465)
	SMTPNone             = "none"              // plaintext; only to localhost, 127.0.0.1 or ::1
)

// Telegram is the bot that telegram channels and telegram contacts send
// through. BotToken (or BotTokenFile) is required when any channel or user
// contact is of type telegram; otherwise the section may be left out.
type Telegram struct {
	BotToken     string `yaml:"bot_token"`      // from @BotFather: <digits>:<35 or more of A-Z a-z 0-9 _ ->; after Parse it holds the content of BotTokenFile when that is set
	BotTokenFile string `yaml:"bot_token_file"` // file holding the token, read at load time, relative to the config file's directory, trailing newline trimmed; not with BotToken
	APIBase      string `yaml:"api_base"`       // Bot API base URL, no trailing slash; default DefaultTelegramAPIBase; https, or http to localhost only
}

// Check is a heartbeat or probe check declared in the file.
type Check struct {
	Name         string   `yaml:"name"`          // required, unique, 1..100 characters
	UUID         string   `yaml:"uuid"`          // optional canonical UUID, lowercase
	Slug         string   `yaml:"slug"`          // defaults to the name, slugified
	Schedule     Schedule `yaml:"schedule"`      // required
	Grace        Duration `yaml:"grace"`         // how late a ping may be before the check is down
	Notify       []string `yaml:"notify"`        // channel names
	AutoResolve  *bool    `yaml:"auto_resolve"`  // a recovery resolves the incident; never nil after Parse
	Methods      string   `yaml:"methods"`       // "" (any method) or "POST" (other pings are ignored)
	ManualResume bool     `yaml:"manual_resume"` // a paused check stays paused on ping
	RunbookURL   string   `yaml:"runbook_url"`   // optional absolute http(s) URL
	// EscalationPolicy pages people about the check's incidents, level by
	// level, besides its notify channels; optional.
	EscalationPolicy string `yaml:"escalation_policy"`
	Description      string `yaml:"description"`
	// Tags sort checks for people: 0 to MaxTags distinct words of
	// lowercase letters, digits, _ - . and : (the dashboard filters by them).
	Tags []string `yaml:"tags" json:",omitempty"` // omitted untagged: fingerprints stay as before tags
	// Keywords classify the pings to the check's plain URL by the words in
	// their body, as Healthchecks' keyword filters do; nil: off.
	Keywords *Keywords `yaml:"keywords" json:",omitempty"` // omitted when off: fingerprints stay as before keywords
	Line     int       `yaml:"-"`                          // line of the check in the file, for later errors

	// A check is a heartbeat (Schedule) or an active probe (Probe).
	Probe              Probe    `yaml:"probe"`
	Interval           Duration `yaml:"interval"`             // probes: how often; default 1m
	FailuresBeforeDown int      `yaml:"failures_before_down"` // probes: consecutive failures before down; default 2
	SuccessesBeforeUp  int      `yaml:"successes_before_up"`  // probes: consecutive successes before up; default 1

	Flap        Flap     `yaml:"flap"`         // flap damping; defaults from check_defaults
	ReopenAfter Duration `yaml:"reopen_after"` // re-page after a resolve by hand while down; default from check_defaults; 0: never
}

// IsProbe reports whether the check is an active probe.
func (c *Check) IsProbe() bool { return c.Probe.Type != "" }

// Probe is an active probe: what to ask and what answer counts as healthy.
// Its kind (Type) owns the rest of the block: the kind's package declares,
// defaults and validates those fields (see package kinds).
type Probe struct {
	Type    string   `yaml:"type"`    // a kind of package kinds: http, tcp, dns, tls or icmp
	Timeout Duration `yaml:"timeout"` // hard deadline of one run; default 10s, less than the interval

	// Settings are the kind's own fields, decoded from the rest of the
	// block; nil when Type names no kind.
	Settings probe.Settings `yaml:"-"`
}

// Schedule is when a check expects pings: exactly one of Every or Cron.
type Schedule struct {
	Every Duration `yaml:"every"`
	Cron  string   `yaml:"cron"` // checked for syntax by the cron package, not here
	TZ    string   `yaml:"tz"`   // IANA time zone of Cron; only with Cron
}

// Operator says who hears about Tocsin itself (the watchdog).
type Operator struct {
	Notify []string `yaml:"notify"` // channel names
}

// SelfHeartbeat makes Tocsin ping an outside monitor, so that someone
// notices when Tocsin itself is down.
type SelfHeartbeat struct {
	URL     string   `yaml:"url"`     // empty turns it off
	Every   Duration `yaml:"every"`   // period of the pings
	Timeout Duration `yaml:"timeout"` // per-ping deadline, less than Every
	// OnUnhealthy says what a ping does while Tocsin is not healthy end to
	// end: "fail" pings <url>/fail with the reasons, "skip" sends nothing.
	OnUnhealthy string `yaml:"on_unhealthy"`
}

// What the self-heartbeat does while Tocsin is unhealthy.
const (
	OnUnhealthyFail = "fail"
	OnUnhealthySkip = "skip"
)

// Outbox tunes the delivery of notifications.
type Outbox struct {
	MaxAttempts int      `yaml:"max_attempts"` // attempts before giving up, 1..100
	BackoffBase Duration `yaml:"backoff_base"` // first retry delay, doubled each time
	BackoffMax  Duration `yaml:"backoff_max"`  // longest retry delay, at least BackoffBase
	PerChannel  int      `yaml:"per_channel"`  // concurrent sends per channel, 1..64
}

// Service is what alerts from other tools are routed to: who hears, and
// which labels make alerts one incident.
//
// Alerts of a service whose GroupBy labels have equal values join one
// incident; an empty GroupBy makes every alert its own incident. A new
// incident waits GroupWait for more alerts of its group before the first
// page, so that a burst pages once; 0 pages at once.
//
// A service may notify channels, page people through an escalation policy,
// or both.
type Service struct {
	Name             string   `yaml:"name"`              // required, unique
	Notify           []string `yaml:"notify"`            // channel names
	GroupBy          []string `yaml:"group_by"`          // label names; alerts with equal values join one incident; empty: one incident per alert
	GroupWait        Duration `yaml:"group_wait"`        // wait before the first page of a new incident; default 30s, 0 to 1h
	EscalationPolicy string   `yaml:"escalation_policy"` // name of the escalation policy that pages people for its incidents; optional
	Team             string   `yaml:"team"`              // name of the team that owns it; optional
}

// Integration is a way in for alerts: an endpoint type, a secret key, and
// the service it feeds.
type Integration struct {
	Name      string `yaml:"name"`       // required, unique
	Type      string `yaml:"type"`       // alertmanager, grafana, pagerduty or generic
	Key       string `yaml:"key"`        // the secret in the URL or routing_key; or
	KeySHA256 string `yaml:"key_sha256"` // its hex SHA-256
	Service   string `yaml:"service"`    // a service name
}

// Route sends the alerts whose labels match it to a service. Routes form a
// tree, walked for each alert depth-first in file order: a route matches
// when its matchers and those of all its ancestors match; its children are
// tried first, in order, and the first of them that gives a service wins;
// failing that, the route's own service does. A route without a service
// only passes alerts to its children: when none of them gives a service,
// the walk goes on with the route's next sibling. An alert no route gives a
// service goes to the service of the integration it came in through.
type Route struct {
	Matchers []string `yaml:"matchers"` // Alertmanager-syntax matchers (team="payments"), all must match; none: every alert
	Service  string   `yaml:"service"`  // where matching alerts go; may be empty on a route that only has children
	Routes   []Route  `yaml:"routes"`   // children, tried first, in order; at most MaxRouteDepth levels in all
	Line     int      `yaml:"-"`        // line of the route in the file, for later errors
}

// InhibitRule mutes alerts while others fire, as in Alertmanager: while an
// alert matching SourceMatchers fires, alerts matching TargetMatchers whose
// Equal labels have the same values as the source alert's are not paged.
type InhibitRule struct {
	SourceMatchers []string `yaml:"source_matchers"` // required, non-empty; Alertmanager syntax
	TargetMatchers []string `yaml:"target_matchers"` // required, non-empty; Alertmanager syntax
	Equal          []string `yaml:"equal"`           // label names that must have the same value in source and target
}

// Silence keeps alerts whose labels match it from being paged: either once,
// from StartsAt (or load time) until EndsAt, or in recurring windows (a
// maintenance window) that open at each time of Cron in TZ and last
// Duration, within StartsAt and EndsAt if those are set.
type Silence struct {
	Name     string   `yaml:"name"`      // required, unique; 1 to 64 lowercase letters, digits, _ or -
	Matchers []string `yaml:"matchers"`  // required, non-empty; Alertmanager syntax, all must match
	StartsAt string   `yaml:"starts_at"` // RFC 3339; optional: from load time, or no lower bound on the windows
	EndsAt   string   `yaml:"ends_at"`   // RFC 3339; required without cron; after starts_at
	Cron     string   `yaml:"cron"`      // recurring window: when each window opens
	Duration Duration `yaml:"duration"`  // how long each window lasts; required with cron (at most 7d), forbidden without
	TZ       string   `yaml:"tz"`        // IANA time zone of cron; default UTC; only with cron
	Comment  string   `yaml:"comment"`   // why, for people

	StartsAtTime time.Time `yaml:"-"` // StartsAt parsed; zero if unset
	EndsAtTime   time.Time `yaml:"-"` // EndsAt parsed; zero if unset
}

// IsRecurring reports whether the silence is a series of windows (cron)
// rather than one span.
func (s *Silence) IsRecurring() bool { return s.Cron != "" }

// Audit tunes the audit log.
type Audit struct {
	Retention Duration `yaml:"retention"` // entries older than this are deleted; default 400d
}

// Incidents says what people may do with incidents.
type Incidents struct {
	ReopenWindow Duration `yaml:"reopen_window"` // how long after its resolution an incident may be reopened by hand; default 24h
}

// Probes tunes the running of active probes.
type Probes struct {
	Concurrency int        `yaml:"concurrency"` // probes in flight at once; default 64
	Retention   Duration   `yaml:"retention"`   // how long single results are kept; rollups stay; default 2d
	Guard       ProbeGuard `yaml:"guard"`
}

// ProbeGuard holds a mass failure for a second look: when more than
// SharePercent of the probes (at least MinProbes) turn down within Window,
// one "monitoring degraded" incident goes to the operator instead of one per
// probe, and per-probe incidents follow for probes still down after Confirm.
type ProbeGuard struct {
	SharePercent int      `yaml:"share_percent"` // default 50
	MinProbes    int      `yaml:"min_probes"`    // default 4
	Window       Duration `yaml:"window"`        // default 2m
	Settle       Duration `yaml:"settle"`        // a new failure waits this long for the verdict; default 10s
	Confirm      Duration `yaml:"confirm"`       // default 5m
}

// Watchdog tunes the detection of stalled engine jobs.
type Watchdog struct {
	StallAfter Duration `yaml:"stall_after"` // a job not finishing a cycle in this long is stalled
	// MinEpisode is how long a stalled loop must run again before its
	// recovery is reported; a stall within it continues the same episode.
	MinEpisode Duration `yaml:"min_episode"`
	// WriteTimeout bounds the health check's store write: one that does not
	// commit in this long makes Tocsin unhealthy.
	WriteTimeout Duration `yaml:"write_timeout"`
}

// Load reads the config file at path and parses it.
// A file being written is read again until it holds still (see readStable).
func Load(path string) (*Config, error) {
	data, err := readStable(path, clock.Real{})
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses and validates the config in data, read from filename. On
// failure the error is an ErrorList holding every problem found.
func Parse(filename string, data []byte) (*Config, error) {
	d := newDecoder(filename)
	if len(data) > MaxFileSize {
		d.errorf(0, "", "file is larger than %d MiB", MaxFileSize>>20)
		return nil, d.result()
	}
	cfg := &Config{}
	root := d.parseYAML(data)
	if len(d.errs) > 0 {
		return nil, d.result()
	}
	if root != nil {
		d.lines[""] = root.Line
		if root.Kind != 0 && !isNull(root) && root.Kind != yaml.MappingNode && (root.Kind != yaml.AliasNode || root.Alias == nil || root.Alias.Kind != yaml.MappingNode) {
			d.errorf(root.Line, "", "the file must be a mapping of keys (like checks:), got %s", describe(root))
			return nil, d.result()
		}
		d.value(root, reflect.ValueOf(cfg).Elem(), "", false)
	}
	// Validation runs even after decoding errors, so that one run reports
	// everything; it stays quiet about fields that already have an error.
	if !d.stop {
		d.validate(cfg)
	}
	if err := d.result(); err != nil {
		return nil, err
	}
	cfg.File = filename
	cfg.Warnings = d.warnings
	cfg.Empty = root == nil || isNull(root)
	return cfg, nil
}

// ChannelByName returns the channel called name.
func (c *Config) ChannelByName(name string) (Channel, bool) {
	for _, ch := range c.Channels {
		if ch.Name == name {
			return ch, true
		}
	}
	return Channel{}, false
}

package config

import (
	"errors"
	"fmt"
	"github.com/tocsinhq/tocsin/internal/auth"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin/internal/cron"
	"github.com/tocsinhq/tocsin/internal/labels"
	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

var (
	channelNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	slugRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	uuidRE        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	sha256RE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	pingKeyRE     = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)
)

// supportedChannelTypes lists the channel types this version can send to,
// as package notify registers them.
var supportedChannelTypes = notify.Names()

const (
	maxNameLen        = 100
	maxSlugLen        = 100
	maxChannelTimeout = 5 * time.Minute
	minPingKeyLen     = 16
	// minIntegrationKeyLen keeps integration keys, which stand for a
	// password in a URL, out of reach of guessing.
	minIntegrationKeyLen = 16
	// shortDuration is the length under which a duration is probably a
	// mistake (seconds meant as minutes) and earns a warning.
	shortDuration = 10 * time.Second
)

// validate applies defaults to cfg and checks every field.
func (d *decoder) validate(cfg *Config) {
	d.checking = true
	defer func() { d.checking = false }()

	if cfg.PublicURL != "" {
		if err := checkHTTPURL(cfg.PublicURL); err != nil {
			d.fieldErrorf("public_url", "%s", err)
		} else if u, _ := url.Parse(cfg.PublicURL); u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			d.fieldErrorf("public_url", "must not have a query or fragment, got %s", quote(cfg.PublicURL))
		} else {
			cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
		}
	}

	d.validateTokens(cfg)
	d.validatePingKey(cfg)

	if !d.set["ping_body_limit"] {
		cfg.PingBodyLimit = DefaultPingBodyLimit
	} else if cfg.PingBodyLimit <= 0 || cfg.PingBodyLimit > MaxPingBodyLimit {
		d.fieldErrorf("ping_body_limit", "must be between 1 and %d (what Healthchecks keeps), got %d", MaxPingBodyLimit, cfg.PingBodyLimit)
	}
	d.validateEdge(cfg)
	d.validateSSO(cfg)

	channels := d.validateChannels(cfg)
	d.validateCheckDefaults(cfg)
	d.validateChecks(cfg, channels)
	d.validateNotify("operator.notify", cfg.Operator.Notify, channels)
	d.validateAlerting(cfg, channels)
	d.validateOnCall(cfg, channels)
	d.validateStatusPages(cfg)
	d.validateSMTP(cfg)
	d.validateTelegram(cfg)
	d.validateReloadGuard(cfg)

	sh := &cfg.SelfHeartbeat
	d.duration("self_heartbeat.every", &sh.Every, DefaultSelfHeartbeatEvery)
	d.duration("self_heartbeat.timeout", &sh.Timeout, DefaultSelfHeartbeatTimeout)
	if sh.URL != "" {
		// The whole URL is a credential (a Healthchecks ping URL).
		if err := checkURLShown(sh.URL, shownTokenURL(sh.URL)); err != nil {
			d.fieldErrorf("self_heartbeat.url", "%s", err)
		}
	}
	if sh.Timeout >= sh.Every {
		d.fieldErrorf("self_heartbeat.timeout", "must be less than every (%s), got %s", sh.Every, sh.Timeout)
	}
	switch sh.OnUnhealthy {
	case "":
		sh.OnUnhealthy = OnUnhealthyFail
	case OnUnhealthyFail, OnUnhealthySkip:
	default:
		d.fieldErrorf("self_heartbeat.on_unhealthy", "must be one of %s, %s, got %s", OnUnhealthyFail, OnUnhealthySkip,
			quote(sh.OnUnhealthy))
	}

	ob := &cfg.Outbox
	d.intDefault("outbox.max_attempts", &ob.MaxAttempts, DefaultOutboxMaxAttempts, 1, 100)
	d.intDefault("outbox.per_channel", &ob.PerChannel, DefaultOutboxPerChannel, 1, 64)
	// The default base is itself under shortDuration, so no warning here.
	if !d.set["outbox.backoff_base"] {
		ob.BackoffBase = Duration(DefaultOutboxBackoffBase)
	}
	d.duration("outbox.backoff_max", &ob.BackoffMax, DefaultOutboxBackoffMax)
	if ob.BackoffBase > ob.BackoffMax {
		d.fieldErrorf("outbox.backoff_base", "must not be more than backoff_max (%s), got %s", ob.BackoffMax, ob.BackoffBase)
	}

	d.durationRange("audit.retention", &cfg.Audit.Retention, DefaultAuditRetention, 24*time.Hour, 100*366*24*time.Hour)
	d.durationRange("incidents.reopen_window", &cfg.Incidents.ReopenWindow, DefaultReopenWindow, time.Minute, 90*24*time.Hour)
	d.intDefault("probes.concurrency", &cfg.Probes.Concurrency, 64, 1, 10000)
	d.duration("probes.retention", &cfg.Probes.Retention, 2*24*time.Hour)
	pg := &cfg.Probes.Guard
	d.intDefault("probes.guard.share_percent", &pg.SharePercent, 50, 1, 100)
	d.intDefault("probes.guard.min_probes", &pg.MinProbes, 4, 1, 1000000)
	d.duration("probes.guard.window", &pg.Window, 2*time.Minute)
	d.duration("probes.guard.settle", &pg.Settle, 10*time.Second)
	d.duration("probes.guard.confirm", &pg.Confirm, 5*time.Minute)
	d.duration("watchdog.stall_after", &cfg.Watchdog.StallAfter, DefaultWatchdogStallAfter)
	// Idle loops beat about once a second; a shorter limit would see stalls
	// that are not there.
	if d.set["watchdog.stall_after"] && cfg.Watchdog.StallAfter.D() < MinStallAfter && cfg.Watchdog.StallAfter.D() >= time.Second {
		d.fieldErrorf("watchdog.stall_after", "must be at least %s (idle loops report about once a second), got %s",
			MinStallAfter, cfg.Watchdog.StallAfter)
	}
	d.durationRange("watchdog.min_episode", &cfg.Watchdog.MinEpisode, DefaultWatchdogMinEpisode, 0, time.Hour)
	d.durationRange("watchdog.write_timeout", &cfg.Watchdog.WriteTimeout, DefaultWatchdogWriteTimeout, time.Second,
		time.Minute)
}

func (d *decoder) validateTokens(cfg *Config) {
	names := map[string]int{}
	hashes := map[string]int{}
	for i := range cfg.APITokens {
		t := &cfg.APITokens[i]
		p := fmt.Sprintf("api_tokens[%d]", i)
		if t.Role == "" {
			t.Role = auth.Admin.String() // what every token could do before roles
		} else if _, err := auth.ParseRole(t.Role); err != nil {
			d.fieldErrorf(p+".role", "%s", err)
		}
		if err := checkName(t.Name); err != nil {
			d.fieldErrorf(p+".name", "%s", err)
		} else if j, dup := names[t.Name]; dup {
			d.fieldErrorf(p+".name", "%s is also the name of api_tokens[%d]", quote(t.Name), j)
		} else {
			names[t.Name] = i
		}
		switch {
		case t.TokenSHA256 == "":
			d.fieldErrorf(p+".token_sha256", "required: the hex SHA-256 of the token (sha256sum output)")
		case sha256Problem(t.TokenSHA256) != "":
			d.fieldErrorf(p+".token_sha256", "%s", sha256Problem(t.TokenSHA256))
		default:
			if j, dup := hashes[t.TokenSHA256]; dup {
				d.fieldErrorf(p+".token_sha256", "same token as api_tokens[%d]", j)
			} else {
				hashes[t.TokenSHA256] = i
			}
		}
	}
}

func (d *decoder) validatePingKey(cfg *Config) {
	if cfg.PingKey != "" && cfg.PingKeySHA256 != "" {
		d.fieldErrorf("ping_key_sha256", "set ping_key or ping_key_sha256, not both")
	}
	if cfg.PingKey != "" {
		if !pingKeyRE.MatchString(cfg.PingKey) {
			d.fieldErrorf("ping_key", "must be 1 to 128 letters, digits or . _ ~ - (it goes in URLs)")
		} else if len(cfg.PingKey) < minPingKeyLen {
			d.fieldErrorf("ping_key", "must be at least %d characters (anyone who guesses it can ping your checks), got %d",
				minPingKeyLen, len(cfg.PingKey))
		}
	}
	if msg := sha256Problem(cfg.PingKeySHA256); cfg.PingKeySHA256 != "" && msg != "" {
		d.fieldErrorf("ping_key_sha256", "%s", msg)
	}
}

// validateChannels checks the channels and returns their names, or nil if
// a channel or its name could not be read, so that references to it are
// not reported as unknown.
func (d *decoder) validateChannels(cfg *Config) map[string]bool {
	names := map[string]int{}
	for i := range cfg.Channels {
		ch := &cfg.Channels[i]
		p := fmt.Sprintf("channels[%d]", i)
		switch {
		case ch.Name == "":
			d.fieldErrorf(p+".name", "required")
		case !channelNameRE.MatchString(ch.Name):
			d.fieldErrorf(p+".name", "must be 1 to 64 lowercase letters, digits, _ or -, starting with a letter or digit, got %s", quote(ch.Name))
		default:
			if j, dup := names[ch.Name]; dup {
				d.fieldErrorf(p+".name", "%s is also the name of channels[%d]", quote(ch.Name), j)
			} else {
				names[ch.Name] = i
			}
		}
		supported := strings.Join(supportedChannelTypes, ", ")
		switch {
		case ch.Type == "":
			d.fieldErrorf(p+".type", "required; supported: %s", supported)
		case !slices.Contains(supportedChannelTypes, ch.Type):
			d.fieldErrorf(p+".type", "unsupported type %s; supported: %s", quote(ch.Type), supported)
		}
		d.validateChannelTarget(p, ch)
		d.duration(p+".timeout", &ch.Timeout, DefaultChannelTimeout)
		if ch.Timeout.D() > maxChannelTimeout {
			d.fieldErrorf(p+".timeout", "must be at most %s, got %s", Duration(maxChannelTimeout), ch.Timeout)
		}
		d.intDefault(p+".rate_per_minute", &ch.RatePerMinute, 0, 0, MaxChannelRatePerMinute)
		if k, ok := notify.Lookup(ch.Type); ok && len(ch.Headers) > 0 && !k.Spec().Headers {
			d.fieldErrorf(p+".headers", "only for %s channels, not %s", joinAnd(channelTypesWhere(headerTypes, false)), ch.Type)
		} else {
			d.validateHeaders(p+".headers", ch.Headers)
		}
	}
	if d.bad["channels"] {
		return nil
	}
	for i := range cfg.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		if d.bad[p] || d.bad[p+".name"] {
			return nil
		}
	}
	defined := make(map[string]bool, len(names))
	for n := range names {
		defined[n] = true
	}
	return defined
}

// validateHeaders checks the request headers of the mapping at p.
func (d *decoder) validateHeaders(p string, headers map[string]string) {
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		hp := p + "." + k
		if !validHeaderName(k) {
			d.fieldErrorf(hp, "invalid header name %s", quote(k))
			continue
		}
		if prev, dup := seen[strings.ToLower(k)]; dup {
			d.fieldErrorf(hp, "same header as %s (names are case-insensitive)", quote(prev))
			continue
		}
		seen[strings.ToLower(k)] = k
		if !validHeaderValue(headers[k]) {
			d.fieldErrorf(hp, "header value must not contain control characters or line breaks")
		}
	}
}

func (d *decoder) validateChecks(cfg *Config, channels map[string]bool) {
	type seenAt struct {
		i    int
		name string
	}
	names := map[string]int{}
	uuids := map[string]seenAt{}
	slugs := map[string]seenAt{}
	for i := range cfg.Checks {
		c := &cfg.Checks[i]
		p := fmt.Sprintf("checks[%d]", i)
		c.Line = d.line(p)

		if err := checkName(c.Name); err != nil {
			d.fieldErrorf(p+".name", "%s", err)
		} else if j, dup := names[c.Name]; dup {
			d.fieldErrorf(p+".name", "%s is also the name of checks[%d] (line %d)", quote(c.Name), j, cfg.Checks[j].Line)
		} else {
			names[c.Name] = i
		}

		if c.UUID != "" {
			if !uuidRE.MatchString(c.UUID) {
				d.fieldErrorf(p+".uuid", "must be a UUID like 0b9c2f3e-8c7a-4d4e-9a51-3f1d2c8e6b70, got %s", quote(c.UUID))
			} else {
				c.UUID = strings.ToLower(c.UUID)
				if prev, dup := uuids[c.UUID]; dup {
					d.fieldErrorf(p+".uuid", "%s is also the uuid of checks[%d] %s (line %d)", c.UUID, prev.i, quote(prev.name), cfg.Checks[prev.i].Line)
				} else {
					uuids[c.UUID] = seenAt{i, c.Name}
				}
			}
		}

		slugOK := true
		if !d.set[p+".slug"] {
			c.Slug = Slugify(c.Name)
			if c.Slug == "" && c.Name != "" {
				d.fieldErrorf(p+".name", "has no letters or digits to make a slug from; set slug")
				slugOK = false
			}
		} else if !slugRE.MatchString(c.Slug) || len(c.Slug) > maxSlugLen {
			d.fieldErrorf(p+".slug", "must be 1 to %d lowercase letters, digits, _ or -, starting with a letter or digit, got %s", maxSlugLen, quote(c.Slug))
			slugOK = false
		}
		if slugOK && c.Slug != "" {
			if prev, dup := slugs[c.Slug]; dup {
				d.fieldErrorf(p+".slug", "slug %s of check %s is also the slug of checks[%d] %s (line %d)",
					quote(c.Slug), quote(c.Name), prev.i, quote(prev.name), cfg.Checks[prev.i].Line)
			} else {
				slugs[c.Slug] = seenAt{i, c.Name}
			}
		}

		if c.IsProbe() || d.set[p+".probe"] {
			if d.set[p+".schedule"] {
				d.fieldErrorf(p+".schedule", "a check has a schedule (heartbeat) or a probe, not both")
			}
			d.validateProbe(p, c)
			if c.Keywords != nil {
				d.fieldErrorf(p+".keywords", "only for heartbeat checks: a probe's state comes from its runs, not from pings")
			}
		} else {
			d.validateSchedule(p+".schedule", &c.Schedule)
			d.validateKeywords(p+".keywords", c.Keywords)
			for _, k := range []string{"interval", "failures_before_down", "successes_before_up"} {
				if d.set[p+"."+k] {
					d.fieldErrorf(p+"."+k, "only for probe checks")
				}
			}
		}
		d.duration(p+".grace", &c.Grace, DefaultGrace)
		d.validateCheckFlap(p, c, cfg.CheckDefaults)
		d.validateNotify(p+".notify", c.Notify, channels)
		if len(c.Notify) == 0 {
			d.warnf(p, "check %s notifies no channel: nobody hears of its incidents; they only show in the API", quote(c.Name))
		}
		if c.AutoResolve == nil {
			t := true
			c.AutoResolve = &t
		}
		switch strings.ToUpper(c.Methods) {
		case "":
		case "POST":
			c.Methods = "POST"
		default:
			d.fieldErrorf(p+".methods", `must be "" (any method) or "POST", got %s`, quote(c.Methods))
		}
		if c.RunbookURL != "" {
			if err := checkHTTPURL(c.RunbookURL); err != nil {
				d.fieldErrorf(p+".runbook_url", "%s", err)
			}
		}
		d.validateTags(p+".tags", c.Tags)
	}
}

// Limits of a check's tags. A tag is one word: the store keeps a check's
// tags space-separated in one column, as Healthchecks does.
const (
	MaxTags   = 20
	MaxTagLen = 64
)

var tagRE = regexp.MustCompile(`^[a-z0-9_.:-]+$`)

func (d *decoder) validateTags(p string, tags []string) {
	if len(tags) > MaxTags {
		d.fieldErrorf(p, "at most %d tags, got %d", MaxTags, len(tags))
	}
	seen := map[string]int{}
	for i, tag := range tags {
		ip := fmt.Sprintf("%s[%d]", p, i)
		if !tagRE.MatchString(tag) || len(tag) > MaxTagLen {
			d.fieldErrorf(ip, "must be 1 to %d lowercase letters, digits, _, -, . or :, got %s", MaxTagLen, quote(tag))
			continue
		}
		if j, dup := seen[tag]; dup {
			d.fieldErrorf(ip, "tag %s is already listed at %s[%d]", quote(tag), p, j)
			continue
		}
		seen[tag] = i
	}
}

func (d *decoder) validateSchedule(p string, s *Schedule) {
	hasEvery, hasCron := s.Every != 0, s.Cron != ""
	switch {
	case !hasEvery && !hasCron:
		d.fieldErrorf(p, "required: set every (like 1h) or cron (like \"0 3 * * *\")")
	case hasEvery && hasCron:
		d.fieldErrorf(p, "set every or cron, not both")
	}
	if hasEvery {
		d.warnShort(p+".every", s.Every)
	}
	if hasCron {
		d.validateCron(p+".cron", s.Cron)
	}
	d.validateTZ(p+".tz", s.TZ, hasCron)
}

// validateCron checks the cron expression at p. It is parsed here so that
// a bad or never-firing expression is a file:line error at load, not a
// surprise at the first deadline.
func (d *decoder) validateCron(p, expr string) {
	if _, err := cron.Parse(expr); err != nil {
		var ce *cron.Error
		if errors.As(err, &ce) && ce.Field != "" {
			d.fieldErrorf(p, "bad %s field: %s", ce.Field, ce.Msg)
		} else if errors.As(err, &ce) {
			d.fieldErrorf(p, "%s", ce.Msg)
		} else {
			d.fieldErrorf(p, "%s", err)
		}
	}
}

// validateTZ checks the time zone at p, which goes with a cron expression
// (hasCron) and is only allowed with one.
func (d *decoder) validateTZ(p, tz string, hasCron bool) {
	if tz == "" {
		return
	}
	if !hasCron {
		d.fieldErrorf(p, "only allowed with cron")
	} else {
		d.loadTZ(p, tz)
	}
}

// loadTZ loads the IANA time zone tz named at p, or reports it and
// returns nil. "Local" is refused: it would depend on the server.
func (d *decoder) loadTZ(p, tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" || tz == "" {
		d.fieldErrorf(p, "unknown time zone %s; use an IANA name like Europe/Paris or UTC", quote(tz))
		return nil
	}
	return loc
}

// validateNotify checks that every name in list is a defined channel;
// channels is nil when the channels themselves could not be read.
func (d *decoder) validateNotify(p string, list []string, channels map[string]bool) {
	seen := map[string]int{}
	for i, name := range list {
		ip := fmt.Sprintf("%s[%d]", p, i)
		if j, dup := seen[name]; dup {
			d.fieldErrorf(ip, "channel %s is already listed at %s[%d]", quote(name), p, j)
			continue
		}
		seen[name] = i
		if channels != nil && !channels[name] {
			d.fieldErrorf(ip, "unknown channel %s; defined: %s", quote(name), definedList(channels))
		}
	}
}

// duration applies a default to the duration field at p, or warns if the
// value from the file is suspiciously short.
func (d *decoder) duration(p string, v *Duration, def time.Duration) {
	if !d.set[p] {
		*v = Duration(def)
		return
	}
	d.warnShort(p, *v)
}

func (d *decoder) warnShort(p string, v Duration) {
	if v.D() < shortDuration {
		d.warnf(p, "%s is under %s; is that intended?", v, Duration(shortDuration))
	}
}

// intDefault applies a default to the integer field at p, or checks that
// the value from the file lies in [lo, hi].
func (d *decoder) intDefault(p string, v *int, def, lo, hi int) {
	if !d.set[p] {
		*v = def
		return
	}
	if *v < lo || *v > hi {
		d.fieldErrorf(p, "must be between %d and %d, got %d", lo, hi, *v)
	}
}

// Slugify derives a check's default slug from its name: lowercase, runs of
// anything but a-z and 0-9 turned into "-", no "-" at either end.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// checkName checks a required display name: 1 to maxNameLen characters,
// no control characters.
func checkName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("required")
	case utf8.RuneCountInString(s) > maxNameLen:
		return fmt.Errorf("must be at most %d characters, got %d", maxNameLen, utf8.RuneCountInString(s))
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("must not be blank")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("must not contain control characters, got %s", quote(s))
	}
	return nil
}

// checkHTTPURL checks that s is an absolute http or https URL with a host.
func checkHTTPURL(s string) error { return kind.CheckHTTPURL(s) }

// checkURLShown is checkHTTPURL with errors that show s as shown.
func checkURLShown(s, shown string) error { return kind.CheckURLShown(s, shown) }

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// validHeaderValue reports whether s can be an HTTP header value.
func validHeaderValue(s string) bool { return kind.ValidHeaderValue(s) }

// maxDefinedListed is how many names definedList shows at most.
const maxDefinedListed = 20

// definedList lists the names of m, sorted, for "unknown ..." errors.
func definedList[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	names := slices.Sorted(maps.Keys(m))
	if len(names) > maxDefinedListed {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:maxDefinedListed], ", "), len(names)-maxDefinedListed)
	}
	return strings.Join(names, ", ")
}

var labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// validateAlerting checks services, the integrations that feed them, and
// the routes, inhibition rules and silences that act on their alerts.
func (d *decoder) validateAlerting(cfg *Config, channels map[string]bool) {
	services := map[string]bool{}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		if err := checkName(s.Name); err != nil {
			d.fieldErrorf(p+".name", "%s", err)
		} else if services[s.Name] {
			d.fieldErrorf(p+".name", "%s is also the name of another service", quote(s.Name))
		}
		services[s.Name] = true
		d.validateNotify(p+".notify", s.Notify, channels)
		for j, l := range s.GroupBy {
			if !labelRE.MatchString(l) {
				d.fieldErrorf(fmt.Sprintf("%s.group_by[%d]", p, j), "must be a label name like alertname, got %s", quote(l))
			}
		}
		// 0 is allowed (page at once), so no warning for short waits.
		if !d.set[p+".group_wait"] {
			s.GroupWait = Duration(DefaultGroupWait)
		} else if s.GroupWait.D() > MaxGroupWait {
			d.fieldErrorf(p+".group_wait", "must be at most %s, got %s", Duration(MaxGroupWait), s.GroupWait)
		}
	}
	// References to services are only checked when every service name
	// could be read; otherwise they would be reported as unknown.
	known := services
	if d.bad["services"] {
		known = nil
	}
	for i := range cfg.Services {
		p := fmt.Sprintf("services[%d]", i)
		if d.bad[p] || d.bad[p+".name"] {
			known = nil
		}
	}
	names := map[string]bool{}
	keys := map[string]string{}
	for i := range cfg.Integrations {
		in := &cfg.Integrations[i]
		p := fmt.Sprintf("integrations[%d]", i)
		if err := checkName(in.Name); err != nil {
			d.fieldErrorf(p+".name", "%s", err)
		} else if names[in.Name] {
			d.fieldErrorf(p+".name", "%s is also the name of another integration", quote(in.Name))
		}
		names[in.Name] = true
		switch in.Type {
		case "alertmanager", "grafana", "pagerduty", "generic":
		default:
			d.fieldErrorf(p+".type", "must be one of alertmanager, grafana, pagerduty, generic, got %s", quote(in.Type))
		}
		hash := in.KeySHA256
		switch {
		case in.Key != "" && in.KeySHA256 != "":
			d.fieldErrorf(p+".key", "set key or key_sha256, not both")
		case in.Key != "":
			if len(in.Key) < minIntegrationKeyLen || len(in.Key) > 128 || strings.ContainsAny(in.Key, "/?#% \t\n") {
				d.fieldErrorf(p+".key", "must be %d to 128 characters without / ? # %% or spaces", minIntegrationKeyLen)
			}
			hash = in.Key
		case in.KeySHA256 != "":
			if msg := sha256Problem(in.KeySHA256); msg != "" {
				d.fieldErrorf(p+".key_sha256", "%s", msg)
			}
		default:
			d.fieldErrorf(p+".key", "required: the secret senders put in the URL (or PagerDuty routing_key)")
		}
		if hash != "" {
			if other, dup := keys[hash]; dup {
				d.fieldErrorf(p+".key", "the same key as integration %s", quote(other))
			}
			keys[hash] = in.Name
		}
		if in.Service == "" {
			d.fieldErrorf(p+".service", "required: the service its alerts go to")
		} else if known != nil && !known[in.Service] {
			d.fieldErrorf(p+".service", "unknown service %s", quote(in.Service))
		}
	}
	d.validateRoutes("routes", cfg.Routes, 1, known)
	d.warnGrouping(cfg)
	d.validateInhibitRules(cfg)
	d.validateSilences(cfg)
}

// validateRoutes checks the routes of the list at p, at depth (1 for the
// top level), and their children; services is nil when the services could
// not be read.
func (d *decoder) validateRoutes(p string, routes []Route, depth int, services map[string]bool) {
	if len(routes) > 0 && depth > MaxRouteDepth {
		d.fieldErrorf(p, "routes nest more than %d levels deep", MaxRouteDepth)
		return
	}
	for i := range routes {
		r := &routes[i]
		rp := fmt.Sprintf("%s[%d]", p, i)
		r.Line = d.line(rp)
		d.validateMatchers(rp+".matchers", r.Matchers, false)
		switch {
		case r.Service == "" && len(r.Routes) == 0:
			d.fieldErrorf(rp, "needs a service or child routes")
		case r.Service != "" && services != nil && !services[r.Service]:
			d.fieldErrorf(rp+".service", "unknown service %s", quote(r.Service))
		}
		d.validateRoutes(rp+".routes", r.Routes, depth+1, services)
	}
}

// validateMatchers checks that each entry of the list at p is a matcher in
// Alertmanager's syntax and, if required, that there is at least one.
func (d *decoder) validateMatchers(p string, list []string, required bool) {
	if required && len(list) == 0 {
		d.fieldErrorf(p, `required: at least one matcher, like severity="critical"`)
	}
	for i, m := range list {
		if _, err := labels.Parse(m); err != nil {
			d.fieldErrorf(fmt.Sprintf("%s[%d]", p, i), "%s", err)
		}
	}
}

func (d *decoder) validateInhibitRules(cfg *Config) {
	for i := range cfg.InhibitRules {
		r := &cfg.InhibitRules[i]
		p := fmt.Sprintf("inhibit_rules[%d]", i)
		d.validateMatchers(p+".source_matchers", r.SourceMatchers, true)
		d.validateMatchers(p+".target_matchers", r.TargetMatchers, true)
		for j, l := range r.Equal {
			if !labelRE.MatchString(l) {
				d.fieldErrorf(fmt.Sprintf("%s.equal[%d]", p, j), "must be a label name like cluster, got %s", quote(l))
			}
		}
	}
}

func (d *decoder) validateSilences(cfg *Config) {
	names := map[string]int{}
	for i := range cfg.Silences {
		s := &cfg.Silences[i]
		p := fmt.Sprintf("silences[%d]", i)
		switch {
		case s.Name == "":
			d.fieldErrorf(p+".name", "required")
		case !channelNameRE.MatchString(s.Name):
			d.fieldErrorf(p+".name", "must be 1 to 64 lowercase letters, digits, _ or -, starting with a letter or digit, got %s", quote(s.Name))
		default:
			if j, dup := names[s.Name]; dup {
				d.fieldErrorf(p+".name", "%s is also the name of silences[%d]", quote(s.Name), j)
			} else {
				names[s.Name] = i
			}
		}
		d.validateMatchers(p+".matchers", s.Matchers, true)

		s.StartsAtTime = d.rfc3339(p+".starts_at", s.StartsAt)
		s.EndsAtTime = d.rfc3339(p+".ends_at", s.EndsAt)
		if !s.StartsAtTime.IsZero() && !s.EndsAtTime.IsZero() && !s.EndsAtTime.After(s.StartsAtTime) {
			d.fieldErrorf(p+".ends_at", "must be after starts_at (%s), got %s", s.StartsAt, s.EndsAt)
		}

		if !s.IsRecurring() {
			if s.EndsAt == "" {
				d.fieldErrorf(p+".ends_at", "required: when the silence ends, like 2030-01-01T06:00:00Z; or set cron and duration for recurring windows")
			}
			if d.set[p+".duration"] {
				d.fieldErrorf(p+".duration", "only allowed with cron")
			}
			d.validateTZ(p+".tz", s.TZ, false)
			continue
		}
		d.validateCron(p+".cron", s.Cron)
		d.validateTZ(p+".tz", s.TZ, true)
		switch {
		case !d.set[p+".duration"]:
			d.fieldErrorf(p+".duration", "required with cron: how long each window lasts, like 2h")
		case s.Duration <= 0:
			d.fieldErrorf(p+".duration", "must be more than 0, got %s", s.Duration)
		case s.Duration.D() > MaxSilenceDuration:
			d.fieldErrorf(p+".duration", "must be at most %s, got %s", Duration(MaxSilenceDuration), s.Duration)
		}
	}
}

// rfc3339 parses the time at p, if set; it returns the zero time if unset
// or bad.
func (d *decoder) rfc3339(p, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.fieldErrorf(p, "must be an RFC 3339 time like 2030-01-01T06:00:00Z or 2030-01-01T08:00:00+02:00, got %s", quote(s))
		return time.Time{}
	}
	return t
}

package config

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// secretMark replaces secrets in printed configs.
const secretMark = "<secret>"

// secretHeaderWords mark a header whose value is a secret when its name
// contains one of them, in any case.
var secretHeaderWords = []string{"auth", "token", "secret", "key", "cookie", "password"}

// Redacted returns the config as YAML with every secret printed as
// <secret>: channel secrets, the plain ping key, plain integration keys,
// the links secret, the SMTP password, the Telegram bot token, passwords
// in URLs, the paths of Slack, Discord and Teams webhook URLs (which hold
// their tokens) and the values of headers whose names suggest credentials.
// Hashes are shown. A password or token read from a file is left out, as
// the file holds it; the file's path is shown.
func (c *Config) Redacted() string {
	r := *c
	if r.PingKey != "" {
		r.PingKey = secretMark
	}
	if r.LinksSecret != "" {
		r.LinksSecret = secretMark
	}
	r.SMTP.Password = redactFileSecret(r.SMTP.Password, r.SMTP.PasswordFile)
	r.Telegram.BotToken = redactFileSecret(r.Telegram.BotToken, r.Telegram.BotTokenFile)
	r.Users = make([]User, len(c.Users))
	for i, u := range c.Users {
		u.Contacts = slices.Clone(u.Contacts)
		for j := range u.Contacts {
			ct := &u.Contacts[j]
			switch {
			case tokenInPath(ct.Type):
				ct.To = redactTokenURL(ct.To)
			case strings.Contains(ct.To, "://"):
				ct.To = redactURL(ct.To)
			}
		}
		r.Users[i] = u
	}
	r.SelfHeartbeat.URL = redactURL(r.SelfHeartbeat.URL)
	r.Channels = make([]Channel, len(c.Channels))
	for i, ch := range c.Channels {
		if ch.Secret != "" {
			ch.Secret = secretMark
		}
		if tokenInPath(ch.Type) {
			ch.URL = redactTokenURL(ch.URL)
		} else {
			ch.URL = redactURL(ch.URL)
		}
		ch.Headers = maps.Clone(ch.Headers)
		for k := range ch.Headers {
			if secretHeader(k) {
				ch.Headers[k] = secretMark
			}
		}
		r.Channels[i] = ch
	}
	r.Integrations = make([]Integration, len(c.Integrations))
	for i, in := range c.Integrations {
		if in.Key != "" {
			in.Key = secretMark
		}
		r.Integrations[i] = in
	}
	out, err := yaml.Marshal(&r)
	if err != nil {
		return "# cannot print config: " + err.Error() + "\n"
	}
	return string(out)
}

func secretHeader(name string) bool {
	name = strings.ToLower(name)
	for _, w := range secretHeaderWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// redactURL hides the password of a URL, if it has one.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); !has {
		return s
	}
	u.User = url.User(u.User.Username())
	out := u.String()
	// The escaped user name holds no "@": the first one after the scheme
	// ends it.
	i := strings.Index(out, "://") + 3
	at := strings.IndexByte(out[i:], '@')
	if at < 0 {
		return out
	}
	return out[:i+at] + ":" + secretMark + out[i+at:]
}

// redactFileSecret hides secret, which was read from file if that is set.
func redactFileSecret(secret, file string) string {
	switch {
	case file != "":
		return ""
	case secret != "":
		return secretMark
	}
	return secret
}

// tokenInPath reports whether the webhook URLs of a channel or contact
// type carry their token in the path.
func tokenInPath(typ string) bool {
	_, ok := serviceNames[typ]
	return ok
}

// redactTokenURL hides all of a URL but its scheme and host (port
// included): "https://hooks.slack.com/<secret>". A URL that cannot be read
// is hidden whole.
func redactTokenURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return secretMark
	}
	return u.Scheme + "://" + u.Host + "/" + secretMark
}

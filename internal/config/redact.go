package config

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

// secretMark replaces secrets in printed configs.
const secretMark = kind.SecretMark

// secretHeaderWords mark a header whose value is a secret when its name
// contains one of them, in any case.
var secretHeaderWords = []string{"auth", "token", "secret", "key", "cookie", "password"}

// Redacted returns the config as YAML with every secret printed as
// <secret>: channel secrets, the plain ping key, plain integration keys,
// the links secret, the SMTP password, the Telegram bot token, passwords,
// query values and fragments in URLs, the paths of Slack, Discord and Teams webhook URLs (which hold
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
	if c.SSO.OIDC != nil {
		o := *c.SSO.OIDC
		o.ClientSecret = redactFileSecret(o.ClientSecret, o.ClientSecretFile)
		r.SSO.OIDC = &o
	}
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

// redactURL hides the password of a URL, if it has one, the values of its
// query (a token often rides there: "?token=<secret>") and its fragment.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, kv := range pairs {
			if k, _, ok := strings.Cut(kv, "="); ok {
				pairs[i] = k + "=" + secretMark
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	if u.Fragment != "" {
		u.Fragment, u.RawFragment = secretMark, ""
	}
	pw := false
	if u.User != nil {
		_, pw = u.User.Password()
	}
	if !pw {
		return unescapeMark(u.String())
	}
	u.User = url.User(u.User.Username())
	out := unescapeMark(u.String())
	// The escaped user name holds no "@": the first one after the scheme
	// ends it.
	i := strings.Index(out, "://") + 3
	at := strings.IndexByte(out[i:], '@')
	if at < 0 {
		return out
	}
	return out[:i+at] + ":" + secretMark + out[i+at:]
}

// unescapeMark undoes URL escaping of secretMark (in a fragment).
func unescapeMark(s string) string {
	return strings.ReplaceAll(s, url.PathEscape(secretMark), secretMark)
}

// The shown forms of URLs are shared with the channel kinds: see package
// kind.
func hideURLSecrets(s string) string { return kind.HideURLSecrets(s) }
func shownTokenURL(s string) string  { return kind.ShownTokenURL(s) }

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
	k, ok := notify.Lookup(typ)
	return ok && k.Spec().TokenInPath
}

// redactTokenURL hides all of a URL but its scheme and host (see
// kind.RedactTokenURL).
func redactTokenURL(s string) string { return kind.RedactTokenURL(s) }

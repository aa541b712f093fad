package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/tocsinhq/tocsin/internal/notify"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

var (
	// telegramTokenRE matches a bot token as @BotFather hands it out.
	telegramTokenRE = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{35,}$`)
	// hostLabelRE matches one label of a host name; _ is tolerated, as
	// resolvers do.
	hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$`)
)

// maxSecretFileSize bounds the files that password_file and bot_token_file
// name: a secret is short; a big file is the wrong file.
const maxSecretFileSize = 64 << 10

// fieldReporter reports a kind's problems at the fields of the block at p.
type fieldReporter struct {
	d *decoder
	p string
}

func (r fieldReporter) Errorf(field, format string, args ...any) {
	r.d.fieldErrorf(r.p+"."+field, format, args...)
}

// validateChannelTarget checks where the channel at p sends to (url or
// to) and its secret: its type checks what it reads, and what it does not
// read must be empty. Unknown types are reported by the caller.
func (d *decoder) validateChannelTarget(p string, ch *Channel) {
	k, ok := notify.Lookup(ch.Type)
	if !ok {
		// A missing or unknown type, reported by the caller: only what
		// does not depend on the type is checked.
		if ch.URL != "" {
			if err := checkHTTPURL(ch.URL); err != nil {
				d.fieldErrorf(p+".url", "%s", err)
			}
		}
		return
	}
	spec := k.Spec()
	k.CheckChannel(kind.Channel{Type: ch.Type, URL: ch.URL, To: ch.To, Secret: ch.Secret}, fieldReporter{d, p})
	// Fields a type does not read must be empty (as Redacted prints them).
	// The lists name the types that do read them, from the registry; types
	// that send to to are listed sorted, as messages always have.
	if !spec.To && ch.To != "" {
		d.fieldErrorf(p+".to", "only for %s channels; %s channels send to url", joinAnd(channelTypesWhere(toTypes, true)), ch.Type)
	}
	if spec.Secret == "" && ch.Secret != "" {
		d.fieldErrorf(p+".secret", "only for %s, not %s", joinAnd(channelTypesWhere(secretTypes, false)), ch.Type)
	}
}

// toTypes names the types that read to.
func toTypes(s kind.Spec) string {
	if s.To {
		return s.Name
	}
	return ""
}

// secretTypes names the types that read a secret, and what it holds:
// "ntfy channels (access token)".
func secretTypes(s kind.Spec) string {
	if s.Secret == "" {
		return ""
	}
	return s.Name + " channels (" + s.Secret + ")"
}

// channelTypesWhere lists what f says of each channel type, leaving out
// "", in registry order or sorted.
func channelTypesWhere(f func(kind.Spec) string, sorted bool) []string {
	var out []string
	for _, k := range notify.Kinds() {
		if s := f(k.Spec()); s != "" {
			out = append(out, s)
		}
	}
	if sorted {
		slices.Sort(out)
	}
	return out
}

// headerTypes names the types that send a channel's headers.
func headerTypes(s kind.Spec) string {
	if s.Headers {
		return s.Name
	}
	return ""
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// isLocalHost reports whether host names this machine (see kind.IsLocalHost).
func isLocalHost(host string) bool { return kind.IsLocalHost(host) }

// checkHostName checks that s is a host name or an IP address, without
// port or brackets.
func checkHostName(s, example string) error {
	bad := fmt.Errorf("must be a host name or IP address like %s, got %s", example, quote(s))
	if strings.Contains(s, "://") {
		return fmt.Errorf("must be a host name like %s, not a URL, got %s", example, quote(s))
	}
	if net.ParseIP(s) != nil {
		return nil
	}
	if _, port, err := net.SplitHostPort(s); err == nil && port != "" {
		return fmt.Errorf("must be a host name like %s, without port (set port), got %s", example, quote(s))
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return bad
	}
	for _, label := range strings.Split(name, ".") {
		if !hostLabelRE.MatchString(label) {
			return bad
		}
	}
	return nil
}

// senders describes what sends through a channel type t, for "required"
// errors: "channels[2] (and user contacts) send", or "" if nothing does;
// first is the path of the first of them.
func senders(cfg *Config, t string) (who, first string) {
	var chans []string
	for i, ch := range cfg.Channels {
		if ch.Type == t {
			chans = append(chans, fmt.Sprintf("channels[%d]", i))
		}
	}
	contact := ""
	for i := len(cfg.Users) - 1; i >= 0; i-- {
		for j := len(cfg.Users[i].Contacts) - 1; j >= 0; j-- {
			if cfg.Users[i].Contacts[j].Type == t {
				contact = fmt.Sprintf("users[%d].contacts[%d]", i, j)
			}
		}
	}
	const maxListed = 3
	var s string
	switch n := len(chans); {
	case n == 0 && contact == "":
		return "", ""
	case n == 0:
		return "user contacts send", contact
	case n == 1 && contact == "":
		return chans[0] + " sends", chans[0]
	case n > maxListed:
		s = fmt.Sprintf("%s and %d more", strings.Join(chans[:maxListed], ", "), n-maxListed)
	default:
		s = strings.Join(chans, ", ")
	}
	if contact != "" {
		s += " (and user contacts)"
	}
	return s + " send", chans[0]
}

// requiredFor reports the field at p of section as required. The error is
// at the line of the field or the section if the file has them, else at
// that of first, the first thing that needs it.
func (d *decoder) requiredFor(section, p, first, format string, args ...any) {
	line := d.line(p)
	if _, ok := d.lines[section]; !ok {
		line = d.line(first)
	}
	d.errorf(line, p, format, args...)
}

// readSecretFile reads the secret in the file named at p, relative to the
// config file's directory, without its trailing newline. It reports
// problems at p and returns ok false.
func (d *decoder) readSecretFile(p, name string) (secret string, ok bool) {
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.file), path)
	}
	fail := func(err error) (string, bool) {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path as written is in the message already
		}
		d.fieldErrorf(p, "cannot read %s: %s", quote(name), err)
		return "", false
	}
	// A regular file only: opening a FIFO or a device could block or
	// never end.
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return fail(errors.New("not a regular file"))
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > maxSecretFileSize {
		return fail(fmt.Errorf("larger than %d KiB; a secret file holds only the secret", maxSecretFileSize>>10))
	}
	secret = strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		return fail(errors.New("the file is empty"))
	}
	return secret, true
}

// validateSMTP checks the smtp section, which email channels and email
// contacts need.
func (d *decoder) validateSMTP(cfg *Config) {
	s := &cfg.SMTP
	if s.Host == "" {
		if who, first := senders(cfg, ChannelEmail); who != "" {
			d.requiredFor("smtp", "smtp.host", first, "required: %s email", who)
		}
	} else if err := checkHostName(s.Host, "smtp.example.com"); err != nil {
		d.fieldErrorf("smtp.host", "%s", err)
	}
	d.intDefault("smtp.port", &s.Port, DefaultSMTPPort, 1, 65535)

	if s.Password != "" && s.PasswordFile != "" {
		d.fieldErrorf("smtp.password_file", "set password or password_file, not both")
	} else if s.PasswordFile != "" {
		if pw, ok := d.readSecretFile("smtp.password_file", s.PasswordFile); ok {
			s.Password = pw
		}
	}
	switch {
	case s.Username != "" && s.Password == "" && s.PasswordFile == "":
		d.fieldErrorf("smtp.password", "required with username: set password or password_file")
	case s.Username == "" && (s.Password != "" || s.PasswordFile != ""):
		d.fieldErrorf("smtp.username", "required with a password")
	}
	if strings.IndexFunc(s.Username, unicode.IsControl) >= 0 {
		d.fieldErrorf("smtp.username", "must not contain control characters")
	}

	switch {
	case s.From != "":
		if a, err := mail.ParseAddress(s.From); err != nil || strings.IndexFunc(s.From+a.Name, unicode.IsControl) >= 0 {
			d.fieldErrorf("smtp.from", `must be an email address like tocsin@example.com or "Tocsin <tocsin@example.com>", got %s`, quote(s.From))
		}
	case s.Host != "":
		d.fieldErrorf("smtp.from", `required with host: the sender address, like tocsin@example.com or "Tocsin <tocsin@example.com>"`)
	}

	if !d.set["smtp.tls"] {
		s.TLS = SMTPStartTLS
	}
	switch s.TLS {
	case SMTPStartTLS, SMTPStartTLSOptional, SMTPTLS:
	case SMTPNone:
		if s.Host != "" && !isLocalHost(s.Host) {
			d.fieldErrorf("smtp.tls", `"none" is only allowed when host is localhost, 127.0.0.1 or ::1: plaintext SMTP with a password would leak it; use starttls or tls (or starttls-optional for a relay without TLS)`)
		}
	default:
		d.fieldErrorf("smtp.tls", "must be one of %s, %s, %s, %s, got %s", SMTPStartTLS, SMTPStartTLSOptional, SMTPTLS, SMTPNone, quote(s.TLS))
	}

	if s.Helo != "" {
		if err := checkHostName(s.Helo, "tocsin.example.com"); err != nil {
			d.fieldErrorf("smtp.helo", "%s", err)
		}
	}
}

// validateTelegram checks the telegram section, which telegram channels
// and telegram contacts need.
func (d *decoder) validateTelegram(cfg *Config) {
	t := &cfg.Telegram
	const shape = "digits, a colon and 35 or more letters, digits, _ or -"
	switch {
	case t.BotToken != "" && t.BotTokenFile != "":
		d.fieldErrorf("telegram.bot_token_file", "set bot_token or bot_token_file, not both")
	case t.BotTokenFile != "":
		if tok, ok := d.readSecretFile("telegram.bot_token_file", t.BotTokenFile); ok {
			if telegramTokenRE.MatchString(tok) {
				t.BotToken = tok
			} else {
				d.fieldErrorf("telegram.bot_token_file", "the file does not hold a bot token from @BotFather (%s)", shape)
			}
		}
	case t.BotToken != "":
		// The token is a secret: not shown.
		if !telegramTokenRE.MatchString(t.BotToken) {
			d.fieldErrorf("telegram.bot_token", "must be a bot token from @BotFather: %s", shape)
		}
	default:
		if who, first := senders(cfg, ChannelTelegram); who != "" {
			d.requiredFor("telegram", "telegram.bot_token", first, "required (or bot_token_file): %s Telegram messages", who)
		}
	}

	if !d.set["telegram.api_base"] {
		t.APIBase = DefaultTelegramAPIBase
		return
	}
	if err := checkHTTPURL(t.APIBase); err != nil {
		d.fieldErrorf("telegram.api_base", "%s", err)
		return
	}
	u, _ := url.Parse(t.APIBase)
	switch {
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		d.fieldErrorf("telegram.api_base", "must not have a query or fragment, got %s", quote(t.APIBase))
	case u.User != nil:
		d.fieldErrorf("telegram.api_base", "must not hold a user name or password")
	case u.Scheme != "https" && !isLocalHost(u.Hostname()):
		d.fieldErrorf("telegram.api_base", "must be https: requests carry the bot token (http is only allowed to localhost, 127.0.0.1 or ::1), got %s", quote(t.APIBase))
	default:
		t.APIBase = strings.TrimRight(t.APIBase, "/")
	}
}

// checkBareAddress checks that s is an email address alone (see
// kind.CheckBareAddress).
func checkBareAddress(s string) error { return kind.CheckBareAddress(s) }

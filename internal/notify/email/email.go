// Package email delivers notifications as email over SMTP.
//
// A channel of type email holds the recipient address in its URL. The
// message is multipart/alternative (text and HTML) and is built only from
// the notification, so a retry sends the same bytes; its Message-ID is
// derived from the idempotency key, so a message sent twice is recognisably
// the same message.
//
// The connection is bounded by the send's context: the dial, every read and
// write, and the connection is closed when the context ends, so a hung
// server cannot hold a send. Credentials go only over TLS (implicit, or
// STARTTLS), except to a loopback host when AllowInsecureAuth says so.
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tocsinhq/tocsin"
)

// TLS modes of Settings.TLS.
const (
	TLSStartTLS         = "starttls"          // STARTTLS, required (the default)
	TLSStartTLSOptional = "starttls-optional" // STARTTLS when the server offers it, else plaintext
	TLSImplicit         = "tls"               // TLS from the first byte (port 465)
	TLSNone             = "none"              // plaintext
)

// DefaultTimeout bounds a send whose context has no deadline.
const DefaultTimeout = 30 * time.Second

// quitTimeout bounds QUIT, once the message is accepted.
const quitTimeout = 5 * time.Second

// Settings say how to reach the SMTP server.
type Settings struct {
	Host string
	Port int // 0: 465 for implicit TLS, 25 for none, else 587

	// Username and Password authenticate with AUTH PLAIN, or LOGIN when
	// the server offers only that. No username: no AUTH.
	Username, Password string

	From string // the sender, as in "Tocsin <tocsin@example.com>"

	TLS      string // TLSStartTLS (""), TLSStartTLSOptional, TLSImplicit or TLSNone
	HeloName string // the name given in EHLO; "": this host's name

	// TLSConfig verifies the server (nil: the system roots, server name
	// Host). It is cloned, never modified.
	TLSConfig *tls.Config

	// AllowInsecureAuth lets credentials go over plaintext when Host is a
	// loopback address or localhost; never to any other host.
	AllowInsecureAuth bool
}

// Validate checks settings without connecting.
func (s Settings) Validate() error {
	switch {
	case strings.TrimSpace(s.Host) == "":
		return errors.New("email: no SMTP host")
	case strings.ContainsFunc(s.Host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return errors.New("email: the SMTP host contains spaces or control characters")
	case s.Port < 0 || s.Port > 65535:
		return fmt.Errorf("email: bad SMTP port %d", s.Port)
	}
	if _, err := s.mode(); err != nil {
		return err
	}
	if _, err := parseAddress("sender", s.From); err != nil {
		return err
	}
	if strings.ContainsFunc(s.Username+s.Password, unicode.IsControl) {
		return errors.New("email: the SMTP username or password contains control characters")
	}
	if s.HeloName != "" && !validHelo(s.HeloName) {
		return fmt.Errorf("email: bad HELO name %q", s.HeloName)
	}
	return nil
}

func (s Settings) mode() (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(s.TLS)); m {
	case "":
		return TLSStartTLS, nil
	case TLSStartTLS, TLSStartTLSOptional, TLSImplicit, TLSNone:
		return m, nil
	}
	return "", fmt.Errorf("email: unknown TLS mode %q (want %s, %s, %s or %s)", s.TLS, TLSStartTLS, TLSStartTLSOptional,
		TLSImplicit, TLSNone)
}

func (s Settings) port(mode string) int {
	switch {
	case s.Port != 0:
		return s.Port
	case mode == TLSImplicit:
		return 465
	case mode == TLSNone:
		return 25
	}
	return 587
}

// Sender sends notifications by email.
type Sender struct {
	// Settings is read at each send, so a reloaded config applies to the
	// next one.
	Settings func() Settings
}

// Send mails n to the address in ch.URL. Failures to connect, timeouts,
// TLS handshakes cut short and 4xx replies are worth retrying; 5xx replies,
// bad settings or addresses, a server without STARTTLS when it is
// required, and certificates that do not verify are not. Errors carry the
// server's reply, never the password.
func (s *Sender) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	if s.Settings == nil {
		return false, errors.New("email: SMTP is not configured")
	}
	set := s.Settings()
	if err := set.Validate(); err != nil {
		return false, err
	}
	msg, err := Build(set.From, ch.URL, n)
	if err != nil {
		return false, err
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := ch.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	retry, err := deliver(ctx, set, msg)
	if err != nil {
		return retry, redact(err, set)
	}
	return false, nil
}

// session is one SMTP conversation.
type session struct {
	ctx  context.Context
	set  Settings
	addr string
	c    *smtp.Client
	tls  bool
}

// deliver sends msg over one connection.
func deliver(ctx context.Context, set Settings, msg *Message) (retry bool, err error) {
	mode, _ := set.mode()
	host := strings.TrimSpace(set.Host)
	addr := net.JoinHostPort(host, strconv.Itoa(set.port(mode)))
	s := &session{ctx: ctx, set: set, addr: addr}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return s.fail("connect", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return s.fail("connect", err)
		}
	}
	// Closing the connection when ctx ends unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	cfg := tlsConfig(set, host)
	if mode == TLSImplicit {
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return s.fail("tls handshake", err)
		}
		conn, s.tls = tc, true
	}
	if s.c, err = smtp.NewClient(conn, host); err != nil {
		return s.fail("greeting", err)
	}
	defer s.c.Close()
	helo := set.HeloName
	if helo == "" {
		helo = defaultHelo()
	}
	if err := s.c.Hello(helo); err != nil {
		return s.fail("EHLO", err)
	}
	if mode == TLSStartTLS || mode == TLSStartTLSOptional {
		if ok, _ := s.c.Extension("STARTTLS"); ok {
			if err := s.c.StartTLS(cfg); err != nil {
				return s.fail("STARTTLS", err)
			}
			s.tls = true
		} else if mode == TLSStartTLS {
			return false, fmt.Errorf("email: %s does not offer STARTTLS; refusing to send in plaintext "+
				"(set tls to starttls-optional or none to allow it)", addr)
		}
	}
	if set.Username != "" {
		if err := s.auth(host); err != nil {
			var le *localError
			if errors.As(err, &le) {
				return false, err
			}
			return s.fail("AUTH", err)
		}
	}
	if err := s.c.Mail(msg.From); err != nil {
		return s.fail("MAIL FROM", err)
	}
	if err := s.c.Rcpt(msg.To); err != nil {
		return s.fail("RCPT TO <"+msg.To+">", err)
	}
	w, err := s.c.Data()
	if err != nil {
		return s.fail("DATA", err)
	}
	if _, err := w.Write(msg.Data); err != nil {
		return s.fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail("DATA", err)
	}
	// The message is accepted: whatever happens to QUIT must not make the
	// outbox send it again, nor hold the send for long.
	if dl := time.Now().Add(quitTimeout); dl.Before(deadlineOf(ctx)) {
		_ = conn.SetDeadline(dl)
	}
	_ = s.c.Quit()
	return false, nil
}

// localError is a refusal decided here, not by the server.
type localError struct{ msg string }

func (e *localError) Error() string { return e.msg }

// auth authenticates with PLAIN or LOGIN, over TLS only unless the host is
// loopback and plaintext credentials are allowed.
func (s *session) auth(host string) error {
	if !s.tls && !(s.set.AllowInsecureAuth && isLoopback(host)) {
		return &localError{fmt.Sprintf("email: refusing to send SMTP credentials to %s without TLS", s.addr)}
	}
	ok, mechs := s.c.Extension("AUTH")
	if !ok {
		return &localError{fmt.Sprintf("email: %s offers no AUTH, but a username is configured", s.addr)}
	}
	offered := strings.Fields(strings.ToUpper(mechs))
	has := func(m string) bool {
		for _, o := range offered {
			if o == m {
				return true
			}
		}
		return false
	}
	insecureOK := s.set.AllowInsecureAuth && isLoopback(host)
	switch {
	case has("PLAIN"):
		return s.c.Auth(&plainAuth{user: s.set.Username, pass: s.set.Password, insecureOK: insecureOK})
	case has("LOGIN"):
		return s.c.Auth(&loginAuth{user: s.set.Username, pass: s.set.Password, insecureOK: insecureOK})
	}
	return &localError{fmt.Sprintf("email: %s offers AUTH %s; only PLAIN and LOGIN are supported", s.addr, oneLine(mechs, 100))}
}

// fail classifies an error of a step of the conversation.
func (s *session) fail(step string, err error) (bool, error) {
	if s.ctx.Err() != nil {
		// The end of ctx closed the connection under the step; say so
		// rather than "use of closed network connection".
		if errors.Is(s.ctx.Err(), context.DeadlineExceeded) {
			return true, fmt.Errorf("email: %s %s: no answer in time: %w", step, s.addr, context.Cause(s.ctx))
		}
		return true, fmt.Errorf("email: %s %s: send interrupted: %w", step, s.addr, context.Cause(s.ctx))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true, fmt.Errorf("email: %s %s: no answer in time: %w", step, s.addr, err)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		reply := fmt.Sprintf("%03d %s", te.Code, oneLine(te.Msg, 300))
		if te.Code >= 500 && te.Code < 600 {
			return false, fmt.Errorf("email: %s rejected by %s: %s", step, s.addr, reply)
		}
		return true, fmt.Errorf("email: %s refused for now by %s: %s", step, s.addr, reply)
	}
	var (
		cve *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rh  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		return false, fmt.Errorf("email: %s %s: the server's certificate does not verify: %w", step, s.addr, err)
	case errors.As(err, &rh):
		return false, fmt.Errorf("email: %s %s: the server does not speak TLS here (check tls and port): %w", step, s.addr, err)
	}
	return true, fmt.Errorf("email: %s %s: %w", step, s.addr, err)
}

// plainAuth is AUTH PLAIN (RFC 4616).
type plainAuth struct {
	user, pass string
	insecureOK bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.insecureOK {
		return "", nil, &localError{"email: refusing to send SMTP credentials without TLS"}
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("email: unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is AUTH LOGIN (draft-murchison-sasl-login): the username, then
// the password, each in answer to a challenge.
type loginAuth struct {
	user, pass string
	insecureOK bool
	step       int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.insecureOK {
		return "", nil, &localError{"email: refusing to send SMTP credentials without TLS"}
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("email: unexpected challenge after AUTH LOGIN")
}

// redact removes the password, plain or base64, from an error's text.
func redact(err error, set Settings) error {
	if set.Password == "" {
		return err
	}
	msg := err.Error()
	out := msg
	for _, secret := range []string{
		set.Password,
		base64.StdEncoding.EncodeToString([]byte(set.Password)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + set.Username + "\x00" + set.Password)),
	} {
		if len(secret) >= 3 {
			out = strings.ReplaceAll(out, secret, "[redacted]")
		}
	}
	if out == msg {
		return err
	}
	return &redacted{msg: out, err: err}
}

// redacted keeps the chain of an error (for errors.Is and As) under a
// message with the password taken out.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

func tlsConfig(set Settings, host string) *tls.Config {
	var cfg *tls.Config
	if set.TLSConfig != nil {
		cfg = set.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// deadlineOf is ctx's deadline, or far away.
func deadlineOf(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl
	}
	return time.Now().Add(24 * time.Hour)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validHelo accepts a domain name or an address literal ([192.0.2.1]).
func validHelo(s string) bool {
	if len(s) > 255 || s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._:[]", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func defaultHelo() string {
	if h, err := os.Hostname(); err == nil && validHelo(h) {
		return h
	}
	return "localhost"
}

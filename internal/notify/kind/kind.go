// Package kind is the contract every notification channel type meets: it
// declares which config fields it reads (and which of them are secret),
// checks them, says how it is shown on timelines and builds its sender.
// Package notify lists the kinds; config, escalation and app ask it
// rather than naming types themselves.
package kind

import (
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
)

// Kind is one channel type. A channel of the type is configured with the
// generic fields of Channel; a user's contact of the type with one string,
// its to.
type Kind interface {
	// Spec declares the type's name and the fields it reads.
	Spec() Spec
	// CheckChannel checks the url, to and secret of a channel of the
	// type, reporting problems at those field names. That to or secret
	// is set when Spec says the type does not read it is reported by the
	// caller, which knows the other types.
	CheckChannel(ch Channel, r Reporter)
	// CheckContact checks the to of a contact of the type, set and, unless
	// Spec.ContactNamesChannel, holding the address itself.
	CheckContact(to string) error
	// New builds the type's sender, or returns nil when deps lack what it
	// needs (no SMTP settings for email, say).
	New(deps Deps) tocsin.Sender
}

// Spec declares a channel type.
type Spec struct {
	Name string // the type as written in the file: "slack"
	// URL and To say which fields hold where the type sends to; at least
	// one is true. A type that reads to alone gets it as the URL of
	// tocsin.Channel too.
	URL, To bool
	// Secret says what the secret field holds for the type ("HMAC key"),
	// or "" when the type takes no secret.
	Secret string
	// Headers is true when the type sends the channel's extra headers.
	Headers bool
	// TokenInPath is true when the type's URLs carry their token in the
	// path: printed configs and messages show only scheme and host.
	TokenInPath bool
	// ContactHint says what a contact's to holds: "an email address like
	// ana@example.com". "": users cannot have contacts of the type.
	ContactHint string
	// ContactNamesChannel is true when a contact's to names a configured
	// channel of the type instead of an address.
	ContactNamesChannel bool
	// ContactRank places the type in lists of contact types, lower first
	// (stable: equal ranks keep registry order).
	ContactRank int
	// ShowTo is true when timelines may show where a contact is reached
	// (an address, a chat, a channel name): never for a URL that holds a
	// secret.
	ShowTo bool
}

// Describe says how a contact of the type is reached, for timelines.
func (s Spec) Describe(to string) string {
	if s.ShowTo {
		return s.Name + " " + to
	}
	return s.Name
}

// Channel is the generic config block of a channel, as the kind reads it.
type Channel struct {
	Type, URL, To, Secret string
}

// Reporter takes the problems of a channel's fields. Field is relative to
// the channel ("url"); the message follows the project's style.
type Reporter interface {
	Errorf(field, format string, args ...any)
}

// Deps are what senders are built from.
type Deps struct {
	Client    *http.Client // never follows redirects; no timeout of its own
	UserAgent string
	Clock     clock.Clock // stamps signatures; the real clock when nil
	// SMTP and Telegram read the running config's mail server and bot at
	// each send; nil when the config has none.
	SMTP     func() SMTP
	Telegram func() Telegram
}

// SMTP is the mail server email sends through.
type SMTP struct {
	Host, Username, Password, From, TLS, Helo string
	Port                                      int
}

// Telegram is the bot telegram messages go through.
type Telegram struct {
	APIBase, Token string
}

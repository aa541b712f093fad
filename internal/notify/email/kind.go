package email

import (
	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

// Kind is the email channel type: mail to the address in to, through the
// smtp section.
type Kind struct{}

// Spec declares the email type. Contact lists name it first.
func (Kind) Spec() kind.Spec {
	return kind.Spec{Name: "email", To: true, ContactHint: "an email address like ana@example.com", ContactRank: -1, ShowTo: true}
}

// CheckChannel checks the to of a channel: a bare address.
func (Kind) CheckChannel(ch kind.Channel, r kind.Reporter) {
	if ch.URL != "" {
		r.Errorf("url", "not used by email channels: they send to the address in to, through the smtp section")
	}
	if ch.To == "" {
		r.Errorf("to", "required: the recipient address, like ops@example.com")
	} else if err := kind.CheckBareAddress(ch.To); err != nil {
		r.Errorf("to", "%s", err)
	}
}

// CheckContact checks that a contact's to looks like an address.
func (Kind) CheckContact(to string) error { return kind.CheckEmail(to) }

// New builds the email sender, which reads the SMTP settings at each send;
// nil without them.
func (Kind) New(d kind.Deps) tocsin.Sender {
	if d.SMTP == nil {
		return nil
	}
	return &Sender{Settings: func() Settings {
		s := d.SMTP()
		return Settings{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, From: s.From, TLS: s.TLS,
			HeloName: s.Helo}
	}}
}

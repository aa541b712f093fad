package webhook

import (
	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
)

// Kind is the webhook channel type: a signed JSON POST to url, with the
// channel's extra headers. A webhook contact names a webhook channel.
type Kind struct{}

// Spec declares the webhook type.
func (Kind) Spec() kind.Spec {
	return kind.Spec{Name: "webhook", URL: true, Secret: "HMAC key", Headers: true,
		ContactHint: "the name of a channel of type webhook", ContactNamesChannel: true, ContactRank: 1, ShowTo: true}
}

// CheckChannel checks the url, which any http or https URL may be.
func (Kind) CheckChannel(ch kind.Channel, r kind.Reporter) {
	if ch.URL == "" {
		r.Errorf("url", "required")
	} else if err := kind.CheckHTTPURL(ch.URL); err != nil {
		r.Errorf("url", "%s", err)
	}
}

// CheckContact has nothing to check: the contact names a channel, which
// config resolves.
func (Kind) CheckContact(string) error { return nil }

// New builds the webhook sender.
func (Kind) New(d kind.Deps) tocsin.Sender {
	return &Sender{Client: d.Client, UserAgent: d.UserAgent, Clock: d.Clock}
}

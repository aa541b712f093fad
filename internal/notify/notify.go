// Package notify lists the channel types (see registry.go) and builds
// their senders.
package notify

import (
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/kind"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
)

// Senders maps channel types to their senders.
type Senders map[string]tocsin.Sender

// Settings are what senders read from the running config at each send.
type Settings struct {
	SMTP     func() kind.SMTP
	Telegram func() kind.Telegram
	Clock    clock.Clock // stamps webhook signatures; the real clock when nil
}

// Default returns the senders of every channel type whose settings are
// given. The client carries no timeout of its own: each send gets a
// context deadline. The senders never follow a redirect, whatever the
// client's policy: a 3xx is a failed attempt (see outbound.NoRedirects).
func Default(client *http.Client, version string, settings Settings) Senders {
	deps := kind.Deps{Client: outbound.NoRedirects(client), UserAgent: "Tocsin/" + version, Clock: settings.Clock,
		SMTP: settings.SMTP, Telegram: settings.Telegram}
	s := Senders{}
	for _, k := range kinds {
		if sender := k.New(deps); sender != nil {
			s[k.Spec().Name] = sender
		}
	}
	return s
}

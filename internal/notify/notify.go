// Package notify registers the senders of every channel type in one place.
package notify

import (
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/chat"
	"github.com/tocsinhq/tocsin/internal/notify/email"
	"github.com/tocsinhq/tocsin/internal/notify/outbound"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// Senders maps channel types to their senders.
type Senders map[string]tocsin.Sender

// Settings are what senders read from the running config at each send.
type Settings struct {
	SMTP     func() email.Settings
	Telegram func() chat.TelegramBot
	Clock    clock.Clock // stamps webhook signatures; the real clock when nil
}

// Default returns the senders of every supported channel type. The client
// carries no timeout of its own: each send gets a context deadline. The
// senders never follow a redirect, whatever the client's policy: a 3xx is
// a failed attempt (see outbound.NoRedirects).
func Default(client *http.Client, version string, settings Settings) Senders {
	ua := "Tocsin/" + version
	client = outbound.NoRedirects(client)
	s := Senders{
		"webhook": &webhook.Sender{Client: client, UserAgent: ua, Clock: settings.Clock},
		"slack":   &chat.Slack{Client: client, UserAgent: ua},
		"discord": &chat.Discord{Client: client, UserAgent: ua},
		"teams":   &chat.Teams{Client: client, UserAgent: ua},
		"ntfy":    &chat.Ntfy{Client: client, UserAgent: ua},
	}
	if settings.Telegram != nil {
		s["telegram"] = &chat.Telegram{Client: client, UserAgent: ua, Bot: settings.Telegram}
	}
	if settings.SMTP != nil {
		s["email"] = &email.Sender{Settings: settings.SMTP}
	}
	return s
}

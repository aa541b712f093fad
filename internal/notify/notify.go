// Package notify registers the senders of every channel type in one place.
package notify

import (
	"net/http"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/notify/webhook"
)

// Senders maps channel types to their senders.
type Senders map[string]tocsin.Sender

// Default returns the senders of every supported channel type. The client
// carries no timeout of its own: each send gets a context deadline.
func Default(client *http.Client, version string) Senders {
	return Senders{
		"webhook": &webhook.Sender{Client: client, UserAgent: "Tocsin/" + version},
	}
}

package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"

	"github.com/tocsinhq/tocsin/internal/job"
	"github.com/tocsinhq/tocsin/internal/statuspage"
)

// statusSubscribers builds the subscriptions of status pages: the public
// subscribe form and links, the API's webhook subscribers, and the
// notifications of published updates, queued in the outbox (their rows
// resolve through channel). Their pages are the running config's.
func (a *App) statusSubscribers() {
	a.subscribers = &statuspage.Subscribers{DB: a.db, Clock: a.clock, Log: a.log.With("component", "status_subscribers"),
		Key: a.subscriberKey, ClientAddr: func(r *http.Request) string { return a.state.Load().ClientAddr(r) },
		Queued: func() { a.bus.Notify(job.Queued) }}
	a.status.NotifySubscribers(a.subscribers) // every published update, in its own transaction; their routes
}

// subscriberKey is the key the tokens of subscription links are derived
// from: a key of its own, derived from the links secret; nil without one.
func (a *App) subscriberKey() []byte {
	secret := a.state.Load().Config.LinksSecret
	if secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("tocsin status page subscribers"))
	return m.Sum(nil)
}

package statuspage

// The public side of subscriptions: the subscribe form's target and the
// pages of a subscription's link. The form only ever sends a mail asking
// for confirmation (double opt-in), answers the same whatever the
// address's state, and is rate limited per client and per address; the
// token in a subscription's link is the credential of the rest. GET only
// shows; POST acts.

import (
	"html/template"
	"math"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// maxEmail bounds a subscriber's address (RFC 5321's path limit).
const maxEmail = 254

// Subscribe takes the subscribe form, POST /status/{slug}/subscribe with
// email and, optionally, component (an id): it queues the mail asking to
// confirm and answers a page saying to check the inbox, the same whether
// or not the address was subscribed.
func (s *Subscribers) Subscribe(w http.ResponseWriter, r *http.Request) {
	p, err := s.Page(r.PathValue("slug"))
	if err != nil {
		s.answer(w, http.StatusNotFound, "No such status page", "There is no status page here.", nil)
		return
	}
	back := &link{URL: p.URL, Text: "Back to " + p.Name}
	now := s.Clock.Now()
	if wait, ok := s.limits.byClient.take(s.clientAddr(r), now, clientLimit); !ok {
		s.tooMany(w, wait, back)
		return
	}
	key := s.key()
	if !p.Email || key == nil {
		s.answer(w, http.StatusServiceUnavailable, "Email subscriptions are not available",
			p.Name+" does not send email: no mail server is configured for it.", back)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.answer(w, http.StatusBadRequest, "Could not read the form", "The form could not be read; please try again.", back)
		return
	}
	addr, problem := subscriberAddress(r.PostForm.Get("email"))
	if problem != "" {
		s.answer(w, http.StatusBadRequest, "Not an email address", problem, back)
		return
	}
	component := strings.TrimSpace(r.PostForm.Get("component"))
	if component != "" {
		if _, ok := p.component(component); !ok {
			s.answer(w, http.StatusBadRequest, "No such component", p.Name+" has no such component.", back)
			return
		}
	}
	if wait, ok := s.limits.byAddress.take(strings.ToLower(addr), now, addressLimit); !ok {
		s.tooMany(w, wait, back)
		return
	}
	queued := false
	err = s.DB.Write(r.Context(), func(tx *store.Tx) error {
		sub := store.StatusSubscriber{Page: p.Slug, Component: component, Kind: store.SubscriberEmail, Target: addr}
		if _, err := tx.CreateStatusSubscriber(r.Context(), &sub, func(id int64) []byte {
			return hashToken(subscriberToken(key, p.Slug, id))
		}); err != nil {
			return err
		}
		if !sub.ConfirmedAt.IsZero() {
			return nil // subscribed already: nothing to confirm, and the answer says nothing of it
		}
		n, err := confirmNotification(p, sub, subscriberToken(key, p.Slug, sub.ID), now)
		if err != nil {
			return err
		}
		queued, err = tx.Enqueue(r.Context(), n)
		return err
	})
	if err != nil {
		s.Log.Error("subscribe to status page", "page", p.Slug, "err", err)
		s.answer(w, http.StatusInternalServerError, "Something went wrong", "The subscription could not be saved; please try again later.", back)
		return
	}
	if queued && s.Queued != nil {
		s.Queued()
	}
	s.answer(w, http.StatusOK, "Check your inbox",
		"If "+addr+" can subscribe to "+p.Name+", a mail is on its way there with a link to confirm. Nothing is sent before you confirm.", back)
}

// subscriberAddress checks an address from the form: one bare address,
// ASCII (the mail goes out without SMTPUTF8), with a dot in its domain;
// or what is wrong with it, for the reader.
func subscriberAddress(in string) (addr, problem string) {
	in = strings.TrimSpace(in)
	a, err := mail.ParseAddress(in)
	switch {
	case in == "":
		return "", "Please give an email address."
	case len(in) > maxEmail:
		return "", "That address is too long."
	case err != nil || a.Address != in || a.Name != "":
		return "", "Please give one email address, like ana@example.com."
	}
	for _, r := range in {
		if r < '!' || r > '~' {
			return "", "Please give an address in plain ASCII letters, like ana@example.com."
		}
	}
	at := strings.LastIndexByte(in, '@')
	if !strings.Contains(strings.Trim(in[at+1:], "."), ".") {
		return "", "Please give an address with a full domain, like ana@example.com."
	}
	// Domains are case-insensitive: keep one spelling, so that the same
	// address is one subscriber.
	return in[:at] + strings.ToLower(in[at:]), ""
}

// ShowSubscription shows a subscription's link, GET
// /status/{slug}/subscriptions/{token}: what it is, and buttons to
// confirm or end it. It changes nothing (mail scanners open links).
func (s *Subscribers) ShowSubscription(w http.ResponseWriter, r *http.Request) {
	p, sub, ok := s.subscription(w, r)
	if !ok {
		return
	}
	what := "incidents on " + p.Name
	if c, ok := p.component(sub.Component); ok {
		what = "incidents on " + p.Name + " that touch " + c.Name
	}
	v := pageView{Title: "Your subscription to " + p.Name, Link: &link{URL: p.URL, Text: "Back to " + p.Name},
		Action: r.URL.Path}
	if sub.ConfirmedAt.IsZero() {
		v.Message = sub.Target + " asked to hear of " + what + ". Confirm to start getting mail."
		v.Confirm = true
	} else {
		v.Message = sub.Target + " hears of " + what + "."
		if sub.Kind == store.SubscriberWebhook {
			v.Message = "A webhook hears of " + what + "."
		}
	}
	s.render(w, http.StatusOK, v)
}

// ConfirmSubscription confirms an email subscription, POST
// /status/{slug}/subscriptions/{token}/confirm.
func (s *Subscribers) ConfirmSubscription(w http.ResponseWriter, r *http.Request) {
	p, _, ok := s.subscription(w, r)
	if !ok {
		return
	}
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		_, err := tx.ConfirmStatusSubscriber(r.Context(), p.Slug, hashToken(r.PathValue("token")))
		return err
	})
	if err != nil {
		s.failed(w, p, err)
		return
	}
	s.answer(w, http.StatusOK, "Subscribed", "You will hear of "+p.Name+"'s incidents. Every mail has a link to unsubscribe.",
		&link{URL: p.URL, Text: "Back to " + p.Name})
}

// Unsubscribe ends a subscription, POST
// /status/{slug}/subscriptions/{token}/unsubscribe: the button of its
// page, and the one-click unsubscribe of mail clients (RFC 8058), which
// the List-Unsubscribe header of every mail points at.
func (s *Subscribers) Unsubscribe(w http.ResponseWriter, r *http.Request) {
	p, _, ok := s.subscription(w, r)
	if !ok {
		return
	}
	err := s.DB.Write(r.Context(), func(tx *store.Tx) error {
		_, err := tx.UnsubscribeStatusSubscriber(r.Context(), p.Slug, hashToken(r.PathValue("token")))
		return err
	})
	if err != nil {
		s.failed(w, p, err)
		return
	}
	s.answer(w, http.StatusOK, "Unsubscribed", "You will get no more mail from "+p.Name+".",
		&link{URL: p.URL, Text: "Back to " + p.Name})
}

// subscription finds the page and the live subscription of a link's
// token, or answers 404.
func (s *Subscribers) subscription(w http.ResponseWriter, r *http.Request) (SubscriberPage, store.StatusSubscriber, bool) {
	p, err := s.Page(r.PathValue("slug"))
	if err != nil {
		s.answer(w, http.StatusNotFound, "No such status page", "There is no status page here.", nil)
		return p, store.StatusSubscriber{}, false
	}
	token := r.PathValue("token")
	if len(token) > 100 {
		s.gone(w, p)
		return p, store.StatusSubscriber{}, false
	}
	sub, ok, err := s.DB.StatusSubscriberByToken(r.Context(), p.Slug, hashToken(token))
	if err != nil {
		s.failed(w, p, err)
		return p, sub, false
	}
	if !ok {
		s.gone(w, p)
		return p, sub, false
	}
	return p, sub, true
}

func (s *Subscribers) gone(w http.ResponseWriter, p SubscriberPage) {
	s.answer(w, http.StatusNotFound, "No such subscription",
		"This link leads to no subscription: it was ended, or the link is not whole.", &link{URL: p.URL, Text: "Back to " + p.Name})
}

func (s *Subscribers) failed(w http.ResponseWriter, p SubscriberPage, err error) {
	if tocsin.ErrorCode(err) == tocsin.ENotFound {
		s.gone(w, p)
		return
	}
	s.Log.Error("status page subscription", "page", p.Slug, "err", err)
	s.answer(w, http.StatusInternalServerError, "Something went wrong", "Please try again later.", &link{URL: p.URL, Text: "Back to " + p.Name})
}

func (s *Subscribers) tooMany(w http.ResponseWriter, wait time.Duration, back *link) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	s.answer(w, http.StatusTooManyRequests, "Too many requests", "Too many subscriptions were asked for from here; please try again later.", back)
}

func (s *Subscribers) clientAddr(r *http.Request) string {
	if s.ClientAddr != nil {
		return s.ClientAddr(r)
	}
	return r.RemoteAddr
}

// link is a link under a page's message.
type link struct{ URL, Text string }

// pageView is what a subscription page shows.
type pageView struct {
	Title, Message string
	Link           *link
	// Action is the subscription's path: its buttons post to it.
	Action  string
	Confirm bool
}

func (s *Subscribers) answer(w http.ResponseWriter, status int, title, message string, back *link) {
	s.render(w, status, pageView{Title: title, Message: message, Link: back})
}

func (s *Subscribers) render(w http.ResponseWriter, status int, v pageView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The token is in the URL: no other site may learn it from a Referer.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := subscriptionPage.Execute(w, v); err != nil {
		s.Log.Warn("render subscription page", "err", err)
	}
}

var subscriptionPage = template.Must(template.New("subscription").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#18181b;line-height:1.5}
button{font:inherit;padding:.5rem 1rem;margin:0 .5rem .5rem 0;cursor:pointer}form{display:inline}a{color:#1d4ed8}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{if .Action}}{{if .Confirm}}<form method="post" action="{{.Action}}/confirm"><button type="submit">Confirm</button></form>{{end}}
<form method="post" action="{{.Action}}/unsubscribe"><button type="submit">Unsubscribe</button></form>{{end}}
{{with .Link}}<p><a href="{{.URL}}">{{.Text}}</a></p>{{end}}
</body></html>
`))

// Limits of the subscribe form: a client may ask for a few subscriptions
// in a burst, then one a minute; an address gets at most a few mails
// asking to confirm, then one every ten minutes, whoever asks.
var (
	clientLimit  = bucketLimit{burst: 5, every: time.Minute, capacity: 10000}
	addressLimit = bucketLimit{burst: 3, every: 10 * time.Minute, capacity: 10000}
)

// subscribeLimits are the form's token buckets. The zero value is ready.
type subscribeLimits struct {
	byClient  buckets
	byAddress buckets
}

// bucketLimit is a token bucket's size and refill, and how many buckets
// are kept at most.
type bucketLimit struct {
	burst    float64
	every    time.Duration // one token back per every
	capacity int
}

// buckets are token buckets by key, of bounded number: when full, the
// buckets that have refilled (and so say nothing) are dropped, and while
// none has, a new key is refused, so that a flood of keys costs bounded
// memory and cannot push out the buckets of those being limited.
type buckets struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take takes a token of key's bucket, or says how long until one is back.
func (b *buckets) take(key string, now time.Time, l bucketLimit) (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*bucket{}
	}
	bk := b.m[key]
	if bk == nil {
		if len(b.m) >= l.capacity {
			for k, v := range b.m {
				if v.level(l, now) >= l.burst {
					delete(b.m, k)
				}
			}
			if len(b.m) >= l.capacity {
				return l.every, false
			}
		}
		bk = &bucket{tokens: l.burst, at: now}
		b.m[key] = bk
	}
	bk.tokens, bk.at = bk.level(l, now), now
	if bk.tokens < 1 {
		return time.Duration((1 - bk.tokens) * float64(l.every)), false
	}
	bk.tokens--
	return 0, true
}

// level is the bucket's tokens at now.
func (bk *bucket) level(l bucketLimit, now time.Time) float64 {
	if now.Before(bk.at) {
		return bk.tokens // the clock went back: wait for it
	}
	return min(l.burst, bk.tokens+float64(now.Sub(bk.at))/float64(l.every))
}

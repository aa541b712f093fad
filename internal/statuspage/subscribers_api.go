package statuspage

// The routes of subscriptions: the public subscribe form and the links
// of subscriptions, and the management API's subscribers (webhooks are
// made only there: anyone could otherwise make Tocsin POST to any URL).

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/auth"
	"github.com/tocsinhq/tocsin/internal/store"
)

// subscriptionRoutes are the public routes of subscriptions: the form
// (rate limited, double opt-in) and the links whose token is the
// credential (GET only shows a page; POST acts).
func (s *Service) subscriptionRoutes() []auth.Route {
	subs := s.subs
	if subs == nil {
		return nil
	}
	return []auth.Route{
		{Pattern: "POST /status/{slug}/subscribe", Role: auth.Public, Handler: http.HandlerFunc(subs.Subscribe)},
		{Pattern: "GET /status/{slug}/subscriptions/{token}", Role: auth.Public, Handler: http.HandlerFunc(subs.ShowSubscription)},
		{Pattern: "POST /status/{slug}/subscriptions/{token}/confirm", Role: auth.Public,
			Handler: http.HandlerFunc(subs.ConfirmSubscription)},
		{Pattern: "POST /status/{slug}/subscriptions/{token}/unsubscribe", Role: auth.Public,
			Handler: http.HandlerFunc(subs.Unsubscribe)},
	}
}

// subscriberAPIRoutes are the management API's routes of subscribers.
func (s *Service) subscriberAPIRoutes() []auth.Route {
	if s.subs == nil {
		return nil
	}
	return []auth.Route{
		{Pattern: "GET /api/v1/status-pages/{slug}/subscribers", Role: auth.Viewer, Handler: http.HandlerFunc(s.apiListSubscribers)},
		{Pattern: "POST /api/v1/status-pages/{slug}/subscribers", Role: auth.Responder, Handler: http.HandlerFunc(s.apiAddSubscriber)},
		{Pattern: "DELETE /api/v1/status-pages/{slug}/subscribers/{id}", Role: auth.Responder,
			Handler: http.HandlerFunc(s.apiRemoveSubscriber)},
	}
}

type (
	// APISubscriber is a status page subscriber as the API shows it. A
	// webhook's URL shows its scheme and host only: its path or query may
	// hold the receiver's secret.
	APISubscriber struct {
		ID          int64      `json:"id"`
		Page        string     `json:"page"`
		Component   string     `json:"component,omitempty"` // a component id; none: the whole page
		Kind        string     `json:"kind"`                // email or webhook
		Target      string     `json:"target"`              // the address, or the webhook's scheme and host
		CreatedAt   time.Time  `json:"created_at"`
		ConfirmedAt *time.Time `json:"confirmed_at"` // null: an address that has not confirmed yet
	}
	// APINewSubscriber asks for a webhook subscriber.
	APINewSubscriber struct {
		URL       string `json:"url"`                 // http or https; it gets a JSON POST shaped like Statuspage's webhooks
		Component string `json:"component,omitempty"` // a component id; none: the whole page
	}
)

func apiSubscriber(sub store.StatusSubscriber) APISubscriber {
	target := sub.Target
	if sub.Kind == store.SubscriberWebhook {
		target = shownWebhook(sub.Target)
	}
	return APISubscriber{ID: sub.ID, Page: sub.Page, Component: sub.Component, Kind: sub.Kind, Target: target,
		CreatedAt: sub.CreatedAt, ConfirmedAt: apiTime(sub.ConfirmedAt)}
}

// shownWebhook is a webhook URL without what may be secret.
func shownWebhook(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid URL>"
	}
	shown := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		shown += "/…"
	}
	return shown
}

// apiListSubscribers lists a page's live subscribers.
func (s *Service) apiListSubscribers(w http.ResponseWriter, r *http.Request) {
	list, err := s.subs.List(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	out := make([]APISubscriber, 0, len(list))
	for _, sub := range list {
		out = append(out, apiSubscriber(sub))
	}
	apiWriteJSON(w, http.StatusOK, map[string]any{"subscribers": out})
}

// apiAddSubscriber subscribes a webhook to a page: 201 with the
// subscriber, or 200 with the one that exists.
func (s *Service) apiAddSubscriber(w http.ResponseWriter, r *http.Request) {
	var in APINewSubscriber
	if !s.apiDecode(w, r, &in, false) {
		return
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	var sub store.StatusSubscriber
	var created bool
	err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		if sub, created, err = s.subs.AddWebhook(ctx, tx, slug, in.Component, in.URL); err != nil || !created {
			return err
		}
		return tx.Audit(ctx, apiActor(r), "status_subscriber.create",
			"webhook "+shownWebhook(sub.Target)+" subscribed to status page "+slug,
			map[string]any{"page": slug, "subscriber_id": sub.ID, "component": sub.Component, "kind": sub.Kind})
	})
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	apiWriteJSON(w, status, apiSubscriber(sub))
}

// apiRemoveSubscriber ends a subscription, of an email address or a
// webhook.
func (s *Service) apiRemoveSubscriber(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.apiFail(w, r, tocsin.Errorf(tocsin.EInvalid, "subscriber id must be a positive number, got %q", r.PathValue("id")))
		return
	}
	slug := r.PathValue("slug")
	ctx := r.Context()
	var sub store.StatusSubscriber
	err = s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		if sub, err = s.subs.Remove(ctx, tx, slug, id); err != nil {
			return err
		}
		return tx.Audit(ctx, apiActor(r), "status_subscriber.delete",
			sub.Kind+" subscriber "+strconv.FormatInt(id, 10)+" of status page "+slug+" removed",
			map[string]any{"page": slug, "subscriber_id": id, "component": sub.Component, "kind": sub.Kind})
	})
	if err != nil {
		s.apiFail(w, r, err)
		return
	}
	apiWriteJSON(w, http.StatusOK, apiSubscriber(sub))
}

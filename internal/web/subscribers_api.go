package web

// Subscribers of status pages: the public subscribe form and the links of
// subscriptions, and the management API's webhook subscribers (only there:
// anyone could otherwise make Tocsin POST to any URL).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// StatusSubscribers serves the subscriptions of status pages
// (statuspage.Subscribers does).
type StatusSubscribers interface {
	// The public form and links, each an HTML page.
	Subscribe(w http.ResponseWriter, r *http.Request)
	ShowSubscription(w http.ResponseWriter, r *http.Request)
	ConfirmSubscription(w http.ResponseWriter, r *http.Request)
	Unsubscribe(w http.ResponseWriter, r *http.Request)
	// The management API's: errors are tocsin errors (ENotFound for an
	// unknown page, EInvalid for a bad URL or component).
	List(ctx context.Context, slug string) ([]store.StatusSubscriber, error)
	AddWebhook(ctx context.Context, tx *store.Tx, slug, component, url string) (store.StatusSubscriber, bool, error)
	Remove(ctx context.Context, tx *store.Tx, slug string, id int64) (store.StatusSubscriber, error)
}

// subscriptionRoute serves a public subscription route; without status
// page subscribers, there is no page to subscribe to.
func (s *Server) subscriptionRoute(h func(StatusSubscribers, http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.StatusSubscribers == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<!DOCTYPE html>\n<title>No such status page</title>\n<p>There is no status page here.</p>\n")
			return
		}
		h(s.StatusSubscribers, w, r)
	})
}

// subscriberJSON is a status page subscriber as the API shows it. A
// webhook's URL shows its scheme and host only: its path or query may
// hold the receiver's secret.
type subscriberJSON struct {
	ID          int64      `json:"id"`
	Page        string     `json:"page"`
	Component   string     `json:"component,omitempty"` // a component id; none: the whole page
	Kind        string     `json:"kind"`                // email or webhook
	Target      string     `json:"target"`              // the address, or the webhook's scheme and host
	CreatedAt   time.Time  `json:"created_at"`
	ConfirmedAt *time.Time `json:"confirmed_at"` // null: an address that has not confirmed yet
}

func toSubscriberJSON(sub store.StatusSubscriber) subscriberJSON {
	target := sub.Target
	if sub.Kind == store.SubscriberWebhook {
		target = shownWebhook(sub.Target)
	}
	return subscriberJSON{ID: sub.ID, Page: sub.Page, Component: sub.Component, Kind: sub.Kind, Target: target,
		CreatedAt: sub.CreatedAt, ConfirmedAt: timePtr(sub.ConfirmedAt)}
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

func (s *Server) statusSubscribersOrFail(w http.ResponseWriter, r *http.Request) (StatusSubscribers, bool) {
	if s.StatusSubscribers == nil {
		writeError(w, tocsin.Errorf(tocsin.ENotFound, "no status page %q", r.PathValue("slug")))
		return nil, false
	}
	return s.StatusSubscribers, true
}

// listStatusSubscribers lists a page's live subscribers: GET
// /api/v1/status-pages/{slug}/subscribers.
func (s *Server) listStatusSubscribers(w http.ResponseWriter, r *http.Request) {
	subs, ok := s.statusSubscribersOrFail(w, r)
	if !ok {
		return
	}
	list, err := subs.List(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]subscriberJSON, 0, len(list))
	for _, sub := range list {
		out = append(out, toSubscriberJSON(sub))
	}
	writeJSON(w, http.StatusOK, map[string]any{"subscribers": out})
}

// subscriberRequestJSON asks for a webhook subscriber.
type subscriberRequestJSON struct {
	URL       string `json:"url"`                 // http or https; it gets a JSON POST shaped like Statuspage's webhooks
	Component string `json:"component,omitempty"` // a component id; none: the whole page
}

// createStatusSubscriber subscribes a webhook to a page: POST
// /api/v1/status-pages/{slug}/subscribers with {"url", "component"}. 201
// with the subscriber, or 200 with the one that exists.
func (s *Server) createStatusSubscriber(w http.ResponseWriter, r *http.Request) {
	subs, ok := s.statusSubscribersOrFail(w, r)
	if !ok {
		return
	}
	var in subscriberRequestJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "body too large"})
			return
		}
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: %v", err))
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "body: one JSON object expected"))
		return
	}
	slug := r.PathValue("slug")
	var sub store.StatusSubscriber
	var created bool
	err := s.DB.Write(r.Context(), func(tx *store.Tx) (err error) {
		if sub, created, err = subs.AddWebhook(r.Context(), tx, slug, in.Component, in.URL); err != nil || !created {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "status_subscriber.create",
			"webhook "+shownWebhook(sub.Target)+" subscribed to status page "+slug,
			map[string]any{"page": slug, "subscriber_id": sub.ID, "component": sub.Component, "kind": sub.Kind}))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toSubscriberJSON(sub))
}

// deleteStatusSubscriber ends a subscription, of an email address or a
// webhook: DELETE /api/v1/status-pages/{slug}/subscribers/{id}.
func (s *Server) deleteStatusSubscriber(w http.ResponseWriter, r *http.Request) {
	subs, ok := s.statusSubscribersOrFail(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, tocsin.Errorf(tocsin.EInvalid, "subscriber id must be a positive number, got %q", r.PathValue("id")))
		return
	}
	slug := r.PathValue("slug")
	var sub store.StatusSubscriber
	err = s.DB.Write(r.Context(), func(tx *store.Tx) (err error) {
		if sub, err = subs.Remove(r.Context(), tx, slug, id); err != nil {
			return err
		}
		return tx.AuditEvent(r.Context(), s.auditEvent(r, "status_subscriber.delete",
			sub.Kind+" subscriber "+strconv.FormatInt(id, 10)+" of status page "+slug+" removed",
			map[string]any{"page": slug, "subscriber_id": id, "component": sub.Component, "kind": sub.Kind}))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toSubscriberJSON(sub))
}

package statuspage

// Subscribers of status pages: who hears of a page's incidents, and the
// notifications they get. Each notification is an outbox row carrying its
// own target (the address or URL), queued in the transaction that
// publishes the update, with an idempotency key per update and
// subscriber, so that a retry or a second call never sends twice.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/notify/email"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Events of the notifications to subscribers (Tocsin-Event of webhooks).
const (
	EventSubscriberUpdate  = "status.incident_update"
	EventSubscriberConfirm = "status.subscription_confirm"
)

// Timeouts of a send to a subscriber: the outbox bounds each send by its
// channel's timeout.
const (
	subscriberWebhookTimeout = 10 * time.Second
	subscriberEmailTimeout   = email.DefaultTimeout
)

// Subscribers manages the subscribers of the status pages: the public
// subscribe form and links (see subscribe_handler.go), the management
// API's webhook subscribers, and the notifications of published updates.
type Subscribers struct {
	DB    *store.DB
	Clock clock.Clock
	Log   *slog.Logger
	// Pages returns a status page as the running config has it; false
	// when there is no such page.
	Pages func(slug string) (SubscriberPage, bool)
	// Key returns the HMAC key the tokens of subscription links are
	// derived from (derive it from the config's links_secret); nil: no
	// subscriptions are taken.
	Key func() []byte
	// ClientAddr is the address a request came from, as the audit log
	// records it (runtime.Snapshot.ClientAddr).
	ClientAddr func(*http.Request) string
	// Queued is told after notifications were committed to the outbox:
	// it wakes the dispatcher. Optional.
	Queued func()

	limits subscribeLimits
}

// SubscriberPage is what subscribing needs of a status page.
type SubscriberPage struct {
	// Page gives ID, Slug, Name, URL and Location. URL is the page's
	// public URL under /status/<slug> (public_url + "/status/" + slug):
	// the links of subscriptions are URL + "/subscriptions/<token>".
	Page
	Components []Component // the page's components (ID and Name are read), to check and name them
	// Email is true when an SMTP server is configured: without one, no
	// email subscription is taken.
	Email bool
}

// component returns the page's component id, if it has it.
func (p SubscriberPage) component(id string) (Component, bool) {
	for _, c := range p.Components {
		if c.ID == id {
			return c, true
		}
	}
	return Component{}, false
}

// Notice is what EnqueueUpdate tells subscribers of: an update published
// on a page's public incident.
type Notice struct {
	Page Page // ID, Slug, Name, URL (as in SubscriberPage) and Location are read
	// Components are the page's components, to name those affected in
	// mails and payloads; optional.
	Components []Component
	// Indicator and Description are the page's status after the update,
	// as status.json shows them (none, minor, major, critical; "All Systems
	// Operational"); an empty Indicator is taken from the incident's
	// impact (none once it is resolved).
	Indicator, Description string
	// Incident is the public incident as published; its Components are
	// the ids of those it touches. Its Updates may or may not hold Update.
	Incident Incident
	Update   Update
}

// EnqueueUpdate queues, in tx, one notification of n per live, confirmed
// subscriber of n's page who hears of it (those of the whole page, and
// those of a component the incident or the update touches, or of its
// group), one per address or URL, and reports how many were added. The
// idempotency key is per update and subscriber: calling it again for the
// same update adds nothing. After tx commits, tell the outbox (Queued
// does).
func (s *Subscribers) EnqueueUpdate(ctx context.Context, tx *store.Tx, n Notice) (int, error) {
	key := s.key()
	if key == nil {
		return 0, nil // no subscriptions are taken, so there are none to tell
	}
	subs, err := tx.StatusSubscribersFor(ctx, n.Page.Slug, touched(n))
	if err != nil {
		return 0, err
	}
	added := 0
	seen := map[string]bool{}
	for _, sub := range subs {
		if seen[sub.Kind+" "+sub.Target] {
			continue // of the page and of a component: one mail is enough
		}
		seen[sub.Kind+" "+sub.Target] = true
		token := subscriberToken(key, sub.Page, sub.ID)
		if sum := sha256.Sum256([]byte(token)); !hmac.Equal(sum[:], sub.TokenSHA256) {
			// The key changed since the token was stored: the links of
			// this mail carry the new one, so it must be the one found.
			if err := tx.SetStatusSubscriberToken(ctx, sub.ID, sum[:]); err != nil {
				return added, err
			}
		}
		note, err := updateNotification(n, sub, token, s.Clock.Now())
		if err != nil {
			return added, err
		}
		ok, err := tx.Enqueue(ctx, note)
		if err != nil {
			return added, err
		}
		if ok {
			added++
		}
	}
	return added, nil
}

// touched lists the components n touches: those of the incident and of
// the update, and the groups they are members of.
func touched(n Notice) []string {
	ids := slices.Concat(n.Incident.Components, n.Update.Components)
	for _, c := range n.Components {
		if c.Group && slices.ContainsFunc(c.Members, func(m string) bool { return slices.Contains(ids, m) }) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// SubscriberChannel resolves the outbox channel of a subscriber's
// notification: "status:<slug>:email" (the page's mail, one lane) or
// "status:<slug>:webhook:<id>" (a lane per webhook, so a slow receiver
// delays only itself). The row's target is the recipient. Give it to the
// outbox's channel lookup beside the config's channels.
func SubscriberChannel(name string) (tocsin.Channel, bool) {
	rest, ok := strings.CutPrefix(name, "status:")
	if !ok {
		return tocsin.Channel{}, false
	}
	switch _, tail, _ := strings.Cut(rest, ":"); {
	case tail == store.SubscriberEmail:
		return tocsin.Channel{Name: name, Type: "email", Timeout: subscriberEmailTimeout}, true
	case strings.HasPrefix(tail, store.SubscriberWebhook+":"):
		return tocsin.Channel{Name: name, Type: "webhook", Timeout: subscriberWebhookTimeout}, true
	}
	return tocsin.Channel{}, false
}

func subscriberChannel(sub store.StatusSubscriber) string {
	if sub.Kind == store.SubscriberWebhook {
		return "status:" + sub.Page + ":webhook:" + strconv.FormatInt(sub.ID, 10)
	}
	return "status:" + sub.Page + ":email"
}

// subscriberToken is the token of a subscriber's links: derived from the
// key, so that every mail can carry it while the database keeps only its
// hash.
func subscriberToken(key []byte, page string, id int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("tocsin status subscriber\x00" + page + "\x00" + strconv.FormatInt(id, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func (s *Subscribers) key() []byte {
	if s.Key == nil {
		return nil
	}
	return s.Key()
}

// subscriptionURL is where a subscriber's link leads: its page, which
// shows a confirm and an unsubscribe button.
func subscriptionURL(page Page, token string) string {
	return strings.TrimSuffix(page.URL, "/") + "/subscriptions/" + token
}

// updateNotification is the notification of n to one subscriber.
func updateNotification(n Notice, sub store.StatusSubscriber, token string, now time.Time) (*tocsin.Notification, error) {
	manage := subscriptionURL(n.Page, token)
	var payload []byte
	var err error
	if sub.Kind == store.SubscriberWebhook {
		payload, err = json.Marshal(webhookPayload(n, manage, now))
	} else {
		payload, err = email.LetterPayload(updateLetter(n, sub, manage))
	}
	if err != nil {
		return nil, fmt.Errorf("status update notification: %w", err)
	}
	return &tocsin.Notification{
		IdempotencyKey: "status:" + sub.Page + ":update:" + n.Update.ID + ":subscriber:" + strconv.FormatInt(sub.ID, 10),
		Channel:        subscriberChannel(sub), Event: EventSubscriberUpdate, Payload: payload, Target: sub.Target,
	}, nil
}

// confirmNotification is the double opt-in mail of an email subscriber,
// keyed by the time it is asked for: asking again sends it again (the
// subscribe form's limits bound how often).
func confirmNotification(p SubscriberPage, sub store.StatusSubscriber, token string, now time.Time) (*tocsin.Notification, error) {
	manage := subscriptionURL(p.Page, token)
	var b strings.Builder
	fmt.Fprintf(&b, "Someone, probably you, asked to hear of the incidents on %s", p.Name)
	if c, ok := p.component(sub.Component); ok {
		fmt.Fprintf(&b, " that touch %s", c.Name)
	}
	fmt.Fprintf(&b, " at %s.\n\nTo confirm, open this link and press Confirm:\n%s\n\n", sub.Target, manage)
	b.WriteString("If it was not you, ignore this mail: nothing more is sent without a confirmation.\n")
	fmt.Fprintf(&b, "\nStatus page: %s\n", p.URL)
	payload, err := email.LetterPayload(email.Letter{Subject: "Confirm your subscription to " + p.Name, Text: b.String(), Date: now,
		Link: manage, LinkText: "Confirm your subscription", Unsubscribe: manage + "/unsubscribe"})
	if err != nil {
		return nil, fmt.Errorf("status subscription confirmation: %w", err)
	}
	return &tocsin.Notification{
		IdempotencyKey: "status:" + sub.Page + ":confirm:" + strconv.FormatInt(sub.ID, 10) + ":" + strconv.FormatInt(now.UnixMilli(), 10),
		Channel:        subscriberChannel(sub), Event: EventSubscriberConfirm, Payload: payload, Target: sub.Target,
	}, nil
}

// statusWords are how mails name an incident's states.
var statusWords = map[IncidentStatus]string{
	Investigating: "Investigating", Identified: "Identified", Monitoring: "Monitoring", Resolved: "Resolved",
	Scheduled: "Scheduled", InProgress: "In progress", Verifying: "Verifying", Completed: "Completed",
}

func statusWord(s IncidentStatus) string {
	if w, ok := statusWords[s]; ok {
		return w
	}
	return string(s)
}

// updateLetter is the mail of an update: the incident's name and status,
// the update's text, its time in the page's zone and in UTC, the page's
// link, and the unsubscribe link.
func updateLetter(n Notice, sub store.StatusSubscriber, manage string) email.Letter {
	at := n.Update.DisplayAt
	if at.IsZero() {
		at = n.Update.CreatedAt
	}
	loc := n.Page.Location
	if loc == nil {
		loc = time.UTC
	}
	status := statusWord(n.Update.Status)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", n.Incident.Name)
	fmt.Fprintf(&b, "Status: %s\n", status)
	if names := componentNames(n, slices.Concat(n.Incident.Components, n.Update.Components)); names != "" {
		fmt.Fprintf(&b, "Affected: %s\n", names)
	}
	fmt.Fprintf(&b, "Posted: %s (%s)\n\n", at.In(loc).Format("2006-01-02 15:04 MST"), at.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "%s\n\n", n.Update.Body)
	fmt.Fprintf(&b, "Status page: %s\n\n", n.Page.URL)
	b.WriteString("--\n")
	fmt.Fprintf(&b, "You get this mail because %s subscribed to %s", sub.Target, n.Page.Name)
	for _, c := range n.Components {
		if c.ID == sub.Component {
			fmt.Fprintf(&b, " (%s)", c.Name)
		}
	}
	fmt.Fprintf(&b, ".\nUnsubscribe: %s\n", manage)
	return email.Letter{Subject: fmt.Sprintf("[%s] %s: %s", n.Page.Name, n.Incident.Name, status), Text: b.String(), Date: at,
		Link: n.Page.URL, LinkText: "Open the status page", Unsubscribe: manage + "/unsubscribe",
		Thread: "status:" + n.Page.Slug + ":incident:" + n.Incident.ID}
}

// componentNames names the components of ids the page has, in page order.
func componentNames(n Notice, ids []string) string {
	var names []string
	for _, c := range n.Components {
		if !c.Group && slices.Contains(ids, c.ID) {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

// The webhook payload, in the shape of Statuspage's webhook notifications
// of incident updates: meta (with the unsubscribe link), page and
// incident with its incident_updates, newest first.
type (
	webhookJSON struct {
		Meta     webhookMetaJSON     `json:"meta"`
		Page     webhookPageJSON     `json:"page"`
		Incident webhookIncidentJSON `json:"incident"`
	}
	webhookMetaJSON struct {
		Unsubscribe string    `json:"unsubscribe"`
		GeneratedAt time.Time `json:"generated_at"`
	}
	webhookPageJSON struct {
		ID                string `json:"id"`
		StatusIndicator   string `json:"status_indicator"`
		StatusDescription string `json:"status_description"`
	}
	webhookIncidentJSON struct {
		ID              string                `json:"id"`
		PageID          string                `json:"page_id"`
		Name            string                `json:"name"`
		Status          IncidentStatus        `json:"status"`
		Impact          Impact                `json:"impact"`
		CreatedAt       time.Time             `json:"created_at"`
		UpdatedAt       time.Time             `json:"updated_at"`
		MonitoringAt    *time.Time            `json:"monitoring_at"`
		ResolvedAt      *time.Time            `json:"resolved_at"`
		ScheduledFor    *time.Time            `json:"scheduled_for"`
		ScheduledUntil  *time.Time            `json:"scheduled_until"`
		Shortlink       string                `json:"shortlink"`
		IncidentUpdates []webhookUpdateJSON   `json:"incident_updates"`
		Components      []webhookComponentRef `json:"components"`
	}
	webhookUpdateJSON struct {
		ID                 string                `json:"id"`
		IncidentID         string                `json:"incident_id"`
		Status             IncidentStatus        `json:"status"`
		Body               string                `json:"body"`
		CreatedAt          time.Time             `json:"created_at"`
		UpdatedAt          time.Time             `json:"updated_at"`
		DisplayAt          time.Time             `json:"display_at"`
		AffectedComponents []webhookAffectedJSON `json:"affected_components"`
	}
	webhookAffectedJSON struct {
		Code      string          `json:"code"`
		Name      string          `json:"name"`
		NewStatus ComponentStatus `json:"new_status,omitempty"`
	}
	webhookComponentRef struct {
		ID          string          `json:"id"`
		PageID      string          `json:"page_id"`
		GroupID     *string         `json:"group_id"`
		Name        string          `json:"name"`
		Description *string         `json:"description"`
		Status      ComponentStatus `json:"status"`
		Position    int             `json:"position"`
		CreatedAt   time.Time       `json:"created_at"`
		UpdatedAt   time.Time       `json:"updated_at"`
		Showcase    bool            `json:"showcase"`
	}
)

func webhookPayload(n Notice, manage string, now time.Time) webhookJSON {
	in := n.Incident
	indicator, description := n.Indicator, n.Description
	if indicator == "" {
		indicator = string(in.Impact)
		if !in.ResolvedAt.IsZero() || indicator == "" {
			indicator = string(ImpactNone)
		}
	}
	updates := in.Updates
	if !slices.ContainsFunc(updates, func(u Update) bool { return u.ID == n.Update.ID }) {
		updates = append([]Update{n.Update}, updates...)
	}
	out := webhookJSON{
		Meta: webhookMetaJSON{Unsubscribe: manage, GeneratedAt: now.UTC()},
		Page: webhookPageJSON{ID: n.Page.ID, StatusIndicator: indicator, StatusDescription: description},
		Incident: webhookIncidentJSON{ID: in.ID, PageID: n.Page.ID, Name: in.Name, Status: in.Status, Impact: in.Impact,
			CreatedAt: in.CreatedAt.UTC(), UpdatedAt: in.UpdatedAt.UTC(), MonitoringAt: timeOrNull(in.MonitoringAt),
			ResolvedAt: timeOrNull(in.ResolvedAt), ScheduledFor: timeOrNull(in.ScheduledFor),
			ScheduledUntil: timeOrNull(in.ScheduledUntil), Shortlink: n.Page.URL,
			IncidentUpdates: []webhookUpdateJSON{}, Components: []webhookComponentRef{}},
	}
	byID := map[string]Component{}
	for _, c := range n.Components {
		byID[c.ID] = c
	}
	for _, u := range updates {
		ju := webhookUpdateJSON{ID: u.ID, IncidentID: in.ID, Status: u.Status, Body: u.Body, CreatedAt: u.CreatedAt.UTC(),
			UpdatedAt: u.CreatedAt.UTC(), DisplayAt: u.DisplayAt.UTC(), AffectedComponents: []webhookAffectedJSON{}}
		for _, id := range u.Components {
			c := byID[id]
			ju.AffectedComponents = append(ju.AffectedComponents, webhookAffectedJSON{Code: id, Name: c.Name, NewStatus: c.Status})
		}
		out.Incident.IncidentUpdates = append(out.Incident.IncidentUpdates, ju)
	}
	for _, id := range in.Components {
		c, ok := byID[id]
		if !ok {
			continue
		}
		ref := webhookComponentRef{ID: c.ID, PageID: n.Page.ID, Name: c.Name, Status: c.Status, Position: c.Position,
			CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Showcase: true}
		if c.GroupID != "" {
			ref.GroupID = &c.GroupID
		}
		if c.Description != "" {
			ref.Description = &c.Description
		}
		out.Incident.Components = append(out.Incident.Components, ref)
	}
	return out
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Errors of the management functions, for the API to map.
var errNoKey = tocsin.Errorf(tocsin.EConflict, "status page subscriptions need links_secret in the config: their links are signed with it")

// Page returns the status page slug; an ENotFound error when there is none.
func (s *Subscribers) Page(slug string) (SubscriberPage, error) {
	if s.Pages != nil {
		if p, ok := s.Pages(slug); ok {
			return p, nil
		}
	}
	return SubscriberPage{}, tocsin.Errorf(tocsin.ENotFound, "no status page %q", slug)
}

// List returns the live subscribers of page slug, confirmed or not.
func (s *Subscribers) List(ctx context.Context, slug string) ([]store.StatusSubscriber, error) {
	if _, err := s.Page(slug); err != nil {
		return nil, err
	}
	return s.DB.StatusSubscribers(ctx, slug)
}

// AddWebhook subscribes url, in tx, to the incidents of page slug (of
// one component when component is set). A webhook is confirmed at once:
// only the management API may add one, as anyone could otherwise make
// Tocsin POST to any URL. Adding one that exists returns it, created false.
func (s *Subscribers) AddWebhook(ctx context.Context, tx *store.Tx, slug, component, url string) (store.StatusSubscriber, bool, error) {
	p, err := s.Page(slug)
	if err != nil {
		return store.StatusSubscriber{}, false, err
	}
	key := s.key()
	if key == nil {
		return store.StatusSubscriber{}, false, errNoKey
	}
	if err := checkWebhookURL(url); err != nil {
		return store.StatusSubscriber{}, false, tocsin.Errorf(tocsin.EInvalid, "url: %v", err)
	}
	if component != "" {
		if _, ok := p.component(component); !ok {
			return store.StatusSubscriber{}, false, tocsin.Errorf(tocsin.EInvalid, "component: status page %s has no component %q", slug, component)
		}
	}
	sub := store.StatusSubscriber{Page: slug, Component: component, Kind: store.SubscriberWebhook, Target: url}
	created, err := tx.CreateStatusSubscriber(ctx, &sub, func(id int64) []byte { return hashToken(subscriberToken(key, slug, id)) })
	return sub, created, err
}

// Remove ends, in tx, the subscription id of page slug.
func (s *Subscribers) Remove(ctx context.Context, tx *store.Tx, slug string, id int64) (store.StatusSubscriber, error) {
	if _, err := s.Page(slug); err != nil {
		return store.StatusSubscriber{}, err
	}
	return tx.DeleteStatusSubscriber(ctx, slug, id)
}

// maxWebhookURL bounds a webhook subscriber's URL.
const maxWebhookURL = 2000

func checkWebhookURL(u string) error {
	if len(u) > maxWebhookURL {
		return fmt.Errorf("longer than %d bytes", maxWebhookURL)
	}
	if strings.ContainsFunc(u, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("contains spaces or control characters")
	}
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return fmt.Errorf("must be an absolute http or https URL")
	}
	return nil
}

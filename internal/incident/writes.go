package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// writes are the timeline entries and notifications of one or more
// incident changes, made first and written together, in order: on
// PostgreSQL, where each statement is a round trip, the notifications in
// one statement and the entries in another (store.Tx.EnqueueAll and
// AppendTimelines), rather than one statement a row.
type writes struct {
	items []pending
}

// pending is one timeline entry, and the notification it tells of, if any:
// the entry is appended only if the notification was queued (a retry
// finds its idempotency key taken and says nothing twice).
type pending struct {
	entry *tocsin.TimelineEntry
	n     *tocsin.Notification
}

// note adds a timeline entry.
func (w *writes) note(e *tocsin.TimelineEntry) { w.items = append(w.items, pending{entry: e}) }

// flush writes the notifications, then the entries of those queued and
// the others, and empties w.
func (w *writes) flush(ctx context.Context, tx *store.Tx) error {
	var ns []*tocsin.Notification
	for _, it := range w.items {
		if it.n != nil {
			ns = append(ns, it.n)
		}
	}
	added, err := tx.EnqueueAll(ctx, ns)
	if err != nil {
		return err
	}
	entries := make([]*tocsin.TimelineEntry, 0, len(w.items))
	for _, it := range w.items {
		if it.n != nil {
			queued := added[0]
			added = added[1:]
			if !queued {
				continue
			}
		}
		entries = append(entries, it.entry)
	}
	w.items = w.items[:0]
	return tx.AppendTimelines(ctx, entries)
}

// notify adds what notifies the channels of the check, or of the incident
// if c is nil: one notification each, with its timeline entry; with
// nowhere to send, the timeline says so loudly.
func (w *writes) notify(env Env, in *tocsin.Incident, c *tocsin.Check, event, tag string, now time.Time,
	reason, actor string, evidence any) error {
	channels := in.Notify
	if c != nil {
		channels = c.Notify
	}
	if len(channels) == 0 {
		w.note(&tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyNoChannel,
			Actor: "tocsin", Message: "NOBODY NOTIFIED of " + event + ": no notification channel is configured for this incident"})
		return nil
	}
	return w.send(env, in, channels, newEvent(env, in, c, event, now, reason, actor, evidence), tag, now)
}

// send adds ev for each of channels, with its idempotency key (of tag and
// the channel), its signed links if ev pages, and a timeline entry.
func (w *writes) send(env Env, in *tocsin.Incident, channels []string, ev Event, tag string, now time.Time) error {
	for _, ch := range channels {
		contact := strings.HasPrefix(ch, "contact:")
		if !contact && env.HasChannel != nil && !env.HasChannel(ch) {
			w.note(&tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyNoChannel,
				Actor: "tocsin", Message: fmt.Sprintf("NOT NOTIFIED: channel %q of %s is not configured", ch, ev.Event)})
			continue
		}
		ev.IdempotencyKey = "tocsin-incident-" + strconv.FormatInt(in.ID, 10) + "-" + tag + "-" + ch
		ev.Links = nil
		if env.Links != nil && pages(ev.Event) {
			ev.Links = env.Links(in.ID, RecipientOf(ch), now)
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		to := "channel " + ch
		if contact {
			to = RecipientOf(ch) + " (" + ch + ")"
		}
		w.items = append(w.items, pending{
			n: &tocsin.Notification{IdempotencyKey: ev.IdempotencyKey, Channel: ch, Event: ev.Event, IncidentID: in.ID, Payload: payload},
			entry: &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyQueued,
				Actor: "tocsin", Message: fmt.Sprintf("%s queued for %s", ev.Event, to),
				Data: mustJSON(map[string]string{"channel": ch, "idempotency_key": ev.IdempotencyKey})},
		})
	}
	return nil
}

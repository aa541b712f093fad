package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// The action items of a postmortem: checks of what people give, when one
// is overdue, and the daily notice to its owner.

// Limits of an action item.
const (
	MaxActionTitle = 500
	MaxActionLink  = 2000
)

// DueLayout is how an action item's due date is written: a calendar date.
const DueLayout = "2006-01-02"

// ActionStatuses are the statuses of an action item.
var ActionStatuses = []string{store.ActionOpen, store.ActionDone, store.ActionWontDo}

// CheckActionTitle cleans an action item's title: 1 to MaxActionTitle
// characters, trimmed.
func CheckActionTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "", tocsin.Errorf(tocsin.EInvalid, "title: empty: say what is to be done")
	case n > MaxActionTitle:
		return "", tocsin.Errorf(tocsin.EInvalid, "title: %d characters, at most %d", n, MaxActionTitle)
	}
	return title, nil
}

// CheckDue cleans a due date: a calendar date, YYYY-MM-DD, or "" for none.
func CheckDue(due string) (string, error) {
	due = strings.TrimSpace(due)
	if due == "" {
		return "", nil
	}
	d, err := time.Parse(DueLayout, due)
	if err != nil || d.Year() < 2000 || d.Year() > 2999 {
		return "", tocsin.Errorf(tocsin.EInvalid, "due: %q is not a date (YYYY-MM-DD, e.g. 2026-06-30)", due)
	}
	return d.Format(DueLayout), nil
}

// CheckActionLink cleans an action item's link: an http(s) URL with a
// host, or "" for none.
func CheckActionLink(link string) (string, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", nil
	}
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(link) > MaxActionLink {
		return "", tocsin.Errorf(tocsin.EInvalid, "link: must be an http or https URL of at most %d characters, got %q", MaxActionLink, link)
	}
	return link, nil
}

// Overdue reports whether an open action item due on due (YYYY-MM-DD) is
// overdue at now for an owner living in zone: its due day has ended
// there. An item with no due date, or closed, never is.
func Overdue(a *store.ActionItem, zone *time.Location, now time.Time) bool {
	if a.Status != store.ActionOpen || a.Due == "" {
		return false
	}
	d, err := time.ParseInLocation(DueLayout, a.Due, zone)
	if err != nil {
		return false
	}
	return !now.Before(d.AddDate(0, 0, 1))
}

// Owner is the owner of action items as the overdue notices need them.
type Owner struct {
	Zone     *time.Location // where the owner lives; nil: UTC
	Channels []string       // the outbox channels of the owner's contacts; none: the owner cannot be told
}

// EventActionItem is an action item as a notification shows it.
type EventActionItem struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Owner string `json:"owner"`
	Team  string `json:"team,omitempty"`
	Due   string `json:"due"`
	Link  string `json:"link,omitempty"`
}

// latestZone is the zone whose day begins first: no due day has ended
// anywhere before it ends there.
var latestZone = time.FixedZone("UTC+14", 14*3600)

// NoticeOverdueActionItems queues, for each open action item whose due
// day has ended in its owner's zone, one notice to each of its owner's
// contacts, at most once per day of the owner's (the day goes in the
// idempotency keys, so a second run queues nothing twice), each with its
// timeline entry. owners are the config's users; an owner who is not one
// (removed from the config) or has no contact gets a timeline entry
// saying nobody was told. It returns how many notices were queued.
func NoticeOverdueActionItems(ctx context.Context, tx *store.Tx, env Env, owners map[string]Owner, now time.Time) (int, error) {
	items, err := tx.OpenActionItemsDueBefore(ctx, now.In(latestZone).Format(DueLayout))
	if err != nil {
		return 0, err
	}
	queued := 0
	for i := range items {
		a := &items[i]
		o := owners[a.Owner]
		zone := o.Zone
		if zone == nil {
			zone = time.UTC
		}
		if !Overdue(a, zone, now) {
			continue
		}
		today := now.In(zone).Format(DueLayout)
		if !a.LastOverdueNoticeAt.IsZero() && a.LastOverdueNoticeAt.In(zone).Format(DueLayout) == today {
			continue
		}
		in, err := tx.IncidentByID(ctx, a.Incident)
		if err != nil {
			return queued, err
		}
		n, err := noticeOverdue(ctx, tx, env, in, a, o.Channels, today, now)
		if err != nil {
			return queued, err
		}
		queued += n
		if err := tx.MarkOverdueNotice(ctx, a.ID, now); err != nil {
			return queued, err
		}
	}
	return queued, nil
}

// noticeOverdue queues the notice of a, overdue, to channels.
func noticeOverdue(ctx context.Context, tx *store.Tx, env Env, in *tocsin.Incident, a *store.ActionItem, channels []string,
	today string, now time.Time) (int, error) {
	item := fmt.Sprintf("Action item #%d (%s)", a.ID, a.Title)
	if len(channels) == 0 {
		return 0, tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyNoChannel,
			Actor: "tocsin", Message: fmt.Sprintf("NOBODY NOTIFIED: %s was due %s, but its owner %s cannot be told (not a user of the config, disabled, or without a contact)", item, a.Due, a.Owner),
			Data: mustJSON(map[string]any{"action_item": a.ID, "owner": a.Owner})})
	}
	ev := Event{Event: tocsin.EventActionItemOverdue, OccurredAt: now.UTC().Truncate(time.Millisecond),
		Reason: fmt.Sprintf("%s was due %s and is still open", item, a.Due),
		Incident: EventIncident{ID: in.ID, Title: in.Title, Status: in.Status, URL: IncidentURL(env.PublicURL, in.ID),
			OpenedAt: in.OpenedAt.UTC()},
		Service: in.Service, Recipient: a.Owner,
		ActionItem: &EventActionItem{ID: a.ID, Title: a.Title, Owner: a.Owner, Team: a.Team, Due: a.Due, Link: a.Link}}
	queued := 0
	for _, ch := range channels {
		ev.IdempotencyKey = "tocsin-action-item-" + strconv.FormatInt(a.ID, 10) + "-overdue-" + today + "-" + ch
		payload, err := json.Marshal(ev)
		if err != nil {
			return queued, fmt.Errorf("encode event: %w", err)
		}
		added, err := tx.Enqueue(ctx, &tocsin.Notification{IdempotencyKey: ev.IdempotencyKey, Channel: ch, Event: ev.Event,
			IncidentID: in.ID, Payload: payload})
		if err != nil {
			return queued, err
		}
		if !added {
			continue
		}
		queued++
		if err := tx.AppendTimeline(ctx, &tocsin.TimelineEntry{IncidentID: in.ID, At: now, Kind: tocsin.TimelineNotifyQueued,
			Actor: "tocsin", Message: fmt.Sprintf("%s was due %s: %s queued for %s (%s)", item, a.Due, ev.Event, a.Owner, ch),
			Data: mustJSON(map[string]any{"action_item": a.ID, "channel": ch, "idempotency_key": ev.IdempotencyKey})}); err != nil {
			return queued, err
		}
	}
	return queued, nil
}

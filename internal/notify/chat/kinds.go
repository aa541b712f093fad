package chat

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/tocsinhq/tocsin"
	chankind "github.com/tocsinhq/tocsin/internal/notify/kind"
)

// The chat channel types.
var (
	// SlackKind posts to a Slack incoming webhook.
	SlackKind chankind.Kind = tokenURLKind{name: "slack", service: "Slack", hint: "the https URL of a Slack incoming webhook",
		sender: func(d chankind.Deps) tocsin.Sender { return &Slack{Client: d.Client, UserAgent: d.UserAgent} }}
	// DiscordKind posts to a Discord webhook.
	DiscordKind chankind.Kind = tokenURLKind{name: "discord", service: "Discord", hint: "the https URL of a Discord webhook",
		sender: func(d chankind.Deps) tocsin.Sender { return &Discord{Client: d.Client, UserAgent: d.UserAgent} }}
	// TeamsKind posts to a Microsoft Teams webhook.
	TeamsKind chankind.Kind = tokenURLKind{name: "teams", service: "Microsoft Teams", hint: "the https URL of a Microsoft Teams webhook",
		sender: func(d chankind.Deps) tocsin.Sender { return &Teams{Client: d.Client, UserAgent: d.UserAgent} }}
	// NtfyKind publishes to an ntfy topic.
	NtfyKind chankind.Kind = ntfyKind{}
	// TelegramKind messages a Telegram chat through the telegram section's
	// bot.
	TelegramKind chankind.Kind = telegramKind{}
)

// tokenURLKind is a service whose webhook URL carries its token in the
// path: https only (http to this machine), never shown.
type tokenURLKind struct {
	name, service, hint string
	sender              func(chankind.Deps) tocsin.Sender
}

func (k tokenURLKind) Spec() chankind.Spec {
	return chankind.Spec{Name: k.name, URL: true, TokenInPath: true, ContactHint: k.hint}
}

func (k tokenURLKind) CheckChannel(ch chankind.Channel, r chankind.Reporter) {
	if ch.URL == "" {
		r.Errorf("url", "required: %s", k.hint)
	} else if err := chankind.CheckTokenURL(ch.URL, k.hint, k.service); err != nil {
		r.Errorf("url", "%s", err)
	}
}

func (k tokenURLKind) CheckContact(to string) error {
	// https only: the URL carries the token; plain http only to this
	// machine (a local relay, tests), as for channels.
	if u, err := url.Parse(to); err != nil || u.Hostname() == "" ||
		u.Scheme != "https" && !(u.Scheme == "http" && chankind.IsLocalHost(u.Hostname())) {
		return fmt.Errorf("must be %s, got %s", k.hint, chankind.Quote(chankind.ShownTokenURL(to)))
	}
	return nil
}

func (k tokenURLKind) New(d chankind.Deps) tocsin.Sender { return k.sender(d) }

// ntfyKind publishes to the topic at url, with an optional access token.
type ntfyKind struct{}

const ntfyHint = "the http(s) URL of an ntfy topic, like https://ntfy.sh/my-topic"

func (ntfyKind) Spec() chankind.Spec {
	return chankind.Spec{Name: "ntfy", URL: true, Secret: "access token", ContactHint: ntfyHint}
}

func (ntfyKind) CheckChannel(ch chankind.Channel, r chankind.Reporter) {
	if ch.URL == "" {
		r.Errorf("url", "required: %s", ntfyHint)
	} else if err := chankind.CheckHTTPURL(ch.URL); err != nil {
		r.Errorf("url", "%s", err)
	}
	// The access token goes in the Authorization header.
	if !chankind.ValidHeaderValue(ch.Secret) {
		r.Errorf("secret", "must not contain control characters or line breaks (it is sent as a header)")
	}
}

func (ntfyKind) CheckContact(to string) error {
	u, err := url.Parse(to)
	if err != nil || chankind.CheckHTTPURL(to) != nil || strings.Trim(u.Path, "/") == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must be %s, got %s", ntfyHint, chankind.Quote(chankind.ShownTokenURL(to)))
	}
	return nil
}

func (ntfyKind) New(d chankind.Deps) tocsin.Sender {
	return &Ntfy{Client: d.Client, UserAgent: d.UserAgent}
}

// telegramKind messages the chat in to through the bot of the telegram
// section.
type telegramKind struct{}

var (
	// telegramToRE matches the to of a telegram channel: a chat id, or @
	// and the username of a public channel.
	telegramToRE = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32})$`)
	// telegramChatRE matches the to of a telegram contact: a chat id.
	telegramChatRE = regexp.MustCompile(`^-?[0-9]{1,20}$`)
)

func (telegramKind) Spec() chankind.Spec {
	return chankind.Spec{Name: "telegram", To: true, ContactHint: "a Telegram chat id, like 123456789 (or -1001234567890 for a group)", ShowTo: true}
}

func (telegramKind) CheckChannel(ch chankind.Channel, r chankind.Reporter) {
	if ch.URL != "" {
		r.Errorf("url", "not used by telegram channels: they send to the chat in to, through the bot of the telegram section")
	}
	switch {
	case ch.To == "":
		r.Errorf("to", "required: the chat id, like -1001234567890, or @ and the username of a public channel")
	case !telegramToRE.MatchString(ch.To):
		r.Errorf("to", "must be a Telegram chat id (digits, with a leading - for a group) or @ and a channel username of 5 to 32 letters, digits or _, got %s", chankind.Quote(ch.To))
	}
}

func (telegramKind) CheckContact(to string) error {
	if !telegramChatRE.MatchString(to) {
		return fmt.Errorf("must be a Telegram chat id: digits, with a leading - for a group, got %s", chankind.Quote(to))
	}
	return nil
}

// New builds the Telegram sender, which reads the bot at each send; nil
// without one.
func (telegramKind) New(d chankind.Deps) tocsin.Sender {
	if d.Telegram == nil {
		return nil
	}
	return &Telegram{Client: d.Client, UserAgent: d.UserAgent, Bot: func() TelegramBot {
		t := d.Telegram()
		return TelegramBot{APIBase: t.APIBase, Token: t.Token}
	}}
}

package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/tocsinhq/tocsin"
)

// DefaultTelegramAPI is the Bot API used when Telegram.APIBase is empty.
const DefaultTelegramAPI = "https://api.telegram.org"

// telegramTextMax is the most a message may hold, in UTF-16 code units
// after entity parsing; counting our tags and entities too keeps well in.
const telegramTextMax = 4096

// Telegram sends notifications through a Telegram bot (sendMessage) to the
// chat whose id is the channel URL ("-1001234567890" or "@channelname"):
// HTML text with the title in bold, and an inline keyboard with
// Acknowledge, Resolve and View incident buttons.
//
// Payload text is HTML-escaped; the only tags are our <b> and <a href>.
// The bot token is part of every request URL, so no error of Send ever
// quotes a URL, and any text that could hold the token is redacted.
type Telegram struct {
	Client    *http.Client
	UserAgent string // "Tocsin/<version>"
	APIBase   string // DefaultTelegramAPI when empty
	Token     string // the bot token, from @BotFather; never logged

	// Bot, when set, is read at each send instead of APIBase and Token,
	// so a reloaded config applies to the next send.
	Bot func() TelegramBot
}

// TelegramBot is the bot a Telegram sender speaks as.
type TelegramBot struct {
	APIBase string // DefaultTelegramAPI when empty
	Token   string
}

// Send sends n to the channel's chat. Telegram answers {"ok":true,...};
// {"ok":false,"error_code":429,"parameters":{"retry_after":N}} asks to
// wait; 400, 401, 403 and 404 (bad request, bad token, bot blocked or
// removed) are not retried. If Telegram refuses a button's URL, the
// message goes again without buttons, its links in the text.
func (s *Telegram) Send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification) (bool, error) {
	bot := TelegramBot{APIBase: s.APIBase, Token: s.Token}
	if s.Bot != nil {
		bot = s.Bot()
	}
	token := bot.Token
	if !validToken(token) {
		return false, errors.New("telegram: the bot token is missing or malformed")
	}
	chatID := strings.TrimSpace(ch.URL)
	if chatID == "" {
		return false, errors.New("telegram: the channel has no chat id")
	}
	base := strings.TrimRight(bot.APIBase, "/")
	if base == "" {
		base = DefaultTelegramAPI
	}
	redact := func(t string) string { return strings.ReplaceAll(t, token, "<bot-token>") }
	m := Render(n.Payload)
	url := base + "/bot" + token + "/sendMessage"
	retry, refused, err := s.send(ctx, ch, n, url, telegramMessage(&m, chatID, true), token, redact)
	if refused {
		retry, _, err = s.send(ctx, ch, n, url, telegramMessage(&m, chatID, false), token, redact)
	}
	return retry, err
}

// send makes one sendMessage call; refused reports that Telegram refused
// the inline keyboard (and nothing was sent).
func (s *Telegram) send(ctx context.Context, ch tocsin.Channel, n *tocsin.Notification, url string, msg telegramPayload,
	token string, redact func(string) string) (retry, refused bool, err error) {
	body, err := encodeJSON(msg)
	if err != nil {
		return false, false, fmt.Errorf("telegram: encode message: %w", err)
	}
	resp, err := post(ctx, ch, n, request{client: s.Client, userAgent: s.UserAgent, url: url,
		contentType: "application/json", body: body})
	if errors.Is(err, errBadURL) {
		return false, false, errors.New("telegram: the API base is not a valid URL")
	}
	if err != nil {
		return true, false, transportError("telegram", err, url, token)
	}
	if resp.redirect != nil {
		return false, false, resp.redirect
	}
	var r struct {
		OK          *bool  `json:"ok"`
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter      float64 `json:"retry_after"`
			MigrateToChatID int64   `json:"migrate_to_chat_id"`
		} `json:"parameters"`
	}
	if json.Unmarshal(resp.body, &r) != nil {
		retry, err := classify("telegram", resp, redact(excerpt(resp.body)), 0)
		return retry, false, err
	}
	if resp.status >= 200 && resp.status < 300 && (r.OK == nil || *r.OK) {
		return false, false, nil
	}
	detail := redact(excerpt([]byte(r.Description)))
	if r.Parameters.MigrateToChatID != 0 {
		detail += " (the group is now chat " + strconv.FormatInt(r.Parameters.MigrateToChatID, 10) +
			": update the channel's chat id)"
	}
	code := resp.status
	if r.ErrorCode >= 400 && r.ErrorCode < 600 {
		code = r.ErrorCode
	} else if code < 300 {
		return false, false, errors.New("telegram answered ok=false: " + detail)
	}
	if code == http.StatusBadRequest && msg.ReplyMarkup != nil &&
		(strings.Contains(r.Description, "BUTTON_URL_INVALID") || strings.Contains(r.Description, "wrong HTTP URL")) {
		return false, true, nil
	}
	retry, err = classify("telegram", &response{status: code, header: resp.header}, detail, seconds(r.Parameters.RetryAfter))
	return retry, false, err
}

// validToken reports whether t looks like a bot token ("123456:ABC-def_"):
// anything else could change the request URL's meaning.
func validToken(t string) bool {
	if t == "" || len(t) > 256 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ':' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

type telegramButton struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

type telegramMarkup struct {
	InlineKeyboard [][]telegramButton `json:"inline_keyboard"`
}

type telegramPayload struct {
	ChatID                string          `json:"chat_id"`
	Text                  string          `json:"text"`
	ParseMode             string          `json:"parse_mode"`
	DisableWebPagePreview bool            `json:"disable_web_page_preview"`
	ReplyMarkup           *telegramMarkup `json:"reply_markup,omitempty"`
}

// telegramMessage lays m out as HTML, with Acknowledge, Resolve and View
// incident as inline buttons and the runbook link in the text, or, without
// buttons, every link in the text.
func telegramMessage(m *Message, chatID string, buttons bool) telegramPayload {
	ps := []piece{{pre: "<b>", text: m.Title, post: "</b>\n"}}
	ps = append(ps, lines(m, "<b>", "</b>", true)...)
	var links []string
	for _, l := range m.Links() {
		if buttons && l.Label != "Runbook" {
			continue // on the buttons
		}
		links = append(links, `<a href="`+html.EscapeString(l.URL)+`">`+l.Label+`</a>`)
	}
	if len(links) > 0 {
		ps = append(ps, piece{pre: "\n" + strings.Join(links, " · ")})
	}
	p := telegramPayload{ChatID: chatID, ParseMode: "HTML", DisableWebPagePreview: true,
		Text: fit(ps, "\n", telegramTextMax, html.EscapeString, utf16Len)}
	if !buttons {
		return p
	}
	var row []telegramButton
	for _, l := range []Link{{"Acknowledge", m.AcknowledgeURL}, {"Resolve", m.ResolveURL}} {
		if l.URL != "" {
			row = append(row, telegramButton{Text: l.Label, URL: l.URL})
		}
	}
	var kb [][]telegramButton
	if len(row) > 0 {
		kb = append(kb, row)
	}
	if m.IncidentURL != "" {
		kb = append(kb, []telegramButton{{Text: "View incident", URL: m.IncidentURL}})
	}
	if len(kb) > 0 {
		p.ReplyMarkup = &telegramMarkup{InlineKeyboard: kb}
	}
	return p
}

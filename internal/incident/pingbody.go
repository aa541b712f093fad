package incident

import (
	"strings"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// MaxPingBodyInEvent bounds the last ping's body a notification carries:
// as much as Healthchecks keeps of a ping, enough for the end of most job
// logs, small enough for every channel.
const MaxPingBodyInEvent = 10_000

// KeyLastPingBody is the key of a ping's data (see CheckDown) that holds
// the body of the failing ping, a *PingBody. The notification carries it
// as check.last_ping_body rather than in its evidence.
const KeyLastPingBody = "last_ping_body"

// PingBody is the body of the ping that failed a check, as a notification
// shows it: valid UTF-8 without NUL, at most MaxPingBodyInEvent bytes.
type PingBody struct {
	Text string `json:"text"`
	// Truncated says the text is the start of a longer body (cut here or
	// when the ping was stored).
	Truncated bool `json:"truncated,omitempty"`
}

// FailedPingBody returns the body of p for a notification if p failed its
// check (a /fail ping or a non-zero exit status) and has one, else nil.
func FailedPingBody(p *tocsin.Ping) *PingBody {
	failed := p.Kind == tocsin.PingFail || p.ExitStatus != nil && *p.ExitStatus != 0
	if !failed || len(p.Body) == 0 {
		return nil
	}
	b, truncated := p.Body, p.Truncated
	if len(b) > MaxPingBodyInEvent {
		n := MaxPingBodyInEvent
		for n > MaxPingBodyInEvent-utf8.UTFMax && !utf8.RuneStart(b[n]) {
			n-- // do not split a character
		}
		b, truncated = b[:n], true
	}
	// A body is whatever a job printed: keep it readable text that every
	// store and channel accepts.
	text := strings.ToValidUTF8(string(b), "\uFFFD")
	text = strings.ReplaceAll(text, "\x00", "\uFFFD")
	return &PingBody{Text: text, Truncated: truncated}
}

// splitPingBody returns the data of a check change without its ping body,
// and that body; data is not changed.
func splitPingBody(data any) (any, *PingBody) {
	m, ok := data.(map[string]any)
	if !ok {
		return data, nil
	}
	body, ok := m[KeyLastPingBody].(*PingBody)
	if !ok {
		return data, nil
	}
	rest := make(map[string]any, len(m)-1)
	for k, v := range m {
		if k != KeyLastPingBody {
			rest[k] = v
		}
	}
	return rest, body
}

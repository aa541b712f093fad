// Package chat delivers notifications to chat and push services: Slack and
// Discord incoming webhooks, Microsoft Teams workflow webhooks, ntfy topics
// and Telegram bots.
//
// Every sender renders the queued event document (incident.Event, as JSON)
// with Render, then formats the result for its service. Text from the
// payload is never trusted as markup: each format escapes it as its service
// requires (Slack mrkdwn, Discord Markdown, Telegram HTML), or carries it
// where the service parses no markup at all (Teams TextRun, ntfy plain
// text). Links are kept only when they are absolute http(s) URLs, and every
// text is cut to the service's limits without breaking UTF-8.
//
// Failures follow the webhook channel: 2xx is success; 408, 429, 5xx and
// transport errors are worth retrying (with a *tocsin.RetryAfterError when
// the service says how long to wait); other statuses are not.
package chat

import (
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// MaxAlerts is how many alerts of the evidence a message lists; the rest
// are counted.
const MaxAlerts = 5

// Limits of the rendered message, in UTF-16 code units (the unit chat
// services count in; never fewer than runes).
const (
	maxTitleText  = 300  // the incident title within the one-line title
	maxShortText  = 100  // service, actor, recipient, policy, check name
	maxReasonText = 1000 // the reason
	maxLineText   = 500  // one alert, the paging line
	maxOutputText = 500  // the start of the failed ping's body, on one line
	maxURL        = 2048 // longer links are dropped
)

// State is where the incident of a message stands.
type State string

// States of a message; StateUnknown when the payload says nothing usable.
const (
	StateTriggered    State = "triggered"
	StateAcknowledged State = "acknowledged"
	StateResolved     State = "resolved"
	StateUnknown      State = ""
)

// Message is a notification event rendered for people. Every text is plain,
// one line, valid UTF-8 and bounded; none of it is markup. Every URL is an
// absolute http(s) URL or empty.
type Message struct {
	Event      string // the event as the payload named it (incident.triggered, ...)
	State      State
	Title      string // "[P1] TRIGGERED: [payments] checkout down"
	Reason     string
	Actor      string
	Recipient  string // escalation pages: the person paged
	Paging     string // escalation pages: "ana: on call in schedule primary (policy default, level 1, round 1)"
	Check      string // check incidents: "db-backup (down)"
	Output     string // check incidents: the start of the failed ping's body, on one line, "…" marking a cut
	Service    string
	Priority   string
	Alerts     []string // up to MaxAlerts alerts of the evidence, one line each
	AlertCount int      // alerts the evidence counts (at least len(Alerts))
	OccurredAt time.Time

	IncidentURL    string
	AcknowledgeURL string
	ResolveURL     string
	RunbookURL     string
	Images         []Link // up to MaxImages images of the evidence's alerts (PagerDuty's images[]), as links
}

// MaxImages is how many images of the alerts a message links to.
const MaxImages = 3

// Line is one line of a message body: a label of ours ("Reason") and text
// from the payload. Item lines are list entries without a label.
type Line struct {
	Label string
	Text  string
	Item  bool
}

// Link is a labelled link of a message.
type Link struct {
	Label string
	URL   string
}

// Body is the message's body: reason, who is paged and why, the check and
// the alerts, in that order. Service and priority are in Facts.
func (m *Message) Body() []Line {
	var ls []Line
	if m.Reason != "" {
		ls = append(ls, Line{Label: "Reason", Text: m.Reason})
	}
	if m.Paging != "" {
		ls = append(ls, Line{Label: "Paging", Text: m.Paging})
	}
	if m.Check != "" {
		ls = append(ls, Line{Label: "Check", Text: m.Check})
	}
	if m.Output != "" {
		ls = append(ls, Line{Label: "Output", Text: m.Output})
	}
	if m.AlertCount > 0 {
		n := strconv.Itoa(m.AlertCount)
		if len(m.Alerts) < m.AlertCount {
			n += " (" + strconv.Itoa(len(m.Alerts)) + " shown)"
		}
		ls = append(ls, Line{Label: "Alerts", Text: n})
		for _, a := range m.Alerts {
			ls = append(ls, Line{Text: a, Item: true})
		}
	}
	return ls
}

// Facts are the short facts of a message: service and priority.
func (m *Message) Facts() []Line {
	var ls []Line
	if m.Service != "" {
		ls = append(ls, Line{Label: "Service", Text: m.Service})
	}
	if m.Priority != "" {
		ls = append(ls, Line{Label: "Priority", Text: m.Priority})
	}
	return ls
}

// Links are the message's links, the actions first: Acknowledge, Resolve,
// View incident, Runbook, then the alerts' images; only those present.
func (m *Message) Links() []Link {
	var ls []Link
	for _, l := range []Link{{"Acknowledge", m.AcknowledgeURL}, {"Resolve", m.ResolveURL},
		{"View incident", m.IncidentURL}, {"Runbook", m.RunbookURL}} {
		if l.URL != "" {
			ls = append(ls, l)
		}
	}
	return append(ls, m.Images...)
}

// Render turns a notification payload (the JSON of incident.Event) into a
// Message. It never fails: a field of an unexpected type is ignored, and
// any bytes at all give a message with at least a title.
func Render(payload []byte) Message {
	var top map[string]json.RawMessage
	_ = json.Unmarshal(payload, &top) // not an object: every field is missing
	inc := object(top["incident"])

	m := Message{
		Event:     clean(str(top["event"]), maxShortText),
		Reason:    clean(str(top["reason"]), maxReasonText),
		Actor:     clean(str(top["actor"]), maxShortText),
		Recipient: clean(str(top["recipient"]), maxShortText),
		Service:   clean(str(top["service"]), maxShortText),
		Priority:  clean(str(top["priority"]), 16),

		IncidentURL: safeURL(str(inc["url"])),
	}
	if t, err := time.Parse(time.RFC3339Nano, str(top["occurred_at"])); err == nil {
		m.OccurredAt = t
	}
	switch m.Event {
	case tocsin.EventTriggered:
		m.State = StateTriggered
	case tocsin.EventAcknowledged:
		m.State = StateAcknowledged
	case tocsin.EventResolved:
		m.State = StateResolved
	default:
		switch s := State(str(inc["status"])); s {
		case StateTriggered, StateAcknowledged, StateResolved:
			m.State = s
		}
	}

	if links := object(top["links"]); links != nil {
		m.AcknowledgeURL = safeURL(str(links["acknowledge"]))
		m.ResolveURL = safeURL(str(links["resolve"]))
	}
	if c := object(top["check"]); c != nil {
		m.Check = clean(str(c["name"]), maxShortText)
		if st := clean(str(c["state"]), 16); m.Check != "" && st != "" {
			m.Check += " (" + st + ")"
		}
		m.RunbookURL = safeURL(str(c["runbook_url"]))
		m.Output = output(str(c["last_ping_body"]), string(c["last_ping_body_truncated"]) == "true")
	}
	if esc := object(top["escalation"]); esc != nil || m.Recipient != "" {
		m.Paging = paging(m.Recipient, esc)
	}
	m.Alerts, m.AlertCount = alerts(top["evidence"])
	m.Images = images(top["evidence"])
	m.Title = title(&m, clean(str(inc["title"]), maxTitleText), inc["id"])
	if msg := clean(str(top["message"]), maxTitleText); inc == nil && msg != "" {
		m.Title = msg // Tocsin's reports about itself (watchdog, config) name no incident
	}
	return m
}

// title is the one-line title: "[P1] TRIGGERED: [payments] checkout down".
func title(m *Message, incident string, id json.RawMessage) string {
	var b strings.Builder
	if m.Priority != "" {
		b.WriteString("[" + m.Priority + "] ")
	}
	switch {
	case m.Event == tocsin.EventPriorityRaised:
		b.WriteString("PRIORITY RAISED")
	case m.Event == tocsin.EventAlertJoined:
		b.WriteString("ALERT JOINED")
	case m.Event == tocsin.EventActionItemOverdue:
		b.WriteString("ACTION ITEM OVERDUE") // whatever the incident's state: the item is what is late
	case m.State == StateTriggered:
		b.WriteString("TRIGGERED")
	case m.State == StateAcknowledged:
		b.WriteString("ACKNOWLEDGED")
	case m.State == StateResolved:
		b.WriteString("RESOLVED")
	default:
		b.WriteString("UPDATE")
	}
	// Who acknowledged or resolved; Tocsin resolving on its own says why
	// in the reason instead.
	if m.Actor != "" && m.Event != tocsin.EventAlertJoined && m.Event != tocsin.EventPriorityRaised &&
		(m.State == StateAcknowledged || m.State == StateResolved && m.Actor != "tocsin") {
		b.WriteString(" by " + m.Actor)
	}
	b.WriteString(": ")
	if m.Service != "" {
		b.WriteString("[" + m.Service + "] ")
	}
	switch n, ok := integer(id); {
	case incident != "":
		b.WriteString(incident)
	case ok:
		b.WriteString("incident #" + strconv.FormatInt(n, 10))
	default:
		b.WriteString("incident")
	}
	return b.String()
}

// paging says who an escalation page is for and why.
func paging(recipient string, esc map[string]json.RawMessage) string {
	who := recipient
	if who == "" {
		who = "on call"
	}
	why := clean(str(esc["why"]), maxShortText)
	var step []string
	if p := clean(str(esc["policy"]), maxShortText); p != "" {
		step = append(step, "policy "+p)
	}
	if l, ok := integer(esc["level"]); ok {
		step = append(step, "level "+strconv.FormatInt(l, 10))
	}
	if r, ok := integer(esc["round"]); ok {
		step = append(step, "round "+strconv.FormatInt(r, 10))
	}
	s := who
	if why != "" {
		s += ": " + why
	}
	if len(step) > 0 {
		s += " (" + strings.Join(step, ", ") + ")"
	}
	return clean(s, maxLineText)
}

// alerts reads the alerts of alert-incident evidence
// ({"alerts":[{"summary","severity","labels"}],"alerts_total"}); any other
// evidence has none.
func alerts(raw json.RawMessage) ([]string, int) {
	ev := object(raw)
	if ev == nil {
		return nil, 0
	}
	var list []json.RawMessage
	if json.Unmarshal(ev["alerts"], &list) != nil {
		list = nil
	}
	var out []string
	for _, r := range list {
		if len(out) == MaxAlerts {
			break
		}
		if a := alertLine(object(r)); a != "" {
			out = append(out, a)
		}
	}
	total := len(list)
	if t, ok := integer(ev["alerts_total"]); ok && t > int64(total) {
		total = int(min(t, 1<<30))
	}
	return out, max(total, len(out))
}

// images reads the images of the evidence's alerts
// ({"alerts":[{"images":[{"src","href","alt"}]}]}): a link to where each
// points (its href, else the image itself), labelled by its alt text.
func images(raw json.RawMessage) []Link {
	var ev struct {
		Alerts []struct {
			Images []struct{ Src, Href, Alt json.RawMessage }
		}
	}
	if json.Unmarshal(raw, &ev) != nil {
		return nil
	}
	var out []Link
	for _, a := range ev.Alerts {
		for _, im := range a.Images {
			u := safeURL(str(im.Href))
			if u == "" {
				u = safeURL(str(im.Src))
			}
			if u == "" {
				continue
			}
			label := clean(str(im.Alt), maxShortText)
			if label == "" {
				label = "Image"
			}
			if out = append(out, Link{label, u}); len(out) == MaxImages {
				return out
			}
		}
	}
	return out
}

// alertLine is one alert: "[critical] summary", the alert name or a few
// labels standing in for a missing summary.
func alertLine(a map[string]json.RawMessage) string {
	if a == nil {
		return ""
	}
	text := clean(str(a["summary"]), maxLineText)
	if text == "" {
		labels := object(a["labels"])
		if name := str(labels["alertname"]); name != "" {
			text = name
		} else {
			keys := make([]string, 0, len(labels))
			for k := range labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var kv []string
			for _, k := range keys[:min(4, len(keys))] {
				kv = append(kv, clean(k, 50)+"="+clean(str(labels[k]), 100))
			}
			text = strings.Join(kv, ", ")
		}
		text = clean(text, maxLineText)
	}
	if text == "" {
		return ""
	}
	if sev := clean(str(a["severity"]), 16); sev != "" {
		text = "[" + sev + "] " + text
	}
	return text
}

func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// str is a JSON string, or the literal of a number or boolean; "" for
// anything else.
func str(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64, bool:
		return strings.TrimSpace(string(raw))
	}
	return ""
}

// integer is a JSON number (or numeric string) that is a whole number of
// sensible size.
func integer(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < -1e12 || n > 1e12 {
		return 0, false
	}
	return n, true
}

// clean makes payload text safe to lay out: valid UTF-8, one line, no
// control or bidirectional-override characters, runs of space collapsed,
// and at most max UTF-16 code units (cut with an ellipsis).
func clean(s string, max int) string {
	if cut := 8*max + 64; len(s) > cut { // bound the work; truncate below finishes the cut
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isFormatting(r) {
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return truncate(b.String(), max, utf16Len)
}

// isFormatting reports the invisible characters that reorder or hide text:
// bidirectional embeddings, overrides and isolates, and line and paragraph
// separators.
func isFormatting(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F ||
		r == 0x061C || r == 0x2028 || r == 0x2029 || r == 0xFEFF
}

// safeURL returns s if it is an absolute http(s) URL with a plain host and
// no user info, with the characters that could end it inside markup ( ()<>"'`|\{}^ and
// spaces, controls and non-ASCII) percent-encoded; otherwise "".
func safeURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxURL {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	for i := 0; i < len(u.Host); i++ { // a host name (ASCII; IDNs as punycode), IPv4, [IPv6], port
		c := u.Host[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-_:[]", c) >= 0) {
			return ""
		}
	}
	out := u.String()
	var b strings.Builder
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>\"'`|\\{}^", c) >= 0 {
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > maxURL {
		return ""
	}
	return b.String()
}

// utf16Len is the length of s in UTF-16 code units, the unit Telegram,
// Discord and Slack count in.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func byteLen(s string) int { return len(s) }

const ellipsis = "…"

// truncate cuts s to at most max by measure, ending a cut text with an
// ellipsis, never inside a UTF-8 sequence.
func truncate(s string, max int, measure func(string) int) string {
	if measure(s) <= max {
		return s
	}
	room := max - measure(ellipsis)
	if room < 0 {
		return ""
	}
	used, end := 0, 0
	for end < len(s) {
		r, w := utf8.DecodeRuneInString(s[end:])
		n := measure(string(r))
		if used+n > room {
			break
		}
		used += n
		end += w
	}
	p := s[:end]
	return strings.TrimRightFunc(p, unicode.IsSpace) + ellipsis
}

// piece is one line of formatted text: markup of ours around payload text
// that esc escapes.
type piece struct {
	pre, text, post string
}

// fit joins pieces with sep, escaping each text with esc, into at most
// limit by measure. The piece that does not fit is cut (escaped text never
// split inside an escape) and the rest are dropped, so our markup stays
// whole.
func fit(ps []piece, sep string, limit int, esc func(string) string, measure func(string) int) string {
	var b strings.Builder
	used := 0
	for _, p := range ps {
		if p.pre == "" && p.text == "" && p.post == "" {
			continue
		}
		s := ""
		if b.Len() > 0 {
			s = sep
		}
		full := s + p.pre + esc(p.text) + p.post
		if n := measure(full); used+n <= limit {
			b.WriteString(full)
			used += n
			continue
		}
		room := limit - used - measure(s+p.pre+p.post)
		if room >= 16 && p.text != "" {
			b.WriteString(s + p.pre + fitEscaped(p.text, room, esc, measure) + p.post)
		}
		break
	}
	return b.String()
}

// fitEscaped is the escaped longest prefix of text, with an ellipsis if
// cut, that measures at most room.
func fitEscaped(text string, room int, esc func(string) string, measure func(string) int) string {
	if e := esc(text); measure(e) <= room {
		return e
	}
	runes := []rune(text)
	lo, hi := 0, len(runes) // the longest fitting prefix has lo runes
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(esc(string(runes[:mid]))+ellipsis) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return ""
	}
	return esc(strings.TrimRightFunc(string(runes[:lo]), unicode.IsSpace)) + ellipsis
}

// lines are the body and facts of m as pieces: "<pre>Label:<post> text"
// for labelled lines and "• text" for items; bold wraps labels.
func lines(m *Message, boldOpen, boldClose string, facts bool) []piece {
	ls := m.Body()
	if facts {
		ls = append(ls, m.Facts()...)
	}
	ps := make([]piece, 0, len(ls))
	for _, l := range ls {
		if l.Item {
			ps = append(ps, piece{pre: "• ", text: l.Text})
			continue
		}
		ps = append(ps, piece{pre: boldOpen + l.Label + ":" + boldClose + " ", text: l.Text})
	}
	return ps
}

// output is the start of a failed ping's body on one line, at most
// maxOutputText, with "…" at the end when it is not the whole body.
func output(body string, truncated bool) string {
	out := clean(body, maxOutputText)
	if truncated && out != "" && !strings.HasSuffix(out, ellipsis) {
		out = truncate(out, maxOutputText-utf16Len(ellipsis), utf16Len) + ellipsis
	}
	return out
}

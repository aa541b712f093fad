package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tocsinhq/tocsin"
)

// Limits on what a message shows; the incident page has everything.
const (
	maxAlerts      = 10   // alerts listed from the evidence
	maxLabels      = 15   // labels per alert
	maxAlertLinks  = 5    // links per alert
	maxSubject     = 200  // runes of the subject
	maxLine        = 500  // runes of a one-line field (title, summary, label)
	maxText        = 4000 // runes of a multi-line field (reason)
	maxEvidence    = 4000 // bytes of evidence shown as JSON
	maxMessageID   = 200  // bytes of the left part of Message-ID
	headerLineSoft = 78   // fold header lines longer than this
)

// Message is an email ready for SMTP: its envelope and its content.
type Message struct {
	From string // envelope sender, a bare address
	To   string // envelope recipient, a bare address
	// Data is the RFC 5322 message with CRLF line endings, not yet
	// dot-stuffed. It depends only on the inputs of Build, so every retry
	// of a notification sends the same bytes.
	Data []byte
}

// Build renders notification n as an email from from (an address as in
// "Tocsin <tocsin@example.com>") to the recipient address to. An error
// means the inputs can never make a message (a bad address, a payload that
// is not an event), so retrying is pointless.
func Build(from, to string, n *tocsin.Notification) (*Message, error) {
	if n == nil {
		return nil, errors.New("email: no notification")
	}
	fromAddr, err := parseAddress("sender", from)
	if err != nil {
		return nil, err
	}
	toAddr, err := parseAddress("recipient", to)
	if err != nil {
		return nil, err
	}
	if l, ok := letterOf(n.Payload); ok {
		return buildLetter(fromAddr, toAddr, n, l)
	}
	var ev event
	if err := json.Unmarshal(n.Payload, &ev); err != nil {
		return nil, fmt.Errorf("email: the notification payload is not an event: %w", err)
	}
	if ev.Event == "" {
		ev.Event = n.Event
	}
	v := makeView(&ev, n)

	key := n.IdempotencyKey
	if key == "" {
		key = ev.IdempotencyKey
	}
	if key == "" {
		sum := sha256.Sum256(n.Payload)
		key = "sha256-" + hex.EncodeToString(sum[:16])
	}
	date := parseTime(ev.OccurredAt)
	if date.IsZero() {
		date = n.CreatedAt
	}
	if date.IsZero() {
		date = time.Now()
	}
	sum := sha256.Sum256(append([]byte(key+"\x00"), n.Payload...))
	// "=_" never occurs in quoted-printable text, so the boundary cannot
	// appear in a part.
	boundary := "=_tocsin_" + hex.EncodeToString(sum[:12])

	var b bytes.Buffer
	h := headerWriter{b: &b}
	h.add("From", fromAddr.String())
	h.add("To", toAddr.String())
	h.add("Subject", encodeHeaderText(v.Subject))
	h.add("Date", date.Format(time.RFC1123Z))
	h.add("Message-ID", "<"+messageIDLeft(key)+"@tocsin>")
	if ev.Incident.ID > 0 {
		// Every message about an incident refers to the incident, so mail
		// clients that thread by reference keep them together.
		h.add("References", "<tocsin-incident-"+strconv.FormatInt(ev.Incident.ID, 10)+"@tocsin>")
		h.add("X-Tocsin-Incident", strconv.FormatInt(ev.Incident.ID, 10))
	}
	if e := oneLine(ev.Event, 100); e != "" && isPrintableASCII(e) {
		h.add("X-Tocsin-Event", e)
	}
	h.add("MIME-Version", "1.0")
	h.add("Auto-Submitted", "auto-generated")
	h.add("X-Auto-Response-Suppress", "All")
	h.add("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary}))
	if h.err != nil {
		return nil, h.err
	}
	b.WriteString("\r\n")

	html, err := renderHTML(v)
	if err != nil {
		return nil, err
	}
	if err := writeParts(&b, boundary, renderText(v), html); err != nil {
		return nil, err
	}
	return &Message{From: fromAddr.Address, To: toAddr.Address, Data: b.Bytes()}, nil
}

// writeParts writes the text and HTML parts of a multipart/alternative
// body, quoted-printable, and its end.
func writeParts(b *bytes.Buffer, boundary, text, html string) error {
	mw := multipart.NewWriter(b)
	if err := mw.SetBoundary(boundary); err != nil {
		return fmt.Errorf("email: boundary: %w", err)
	}
	for _, p := range []struct{ typ, body string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", html},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return fmt.Errorf("email: part: %w", err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(p.body)); err != nil {
			return fmt.Errorf("email: part: %w", err)
		}
		if err := qw.Close(); err != nil {
			return fmt.Errorf("email: part: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("email: close multipart: %w", err)
	}
	b.WriteString("\r\n")
	return nil
}

// parseAddress parses one address with net/mail, refusing anything that
// could smuggle a header or a command (CR, LF, other controls) and
// addresses that need SMTPUTF8, which the sender does not speak.
func parseAddress(role, s string) (*mail.Address, error) {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return nil, fmt.Errorf("email: the %s address contains control characters", role)
	}
	s = strings.TrimPrefix(strings.TrimSpace(s), "mailto:")
	if s == "" {
		return nil, fmt.Errorf("email: no %s address", role)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("email: bad %s address %q: %w", role, s, err)
	}
	if !isPrintableASCII(a.Address) {
		return nil, fmt.Errorf("email: the %s address %q is not ASCII; internationalised addresses are not supported", role, a.Address)
	}
	return a, nil
}

// headerWriter writes header fields, refusing CR and LF in values (header
// injection) and raw non-ASCII, and folding long lines at spaces.
type headerWriter struct {
	b   *bytes.Buffer
	err error
}

func (h *headerWriter) add(name, value string) {
	if h.err != nil {
		return
	}
	if strings.ContainsAny(value, "\r\n") {
		h.err = fmt.Errorf("email: header %s contains a line break", name)
		return
	}
	if !isPrintableASCII(strings.ReplaceAll(value, "\t", " ")) {
		h.err = fmt.Errorf("email: header %s is not printable ASCII", name)
		return
	}
	h.b.WriteString(fold(name+":", value))
	h.b.WriteString("\r\n")
}

// fold writes a header field, breaking the value at spaces so that lines
// stay short where they can (never right after the name); unfolding
// (removing each CRLF) gives the field back.
func fold(name, value string) string {
	line := name + " " + value
	if len(line) <= headerLineSoft {
		return line
	}
	var out strings.Builder
	out.WriteString(name)
	col := len(name)
	for i, w := range strings.Split(value, " ") {
		if i > 0 && col+1+len(w) > headerLineSoft && w != "" {
			out.WriteString("\r\n")
			col = 0
		}
		out.WriteByte(' ')
		out.WriteString(w)
		col += 1 + len(w)
	}
	return out.String()
}

// encodeHeaderText encodes s as RFC 2047 words when it is not plain ASCII,
// or when it looks like an encoded word itself (so that a title cannot
// pretend to be one).
func encodeHeaderText(s string) string {
	if isPrintableASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	if isPrintableASCII(s) {
		// mime's encoder leaves printable ASCII alone; B-encode by hand.
		var words []string
		for len(s) > 0 {
			n := min(len(s), 45)
			words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
			s = s[n:]
		}
		return strings.Join(words, " ")
	}
	return mime.QEncoding.Encode("utf-8", s)
}

// messageIDLeft turns an idempotency key into the left part of a
// Message-ID (a dot-atom): kept as it is when it is one, else with the
// offending bytes written =XX, which is reversible. Keys too long for a
// header line are hashed.
func messageIDLeft(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '.' && i > 0 && i < len(key)-1 && key[i-1] != '.':
			b.WriteByte(c)
		case c != '=' && isAtext(c):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	if b.Len() > maxMessageID {
		sum := sha256.Sum256([]byte(key))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	return b.String()
}

// isAtext reports whether c is an atext character of RFC 5322.
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// event is the notification document (incident.Event), read leniently:
// times are strings so that an odd one does not lose the whole page, and
// the evidence is kept raw.
type event struct {
	IdempotencyKey string `json:"idempotency_key"`
	Event          string `json:"event"`
	OccurredAt     string `json:"occurred_at"`
	Reason         string `json:"reason"`
	Actor          string `json:"actor"`
	Incident       struct {
		ID       int64  `json:"id"`
		Title    string `json:"title"`
		Status   string `json:"status"`
		URL      string `json:"url"`
		OpenedAt string `json:"opened_at"`
	} `json:"incident"`
	Service  string `json:"service"`
	Priority string `json:"priority"`
	Check    *struct {
		Name       string  `json:"name"`
		State      string  `json:"state"`
		LastPingAt *string `json:"last_ping_at"`
		RunbookURL string  `json:"runbook_url"`
		// The failed ping's body, and whether that is the start of a longer one.
		LastPingBody          string `json:"last_ping_body"`
		LastPingBodyTruncated bool   `json:"last_ping_body_truncated"`
	} `json:"check"`
	Evidence   json.RawMessage `json:"evidence"`
	Recipient  string          `json:"recipient"`
	Escalation *struct {
		Policy string `json:"policy"`
		Level  int    `json:"level"`
		Round  int    `json:"round"`
		Why    string `json:"why"`
	} `json:"escalation"`
	Links *struct {
		Acknowledge string `json:"acknowledge"`
		Resolve     string `json:"resolve"`
	} `json:"links"`
	Message string `json:"message"` // Tocsin's reports about itself (the watchdog)
}

// evidenceAlert is an alert of an alert incident's evidence.
type evidenceAlert struct {
	Integration string            `json:"integration"`
	Summary     string            `json:"summary"`
	Severity    string            `json:"severity"`
	Source      string            `json:"source"`
	Labels      map[string]string `json:"labels"`
	StartsAt    string            `json:"starts_at"`
	Links       []struct {
		Href string `json:"href"`
		Text string `json:"text"`
	} `json:"links"`
	Images []struct {
		Src  string `json:"src"`
		Href string `json:"href"`
		Alt  string `json:"alt"`
	} `json:"images"`
}

// view is what both parts show, already cleaned of control characters and
// cut to size. The HTML template escapes it.
type view struct {
	Subject   string
	EventWord string
	Accent    template.CSS // a constant, chosen by event
	Title     string
	Incident  int64
	Status    string
	Service   string
	Priority  string
	Reason    string
	Actor     string
	Message   string
	OpenedAt  string
	Page      *pageView
	Check     *checkView

	Alerts      []alertView
	AlertsTotal int
	Evidence    string // pretty JSON, when the evidence is not a list of alerts

	Ack, Resolve, IncidentURL string
}

type pageView struct {
	Recipient, Policy, Why string
	Level, Round           int
}

type checkView struct {
	Name, State, LastPing, Runbook string
	Output                         string // the start of the failed ping's body, "…" marking a cut
}

type alertView struct {
	Severity, Summary, Source, Integration, StartsAt string
	Labels                                           []labelView
	MoreLabels                                       int
	Links                                            []linkView
	Images                                           []imageView
}

type labelView struct{ Name, Value string }

type linkView struct{ Href, Text string }

// imageView is an image of an alert, shown as a link to it (Text, "image"
// when it came without alt text) and to where it leads (Href), if anywhere.
type imageView struct{ Src, Href, Text string }

func makeView(ev *event, n *tocsin.Notification) *view {
	v := &view{
		EventWord: eventWord(ev.Event),
		Title:     oneLine(ev.Incident.Title, maxLine),
		Incident:  ev.Incident.ID,
		Status:    oneLine(ev.Incident.Status, 50),
		Service:   oneLine(ev.Service, 100),
		Priority:  oneLine(ev.Priority, 20),
		Reason:    multiLine(ev.Reason, maxText),
		Actor:     oneLine(ev.Actor, 200),
		Message:   multiLine(ev.Message, maxText),
		OpenedAt:  formatTime(ev.Incident.OpenedAt),

		IncidentURL: oneLine(ev.Incident.URL, 2000),
	}
	v.Accent = accent(ev.Event)
	if v.Title == "" {
		switch {
		case v.Message != "":
			v.Title = oneLine(v.Message, maxLine)
		case v.Incident > 0:
			v.Title = "Incident #" + strconv.FormatInt(v.Incident, 10)
		default:
			v.Title = oneLine(n.Event, 100)
		}
	}
	if ev.Links != nil {
		v.Ack = oneLine(ev.Links.Acknowledge, 2000)
		v.Resolve = oneLine(ev.Links.Resolve, 2000)
	}
	if e := ev.Escalation; e != nil || ev.Recipient != "" {
		p := &pageView{Recipient: oneLine(ev.Recipient, 200)}
		if e != nil {
			p.Policy, p.Why, p.Level, p.Round = oneLine(e.Policy, 200), oneLine(e.Why, maxLine), e.Level, e.Round
		}
		v.Page = p
	}
	if c := ev.Check; c != nil {
		cv := &checkView{Name: oneLine(c.Name, 200), State: oneLine(c.State, 50), Runbook: oneLine(c.RunbookURL, 2000)}
		if c.LastPingAt != nil {
			cv.LastPing = formatTime(*c.LastPingAt)
		} else {
			cv.LastPing = "never"
		}
		if cv.Output = multiLine(c.LastPingBody, maxText); c.LastPingBodyTruncated && cv.Output != "" && !strings.HasSuffix(cv.Output, "…") {
			cv.Output += "\n…"
		}
		v.Check = cv
	}
	v.Alerts, v.AlertsTotal, v.Evidence = evidenceView(ev.Evidence)

	var s strings.Builder
	if v.Priority != "" {
		s.WriteString("[" + v.Priority + "] ")
	}
	s.WriteString(v.EventWord + ": ")
	if v.Service != "" {
		s.WriteString("[" + v.Service + "] ")
	}
	s.WriteString(v.Title)
	v.Subject = cut(s.String(), maxSubject)
	return v
}

// evidenceView reads the evidence: the alerts of an alert incident, or any
// other JSON shown as it is.
func evidenceView(raw json.RawMessage) (alerts []alertView, total int, other string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, 0, ""
	}
	var shape struct {
		Alerts      []json.RawMessage `json:"alerts"`
		AlertsTotal int               `json:"alerts_total"`
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) == nil && keys["alerts"] != nil && json.Unmarshal(raw, &shape) == nil && shape.Alerts != nil {
		for _, r := range shape.Alerts {
			if len(alerts) == maxAlerts {
				break
			}
			var a evidenceAlert
			if json.Unmarshal(r, &a) != nil {
				continue
			}
			alerts = append(alerts, alertOf(&a))
		}
		return alerts, max(shape.AlertsTotal, len(shape.Alerts)), ""
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		return nil, 0, ""
	}
	s := pretty.String()
	if len(s) > maxEvidence {
		s = strings.ToValidUTF8(s[:maxEvidence], "") + "\n… (cut; the incident page has it all)"
	}
	return nil, 0, multiLine(s, maxEvidence+100)
}

func alertOf(a *evidenceAlert) alertView {
	v := alertView{Severity: oneLine(a.Severity, 30), Summary: oneLine(a.Summary, maxLine), Source: oneLine(a.Source, 200),
		Integration: oneLine(a.Integration, 100), StartsAt: formatTime(a.StartsAt)}
	names := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(v.Labels) == maxLabels {
			v.MoreLabels = len(names) - maxLabels
			break
		}
		v.Labels = append(v.Labels, labelView{Name: oneLine(k, 100), Value: oneLine(a.Labels[k], 200)})
	}
	if v.Summary == "" {
		v.Summary = oneLine(a.Labels["alertname"], maxLine)
	}
	if v.Summary == "" {
		v.Summary = "(no summary)"
	}
	for _, l := range a.Links {
		if len(v.Links) == maxAlertLinks {
			break
		}
		href := oneLine(l.Href, 2000)
		if href == "" {
			continue
		}
		text := oneLine(l.Text, 200)
		if text == "" {
			text = href
		}
		v.Links = append(v.Links, linkView{Href: href, Text: text})
	}
	for _, im := range a.Images {
		if len(v.Images) == maxAlertLinks {
			break
		}
		src := oneLine(im.Src, 2000)
		if src == "" {
			continue
		}
		text := oneLine(im.Alt, 200)
		if text == "" {
			text = "image"
		}
		v.Images = append(v.Images, imageView{Src: src, Href: oneLine(im.Href, 2000), Text: text})
	}
	return v
}

// eventWord is the event as the subject shouts it.
func eventWord(e string) string {
	switch e {
	case tocsin.EventTriggered:
		return "TRIGGERED"
	case tocsin.EventAcknowledged:
		return "ACKNOWLEDGED"
	case tocsin.EventResolved:
		return "RESOLVED"
	case tocsin.EventActionItemOverdue:
		return "ACTION ITEM OVERDUE"
	}
	e = oneLine(e, 60)
	if i := strings.LastIndexByte(e, '.'); i >= 0 && i < len(e)-1 {
		e = e[i+1:]
	}
	if e == "" {
		return "NOTICE"
	}
	return strings.ToUpper(strings.ReplaceAll(e, "_", " "))
}

func accent(e string) template.CSS {
	switch e {
	case tocsin.EventTriggered:
		return "#b91c1c"
	case tocsin.EventAcknowledged:
		return "#b45309"
	case tocsin.EventResolved:
		return "#15803d"
	}
	return "#3f3f46"
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// formatTime shows an RFC 3339 time in UTC to the minute's second, or the
// text as it came if it is not one.
func formatTime(s string) string {
	if s == "" {
		return ""
	}
	t := parseTime(s)
	if t.IsZero() {
		return oneLine(s, 60)
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// oneLine makes s one line of at most n runes: valid UTF-8, control and
// line-breaking characters turned to spaces, runs of spaces collapsed.
func oneLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return cut(strings.Join(strings.Fields(s), " "), n)
}

// multiLine keeps line breaks (as \n) and tabs, drops other controls and
// cuts s to n runes.
func multiLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	return cut(strings.TrimSpace(s), n)
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

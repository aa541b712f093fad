package oncall

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is one shift as a calendar shows it.
type Event struct {
	Schedule string
	User     string
	Start    time.Time
	End      time.Time
}

// Events splits shifts into one event per person on call, for schedule.
// With user set, only that person's shifts are kept.
func Events(schedule string, shifts []Shift, user string) []Event {
	var out []Event
	for _, sh := range shifts {
		for _, u := range sh.Users {
			if user == "" || u == user {
				out = append(out, Event{Schedule: schedule, User: u, Start: sh.Start, End: sh.End})
			}
		}
	}
	return out
}

// WriteICal writes events as an iCalendar (RFC 5545) feed named name:
// times in UTC, lines ended by CRLF and folded at 75 octets, text escaped.
// stamp is the feed's DTSTAMP (when it was made).
func WriteICal(w io.Writer, name string, events []Event, stamp time.Time) error {
	var b strings.Builder
	line := func(s string) { b.WriteString(fold(s)) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//Tocsin//On-call schedules//EN")
	line("CALSCALE:GREGORIAN")
	line("METHOD:PUBLISH")
	line("X-WR-CALNAME:" + escape(name))
	for _, e := range events {
		line("BEGIN:VEVENT")
		// One shift of one person is one event, whatever else changes.
		line(fmt.Sprintf("UID:%s-%s-%d@tocsin", escapeUID(e.Schedule), escapeUID(e.User), e.Start.Unix()))
		line("DTSTAMP:" + icalTime(stamp))
		line("DTSTART:" + icalTime(e.Start))
		line("DTEND:" + icalTime(e.End))
		line("SUMMARY:" + escape(fmt.Sprintf("On call: %s (%s)", e.User, e.Schedule)))
		line("DESCRIPTION:" + escape(fmt.Sprintf("%s is on call in schedule %s from %s to %s.", e.User, e.Schedule,
			e.Start.UTC().Format(time.RFC3339), e.End.UTC().Format(time.RFC3339))))
		line("TRANSP:TRANSPARENT")
		line("END:VEVENT")
	}
	line("END:VCALENDAR")
	_, err := io.WriteString(w, b.String())
	return err
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escape escapes TEXT values (RFC 5545 3.3.11).
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

// escapeUID keeps UIDs to characters every client takes.
func escapeUID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// fold ends a content line with CRLF, folding it into lines of at most 75
// octets, never inside a UTF-8 sequence (RFC 5545 3.1).
func fold(s string) string {
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 { // a continuation byte: back up to the rune's start
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}

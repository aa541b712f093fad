package oncall

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// TestICalParsesWithARealParser writes a schedule's feed and reads it back
// with an independent iCalendar library.
func TestICalParsesWithARealParser(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := &Schedule{Name: "primary", Loc: berlin, Layers: []Rotation{{Participants: []string{"ana", "Bö, the \"second\"; on call"},
		Start: Date{2026, 3, 2}, Length: 1, Unit: Weeks, Handoff: HM(9, 0)}}}
	from, to := at(berlin, "2026-03-16 00:00"), at(berlin, "2026-04-13 00:00")
	events := Events(s.Name, s.Shifts(from, to), "")
	var buf bytes.Buffer
	stamp := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	if err := WriteICal(&buf, "primary on call, "+strings.Repeat("long name ", 10), events, stamp); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Fatalf("line %d longer than 75 octets: %q", i+1, l)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := cal.Events()
	if len(got) != len(events) || len(got) != 5 {
		t.Fatalf("%d events parsed, %d written", len(got), len(events))
	}
	for i, e := range got {
		start, err1 := e.GetStartAt()
		end, err2 := e.GetEndAt()
		if err1 != nil || err2 != nil || !start.Equal(events[i].Start) || !end.Equal(events[i].End) {
			t.Errorf("event %d: %v-%v (%v %v), want %v-%v", i, start, end, err1, err2, events[i].Start, events[i].End)
		}
		summary := e.GetProperty(ics.ComponentPropertySummary).Value
		if want := "On call: " + events[i].User + " (primary)"; unescape(summary) != want {
			t.Errorf("event %d summary %q, want %q", i, summary, want)
		}
	}
	// The week of the spring-forward night is 167 hours, handing off at
	// 09:00 local on both ends.
	start, _ := got[2].GetStartAt()
	end, _ := got[2].GetEndAt()
	if end.Sub(start) != 167*time.Hour || start.In(berlin).Hour() != 9 || end.In(berlin).Hour() != 9 {
		t.Errorf("DST week %v to %v", start.In(berlin), end.In(berlin))
	}
	if name := cal.CalendarProperties[len(cal.CalendarProperties)-1].Value; !strings.HasPrefix(unescape(name), "primary on call, long name") {
		t.Errorf("calendar name %q", name)
	}
}

// unescape reverses RFC 5545 TEXT escaping, which the parser leaves as is.
func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n", `\N`, "\n").Replace(s)
}

func TestEventsForOneUser(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := &Schedule{Name: "p", Loc: berlin, Layers: []Rotation{{Participants: []string{"ana", "bo"}, Start: Date{2026, 1, 5},
		Length: 1, Unit: Weeks, Handoff: HM(9, 0)}}}
	ev := Events("p", s.Shifts(at(berlin, "2026-01-05 09:00"), at(berlin, "2026-02-02 09:00")), "bo")
	if len(ev) != 2 || ev[0].User != "bo" || !ev[0].Start.Equal(at(berlin, "2026-01-12 09:00")) {
		t.Fatalf("events %+v", ev)
	}
}

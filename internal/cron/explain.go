package cron

import (
	"fmt"
	"strings"
	"time"
)

// Explain describes a schedule in a short phrase, such as "at 02:30 every
// day, Europe/Berlin". Shapes it does not know are described by the
// expression itself.
func Explain(e *Expr, loc *time.Location) string {
	return explainFields(e) + ", " + loc.String()
}

func members(s set, lo, hi int) []int {
	var out []int
	for i := s.next(lo); i >= 0 && i <= hi; i = s.next(i + 1) {
		out = append(out, i)
	}
	return out
}

func explainFields(e *Expr) string {
	hours := members(e.hour, 0, 23)
	minutes := members(e.minute, 0, 59)
	secs := members(e.second, 0, 59)
	simpleDays := len(e.nearest) == 0 && !e.lastDay && !e.lastWeekday && e.lastDOW == 0 && len(e.nth) == 0
	if len(secs) != 1 || !simpleDays {
		return "cron " + e.text
	}
	var when string
	switch {
	case len(hours) <= 4 && len(minutes) == 1:
		var ts []string
		for _, h := range hours {
			ts = append(ts, fmt.Sprintf("%02d:%02d", h, minutes[0]))
		}
		when = "at " + strings.Join(ts, ", ")
	case len(hours) == 24 && len(minutes) == 1:
		when = fmt.Sprintf("at minute %d of every hour", minutes[0])
	case len(hours) == 24 && len(minutes) == 60:
		when = "every minute"
	case len(hours) == 24 && evenStep(minutes, 60) > 0:
		when = fmt.Sprintf("every %d minutes", evenStep(minutes, 60))
	default:
		return "cron " + e.text
	}
	if secs[0] != 0 {
		when += fmt.Sprintf(" and %d seconds", secs[0])
	}
	days := describeDays(e)
	switch {
	case days == "":
		return "cron " + e.text
	case days == "every day" && len(hours) == 24:
		return when // "every 15 minutes" needs no "every day"
	case len(hours) == 24 && len(days) > len("every day ") && days[:len("every day ")] == "every day ":
		return when + " " + days[len("every day "):]
	}
	return when + " " + days
}

// evenStep returns n if xs is 0, n, 2n, ... covering size, else 0.
func evenStep(xs []int, size int) int {
	if len(xs) < 2 || xs[0] != 0 {
		return 0
	}
	n := xs[1]
	if size%n != 0 || len(xs) != size/n {
		return 0
	}
	for i, x := range xs {
		if x != i*n {
			return 0
		}
	}
	return n
}

var weekdayNames = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func describeDays(e *Expr) string {
	months := members(e.month, 1, 12)
	dows := members(e.dow, 0, 6)
	doms := members(e.dom, 1, 31)
	var s string
	switch {
	case e.domStar && e.dowStar:
		s = "every day"
	case e.domStar && len(dows) == 5 && dows[0] == 1 && dows[4] == 5:
		s = "on weekdays"
	case e.domStar:
		var names []string
		for _, d := range dows {
			names = append(names, weekdayNames[d])
		}
		s = "on " + strings.Join(names, ", ")
	case e.dowStar && len(doms) == 1:
		s = fmt.Sprintf("on day %d of the month", doms[0])
	default:
		return ""
	}
	if len(months) == 12 {
		return s
	}
	var names []string
	for _, m := range months {
		names = append(names, time.Month(m).String()[:3])
	}
	return s + " in " + strings.Join(names, ", ")
}

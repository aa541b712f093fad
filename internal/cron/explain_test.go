package cron

import (
	"testing"
	"time"
)

func TestExplain(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for expr, want := range map[string]string{
		"30 2 * * *":       "at 02:30 every day, Europe/Berlin",
		"@daily":           "at 00:00 every day, Europe/Berlin",
		"0 9 * * 1-5":      "at 09:00 on weekdays, Europe/Berlin",
		"15 3 * * SUN":     "at 03:15 on Sun, Europe/Berlin",
		"0 0 1 * *":        "at 00:00 on day 1 of the month, Europe/Berlin",
		"0 6,18 * * *":     "at 06:00, 18:00 every day, Europe/Berlin",
		"5 * * * *":        "at minute 5 of every hour, Europe/Berlin",
		"*/15 * * * *":     "every 15 minutes, Europe/Berlin",
		"* * * * *":        "every minute, Europe/Berlin",
		"0 12 * JAN,JUL *": "at 12:00 every day in Jan, Jul, Europe/Berlin",
		"0 0 L * *":        "cron 0 0 L * *, Europe/Berlin",
		"*/10 * * * * *":   "cron */10 * * * * *, Europe/Berlin",
		"0 0 1,15 * MON":   "cron 0 0 1,15 * MON, Europe/Berlin",
	} {
		e, err := Parse(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := Explain(e, berlin); got != want {
			t.Errorf("%q: %q, want %q", expr, got, want)
		}
	}
}

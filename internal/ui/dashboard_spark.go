package ui

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
)

// The sparklines and the latency chart are inline SVG drawn on the
// server: no script, no request of their own, and a text label saying
// what they show for those who cannot see them.

// pingSpark draws a heartbeat check's last day: a bar per hour as high as
// its pings (of those the store keeps), the failed ones red on top.
func pingSpark(hours []store.PingHour, since time.Time) template.HTML {
	var max, ok, failed int64
	for _, h := range hours {
		max = maxOf(max, h.OK+h.Failed)
		ok += h.OK
		failed += h.Failed
	}
	var good, bad strings.Builder
	for _, h := range hours {
		x := sparkX(h.Hour, since)
		if x < 0 {
			continue
		}
		// Failures stacked on the successes: the bar's height is all pings.
		okH := barHeight(h.OK, max)
		if h.OK > 0 {
			fmt.Fprintf(&good, "M%d %dv-%d", x, sparkHeight, okH)
		}
		if h.Failed > 0 {
			fmt.Fprintf(&bad, "M%d %dv-%d", x, sparkHeight-okH, barHeight(h.Failed, max))
		}
	}
	label := fmt.Sprintf("last day: %d pings, %d failed", ok+failed, failed)
	return spark(label, good.String(), bad.String())
}

// latencySpark draws a probe's last day: its mean latency hour by hour as
// a line, and a red bar for each hour with a failed run.
func latencySpark(rs []store.Rollup, since time.Time) template.HTML {
	var max time.Duration
	var runs, failed int64
	for _, r := range rs {
		max = maxOf(max, r.MeanLatency)
		runs += r.Runs
		failed += r.Runs - r.OKRuns
	}
	var line, bad strings.Builder
	for _, r := range rs {
		x := sparkX(r.Bucket, since)
		if x < 0 {
			continue
		}
		y := sparkHeight - barHeight(int64(r.MeanLatency), int64(max))
		if line.Len() == 0 {
			fmt.Fprintf(&line, "M%d %d", x, y)
		} else {
			fmt.Fprintf(&line, "L%d %d", x, y)
		}
		if r.Runs > r.OKRuns {
			fmt.Fprintf(&bad, "M%d %dv-4", x, sparkHeight)
		}
	}
	label := fmt.Sprintf("last day: %d runs, %d failed, slowest hourly mean %s", runs, failed, latency(max))
	return spark(label, line.String(), bad.String())
}

// spark is the SVG of a sparkline: path good in the chart's colour, path
// bad in red.
func spark(label, good, bad string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %d %d" role="img" aria-label="%s">`, sparkWidth, sparkHeight,
		template.HTMLEscapeString(label))
	if good != "" {
		b.WriteString(`<path class="ok" d="` + good + `"/>`)
	}
	if bad != "" {
		b.WriteString(`<path class="fail" d="` + bad + `"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// sparkX is the x of the hour starting at t: the middle of its two units;
// -1 outside the day shown.
func sparkX(t, since time.Time) int {
	i := int(t.Sub(since) / time.Hour)
	if i < 0 || i >= sparkHours {
		return -1
	}
	return 2*i + 1
}

// barHeight scales n of max to the sparkline's height, at least 1 unit
// for anything above 0.
func barHeight(n, max int64) int64 {
	if n <= 0 || max <= 0 {
		return 0
	}
	return maxOf(1, n*(sparkHeight-1)/max)
}

func maxOf[T int64 | time.Duration](a, b T) T {
	if a > b {
		return a
	}
	return b
}

// latency shows a response time in milliseconds, or microseconds below one.
func latency(d time.Duration) string {
	if d < time.Millisecond {
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

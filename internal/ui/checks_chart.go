package ui

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/store"
)

// The latency chart's drawing area, in SVG units.
const (
	chartW, chartH = 480, 160
	chartLeft      = 64 // room for the y axis' labels
	chartBottom    = 18 // room for the x axis' labels
)

// latencyChart draws a probe's last day hour by hour: the mean latency as
// a line, the slowest run as a dotted one, a red bar under each hour with
// failed runs; axes say the scale.
func latencyChart(rs []store.Rollup, since time.Time) template.HTML {
	var max time.Duration
	for _, r := range rs {
		max = maxOf(max, r.MaxLatency)
	}
	if max <= 0 {
		max = time.Millisecond
	}
	plotW, plotH := float64(chartW-chartLeft-4), float64(chartH-chartBottom-6)
	x := func(t time.Time) float64 {
		return chartLeft + float64(t.Sub(since))/float64(sparkHours*time.Hour)*plotW + plotW/sparkHours/2
	}
	y := func(d time.Duration) float64 { return 6 + plotH - float64(d)/float64(max)*plotH }
	var mean, top, bad strings.Builder
	var failed int64
	for _, r := range rs {
		if r.Bucket.Before(since) {
			continue
		}
		cmd := "L"
		if mean.Len() == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&mean, "%s%.0f %.0f", cmd, x(r.Bucket), y(r.MeanLatency))
		fmt.Fprintf(&top, "%s%.0f %.0f", cmd, x(r.Bucket), y(r.MaxLatency))
		if r.Runs > r.OKRuns {
			failed += r.Runs - r.OKRuns
			fmt.Fprintf(&bad, `<rect class="bad" x="%.0f" y="%d" width="%.0f" height="4"/>`,
				x(r.Bucket)-plotW/sparkHours/2+1, chartH-chartBottom-4, plotW/sparkHours-2)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="Latency over the last 24 hours: slowest run %s, %d failed runs">`,
		chartW, chartH, latency(max), failed)
	base := chartH - chartBottom
	fmt.Fprintf(&b, `<path class="axis" d="M%d 6V%dH%d"/>`, chartLeft, base, chartW-4)
	fmt.Fprintf(&b, `<text x="%d" y="12" text-anchor="end">%s</text><text x="%d" y="%d" text-anchor="end">0</text>`,
		chartLeft-4, latency(max), chartLeft-4, base)
	fmt.Fprintf(&b, `<text x="%d" y="%d">24h ago</text><text x="%d" y="%d" text-anchor="end">now</text>`,
		chartLeft, chartH-4, chartW-4, chartH-4)
	if top.Len() > 0 {
		b.WriteString(`<path class="max" d="` + top.String() + `"/><path class="line" d="` + mean.String() + `"/>`)
	}
	b.WriteString(bad.String())
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

package report

import (
	"bytes"
	"fmt"
	"html"
	"time"

	"github.com/tocsinhq/tocsin"
	"github.com/tocsinhq/tocsin/internal/store"
)

// Chart metrics and buckets.
const (
	MetricIncidents = "incidents" // incidents opened in the bucket
	MetricMTTA      = "mtta"      // median minutes to acknowledge, of incidents opened in the bucket
	MetricMTTR      = "mttr"      // median minutes to resolve, of incidents opened in the bucket
	BucketDay       = "day"
	BucketWeek      = "week"
)

// Bar is one bucket of a chart: [Start, End) in UTC and its value.
type Bar struct {
	Start, End time.Time
	Value      float64
	Count      int // incidents the value is taken of
}

// Series computes metric over o's range in buckets of a UTC day, or of a
// week starting on Monday 00:00 UTC; the first and last buckets are cut
// to the range.
func Series(rows *store.ReportRows, o Options, metric, bucket string) []Bar {
	d := digest(rows, o)
	var bars []Bar
	for start := o.From.UTC(); start.Before(o.To); {
		end := nextBucket(start, bucket)
		if end.After(o.To) {
			end = o.To.UTC()
		}
		bars = append(bars, Bar{Start: start, End: end})
		start = end
	}
	for i := range bars {
		b := &bars[i]
		var ds []time.Duration
		for _, in := range d.order {
			if in.OpenedAt.Before(b.Start) || !in.OpenedAt.Before(b.End) {
				continue
			}
			switch metric {
			case MetricIncidents:
				b.Count++
			case MetricMTTA:
				if !in.AckedAt.IsZero() {
					ds = append(ds, in.AckedAt.Sub(in.OpenedAt))
				}
			case MetricMTTR:
				if !in.ResolvedAt.IsZero() {
					ds = append(ds, in.ResolvedAt.Sub(in.OpenedAt))
				}
			}
		}
		if metric == MetricIncidents {
			b.Value = float64(b.Count)
		} else if s := Stats(ds); s != nil {
			b.Count, b.Value = s.Count, s.MedianSeconds/60
		}
	}
	return bars
}

// nextBucket is the start of the bucket after the one t is in.
func nextBucket(t time.Time, bucket string) time.Time {
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if bucket == BucketWeek {
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, 7-back)
	}
	return day.AddDate(0, 0, 1)
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 720
	chartHeight = 240
	chartLeft   = 48
	chartBottom = 32
	chartTop    = 16
)

// SVG draws bars as an accessible bar chart: role img, a title and a
// description that reads out every bar, and a title per bar.
func SVG(bars []Bar, metric, bucket string, from, to time.Time) []byte {
	what := map[string]string{MetricIncidents: "Incidents opened", MetricMTTA: "Median minutes to acknowledge",
		MetricMTTR: "Median minutes to resolve"}[metric]
	title := fmt.Sprintf("%s per %s, %s to %s (UTC)", what, bucket, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	max := 0.0
	for _, b := range bars {
		max = maxf(max, b.Value)
	}
	if max == 0 {
		max = 1
	}
	var desc, body bytes.Buffer
	plotW, plotH := float64(chartWidth-chartLeft-8), float64(chartHeight-chartBottom-chartTop)
	w := plotW / float64(max1(len(bars)))
	for i, b := range bars {
		label := fmt.Sprintf("%s: %s", b.Start.Format(time.DateOnly), value(metric, b))
		if i > 0 {
			desc.WriteString("; ")
		}
		desc.WriteString(label)
		h := plotH * b.Value / max
		x := float64(chartLeft) + float64(i)*w
		fmt.Fprintf(&body, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#c0392b"><title>%s</title></rect>`+"\n",
			x+w*0.1, float64(chartTop)+plotH-h, w*0.8, h, html.EscapeString(label))
	}
	if len(bars) == 0 {
		desc.WriteString("no buckets")
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title chart-desc">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight)
	fmt.Fprintf(&out, "<title id=\"chart-title\">%s</title>\n<desc id=\"chart-desc\">%s</desc>\n", html.EscapeString(title),
		html.EscapeString(desc.String()))
	base := chartTop + plotH
	fmt.Fprintf(&out, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`+"\n", chartLeft, base, chartWidth-8, base)
	fmt.Fprintf(&out, `<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>`+"\n", chartLeft-4, chartTop+10,
		html.EscapeString(value(metric, Bar{Value: max})))
	fmt.Fprintf(&out, `<text x="%d" y="%.1f" font-size="11" text-anchor="end">0</text>`+"\n", chartLeft-4, base)
	out.Write(body.Bytes())
	if len(bars) > 0 {
		fmt.Fprintf(&out, `<text x="%d" y="%d" font-size="11">%s</text>`+"\n", chartLeft, chartHeight-8, bars[0].Start.Format(time.DateOnly))
		fmt.Fprintf(&out, `<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>`+"\n", chartWidth-8, chartHeight-8,
			bars[len(bars)-1].Start.Format(time.DateOnly))
	}
	out.WriteString("</svg>\n")
	return out.Bytes()
}

func value(metric string, b Bar) string {
	if metric == MetricIncidents {
		return fmt.Sprintf("%.0f", b.Value)
	}
	if b.Count == 0 && !b.Start.IsZero() {
		return "none"
	}
	return tocsin.FormatDuration(time.Duration(b.Value * float64(time.Minute)).Round(time.Second))
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

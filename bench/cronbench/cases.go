// Package cronbench compares Tocsin's cron evaluator (internal/cron) with
// github.com/robfig/cron/v3 on the same expressions and the same start
// instants. It is a separate module so that robfig/cron stays out of the
// main module's dependencies; its import path lies under the main module's,
// so it may import the main module's internal packages.
//
// Run the benchmarks with `go test -bench . -benchmem` in this directory, or
// print the comparison table with `go run ./cmd/compare`.
package cronbench

import (
	"fmt"
	"time"
	_ "time/tzdata" // the same zone data whatever the machine has

	robfig "github.com/robfig/cron/v3"
	"github.com/tocsinhq/tocsin/internal/cron"
)

// Case is one expression in one zone.
type Case struct {
	Name string // benchmark name: tocsin/<Name>, robfig/<Name>
	Expr string
	Zone string
	// TocsinOnly marks syntax robfig/cron lacks (L, W, #): it has no robfig side.
	TocsinOnly bool
	// Seconds marks a six-field expression: robfig needs its seconds parser.
	Seconds bool
}

// Cases are the expression types measured, in the order of the table.
var Cases = []Case{
	{Name: "fixed", Expr: "30 2 * * *", Zone: "UTC"},
	{Name: "every-minute", Expr: "* * * * *", Zone: "UTC"},
	{Name: "step", Expr: "*/15 * * * *", Zone: "UTC"},
	{Name: "list-range", Expr: "0 9-17 * * 1-5", Zone: "UTC"},
	{Name: "day-of-month", Expr: "0 0 1,15 * *", Zone: "UTC"},
	{Name: "month-names", Expr: "0 12 * JAN,JUL *", Zone: "UTC"},
	{Name: "hourly", Expr: "0 * * * *", Zone: "UTC"},
	{Name: "seconds", Expr: "*/10 * * * * *", Zone: "UTC", Seconds: true},
	{Name: "fixed-NewYork", Expr: "30 2 * * *", Zone: "America/New_York"},
	{Name: "fixed-Berlin", Expr: "30 2 * * *", Zone: "Europe/Berlin"},
	{Name: "hourly-NewYork", Expr: "0 * * * *", Zone: "America/New_York"},
	{Name: "hourly-Berlin", Expr: "0 * * * *", Zone: "Europe/Berlin"},
	{Name: "list-range-Berlin", Expr: "0 9-17 * * 1-5", Zone: "Europe/Berlin"},
	{Name: "last-day-L", Expr: "0 0 L * *", Zone: "UTC", TocsinOnly: true},
	{Name: "nearest-weekday-W", Expr: "0 0 15W * *", Zone: "UTC", TocsinOnly: true},
	{Name: "nth-weekday-#", Expr: "0 0 * * FRI#3", Zone: "UTC", TocsinOnly: true},
	{Name: "last-weekday-5L", Expr: "0 0 * * 5L", Zone: "UTC", TocsinOnly: true},
}

// NumStarts is how many start instants each Next call cycles through.
const NumStarts = 1000

// Starts returns NumStarts instants spread evenly over 2025 (one every
// 8h45m36s, so they fall at all times of day and on both sides of every
// DST change), each moved by a few more seconds so they are not aligned
// to whole minutes, given in loc.
func Starts(loc *time.Location) []time.Time {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / NumStarts
	out := make([]time.Time, NumStarts)
	for i := range out {
		jitter := time.Duration(i*7919%3600) * time.Second
		out[i] = base.Add(time.Duration(i)*step + jitter).In(loc)
	}
	return out
}

// Prepared is a case parsed by both libraries, with its start instants.
type Prepared struct {
	Case
	Loc    *time.Location
	Tocsin *cron.Expr
	Robfig robfig.Schedule // nil for TocsinOnly
	Starts []time.Time     // in Loc
}

var secondsParser = robfig.NewParser(robfig.Second | robfig.Minute | robfig.Hour |
	robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)

// Prepare parses c with both libraries and computes its start instants.
func Prepare(c Case) (*Prepared, error) {
	loc, err := time.LoadLocation(c.Zone)
	if err != nil {
		return nil, err
	}
	p := &Prepared{Case: c, Loc: loc, Starts: Starts(loc)}
	if p.Tocsin, err = cron.Parse(c.Expr); err != nil {
		return nil, fmt.Errorf("tocsin: %w", err)
	}
	if c.TocsinOnly {
		return p, nil
	}
	if c.Seconds {
		p.Robfig, err = secondsParser.Parse(c.Expr)
	} else {
		p.Robfig, err = robfig.ParseStandard(c.Expr)
	}
	if err != nil {
		return nil, fmt.Errorf("robfig: %w", err)
	}
	return p, nil
}

// Sink keeps the benchmarked results alive.
var Sink time.Time

// BenchTocsin calls Tocsin's Next once per iteration, cycling over the
// start instants.
func (p *Prepared) BenchTocsin(b interface{ Loop() bool }) error {
	e, loc, in := p.Tocsin, p.Loc, p.Starts
	for i := 0; b.Loop(); i++ {
		t, err := e.Next(in[i%len(in)], loc)
		if err != nil {
			return err
		}
		Sink = t
	}
	return nil
}

// BenchRobfig calls robfig's Next once per iteration over the same start
// instants. robfig evaluates in the location of its argument; the starts
// are already in the case's zone, so no conversion is timed.
func (p *Prepared) BenchRobfig(b interface{ Loop() bool }) error {
	s, in := p.Robfig, p.Starts
	for i := 0; b.Loop(); i++ {
		t := s.Next(in[i%len(in)])
		if t.IsZero() {
			return fmt.Errorf("robfig: no next time")
		}
		Sink = t
	}
	return nil
}

// Difference is one start instant from which the two libraries give a
// different next fire time.
type Difference struct {
	Start, Tocsin, Robfig time.Time
	Err                   error // Tocsin's error, if it gave one
}

// Differences returns, for a case robfig can parse, every start instant
// from which Tocsin's and robfig's next fire times differ. In a DST zone
// they follow different rules for a fixed-time job whose time a gap skips
// (Tocsin runs it at the end of the gap, robfig/cron on the next day), so
// this is a report of where they part, not a list of errors.
func (p *Prepared) Differences() []Difference {
	if p.TocsinOnly {
		return nil
	}
	var out []Difference
	for _, start := range p.Starts {
		got, err := p.Tocsin.Next(start, p.Loc)
		want := p.Robfig.Next(start)
		if err != nil || !got.Equal(want) {
			out = append(out, Difference{Start: start, Tocsin: got, Robfig: want, Err: err})
		}
	}
	return out
}

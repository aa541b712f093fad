package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
	"github.com/tocsinhq/tocsin/internal/cron"
)

const cronUsage = `usage: tocsin cron next EXPR [--tz ZONE] [--after RFC3339] [-n N]
       tocsin cron prev EXPR [--tz ZONE] [--before RFC3339] [-n N]
`

// cronCommand prints fire times, one RFC 3339 time with its real UTC
// offset per line. Bad input is one line on stderr and exit status 2.
func cronCommand(args []string, clk clock.Clock, stdout, stderr io.Writer) int {
	if len(args) < 1 || (args[0] != "next" && args[0] != "prev") {
		fmt.Fprint(stderr, cronUsage)
		return 2
	}
	forward := args[0] == "next"
	fs := flag.NewFlagSet("cron "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tz := fs.String("tz", "UTC", "IANA time zone")
	after := fs.String("after", "", "start instant, RFC 3339 (default now)")
	before := fs.String("before", "", "same as --after; reads better with prev")
	n := fs.Int("n", 5, "how many fire times")
	// The expression may come before or after the flags.
	rest := args[1:]
	var expr string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		expr, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		fmt.Fprintf(stderr, "tocsin cron: %v\n", err)
		return 2
	}
	switch {
	case expr == "" && fs.NArg() == 1:
		expr = fs.Arg(0)
	case expr == "" || fs.NArg() > 0:
		fmt.Fprintf(stderr, "tocsin cron: give exactly one expression, quoted, like \"30 2 * * *\"\n")
		return 2
	}
	if *n < 1 || *n > 10000 {
		fmt.Fprintf(stderr, "tocsin cron: -n must be from 1 to 10000, got %d\n", *n)
		return 2
	}
	e, err := cron.Parse(expr)
	if err != nil {
		fmt.Fprintf(stderr, "tocsin cron: %v\n", err)
		return 2
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil || *tz == "Local" || *tz == "" {
		fmt.Fprintf(stderr, "tocsin cron: unknown time zone %q; use an IANA name like Europe/Berlin\n", *tz)
		return 2
	}
	at := clk.Now()
	if *after != "" && *before != "" {
		fmt.Fprintf(stderr, "tocsin cron: give --after or --before, not both\n")
		return 2
	}
	if s := *after + *before; s != "" {
		if at, err = time.Parse(time.RFC3339, s); err != nil {
			fmt.Fprintf(stderr, "tocsin cron: bad instant %q: want RFC 3339, like 2026-03-29T01:30:00+01:00\n", s)
			return 2
		}
	}
	for i := 0; i < *n; i++ {
		if forward {
			at, err = e.Next(at, loc)
		} else {
			at, err = e.Prev(at, loc)
		}
		if err != nil {
			fmt.Fprintf(stderr, "tocsin cron: %v\n", err)
			return 2
		}
		fmt.Fprintln(stdout, at.Format(cron.TimeFormat))
	}
	return 0
}

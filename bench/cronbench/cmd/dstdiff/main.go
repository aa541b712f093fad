// Command dstdiff reports where Tocsin's cron evaluator and robfig/cron v3
// give a different next fire time for the cases in DST zones, from the same
// start instants as the benchmarks. The two follow different rules there
// (Tocsin runs a fixed-time job skipped by a spring gap at the end of the
// gap and a repeated one once; robfig/cron has its own handling), so the
// output is a report to read, not a pass or fail.
//
//	cd bench/cronbench && go run ./cmd/dstdiff
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tocsinhq/tocsin/bench/cronbench"
)

func main() {
	show := flag.Int("show", 3, "differing start instants to print for each case")
	flag.Parse()
	for _, c := range cronbench.Cases {
		if c.TocsinOnly || c.Zone == "UTC" {
			continue
		}
		p, err := cronbench.Prepare(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dstdiff:", err)
			os.Exit(1)
		}
		diffs := p.Differences()
		fmt.Printf("%s %q in %s: %d of %d starts differ\n", c.Name, c.Expr, c.Zone, len(diffs), len(p.Starts))
		for i, d := range diffs {
			if i == *show {
				break
			}
			tocsin := d.Tocsin.Format(time.RFC3339)
			if d.Err != nil {
				tocsin = "error: " + d.Err.Error()
			}
			fmt.Printf("  from %s: tocsin %s, robfig %s\n",
				d.Start.Format(time.RFC3339), tocsin, d.Robfig.Format(time.RFC3339))
		}
	}
}

// Command compare benchmarks Next of Tocsin's cron evaluator against
// robfig/cron v3 on the same expressions and start instants, in one run, and
// prints a Markdown table. Each case runs both sides alternately, -count
// times, and reports the median ns/op of each side.
//
//	cd bench/cronbench && go run ./cmd/compare
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin/bench/cronbench"
)

func main() {
	benchtime := flag.Duration("benchtime", 300*time.Millisecond, "time for each measurement")
	count := flag.Int("count", 5, "measurements of each side of each case (alternating); the median is reported")
	run := flag.String("run", "", "only the cases whose name matches this regexp")
	testing.Init()
	flag.Parse()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fail(err)
	}
	var only *regexp.Regexp
	if *run != "" {
		only = regexp.MustCompile(*run)
	}

	fmt.Printf("Next() per call, median of %d alternating measurements of %s each; %d start instants spread over 2025, the same for both.\n",
		*count, *benchtime, cronbench.NumStarts)
	fmt.Printf("%s %s/%s, GOMAXPROCS %d.\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Println("| case | expression | zone | Tocsin ns/op | robfig ns/op | speed vs robfig (robfig/Tocsin) | allocs/op Tocsin / robfig | target >= 1x | met |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|---:|:---|")
	for _, c := range cronbench.Cases {
		if only != nil && !only.MatchString(c.Name) {
			continue
		}
		p, err := cronbench.Prepare(c)
		if err != nil {
			fail(err)
		}
		var tns, rns []float64
		var tAllocs, rAllocs int64
		for range *count {
			r := measure(p.BenchTocsin)
			tns = append(tns, r.ns)
			tAllocs = r.allocs
			if c.TocsinOnly {
				continue
			}
			r = measure(p.BenchRobfig)
			rns = append(rns, r.ns)
			rAllocs = r.allocs
		}
		expr := "`" + strings.ReplaceAll(c.Expr, "|", `\|`) + "`"
		if c.TocsinOnly {
			fmt.Printf("| %s | %s | %s | %.0f | - | - | %d / - | - | - (robfig/cron has no L, W or #) |\n",
				c.Name, expr, c.Zone, median(tns), tAllocs)
			continue
		}
		tm, rm := median(tns), median(rns)
		ratio := rm / tm
		met := "yes"
		if ratio < 1 {
			met = "no"
		}
		fmt.Printf("| %s | %s | %s | %.0f | %.0f | %.2fx | %d / %d | >= 1x | %s |\n",
			c.Name, expr, c.Zone, tm, rm, ratio, tAllocs, rAllocs, met)
	}
}

type result struct {
	ns     float64
	allocs int64
}

func measure(f func(interface{ Loop() bool }) error) result {
	var err error
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		if e := f(b); e != nil {
			err = e
		}
	})
	if err != nil {
		fail(err)
	}
	return result{float64(r.T.Nanoseconds()) / float64(r.N), r.AllocsPerOp()}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

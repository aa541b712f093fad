package cronbench

import (
	"testing"
	"time"
)

func prepare(tb testing.TB, c Case) *Prepared {
	tb.Helper()
	p, err := Prepare(c)
	if err != nil {
		tb.Fatalf("%s %q: %v", c.Name, c.Expr, err)
	}
	return p
}

// BenchmarkNext runs tocsin/<case> and robfig/<case> for every case, each
// iteration one Next call from the next of the same 1,000 start instants.
// The L, W and # cases have no robfig side: robfig/cron does not parse them.
func BenchmarkNext(b *testing.B) {
	for _, c := range Cases {
		p := prepare(b, c)
		b.Run("tocsin/"+c.Name, func(b *testing.B) {
			b.ReportAllocs()
			if err := p.BenchTocsin(b); err != nil {
				b.Fatal(err)
			}
		})
		if c.TocsinOnly {
			continue
		}
		b.Run("robfig/"+c.Name, func(b *testing.B) {
			b.ReportAllocs()
			if err := p.BenchRobfig(b); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestAgreeUTC checks, for every case in UTC that robfig can parse, that
// both libraries give the same next three fire times from each of the 1,000
// start instants. Without DST, robfig/cron is a reference.
func TestAgreeUTC(t *testing.T) {
	for _, c := range Cases {
		if c.TocsinOnly || c.Zone != "UTC" {
			continue
		}
		p := prepare(t, c)
		bad := 0
		for _, start := range p.Starts {
			tt, rt := start, start
			for k := 0; k < 3; k++ {
				got, err := p.Tocsin.Next(tt, p.Loc)
				want := p.Robfig.Next(rt)
				if err != nil || !got.Equal(want) {
					bad++
					if bad <= 5 {
						t.Errorf("%s %q from %s (step %d): tocsin %s (err %v), robfig %s",
							c.Name, c.Expr, start.Format(time.RFC3339), k, got, err, want)
					}
					break
				}
				tt, rt = got, want
			}
		}
		if bad > 0 {
			t.Errorf("%s %q: %d of %d starts disagree", c.Name, c.Expr, bad, len(p.Starts))
		}
	}
}

package engine

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkQueueMillion fills a queue with a million deadlines, as the
// engine's Load does at start with a million checks, and reports the heap
// the queue keeps per deadline and the time a garbage collection takes
// with it alive.
func BenchmarkQueueMillion(b *testing.B) {
	const n = 1_000_000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var before, after runtime.MemStats
	var gc time.Duration
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		q := newDeadlineQueue()
		for i := range int64(n) {
			q.Set(i+1, start.Add(time.Duration(i*7919%n)*time.Millisecond))
		}
		t0 := time.Now()
		runtime.GC()
		gc = time.Since(t0)
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(q)
	}
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-bytes/deadline")
	b.ReportMetric(float64(gc.Microseconds())/1000, "gc-ms")
}

// Random sets, moves, removals and pops keep the queue equal to a plain
// map of deadlines: each pop takes the earliest (the lowest id on a tie).
func TestQueueMatchesMap(t *testing.T) {
	q, want := newDeadlineQueue(), map[int64]time.Time{}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := uint64(1)
	rnd := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int(seed>>33) % n
	}
	for step := range 20000 {
		id := int64(rnd(300) + 1)
		switch rnd(5) {
		case 0:
			q.Set(id, time.Time{})
			delete(want, id)
		case 4:
			at := start.Add(time.Duration(rnd(100)) * time.Second)
			q.SetEarlier(id, at)
			if old, ok := want[id]; !ok || at.Before(old) {
				want[id] = at
			}
		case 3:
			now := start.Add(time.Duration(rnd(100)) * time.Second)
			for _, got := range q.PopDue(now, 1+rnd(3)) {
				at, ok := want[got]
				if !ok || at.After(now) {
					t.Fatalf("step %d: popped %d due %v at %v", step, got, at, now)
				}
				for other, oat := range want {
					if oat.Before(at) || oat.Equal(at) && other < got {
						t.Fatalf("step %d: popped %d at %v before %d at %v", step, got, at, other, oat)
					}
				}
				delete(want, got)
			}
		default:
			at := start.Add(time.Duration(rnd(100)) * time.Second)
			q.Set(id, at)
			want[id] = at
		}
		if q.Len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, q.Len(), len(want))
		}
	}
}

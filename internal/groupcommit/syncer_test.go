package groupcommit

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

// TestSyncerAnswersAfterASync: no answer runs before a sync that began
// after its batch was handed over; answers keep their order; the batches
// handed over during a sync share the next one; a failed sync reaches
// every answer it covered, and the next sync is tried anew.
func TestSyncerAnswersAfterASync(t *testing.T) {
	var mu sync.Mutex
	var log []string
	record := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	release := make(chan error)
	syncs := 0
	s := NewSyncer(func() error {
		mu.Lock()
		syncs++
		n := syncs
		mu.Unlock()
		record("sync")
		if n <= 2 {
			return <-release // the first two syncs wait for the test
		}
		return nil
	}, testkit.Logger())
	go s.Run()
	answered := make(chan string, 10)
	answer := func(name string) func(error) {
		return func(err error) {
			if err != nil {
				name += ": " + err.Error()
			}
			record(name)
			answered <- name
		}
	}
	s.After(answer("a"))
	testkit.Eventually(t, "the first sync", func() bool { mu.Lock(); defer mu.Unlock(); return syncs == 1 })
	// The first sync is running: b and c arrive during it.
	s.After(answer("b"))
	s.After(answer("c"))
	release <- nil
	if got := <-answered; got != "a" {
		t.Fatalf("first answer %q", got)
	}
	testkit.Eventually(t, "the second sync", func() bool { mu.Lock(); defer mu.Unlock(); return syncs == 2 })
	release <- errors.New("disk gone")
	for _, want := range []string{"b: disk gone", "c: disk gone"} {
		if got := <-answered; got != want {
			t.Fatalf("answer %q, want %q", got, want)
		}
	}
	s.After(answer("d"))
	if got := <-answered; got != "d" {
		t.Fatalf("answer after a failed sync %q", got)
	}
	s.After(answer("e"))
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	want := []string{"sync", "a", "sync", "b: disk gone", "c: disk gone", "sync", "d", "sync", "e"}
	if !slices.Equal(log, want) {
		t.Fatalf("order %q, want %q", log, want)
	}
}

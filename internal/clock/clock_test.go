package clock

import (
	"testing"
	"time"
)

func TestFakeTimersFireInOrder(t *testing.T) {
	f := NewFake(time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC))
	late := f.NewTimer(2 * time.Minute)
	soon := f.NewTimer(30 * time.Second)
	stopped := f.NewTimer(time.Minute)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once")
	}
	if f.Waiters() != 2 {
		t.Fatalf("waiters %d", f.Waiters())
	}
	f.Advance(time.Minute)
	select {
	case at := <-soon.C():
		if !at.Equal(f.Now()) {
			t.Fatalf("fired with %v", at)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	select {
	case <-late.C():
		t.Fatal("timer fired early")
	case <-stopped.C():
		t.Fatal("stopped timer fired")
	default:
	}
	// A wall clock jumping back does not fire anything; forward again does.
	f.Set(f.Now().Add(-time.Hour))
	select {
	case <-late.C():
		t.Fatal("fired on a backward jump")
	default:
	}
	f.Advance(2 * time.Hour)
	select {
	case <-late.C():
	default:
		t.Fatal("late timer did not fire")
	}
	if z := f.NewTimer(0); len(z.C()) != 1 {
		t.Fatal("a zero timer fires at once")
	}
}

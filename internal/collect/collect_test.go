package collect

import "testing"

func TestReady(t *testing.T) {
	ch := make(chan int, 10)
	for i := range 5 {
		ch <- i
	}
	b := Ready(ch, []int{-1}, 3)
	if len(b) != 3 || b[0] != -1 || b[1] != 0 || b[2] != 1 {
		t.Fatalf("bounded drain: %v", b)
	}
	b = Ready(ch, b[:0], 10) // takes what is there, does not wait for more
	if len(b) != 3 || b[2] != 4 {
		t.Fatalf("drain to empty: %v", b)
	}
	close(ch)
	if b = Ready(ch, nil, 10); len(b) != 0 {
		t.Fatalf("closed channel: %v", b)
	}
}

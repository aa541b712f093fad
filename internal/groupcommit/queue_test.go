package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tocsinhq/tocsin/internal/testkit"
)

var errStopped = errors.New("test writer stopped")

// run starts q.Run with commit and returns a stop that waits for it to end.
func run(q *Queue[*int], commit func(context.Context, []*Call[*int])) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx, func() {}, commit) }()
	return func() { cancel(); <-done }
}

// TestQueueBatchesWaitingCalls: calls that wait while the writer is busy
// are taken in batches of at most max, each answered with what commit
// decided for it.
func TestQueueBatchesWaitingCalls(t *testing.T) {
	const max, n = 4, 10
	q := NewQueue[*int](max, errStopped)
	var mu sync.Mutex
	var sizes []int
	commit := func(_ context.Context, batch []*Call[*int]) {
		mu.Lock()
		sizes = append(sizes, len(batch))
		mu.Unlock()
		for _, c := range batch {
			*c.Req *= 10
			c.Answer()
		}
	}
	// The calls queue before the writer runs, as behind a long commit.
	results := make(chan int, n)
	for i := range n {
		go func() {
			v, err := q.Do(context.Background(), &i)
			if err != nil {
				t.Error(err)
			}
			results <- *v
		}()
	}
	testkit.Eventually(t, "every call queued", func() bool { return q.Len() == n })
	stop := run(q, commit)
	defer stop()
	sum := 0
	for range n {
		sum += <-results
	}
	if sum != 450 {
		t.Errorf("answers sum to %d, want 450", sum)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 3 || sizes[0] != max || sizes[1] != max || sizes[2] != 2 {
		t.Errorf("batches of %v, want [4 4 2]", sizes)
	}
}

// TestQueueDrainsOnStop: calls still waiting when the writer stops hear
// the queue's stopped error; a call whose sender gives up hears its
// context's error.
func TestQueueDrainsOnStop(t *testing.T) {
	q := NewQueue[*int](4, errStopped)
	got := make(chan error, 1)
	go func() {
		_, err := q.Do(context.Background(), new(int))
		got <- err
	}()
	testkit.Eventually(t, "the call queued", func() bool { return q.Len() == 1 })
	q.Drain() // as Run does when it stops
	if err := <-got; !errors.Is(err, errStopped) {
		t.Errorf("waiting call heard %v, want %v", err, errStopped)
	}

	gone, give := context.WithCancel(context.Background())
	give()
	if _, err := q.Do(gone, new(int)); !errors.Is(err, context.Canceled) {
		t.Errorf("a call whose sender gave up heard %v", err)
	}
}

// TestWaiting: a batch waits while one sender does.
func TestWaiting(t *testing.T) {
	live := NewCall(context.Background(), 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := NewCall(ctx, 2)
	if !gone.Gone() || live.Gone() {
		t.Fatal("Gone wrong")
	}
	if Waiting([]*Call[int]{gone}) || !Waiting([]*Call[int]{gone, live}) {
		t.Error("Waiting wrong")
	}
}

// TestSplit: the items of a failed batch are tried one by one until one
// fails for a reason not its own; the rest hear that error untried.
func TestSplit(t *testing.T) {
	down := errors.New("database gone")
	var tried []int
	failed := map[int]error{}
	Split([]int{1, 2, 3, 4, 5}, func(i int) error {
		tried = append(tried, i)
		if i == 3 {
			return down
		}
		return nil // 1, 2 and 4 stored or refused on their own account
	}, func(i int, err error) { failed[i] = err })
	if len(tried) != 3 || tried[2] != 3 {
		t.Errorf("tried %v, want [1 2 3]", tried)
	}
	if len(failed) != 2 || failed[4] != down || failed[5] != down {
		t.Errorf("failed %v, want 4 and 5 with %v", failed, down)
	}
}

package ping

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultBodyBudget is how many bytes of ping bodies may be held at once
// by default: the buffers of the bodies being read and of the pings
// waiting for their commit. With the largest body limit (100,000 bytes)
// that is about 167 bodies of full size at once, and thousands of the
// usual few-kilobyte logs.
const DefaultBodyBudget = 16 << 20

// DefaultBodyWait bounds how long a ping waits for room in the budget
// before it is answered 503 with Retry-After; cron wrappers retry that.
const DefaultBodyWait = 10 * time.Second

// retryAfter is the Retry-After of that 503, in seconds.
const retryAfter = "5"

// budget bounds the memory of ping bodies: a ping takes as many bytes of
// it as its buffer needs before reading its body, and gives them back once
// its ping is committed (or refused).
type budget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newBudget(size int64, wait time.Duration) *budget {
	return &budget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// bufferSize is the buffer a body needs: its declared length, or the
// limit, whichever is less, and one byte more to see that there was more.
func bufferSize(r *http.Request, limit int) int {
	if r.ContentLength >= 0 && r.ContentLength < int64(limit) {
		return int(r.ContentLength) + 1
	}
	return limit + 1
}

// acquire waits, at most b.wait, for n bytes of the budget.
func (b *budget) acquire(ctx context.Context, n int) bool {
	if int64(n) > b.size {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	return b.sem.Acquire(ctx, int64(n)) == nil
}

func (b *budget) release(n int) { b.sem.Release(int64(n)) }

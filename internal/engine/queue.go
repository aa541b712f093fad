package engine

import (
	"container/heap"
	"time"
)

// deadlineQueue is a min-heap of check deadlines with an index by check, so
// a ping can move its check's deadline in O(log n). Not safe for concurrent
// use: the engine guards it.
type deadlineQueue struct {
	items []*item
	index map[int64]*item
}

type item struct {
	id  int64
	at  time.Time
	pos int
}

func newDeadlineQueue() *deadlineQueue {
	return &deadlineQueue{index: map[int64]*item{}}
}

// Set schedules id at at, replacing its earlier deadline; a zero at removes it.
func (q *deadlineQueue) Set(id int64, at time.Time) {
	it, ok := q.index[id]
	switch {
	case at.IsZero() && ok:
		heap.Remove((*heapOf)(q), it.pos)
		delete(q.index, id)
	case at.IsZero():
	case ok:
		it.at = at
		heap.Fix((*heapOf)(q), it.pos)
	default:
		it = &item{id: id, at: at}
		q.index[id] = it
		heap.Push((*heapOf)(q), it)
	}
}

// Peek returns the earliest deadline, if any.
func (q *deadlineQueue) Peek() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].at, true
}

// PopDue removes and returns up to max ids due at or before now.
func (q *deadlineQueue) PopDue(now time.Time, max int) []int64 {
	var ids []int64
	for len(q.items) > 0 && len(ids) < max && !q.items[0].at.After(now) {
		it := heap.Pop((*heapOf)(q)).(*item)
		delete(q.index, it.id)
		ids = append(ids, it.id)
	}
	return ids
}

// due is one popped deadline.
type due struct {
	id int64
	at time.Time
}

// PopDueAt is PopDue with the time each id was due at.
func (q *deadlineQueue) PopDueAt(now time.Time, max int) []due {
	var out []due
	for len(q.items) > 0 && len(out) < max && !q.items[0].at.After(now) {
		it := heap.Pop((*heapOf)(q)).(*item)
		delete(q.index, it.id)
		out = append(out, due{it.id, it.at})
	}
	return out
}

// Len is the number of scheduled checks.
func (q *deadlineQueue) Len() int { return len(q.items) }

// heapOf adapts deadlineQueue to container/heap.
type heapOf deadlineQueue

func (h *heapOf) Len() int { return len(h.items) }
func (h *heapOf) Less(i, j int) bool {
	if h.items[i].at.Equal(h.items[j].at) {
		return h.items[i].id < h.items[j].id
	}
	return h.items[i].at.Before(h.items[j].at)
}
func (h *heapOf) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].pos, h.items[j].pos = i, j
}
func (h *heapOf) Push(x any) {
	it := x.(*item)
	it.pos = len(h.items)
	h.items = append(h.items, it)
}
func (h *heapOf) Pop() any {
	old := h.items
	it := old[len(old)-1]
	old[len(old)-1] = nil
	h.items = old[:len(old)-1]
	return it
}

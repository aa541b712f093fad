package engine

import "time"

// deadlineQueue is a min-heap of check deadlines with an index by check, so
// a ping can move its check's deadline in O(log n). With a million checks
// it holds a million entries, so each is two integers and the queue holds
// no pointer: about 50 bytes a deadline, and nothing for the garbage
// collector to scan. Not safe for concurrent use: the engine guards it.
type deadlineQueue struct {
	items []entry         // the heap, ordered by (at, id)
	pos   map[int64]int32 // index in items, by check id
}

type entry struct {
	id int64
	at int64 // Unix nanoseconds
}

func newDeadlineQueue() *deadlineQueue {
	return &deadlineQueue{pos: map[int64]int32{}}
}

// Set schedules id at at, replacing its earlier deadline; a zero at removes it.
func (q *deadlineQueue) Set(id int64, at time.Time) {
	i, ok := q.pos[id]
	switch {
	case at.IsZero() && ok:
		q.remove(int(i))
	case at.IsZero():
	case ok:
		q.items[i].at = at.UnixNano()
		q.fix(int(i))
	default:
		q.items = append(q.items, entry{id: id, at: at.UnixNano()})
		q.up(len(q.items) - 1) // records its position
	}
}

// SetEarlier schedules id at at, unless its deadline is already at or
// before at.
func (q *deadlineQueue) SetEarlier(id int64, at time.Time) {
	if i, ok := q.pos[id]; ok && q.items[i].at <= at.UnixNano() {
		return
	}
	q.Set(id, at)
}

// Peek returns the earliest deadline, if any.
func (q *deadlineQueue) Peek() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, q.items[0].at), true
}

// PopDue removes and returns up to max ids due at or before now.
func (q *deadlineQueue) PopDue(now time.Time, max int) []int64 {
	var ids []int64
	for len(q.items) > 0 && len(ids) < max && q.items[0].at <= now.UnixNano() {
		ids = append(ids, q.items[0].id)
		q.remove(0)
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
	for len(q.items) > 0 && len(out) < max && q.items[0].at <= now.UnixNano() {
		e := q.items[0]
		q.remove(0)
		out = append(out, due{e.id, time.Unix(0, e.at)})
	}
	return out
}

// Len is the number of scheduled checks.
func (q *deadlineQueue) Len() int { return len(q.items) }

// has reports whether id has a deadline in the queue.
func (q *deadlineQueue) has(id int64) bool {
	_, ok := q.pos[id]
	return ok
}

// before orders entries by deadline, then by check id.
func before(a, b entry) bool { return a.at < b.at || a.at == b.at && a.id < b.id }

// place puts e at i and records its position.
func (q *deadlineQueue) place(i int, e entry) {
	q.items[i] = e
	q.pos[e.id] = int32(i)
}

// remove takes out the entry at i: the last entry fills its place.
func (q *deadlineQueue) remove(i int) {
	last := len(q.items) - 1
	delete(q.pos, q.items[i].id)
	moved := q.items[last]
	q.items = q.items[:last]
	if i != last {
		q.place(i, moved)
		q.fix(i)
	}
}

// fix restores the heap order after the entry at i changed.
func (q *deadlineQueue) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

// up moves the entry at i towards the root. Each parent it passes moves
// down a level; the entry is written once, where it stops: one index
// write a level rather than two.
func (q *deadlineQueue) up(i int) {
	e := q.items[i]
	for i > 0 {
		parent := (i - 1) / 2
		if !before(e, q.items[parent]) {
			break
		}
		q.place(i, q.items[parent])
		i = parent
	}
	q.place(i, e)
}

// down moves the entry at i towards the leaves, as up does the other
// way; it reports whether it moved.
func (q *deadlineQueue) down(i int) bool {
	start, e := i, q.items[i]
	for {
		child := 2*i + 1
		if child >= len(q.items) {
			break
		}
		if right := child + 1; right < len(q.items) && before(q.items[right], q.items[child]) {
			child = right
		}
		if !before(q.items[child], e) {
			break
		}
		q.place(i, q.items[child])
		i = child
	}
	q.place(i, e)
	return i > start
}

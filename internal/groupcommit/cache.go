package groupcommit

import (
	"errors"

	"github.com/tocsinhq/tocsin/internal/store"
)

// Cache holds rows as the writer last committed them, so that a batch
// need not read them again. It is bounded (a random row goes when it is
// full) and touched by the writer's goroutine only. The stored version of
// a row guards every write from a copy (store.ErrStale), so a copy made
// stale by another writer costs a read, never a lost change.
//
// On a database other replicas write, a stale copy says another replica
// is writing the same rows and cached copies would mostly be stale: the
// cache then reads fresh (Get finds nothing) for the next freshFor
// batches. See Batch.
type Cache[K comparable, V any] struct {
	rows      map[K]V
	size      int
	freshFor  int
	freshLeft int // batches left that read every row
}

// NewCache makes a cache of at most size rows (0: none is kept) that,
// when freshFor > 0, reads fresh for freshFor batches after a batch met a
// stale copy.
func NewCache[K comparable, V any](size, freshFor int) *Cache[K, V] {
	return &Cache[K, V]{rows: map[K]V{}, size: size, freshFor: freshFor}
}

// Get returns the row of k as last committed, unless the cache reads
// fresh.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c.freshLeft > 0 {
		var zero V
		return zero, false
	}
	v, ok := c.rows[k]
	return v, ok
}

// Rows is the cache as a map to read (nil while it reads fresh); it does
// not change until the next Commit or Forget.
func (c *Cache[K, V]) Rows() map[K]V {
	if c.freshLeft > 0 || c.size == 0 {
		return nil
	}
	return c.rows
}

// Commit enters rows a transaction stored, once it has committed.
func (c *Cache[K, V]) Commit(rows map[K]V) {
	if c.size == 0 {
		return
	}
	for k, v := range rows {
		if _, ok := c.rows[k]; !ok && len(c.rows) >= c.size {
			for old := range c.rows { // map order is random: a random eviction
				delete(c.rows, old)
				break
			}
		}
		c.rows[k] = v
	}
}

// Forget drops k: a transaction that failed may have changed its row.
func (c *Cache[K, V]) Forget(k K) { delete(c.rows, k) }

// ForgetAll drops the keys of rows.
func ForgetAll[K comparable, V, W any](c *Cache[K, V], rows map[K]W) {
	for k := range rows {
		delete(c.rows, k)
	}
}

// Batch runs one batch's write. If it fails on a stale copy while the
// cache trusted its copies, and the cache has a freshness window, the
// cache reads fresh for the next freshFor batches and the write runs once
// more, from what is stored. Otherwise the batch counts towards the end
// of the window.
func (c *Cache[K, V]) Batch(write func() error) error {
	fresh := c.freshLeft > 0
	err := write()
	if c.freshFor > 0 && !fresh && errors.Is(err, store.ErrStale) {
		c.freshLeft = c.freshFor
		return write()
	}
	if c.freshLeft > 0 {
		c.freshLeft--
	}
	return err
}

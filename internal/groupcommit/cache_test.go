package groupcommit

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tocsinhq/tocsin/internal/store"
)

// TestCacheBounded: committed rows are kept up to the bound, a row
// forgotten is read again, and a cache of size 0 keeps nothing.
func TestCacheBounded(t *testing.T) {
	c := NewCache[string, int](3, 0)
	for i := range 5 {
		c.Commit(map[string]int{fmt.Sprint("k", i): i})
	}
	if n := len(c.Rows()); n != 3 {
		t.Fatalf("%d rows kept, want 3", n)
	}
	c.Commit(map[string]int{"k9": 9})
	if v, ok := c.Get("k9"); !ok || v != 9 {
		t.Fatalf("k9 = %d, %v after commit", v, ok)
	}
	c.Forget("k9")
	if _, ok := c.Get("k9"); ok {
		t.Fatal("k9 still cached after Forget")
	}
	ForgetAll(c, c.Rows())
	if len(c.Rows()) != 0 {
		t.Fatalf("rows left after ForgetAll: %v", c.Rows())
	}

	none := NewCache[string, int](0, 0)
	none.Commit(map[string]int{"k": 1})
	if _, ok := none.Get("k"); ok || none.Rows() != nil {
		t.Fatal("a cache of size 0 kept a row")
	}
}

// TestCacheFreshAfterStale: with a freshness window, a batch that meets a
// stale copy is written again from what is stored, and the cache reads
// fresh (finds nothing) for the next freshFor batches, then trusts its
// copies again. Without a window a stale error is the batch's.
func TestCacheFreshAfterStale(t *testing.T) {
	const freshFor = 3
	c := NewCache[string, int](10, freshFor)
	c.Commit(map[string]int{"k": 1})
	var fresh []bool
	write := func(stale bool) func() error {
		return func() error {
			_, cached := c.Get("k")
			fresh = append(fresh, !cached)
			if stale && cached {
				return fmt.Errorf("save: %w", store.ErrStale)
			}
			return nil
		}
	}
	if err := c.Batch(write(true)); err != nil {
		t.Fatalf("stale batch: %v", err)
	}
	if len(fresh) != 2 || fresh[0] || !fresh[1] {
		t.Fatalf("attempts read fresh %v, want [false true]", fresh)
	}
	fresh = nil
	for range freshFor + 1 {
		if err := c.Batch(write(false)); err != nil {
			t.Fatal(err)
		}
	}
	if want := []bool{true, true, true, false}; fmt.Sprint(fresh) != fmt.Sprint(want) {
		t.Fatalf("batches after the stale one read fresh %v, want %v", fresh, want)
	}
	if c.Rows() == nil {
		t.Fatal("Rows nil after the window")
	}

	plain := NewCache[string, int](10, 0)
	plain.Commit(map[string]int{"k": 1})
	attempts := 0
	err := plain.Batch(func() error { attempts++; return store.ErrStale })
	if !errors.Is(err, store.ErrStale) || attempts != 1 {
		t.Fatalf("without a window: %v after %d attempts, want ErrStale after 1", err, attempts)
	}
}

package ping

import (
	"context"
	"sync"
)

// knownSize bounds the targets remembered as existing (about 100 bytes
// each: 6 MiB at most); past it the memory starts again, which costs one
// index read per target. It holds more than the recorder caches checks,
// so that a busy check is never read from the store at each ping.
const knownSize = 65536

// known remembers the ping targets (a UUID, or a slug) found to exist, so
// that the pings of a busy check do not each read the store before their
// body. Targets not found are not remembered: a check added by a reload is
// found at its first ping.
type known struct {
	exists func(ctx context.Context, uuid, slug string) (bool, error)
	mu     sync.Mutex
	set    map[target]struct{}
}

// target is a ping's target: a UUID, or else a slug.
type target struct{ uuid, slug string }

func targetKey(uuid, slug string) target {
	if uuid != "" {
		return target{uuid: uuid}
	}
	return target{slug: slug}
}

// remembers reports whether a check was found with this UUID or slug, and
// is remembered: the ping needs no look-up (and no deadline for one).
func (k *known) remembers(uuid, slug string) bool {
	key := targetKey(uuid, slug)
	k.mu.Lock()
	_, ok := k.set[key]
	k.mu.Unlock()
	return ok
}

// has reports whether a check has this UUID or slug. On a store error it
// says yes: the recorder, which reads the check again, has the last word.
func (k *known) has(ctx context.Context, uuid, slug string) (bool, error) {
	if k.remembers(uuid, slug) {
		return true, nil
	}
	key := targetKey(uuid, slug)
	found, err := k.exists(ctx, uuid, slug)
	if err != nil {
		return true, err
	}
	if found {
		k.mu.Lock()
		if len(k.set) >= knownSize {
			k.set = map[target]struct{}{}
		}
		k.set[key] = struct{}{}
		k.mu.Unlock()
	}
	return found, nil
}

// forget drops a target the recorder did not find (its check was removed).
func (k *known) forget(uuid, slug string) {
	k.mu.Lock()
	delete(k.set, targetKey(uuid, slug))
	k.mu.Unlock()
}

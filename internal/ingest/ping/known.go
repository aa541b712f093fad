package ping

import (
	"context"
	"sync"
)

// knownSize bounds the targets remembered as existing; past it the memory
// starts again, which costs one index read per target.
const knownSize = 4096

// known remembers the ping targets (a UUID, or a slug) found to exist, so
// that the pings of a busy check do not each read the store before their
// body. Targets not found are not remembered: a check added by a reload is
// found at its first ping.
type known struct {
	exists func(ctx context.Context, uuid, slug string) (bool, error)
	mu     sync.Mutex
	set    map[string]struct{}
}

func targetKey(uuid, slug string) string {
	if uuid != "" {
		return "u/" + uuid
	}
	return "s/" + slug
}

// has reports whether a check has this UUID or slug. On a store error it
// says yes: the recorder, which reads the check again, has the last word.
func (k *known) has(ctx context.Context, uuid, slug string) (bool, error) {
	key := targetKey(uuid, slug)
	k.mu.Lock()
	_, ok := k.set[key]
	k.mu.Unlock()
	if ok {
		return true, nil
	}
	found, err := k.exists(ctx, uuid, slug)
	if err != nil {
		return true, err
	}
	if found {
		k.mu.Lock()
		if len(k.set) >= knownSize {
			k.set = map[string]struct{}{}
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

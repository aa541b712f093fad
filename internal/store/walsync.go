package store

import (
	"fmt"
	"os"
	"sync"
)

// walSync makes SQLite's commits durable after the fact. With sync=full
// the writer connection commits in synchronous(NORMAL) mode: a commit
// writes its frames to the WAL file and frees the write lock without
// waiting for the disk. A sync of the WAL file then makes every
// transaction committed before it durable, as synchronous(FULL) would
// have made each. It is the same guarantee, but the wait for the disk
// comes after the write lock is free: a group committer applies its next
// batch while the disk syncs the last, and the batches committed
// meanwhile share one sync.
//
// A crash of Tocsin loses nothing either way, since the frames are in the
// operating system's cache; a crash of the machine or a power cut loses
// only what no sync has covered, and nothing is acknowledged before its
// sync.
type walSync struct {
	path string // the database's path + "-wal"
	mu   sync.Mutex
	f    *os.File // the WAL file as last opened
}

// sync syncs the WAL file to disk. SQLite deletes the WAL file when its
// last connection closes and makes a new one at the next: the file synced
// is the one at path now.
func (w *walSync) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now, err := os.Stat(w.path)
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if w.f != nil {
		if held, err := w.f.Stat(); err != nil || !os.SameFile(now, held) {
			w.f.Close()
			w.f = nil
		}
	}
	if w.f == nil {
		if w.f, err = os.OpenFile(w.path, os.O_RDWR, 0); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

func (w *walSync) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

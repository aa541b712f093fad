package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsinhq/tocsin"
)

// TestWALSyncFollowsTheFile: SQLite deletes the WAL file when its last
// connection closes and makes a new one at the next; a sync must sync the
// file there now, not the one it opened before.
func TestWALSyncFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db-wal")
	w := &walSync{path: path}
	defer w.close()
	if err := w.sync(); err == nil || !strings.Contains(err.Error(), "sync:") {
		t.Fatalf("no file: error %v", err)
	}
	if err := os.WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	first := w.f
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	now, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	held, err := w.f.Stat()
	if err != nil || !os.SameFile(now, held) || w.f == first {
		t.Fatalf("synced a file other than the one at %s (err %v)", path, err)
	}
	if err := w.sync(); err != nil || w.f == nil {
		t.Fatalf("sync of the same file: %v", err)
	}
}

// TestUnsyncedWriteIsCommitted: a transaction written unsynced is seen by
// the next ones and by readers at once; Sync then has it on disk.
func TestUnsyncedWriteIsCommitted(t *testing.T) {
	db := open(t, t.TempDir()+"/t.db")
	ctx := t.Context()
	if db.wal == nil {
		t.Fatal("the default sync=full does not sync the WAL itself")
	}
	var uuid string
	err := db.WriteUnsynced(ctx, func(tx *Tx) error {
		var err error
		uuid, err = tx.CreateCheck(ctx, CheckDef{Name: "unsynced", Slug: "unsynced", Spec: tocsin.ScheduleSpec{Every: time.Hour}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckByUUID(ctx, uuid); err != nil {
		t.Fatalf("read after an unsynced commit: %v", err)
	}
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
}

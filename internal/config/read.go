package config

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tocsinhq/tocsin/internal/clock"
)

// A file being written in place (truncated, then written in pieces) must
// not be read half-way. A file whose modification time is older than
// quietFor is taken as written; a newer one is read again after settle and
// used only when both reads agree, byte for byte and in size, time and
// identity. Each disagreement starts over, at most readAttempts times.
const (
	quietFor     = 2 * time.Second
	settle       = 100 * time.Millisecond
	readAttempts = 10
)

// readStable reads the file at path whole, making sure it is not caught
// while being written. The clock tells file times apart from now and
// times the waits (the real one: file times are real).
func readStable(path string, clk clock.Clock) ([]byte, error) {
	for range readAttempts {
		first, info, err := readOnce(path)
		if err != nil {
			return nil, err
		}
		if len(first) > MaxFileSize {
			return first, nil // Parse refuses it
		}
		if clk.Now().Sub(info.ModTime()) >= quietFor {
			// Not changed for a while; still make sure it did not change
			// while being read.
			if again, err := os.Stat(path); err == nil && sameVersion(info, again) && int64(len(first)) == info.Size() {
				return first, nil
			}
		}
		clock.Sleep(context.Background(), clk, settle)
		second, info2, err := readOnce(path)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(first, second) && sameVersion(info, info2) && int64(len(second)) == info2.Size() {
			return second, nil
		}
	}
	return nil, fmt.Errorf("load config: %s kept changing while being read (%d tries over at least %s); "+
		"write the new config to a temporary file in the same directory and rename it over %s", path, readAttempts,
		readAttempts*settle, path)
}

// readOnce reads the file and says what it read: the file's state when it
// was opened.
func readOnce(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("load config: %w", err)
	}
	return data, info, nil
}

// sameVersion reports whether a and b describe the same file unchanged.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

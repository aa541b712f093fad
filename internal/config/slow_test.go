package config

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSlowCorpus(t *testing.T) {
	dir := os.Getenv("CORPUS")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		lines := strings.SplitN(string(raw), "\n", 2)
		q := strings.TrimSuffix(strings.TrimSpace(lines[len(lines)-1]), ")")
		q = strings.TrimPrefix(q, "[]byte(")
		s, err := strconv.Unquote(q)
		if err != nil {
			t.Logf("%s: %v", f, err)
			continue
		}
		start := time.Now()
		Parse("f.yaml", []byte(s))
		if d := time.Since(start); d > 20*time.Millisecond {
			t.Logf("%s took %v (%d bytes)", f, d, len(s))
		}
	}
}

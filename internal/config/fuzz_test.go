package config

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"good", "bad"} {
		for _, file := range fixtures(f, dir) {
			if filepath.Base(file) == "alias-expansion.yaml" {
				// Each run takes most of the alias budget; mutations of it
				// slow the fuzzer to a crawl. TestBadFixtures covers it.
				continue
			}
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		checkInvariants(t, cfg)
		_ = cfg.Redacted()
	})
}

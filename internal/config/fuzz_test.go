package config

import (
	"fmt"
	"time"
	"os"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"good", "bad"} {
		for _, file := range fixtures(f, dir) {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(time.Second):
				os.WriteFile(fmt.Sprintf("/tmp/slowinput-%d", time.Now().UnixNano()), data, 0o644)
			}
		}()
		defer close(done)
		cfg, err := Parse("fuzz.yaml", data)
		_ = start
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

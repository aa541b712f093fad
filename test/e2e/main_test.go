// Package e2e runs black-box scenarios against the real tocsin binary: it is
// built once, started on a free port with a temporary SQLite database, and
// driven over HTTP (pings with curl, the management API) while a local
// webhook receiver records what Tocsin delivers.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the tocsin executable built by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tocsin-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "tocsin")
	if err := build(binary); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// build compiles ./cmd/tocsin from the module root, two levels above this
// package, into out.
func build(out string) error {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return fmt.Errorf("module root not found at %s: %w", root, err)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build tocsin: %w", err)
	}
	cmd := exec.Command(gobin, "build", "-o", out, "./cmd/tocsin")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build tocsin: %w\n%s", err, b)
	}
	return nil
}

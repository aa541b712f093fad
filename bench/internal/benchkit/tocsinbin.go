package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildTocsin builds the tocsin binary of this module into dir and
// returns its path.
func BuildTocsin(dir string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "tocsin")
	build := exec.Command("go", "build", "-o", bin, "./cmd/tocsin")
	build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build tocsin: %w", err)
	}
	return bin, nil
}

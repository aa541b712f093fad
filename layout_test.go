package tocsin_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxInternalImports is how many of its internal siblings a package may
// import. A package that needs more does more than one thing; only the
// wiring, internal/app, joins them all.
const maxInternalImports = 12

// TestInternalImports reads the imports of every package in the module
// (non-test files, as the build sees them) and fails for a package other
// than internal/app that imports more than maxInternalImports packages of
// internal/.
func TestInternalImports(t *testing.T) {
	const internal = "github.com/tocsinhq/tocsin/internal/"
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if dir != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if dir == filepath.Join("internal", "app") {
			return nil
		}
		pkg, err := build.ImportDir(dir, 0)
		if _, none := err.(*build.NoGoError); none {
			return nil
		}
		if err != nil {
			return err
		}
		var sibs []string
		for _, imp := range pkg.Imports {
			if rest, ok := strings.CutPrefix(imp, internal); ok {
				sibs = append(sibs, rest)
			}
		}
		if len(sibs) > maxInternalImports {
			slices.Sort(sibs)
			t.Errorf("%s imports %d internal packages, more than %d: %s", filepath.ToSlash(dir), len(sibs), maxInternalImports,
				strings.Join(sibs, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

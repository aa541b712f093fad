package tocsin_test

import (
	"os"
	"strings"
	"testing"
)

// TestSystemdUnitMatchesDocs keeps deploy/tocsin.service and the unit that
// docs/operations.md shows the same file.
func TestSystemdUnitMatchesDocs(t *testing.T) {
	unit, err := os.ReadFile("deploy/tocsin.service")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```ini\n")
	if !ok {
		t.Fatal("docs/operations.md shows no unit")
	}
	shown, _, _ := strings.Cut(rest, "```")
	if shown != string(unit) {
		t.Errorf("deploy/tocsin.service differs from the unit in docs/operations.md:\n%s\n---\n%s", unit, shown)
	}
}

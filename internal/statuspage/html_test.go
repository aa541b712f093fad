package statuspage

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestContrast checks that every text colour of the page's CSS meets WCAG
// AA (4.5:1) on the backgrounds it is drawn on, in light and dark mode.
func TestContrast(t *testing.T) {
	light, dark := cssVars(t, pageCSS, false), cssVars(t, pageCSS, true)
	for name, vars := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, fg := range []string{"fg", "mu", "op", "dg", "po", "mo", "um"} {
			for _, bg := range []string{"bg", "cd"} {
				if r := contrast(t, vars[fg], vars[bg]); r < 4.5 {
					t.Errorf("%s: --%s on --%s is %.2f:1", name, fg, bg, r)
				}
			}
		}
		// The banner and the button: white on a status colour.
		for _, bg := range []string{"bop", "bdg", "bpo", "bmo", "bum"} {
			if r := contrast(t, "#fff", vars[bg]); r < 4.5 {
				t.Errorf("%s: white on --%s is %.2f:1", name, bg, r)
			}
		}
	}
}

// cssVars reads the custom properties of :root, with the dark scheme's
// overrides when dark.
func cssVars(t *testing.T, css string, dark bool) map[string]string {
	t.Helper()
	vars := map[string]string{}
	re := regexp.MustCompile(`--([a-z-]+):(#[0-9a-f]{3,6})`)
	light, rest, ok := strings.Cut(css, "@media(prefers-color-scheme:dark)")
	if !ok {
		t.Fatal("no dark scheme in the CSS")
	}
	for _, m := range re.FindAllStringSubmatch(light, -1) {
		vars[m[1]] = m[2]
	}
	if dark {
		block, _, _ := strings.Cut(rest, "}}")
		for _, m := range re.FindAllStringSubmatch(block, -1) {
			vars[m[1]] = m[2]
		}
	}
	return vars
}

func contrast(t *testing.T, a, b string) float64 {
	la, lb := luminance(t, a), luminance(t, b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(t *testing.T, hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		t.Fatalf("colour %q", hex)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

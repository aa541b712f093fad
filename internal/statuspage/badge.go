package statuspage

import (
	"bytes"
	"fmt"
	"html/template"
)

// Badge colours per status, those of shields.io badges.
var badgeColor = map[string]string{"op": "#4c1", "dg": "#dfb317", "po": "#fe7d37", "mo": "#e05d44", "um": "#007ec6", "nd": "#9f9f9f"}

var badgeTemplate = template.Must(template.New("badge").Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="20" role="img" aria-label="{{.Label}}: {{.Message}}">` +
		`<title>{{.Label}}: {{.Message}}</title>` +
		`<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
		`<clipPath id="r"><rect width="{{.W}}" height="20" rx="3" fill="#fff"/></clipPath>` +
		`<g clip-path="url(#r)"><rect width="{{.LW}}" height="20" fill="#555"/><rect x="{{.LW}}" width="{{.MW}}" height="20" fill="{{.Color}}"/><rect width="{{.W}}" height="20" fill="url(#s)"/></g>` +
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">` +
		`<text x="{{.LX}}" y="15" fill="#010101" fill-opacity=".3">{{.Label}}</text><text x="{{.LX}}" y="14">{{.Label}}</text>` +
		`<text x="{{.MX}}" y="15" fill="#010101" fill-opacity=".3">{{.Message}}</text><text x="{{.MX}}" y="14">{{.Message}}</text></g></svg>`))

type badge struct {
	Label, Message, Color string
	W, LW, MW             int
	LX, MX                string
}

// PageBadge renders a badge of the page's overall status.
func PageBadge(v *View) ([]byte, error) {
	st := v.Status()
	return renderBadge(v.Page.Name, st.Description, indicatorClass[st.Indicator])
}

// ComponentBadge renders a badge of one component's status; ok is false
// when the page has no component with that id.
func ComponentBadge(v *View, id string) (svg []byte, ok bool, err error) {
	for _, c := range v.Components {
		if c.ID == id {
			class, text := statusClass[c.Status], statusText[c.Status]
			if class == "" {
				class, text = "nd", string(c.Status)
			}
			svg, err := renderBadge(c.Name, text, class)
			return svg, true, err
		}
	}
	return nil, false, nil
}

func renderBadge(label, message, class string) ([]byte, error) {
	color := badgeColor[class]
	if color == "" {
		color = badgeColor["nd"]
	}
	lw, mw := textWidth(label)+10, textWidth(message)+10
	b := badge{Label: label, Message: message, Color: color, W: lw + mw, LW: lw, MW: mw,
		LX: fmt.Sprintf("%.1f", float64(lw)/2), MX: fmt.Sprintf("%.1f", float64(lw)+float64(mw)/2)}
	var buf bytes.Buffer
	// The template is html/template's: in SVG text and attributes it escapes
	// whatever a name holds.
	if err := badgeTemplate.Execute(&buf, b); err != nil {
		return nil, fmt.Errorf("render badge: %w", err)
	}
	return buf.Bytes(), nil
}

// textWidth estimates the width of s in 11 px Verdana, as shields.io lays
// its badges out: about 7 px a character, narrower for narrow letters.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		switch {
		case r == 'i' || r == 'l' || r == 'j' || r == '.' || r == ',' || r == ':' || r == '\'' || r == '|' || r == '!':
			w += 3.5
		case r == ' ' || r == 'f' || r == 't' || r == 'r' || r == 'I':
			w += 4.5
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			w += 10
		case r >= 'A' && r <= 'Z':
			w += 7.5
		default:
			w += 7
		}
	}
	return int(w + 0.5)
}

package email

import (
	"strings"
	"testing"
)

// An alert's images (PagerDuty's images[], Grafana's imageURL) are links in
// both parts: to the image, and to where it leads when it says.
func TestAlertImagesAreLinks(t *testing.T) {
	_, text, html := build(t, `{"event":"incident.triggered","incident":{"id":4,"title":"checkout 5xx","status":"triggered"},
		"evidence":{"alerts":[{"summary":"checkout 5xx at 12%","severity":"error",
		"images":[{"src":"https://chart.example/5xx.png","href":"https://grafana.example/d/1","alt":"5xx rate"},
		{"src":"https://chart.example/raw.png"}]}],"alerts_total":1}}`)
	for _, want := range []string{"image 5xx rate: https://chart.example/5xx.png (links to https://grafana.example/d/1)",
		"image image: https://chart.example/raw.png"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	a := anchors(t, html)
	if a["5xx rate"] != "https://chart.example/5xx.png" || a["link"] != "https://grafana.example/d/1" || a["image"] != "https://chart.example/raw.png" {
		t.Errorf("html anchors %v:\n%s", a, html)
	}
}

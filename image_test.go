package tocsin

import (
	"encoding/json"
	"testing"
)

// Images round-trip, and the form stored before images kept their link
// ({"href": the image, "text": its alt text}) still reads as the image.
func TestImageJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Image
	}{
		{`{"src":"https://c.example/a.png","href":"https://d.example/1","alt":"CPU"}`, Image{"https://c.example/a.png", "https://d.example/1", "CPU"}},
		{`{"src":"https://c.example/a.png"}`, Image{Src: "https://c.example/a.png"}},
		{`{"href":"https://c.example/a.png","text":"CPU"}`, Image{Src: "https://c.example/a.png", Alt: "CPU"}},
	} {
		var got Image
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("%s: %+v %v", tc.in, got, err)
		}
		out, _ := json.Marshal(got)
		var back Image
		if err := json.Unmarshal(out, &back); err != nil || back != got {
			t.Errorf("%s: round trip %s gives %+v", tc.in, out, back)
		}
	}
	if err := json.Unmarshal([]byte(`[1]`), new(Image)); err == nil {
		t.Error("an array read as an image")
	}
}

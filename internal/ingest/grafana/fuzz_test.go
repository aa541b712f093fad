package grafana

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tocsinhq/tocsin"
)

// FuzzParse: no input panics; every refusal is EInvalid with a message;
// every accepted body gives one alert per alert sent, each keyed by the
// group key and a fingerprint, with only web links and details that are
// JSON.
func FuzzParse(f *testing.F) {
	f.Add(docSample(f))
	f.Add([]byte(`{"version":"1","groupKey":"g","status":"resolved","orgId":1,"alerts":[{"status":"resolved","labels":{"alertname":"a"},
		"startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-01T00:01:00Z","fingerprint":"ab","imageURL":"javascript:x",
		"values":{"A":1e308},"valueString":"\u0000"}]}`))
	f.Add([]byte(`{"version":"1","alerts":[null],"orgId":1e99}`))
	f.Add([]byte(`null`))
	const fuzzLimit = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		am, g, alerts, err := Parse(bytes.NewReader(data), fuzzLimit)
		if err != nil {
			if am != nil || g != nil || alerts != nil {
				t.Fatal("payload or alerts returned with an error")
			}
			if code := tocsin.ErrorCode(err); code != tocsin.EInvalid || err.Error() == "" {
				t.Fatalf("code %q for %v", code, err)
			}
			return
		}
		if len(alerts) == 0 || len(alerts) != len(am.Alerts) || len(alerts) != len(g.Alerts) {
			t.Fatalf("%d alerts from %d sent", len(alerts), len(am.Alerts))
		}
		for i, a := range alerts {
			if !strings.HasPrefix(a.Key, am.GroupKey+"/") || a.Labels["alertname"] == "" || a.StartsAt.IsZero() {
				t.Fatalf("alerts[%d]: %+v", i, a)
			}
			for _, l := range a.Links {
				if !webURL(l.Href) {
					t.Fatalf("alerts[%d]: link %q", i, l.Href)
				}
			}
			for _, im := range a.Images {
				if !webURL(im.Src) {
					t.Fatalf("alerts[%d]: image %q", i, im.Src)
				}
			}
			if !json.Valid(a.Details) {
				t.Fatalf("alerts[%d]: details %q", i, a.Details)
			}
		}
	})
}
